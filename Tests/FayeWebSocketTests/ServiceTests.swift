import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Logging
import ServiceLifecycle
import Testing
import WebSocketDriver

/// `FayeServer` as a swift-service-lifecycle `Service`.
@Suite("FayeServer as a Service")
struct ServiceTests {
    static func echoServer(_ configuration: FayeServer.Configuration) -> FayeServer {
        var logger = Logger(label: "test.service")
        logger.logLevel = .warning
        return FayeServer(configuration: configuration, logger: logger) { request in
            .webSocket { socket in socket.onMessage { socket.send($0) } }
        }
    }

    @Test("a ServiceGroup's graceful shutdown closes open WebSockets with 1001 and run() returns")
    func gracefulShutdown() async throws {
        var logger = Logger(label: "test.group")
        logger.logLevel = .warning
        let server = Self.echoServer(.loopbackForTests())
        try await server.start()
        let port = try #require(server.localAddress?.port)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        let running = Task { try await group.run() }
        let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
        try await socket.send(.text("hello"))
        var messages = socket.messages.makeAsyncIterator()
        #expect(try await messages.next() == .text("hello"))
        await group.triggerGracefulShutdown()
        #expect(try await socket.closed().code == .goingAway)
        try await running.value
        #expect(server.localAddress == nil)
    }

    @Test("cancelling the task that runs the service shuts the server down")
    func cancellation() async throws {
        let server = Self.echoServer(.loopbackForTests())
        try await server.start()  // run() serves a started server (and starts one that is not)
        let port = try #require(server.localAddress?.port)
        let running = Task { try await server.run() }
        let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
        running.cancel()
        #expect(try await socket.closed().code == .goingAway)
        try await running.value
    }
}

/// `ServerResponse.webSocketSession`: a server socket tied to a task.
@Suite("Server sessions")
struct ServerSessionTests {
    @Test("a session echoes in order, and the socket closes with 1000 when it returns")
    func sessionReturns() async throws {
        try await withTestServer(responder: { _ in
            .webSocketSession { socket in
                var count = 0
                for try await message in socket.messages {
                    try await socket.send(message)
                    count += 1
                    if count == 1_000 { return }
                }
            }
        }) { server in
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.port)/")
            for index in 0..<1_000 { let _: Bool = socket.send("m\(index)") }
            var received: [WebSocketMessage] = []
            for try await message in socket.messages { received.append(message) }
            #expect(received == (0..<1_000).map { .text("m\($0)") })
            #expect(try await socket.closed().code == .normalClosure)
        }
    }

    @Test("a session that throws closes the socket with 1011; one whose peer leaves is cancelled")
    func sessionThrowsOrIsCancelled() async throws {
        struct Oops: Error {}
        let cancelled = Locked(false)
        try await withTestServer(responder: { request in
            if request.request.path == "/throw" {
                return .webSocketSession { _ in throw Oops() }
            }
            return .webSocketSession { _ in
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.withLock { $0 = true }
                }
            }
        }) { server in
            let failing = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.port)/throw")
            #expect(try await failing.closed().code == .internalError)
            let waiting = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.port)/wait")
            waiting.terminate()
            try await eventually("the session to be cancelled") { cancelled.current }
        }
    }
}
