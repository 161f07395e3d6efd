import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOPosix
import Testing
import WebSocketDriver

/// Runs the server of Docs/Guides/Own-NIO-Pipeline.md on loopback, with and without TLS.
@Suite("Guide: mounting into your own NIO pipeline")
struct PipelineServerTests {
    /// Starts the guide's server, runs `body` with its port, and stops everything.
    static func withPipelineServer(
        tls: TLSServerConfiguration? = nil,
        _ body: (MultiThreadedEventLoopGroup, Int) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try await startPipelineServer(group: group, port: 0, tls: tls)
            let port = try #require(channel.localAddress?.port)
            try await body(group, port)
            try await channel.close()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    @Test("plain: /health answers, /echo echoes, another path is 404 and fails the client's handshake")
    func plain() async throws {
        try await Self.withPipelineServer { group, port in
            let http = try await TestClient.connectRaw(group: group, port: port)
            try await http.writeRaw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let health = try await http.readResponse()
            #expect(health.status == 200)
            #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")

            var clientOptions = WebSocketClientOptions()
            clientOptions.eventLoopGroup = group
            let client = RecordedSocket.connect("ws://127.0.0.1:\(port)/echo", clientOptions: clientOptions)
            try await client.expectOpen()
            try await client.socket.send(.text("mine"))
            #expect(try await client.nextMessage() == .text("mine"))
            await client.shutdown()

            let refused = RecordedSocket.connect("ws://127.0.0.1:\(port)/elsewhere", clientOptions: clientOptions)
            let (error, close) = try await refused.expectFailure()
            #expect(error == "Error during WebSocket handshake: Unexpected response code: 404")
            #expect(close == .close(1006, ""))
        }
    }

    @Test("TLS: the guide's client reaches /echo over wss: with the test CA")
    func tls() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withPipelineServer(tls: pki.server.serverConfiguration) { _, port in
            let socket = connectSecurely(SecureClientSettings(url: "wss://localhost:\(port)/echo", caFile: pki.caFile))
            let answer = try await withTimeout("the answer", timeout: .seconds(10)) { try await ask(socket, "secure") }
            #expect(answer == .text("secure"))
            #expect(socket.extensions == [])  // the guide's server registers no extension
        }
    }
}
