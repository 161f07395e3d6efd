import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import WebSocketDriver

/// Example (b) of Docs/FayeWebSocket.md: `FayeHTTPHandler` mounted in your own NIO pipeline. Keep
/// the two in step.
func startMyServer(group: MultiThreadedEventLoopGroup) async throws -> any Channel {
    let bootstrap = ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                // NIO's HTTP/1.1 handlers; `withServerUpgrade` makes the decoder keep the bytes
                // that follow an upgrade request for the WebSocket.
                try pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [], completionHandler: { _ in })
                )
                try pipeline.addHandler(
                    FayeHTTPHandler { request in
                        guard request.isWebSocket else {
                            return ServerResponse(text: "Hello from my pipeline\n")
                        }
                        return .webSocket { socket in
                            socket.onMessage { message in socket.send(message) }
                        }
                    }
                )
            }
        }
    return try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
}

@Suite("FayeHTTPHandler in a user's own pipeline")
struct UserPipelineTests {
    @Test("serves a plain HTTP request and a WebSocket, on separate and on one connection")
    func mounted() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverChannel = try await startMyServer(group: group)
        do {
            let port = try #require(serverChannel.localAddress?.port)

            let http = try await TestClient.connectRaw(group: group, port: port)
            try await http.writeRaw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let response = try await http.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "Hello from my pipeline\n")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")

            let client = try await TestClient.connect(group: group, port: port, webSocketPath: "/chat")
            try await client.expectOpen()
            try await client.send("hello")
            try await client.send([0, 1, 2])
            #expect(try await client.nextMessage() == .text("hello"))
            #expect(try await client.nextMessage() == .binary([0, 1, 2]))

            // The same keep-alive connection: HTTP first, then the upgrade, with an early frame.
            try await http.writeRaw("GET /again HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await http.readResponse().status == 200)
            try await http.upgrade(path: "/later")
            try await http.expectOpen()
            try await http.send(patternText(70_000))
            #expect(try await http.nextMessage() == .text(patternText(70_000)))

            #expect(try await client.close(code: 4001, reason: "bye"))
            #expect(try await client.closeEvent() == (4001, "bye"))
            try await client.waitDisconnected()

            let early = try await TestClient.connect(
                group: group, port: port, earlyBytes: WebSocketHandshakes.maskedText("early"))
            try await early.expectOpen()
            #expect(try await early.nextMessage() == .text("early"))

            let refused = try await TestClient.connectRaw(group: group, port: port)
            try await refused.writeRaw(WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Version", "8")]))
            let refusal = try await refused.readResponse()
            #expect(refusal.status == 426)
            try await refused.waitDisconnected()
        } catch {
            try? await serverChannel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try await serverChannel.close()
        try await group.shutdownGracefully()
    }
}
