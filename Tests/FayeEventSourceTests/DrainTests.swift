import FayeEventSource
import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// The graceful shutdown a load balancer can follow: the health check turns unhealthy first,
/// the server keeps serving for the drain delay, then WebSockets get 1001 and EventSource
/// streams a last `retry:` before they end.
@Suite("FayeServer: health check and drain", .allocatesMemory)
struct DrainTests {
    static func configuration() -> FayeServer.Configuration {
        var configuration = FayeServer.Configuration.loopbackForTests()
        configuration.healthCheckPath = "/healthz"
        configuration.drainDelay = .milliseconds(800)
        configuration.shutdownRetryHint = .milliseconds(250)
        return configuration
    }

    static let responder: FayeHTTPHandler.Responder = { request in
        if request.isWebSocket { return .webSocket { socket in _ = socket.echoMessages() } }
        if request.isEventSource {
            return .eventSource { source in try? source.send("hello", id: "1") }
        }
        return ServerResponse(status: 404, text: "Not found\n")
    }

    static func health(_ group: any EventLoopGroup, port: Int) async throws -> String {
        let client = try await StreamClient.connect(group: group, port: port, path: "/healthz", accept: nil)
        defer { client.channel.close(promise: nil) }
        return try await client.head().statusLine
    }

    @Test("healthy until the shutdown; during the drain delay 503 but still serving; then 1001 and a last retry")
    func drain() async throws {
        try await withTestServer(configuration: Self.configuration(), responder: Self.responder) { server in
            #expect(server.server.isHealthy)
            let healthy = try await Self.health(server.group, port: server.port)
            #expect(healthy == "HTTP/1.1 200 OK")
            var clientOptions = WebSocketClientOptions()
            clientOptions.eventLoopGroup = server.group
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.port)/", clientOptions: clientOptions)
            let stream = try await StreamClient.connect(group: server.group, port: server.port)
            _ = try await stream.head()
            try await eventually("the first event") {
                String(decoding: stream.body, as: UTF8.self).contains("data: hello")
            }

            let shutdown = Task { try await server.server.shutdown() }
            try await eventually("the health check to fail") {
                (try? await Self.health(server.group, port: server.port)) == "HTTP/1.1 503 Service Unavailable"
            }
            #expect(!server.server.isHealthy)
            // Still serving during the drain delay: an echo, and a new stream.
            try await socket.send(.text("still here"))
            var messages = socket.messages.makeAsyncIterator()
            let echoed = try await messages.next()
            #expect(echoed == .text("still here"))
            let late = try await StreamClient.connect(group: server.group, port: server.port)
            let lateHead = try await late.head()
            #expect(lateHead.statusLine == "HTTP/1.1 200 OK")

            let event = try await withTimeout("the WebSocket's close") { try await socket.closed() }
            #expect(event.code == .goingAway)
            for client in [stream, late] {
                try await eventually("the stream to end after a retry hint") { client.handler.isDisconnected.current }
                #expect(String(decoding: client.body, as: UTF8.self).hasSuffix("retry: 250\r\n\r\n"))
            }
            try await shutdown.value
        }
    }

    @Test("without a health check path, /healthz is the responder's")
    func noHealthCheckByDefault() async throws {
        try await withTestServer(responder: Self.responder) { server in
            let answer = try await Self.health(server.group, port: server.port)
            #expect(answer == "HTTP/1.1 404 Not Found")
        }
    }
}
