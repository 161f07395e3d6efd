import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOPosix
import PermessageDeflate
import Testing
import WebSocketDriver

/// Our client and our server over HTTP/2 with TLS on loopback: WebSockets by extended CONNECT
/// (RFC 8441) sharing one connection, and the fallbacks to HTTP/1.1.
@Suite("HTTP/2: client and server over TLS", .allocatesMemory)
struct HTTP2LoopbackTests {
    static func deflateOptions() -> WebSocketOptions {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        return options
    }

    /// A TLS loopback server (HTTP/2 on by default) configured by `configure`.
    static func withServer(
        _ pki: TestPKI,
        configure: (inout FayeServer.Configuration) -> Void = { _ in },
        _ body: (Loopback) async throws -> Void
    ) async throws {
        var spec = LoopbackServer(host: "127.0.0.1", options: deflateOptions())
        spec.configuration.tls = pki.server.serverConfiguration
        configure(&spec.configuration)
        try await withLoopback(spec, body)
    }

    /// Client options preferring HTTP/2, on one event loop so that sockets can share a connection.
    static func clientOptions(_ group: any EventLoopGroup, trusting caFile: String) -> WebSocketClientOptions {
        var options = WebSocketClientOptions.tls(group, trusting: caFile)
        options.prefersHTTP2 = true
        return options
    }

    /// One client event loop (sockets share a connection only on one loop), shut down after `body`.
    static func withClientLoop(_ body: (MultiThreadedEventLoopGroup) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    @Test("sockets over h2 share one connection, echo with permessage-deflate and close cleanly")
    func sharedConnectionEcho() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withClientLoop { clientGroup in
            try await Self.withServer(pki) { loopback in
                let options = Self.clientOptions(clientGroup, trusting: pki.caFile)
                var clients: [RecordedSocket] = []
                for index in 0..<6 {
                    let client = RecordedSocket.connect(
                        "wss://localhost:\(loopback.port)/chat/\(index)", options: Self.deflateOptions(),
                        clientOptions: options)
                    try await client.expectOpen()
                    clients.append(client)
                }
                // One TCP connection carries all six.
                #expect(loopback.server.connectionCount == 1)
                for (index, client) in clients.enumerated() {
                    #expect(client.socket.handshakeResponse?.status == 200)
                    #expect(client.socket.handshakeResponse?.version == "HTTP/2")
                    #expect(client.socket.extensions == ["permessage-deflate"])
                    let server = try await loopback.nextServerSocket()
                    #expect(server.url.hasPrefix("wss://localhost:\(loopback.port)/chat/"))
                    let text = patternText(70_000 + index)
                    try await client.socket.send(.text(text))
                    #expect(try await client.nextMessage(timeout: .seconds(10)) == .text(text))
                    let bytes = patternBytes(200_000, seed: index)
                    try await client.socket.send(.binary(bytes))
                    #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(bytes))
                }
                for client in clients {
                    let event = try await withTimeout("the close") {
                        try await client.socket.closeAndWait(code: 4000, reason: "bye")
                    }
                    #expect(event == CloseEvent(code: CloseCode(4000), reason: "bye"))
                }
                // Closing the sockets ends their streams, not the shared connection.
                #expect(loopback.server.connectionCount == 1)
            }
        }
    }

    @Test("a client that drops its stream (RST_STREAM) gives the server socket a 1006, and the connection lives on")
    func resetStream() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withClientLoop { clientGroup in
            try await Self.withServer(pki) { loopback in
                let options = Self.clientOptions(clientGroup, trusting: pki.caFile)
                let first = RecordedSocket.connect("wss://localhost:\(loopback.port)/a", clientOptions: options)
                try await first.expectOpen()
                let second = RecordedSocket.connect("wss://localhost:\(loopback.port)/b", clientOptions: options)
                try await second.expectOpen()
                let firstServer = try await loopback.nextServerSocket()
                _ = try await loopback.nextServerSocket()
                first.socket.terminate()
                let closed = try await withTimeout("the server's close event") { await firstServer.finalCloseEvent() }
                #expect(closed.code == .abnormalClosure)
                try await second.socket.send(.text("still here"))
                #expect(try await second.nextMessage() == .text("still here"))
                #expect(loopback.server.connectionCount == 1)
                await second.shutdown()
            }
        }
    }

    @Test("without SETTINGS_ENABLE_CONNECT_PROTOCOL the client falls back to HTTP/1.1")
    func fallbackWithoutConnectProtocol() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withClientLoop { clientGroup in
            try await Self.withServer(pki, configure: { $0.http2.allowsWebSockets = false }) { loopback in
                let client = RecordedSocket.connect(
                    "wss://localhost:\(loopback.port)/", options: Self.deflateOptions(),
                    clientOptions: Self.clientOptions(clientGroup, trusting: pki.caFile))
                try await client.expectOpen()
                #expect(client.socket.handshakeResponse?.status == 101)
                try await client.socket.send(.text("over HTTP/1.1"))
                #expect(try await client.nextMessage() == .text("over HTTP/1.1"))
                await client.shutdown()
            }
        }
    }

    @Test("with HTTP/2 off on the server, ALPN selects http/1.1 and the socket opens with a 101")
    func serverWithoutHTTP2() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withClientLoop { clientGroup in
            try await Self.withServer(pki, configure: { $0.http2.isEnabled = false }) { loopback in
                let client = RecordedSocket.connect(
                    "wss://localhost:\(loopback.port)/",
                    clientOptions: Self.clientOptions(clientGroup, trusting: pki.caFile))
                try await client.expectOpen()
                #expect(client.socket.handshakeResponse?.status == 101)
                await client.shutdown()
            }
        }
    }

    @Test("a refused extended CONNECT fails the client with the server's status")
    func refusedHandshake() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withClientLoop { clientGroup in
            var spec = LoopbackServer(host: "127.0.0.1")
            spec.configuration.tls = pki.server.serverConfiguration
            spec.responder = { _ in ServerResponse(status: 403, text: "no\n") }
            try await withLoopback(spec) { loopback in
                let client = RecordedSocket.connect(
                    "wss://localhost:\(loopback.port)/",
                    clientOptions: Self.clientOptions(clientGroup, trusting: pki.caFile))
                let failure = try await client.expectFailure()
                #expect(failure.close == .close(1006, ""))
                #expect(client.socket.handshakeResponse?.status == 403)
            }
        }
    }
}
