import ClientAddress
import FayeTestSupport
import NIOCore
import Testing

@testable import FayeWebSocket

/// Client identity behind trusted proxies, on the server's own pipeline in virtual time: the
/// PROXY protocol before anything else, `Forwarded` and `X-Forwarded-*` per request, and what
/// an untrusted peer's headers are worth. The embedded connection comes from 127.0.0.1.
@Suite("Client identity through trusted proxies")
struct ProxyIdentityTests {
    /// Answers each request with what the server knows of its client.
    static let responder: FayeHTTPHandler.Responder = { request in
        let text =
            "client \(request.clientDescription) peer \(request.peerAddress?.hostAndPort ?? "?") "
            + "secure \(request.isSecure) url \(request.url(plain: "http", secure: "https"))"
        return ServerResponse(text: text)
    }

    static func connect(trusting list: String, proxyProtocol: Bool = false) async throws -> EmbeddedServer {
        var configuration = FayeServer.Configuration()
        configuration.trustedProxies = try TrustedProxies(parsing: list)
        configuration.expectsProxyProtocol = proxyProtocol
        configuration.handshakeTimeout = .seconds(5)
        return try await EmbeddedServer.connect(configuration: configuration, responder: Self.responder)
    }

    static func body(_ server: EmbeddedServer) async throws -> String {
        String(decoding: try await server.response().body, as: UTF8.self)
    }

    static let request = "GET /where HTTP/1.1\r\nHost: internal:8080\r\n"

    @Test("a PROXY v1 header from a trusted proxy names the client; the request after it is served")
    func proxyV1() async throws {
        let server = try await Self.connect(trusting: "127.0.0.1", proxyProtocol: true)
        try await server.receive("PROXY TCP4 198.51.100.7 192.0.2.1 4711 443\r\n" + Self.request + "\r\n")
        #expect(
            try await Self.body(server)
                == "client 198.51.100.7:4711 peer 127.0.0.1:50000 secure false url http://internal:8080/where")
        await server.finish()
    }

    @Test("a PROXY v2 header (IPv6, with TLVs) arriving in pieces names the client")
    func proxyV2() async throws {
        let server = try await Self.connect(trusting: "127.0.0.0/8", proxyProtocol: true)
        var header: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21]
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [0x05]
        let destination: [UInt8] = Array(repeating: 0, count: 15) + [0x01]
        let tlv: [UInt8] = [0x04, 0x00, 0x02, 0xAB, 0xCD]  // a NOOP field
        let payload = source + destination + [0x12, 0x67, 0x01, 0xBB] + tlv
        header += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        for chunk in (header + Array((Self.request + "\r\n").utf8)).chunked(7) { try await server.receive(chunk) }
        #expect(try await Self.body(server).hasPrefix("client [2001:db8::5]:4711 peer 127.0.0.1:50000"))
        await server.finish()
    }

    @Test("a trusted proxy that must send a PROXY header and does not: closed, nothing served")
    func missingProxyHeader() async throws {
        let server = try await Self.connect(trusting: "127.0.0.1", proxyProtocol: true)
        try await server.receive(Self.request + "\r\n")
        try await eventually("the connection to close") { !server.isActive }
        #expect(server.takeOutput().isEmpty)
        await server.finish()
    }

    @Test("a malformed PROXY header: closed, nothing served")
    func malformedProxyHeader() async throws {
        let server = try await Self.connect(trusting: "127.0.0.1", proxyProtocol: true)
        try await server.receive("PROXY TCP4 198.51.100.7 nonsense 1 2\r\n" + Self.request + "\r\n")
        try await eventually("the connection to close") { !server.isActive }
        #expect(server.takeOutput().isEmpty)
        await server.finish()
    }

    @Test("a PROXY header from a peer that is not a trusted proxy: closed, nothing served")
    func proxyHeaderFromUntrustedPeer() async throws {
        let server = try await Self.connect(trusting: "10.0.0.0/8", proxyProtocol: true)
        try await server.receive("PROXY TCP4 198.51.100.7 192.0.2.1 4711 443\r\n" + Self.request + "\r\n")
        try await eventually("the connection to close") { !server.isActive }
        #expect(server.takeOutput().isEmpty)
        await server.finish()
    }

    @Test("a trusted proxy that sends nothing is closed after the handshake timeout")
    func silentProxy() async throws {
        let server = try await Self.connect(trusting: "127.0.0.1", proxyProtocol: true)
        try await server.receive("PROXY TCP4 ")
        await server.advance(by: .seconds(4))
        #expect(server.isActive)
        await server.advance(by: .seconds(1))
        #expect(!server.isActive)
        await server.finish()
    }

    @Test("X-Forwarded-For/-Proto/-Host from a trusted proxy name the client, scheme and host")
    func forwardedHeadersFromTrustedProxy() async throws {
        let server = try await Self.connect(trusting: "127.0.0.1")
        try await server.receive(
            Self.request
                + "X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: example.com\r\n\r\n")
        #expect(
            try await Self.body(server)
                == "client 203.0.113.9 peer 127.0.0.1:50000 secure true url https://example.com/where")
        await server.finish()
    }

    @Test("Forwarded (RFC 7239) is preferred over X-Forwarded-For")
    func forwardedHeader() async throws {
        let server = try await Self.connect(trusting: "127.0.0.1")
        try await server.receive(
            Self.request + "Forwarded: for=\"[2001:db8::7]:4711\";proto=https\r\n"
                + "X-Forwarded-For: 203.0.113.9\r\n\r\n")
        #expect(try await Self.body(server).hasPrefix("client [2001:db8::7]:4711 peer 127.0.0.1:50000 secure true"))
        await server.finish()
    }

    @Test("from a peer that is not a trusted proxy, forwarding headers count for nothing")
    func spoofedHeaders() async throws {
        let server = try await Self.connect(trusting: "10.0.0.1")
        try await server.receive(
            Self.request + "X-Forwarded-For: 203.0.113.9\r\nForwarded: for=203.0.113.9;proto=https\r\n"
                + "X-Forwarded-Proto: https\r\n\r\n")
        #expect(
            try await Self.body(server)
                == "client 127.0.0.1:50000 peer 127.0.0.1:50000 secure false url http://internal:8080/where")
        await server.finish()
    }

    @Test("without trusted proxies: the peer is the client; scheme headers keep the Ruby gem's meaning")
    func noTrustConfigured() async throws {
        let server = try await EmbeddedServer.connect(responder: Self.responder)
        try await server.receive(Self.request + "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n")
        #expect(
            try await Self.body(server)
                == "client 127.0.0.1:50000 peer 127.0.0.1:50000 secure true url https://internal:8080/where")
        await server.finish()
    }
}

extension Array {
    /// The elements in runs of `size` (the last one shorter).
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
