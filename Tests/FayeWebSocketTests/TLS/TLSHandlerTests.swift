import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOEmbedded
import Testing

/// What reached the handler after a ``TLSHandler`` in an embedded pipeline.
private final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var reads: [[UInt8]] = []
    var readCompletes = 0
    var handshake: TLSHandshakeCompleted?
    var errors: [TLSError] = []
    var otherErrors: [String] = []
    var inactive = false

    var plaintext: [UInt8] { reads.flatMap { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reads.append(Array(unwrapInboundIn(data).readableBytesView))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readCompletes += 1
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted { handshake = event }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? TLSError {
            errors.append(error)
        } else {
            otherErrors.append("\(error)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
    }
}

/// How an embedded channel's future completed (they complete synchronously); `nil` if not yet.
private func outcome(_ future: EventLoopFuture<Void>) -> Result<Void, any Error>? {
    let result = Locked<Result<Void, any Error>?>(nil)
    future.whenComplete { completed in result.withLock { $0 = completed } }
    return result.current
}

/// A client and a server ``TLSHandler`` on two embedded channels, with the ciphertext moved
/// between them by hand (in any chunking).
private final class TLSPair {
    let client = EmbeddedChannel()
    let server = EmbeddedChannel()
    let clientSide = Collector()
    let serverSide = Collector()

    init(
        pki: TestPKI,
        client configuration: TLSClientConfiguration? = nil,
        server identity: TestPKI.Identity? = nil,
        serverConfiguration: ((inout TLSServerConfiguration) -> Void)? = nil,
        hostname: String? = "localhost"
    ) throws {
        var clientConfiguration = configuration ?? TLSClientConfiguration()
        if configuration == nil { clientConfiguration.rootCertificateFiles = [pki.caFile] }
        var serverTLS = (identity ?? pki.server).serverConfiguration
        serverConfiguration?(&serverTLS)
        try client.pipeline.syncOperations.addHandler(
            TLSHandler(context: TLSContext(client: clientConfiguration), serverHostname: hostname))
        try client.pipeline.syncOperations.addHandler(clientSide)
        try server.pipeline.syncOperations.addHandler(TLSHandler(context: TLSContext(server: serverTLS)))
        try server.pipeline.syncOperations.addHandler(serverSide)
    }

    func activate() throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        server.connect(to: address, promise: nil)
        client.connect(to: address, promise: nil)
    }

    /// The ciphertext `channel` has written, in one array.
    static func drain(_ channel: EmbeddedChannel) -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    /// Delivers `bytes` to `channel` in reads of `chunk` bytes (each its own batch), or all in
    /// one read when `chunk` is nil.
    static func deliver(_ bytes: [UInt8], to channel: EmbeddedChannel, chunk: Int?) {
        guard !bytes.isEmpty, channel.isActive else { return }
        let size = chunk ?? bytes.count
        var offset = 0
        while offset < bytes.count, channel.isActive {
            let end = min(offset + size, bytes.count)
            channel.pipeline.fireChannelRead(ByteBuffer(bytes: bytes[offset..<end]))
            channel.pipeline.fireChannelReadComplete()
            offset = end
        }
    }

    /// Moves ciphertext both ways until neither side writes more.
    func pump(chunk: Int? = nil) {
        for _ in 0..<50 {
            let toServer = Self.drain(client)
            let toClient = Self.drain(server)
            if toServer.isEmpty && toClient.isEmpty { return }
            Self.deliver(toServer, to: server, chunk: chunk)
            Self.deliver(toClient, to: client, chunk: chunk)
        }
    }

    func handshake() throws {
        try activate()
        pump()
        guard clientSide.handshake != nil, serverSide.handshake != nil else {
            throw SetupError("the handshake did not finish: \(clientSide.errors) \(serverSide.errors)")
        }
    }

    func finish() {
        _ = try? client.finish(acceptAlreadyClosed: true)
        _ = try? server.finish(acceptAlreadyClosed: true)
    }
}

// Serialized: these tests run synchronously (embedded channels) and would otherwise hold every
// thread of the concurrency pool at once, starving the timing-sensitive tests that run meanwhile.
@Suite("TLS handler (embedded pairs)", .serialized, .allocatesMemory)
struct TLSHandlerTests {
    @Test("handshake and data both ways, in any chunking of the ciphertext", arguments: [1, 7, 100, 16_389, nil])
    func chunking(chunk: Int?) async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.activate()
        pair.pump(chunk: chunk)
        #expect(pair.clientSide.handshake?.protocolVersion == "TLSv1.3")
        #expect(pair.serverSide.handshake != nil)
        let request = patternBytes(20_000, seed: 1)
        let answer = patternBytes(35_000, seed: 2)
        pair.client.writeAndFlush(ByteBuffer(bytes: request), promise: nil)
        pair.server.writeAndFlush(ByteBuffer(bytes: answer), promise: nil)
        pair.pump(chunk: chunk)
        #expect(pair.serverSide.plaintext == request)
        #expect(pair.clientSide.plaintext == answer)
        #expect(pair.clientSide.errors.isEmpty && pair.serverSide.errors.isEmpty)
    }

    @Test("many records in one read become one plaintext buffer, then one read-complete")
    func coalescing() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.handshake()
        let before = (pair.serverSide.reads.count, pair.serverSide.readCompletes)
        var expected: [UInt8] = []
        for index in 0..<200 {
            let message = Array("message \(index);".utf8)
            expected += message
            pair.client.writeAndFlush(ByteBuffer(bytes: message), promise: nil)
        }
        let ciphertext = TLSPair.drain(pair.client)
        #expect(ciphertext.count > 200 * 22)  // one record per flush
        TLSPair.deliver(ciphertext, to: pair.server, chunk: nil)
        #expect(pair.serverSide.reads.count == before.0 + 1)
        #expect(pair.serverSide.readCompletes == before.1 + 1)
        #expect(pair.serverSide.reads.last == expected)
    }

    @Test("one write larger than many records arrives whole; writes flush as one buffer")
    func largeWrite() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.handshake()
        let payload = randomBytes(3 << 20)
        let written = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.write(ByteBuffer(bytes: payload[..<1000]), promise: nil)
        pair.client.write(ByteBuffer(bytes: payload[1000...]), promise: written)
        #expect(try pair.client.readOutbound(as: ByteBuffer.self) == nil)  // nothing before the flush
        pair.client.flush()
        var buffers = 0
        var ciphertext: [UInt8] = []
        while let buffer = try pair.client.readOutbound(as: ByteBuffer.self) {
            buffers += 1
            ciphertext += buffer.readableBytesView
        }
        #expect(buffers == 1)
        try #require(outcome(written.futureResult)).get()
        TLSPair.deliver(ciphertext, to: pair.server, chunk: 65_536)
        #expect(pair.serverSide.plaintext == payload)
    }

    @Test("writes before the handshake are held, then sent after it; promises complete then")
    func heldWrites() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        let promise = pair.client.eventLoop.makePromise(of: Void.self)
        let done = Locked(false)
        promise.futureResult.whenSuccess { done.withLock { $0 = true } }
        pair.client.writeAndFlush(ByteBuffer(string: "early"), promise: promise)
        try pair.activate()
        // The first flight: a ClientHello only (one handshake record, nothing else).
        let hello = TLSPair.drain(pair.client)
        #expect(hello.first == 22)
        #expect(hello.count == 5 + Int(hello[3]) << 8 + Int(hello[4]))
        #expect(!done.current)
        TLSPair.deliver(hello, to: pair.server, chunk: nil)
        pair.pump()
        #expect(done.current)
        #expect(pair.serverSide.plaintext == Array("early".utf8))
    }

    @Test("TLS 1.2 and TLS 1.3 both work; the version is the one negotiated")
    func versions() async throws {
        let pki = try await TestPKI.shared()
        for (maximum, expected) in [(TLSVersion.tls12, "TLSv1.2"), (.tls13, "TLSv1.3")] {
            var configuration = TLSClientConfiguration()
            configuration.rootCertificateFiles = [pki.caFile]
            configuration.maximumVersion = maximum
            let pair = try TLSPair(pki: pki, client: configuration)
            defer { pair.finish() }
            try pair.handshake()
            #expect(pair.clientSide.handshake?.protocolVersion == expected)
            #expect(pair.serverSide.handshake?.protocolVersion == expected)
            pair.client.writeAndFlush(ByteBuffer(string: "hi"), promise: nil)
            pair.pump(chunk: 3)
            #expect(pair.serverSide.plaintext == Array("hi".utf8))
        }
    }

    @Test(
        "ALPN: the server picks the first of its protocols the client offers, or none",
        arguments: [
            (["http/1.1", "h2"], "h2"), (["http/1.1"], "http/1.1"), (["spdy/3", "h2"], "h2"), (["spdy/3"], nil),
            ([], nil),
        ] as [([String], String?)])
    func alpn(offered: [String], selected: String?) async throws {
        let pki = try await TestPKI.shared()
        var configuration = TLSClientConfiguration()
        configuration.rootCertificateFiles = [pki.caFile]
        configuration.applicationProtocols = offered
        let pair = try TLSPair(pki: pki, client: configuration) { $0.applicationProtocols = ["h2", "http/1.1"] }
        defer { pair.finish() }
        try pair.handshake()
        #expect(pair.clientSide.handshake?.applicationProtocol == selected)
        #expect(pair.serverSide.handshake?.applicationProtocol == selected)
    }

    @Test("ALPN names must be 1 to 255 bytes: anything else is a configuration error")
    func alpnNames() async throws {
        let pki = try await TestPKI.shared()
        for bad in [[""], [String(repeating: "x", count: 256)]] {
            var client = TLSClientConfiguration()
            client.applicationProtocols = bad
            #expect(throws: TLSError.self) { try TLSContext(client: client) }
            var server = pki.server.serverConfiguration
            server.applicationProtocols = bad
            #expect(throws: TLSError.self) { try TLSContext(server: server) }
        }
    }

    @Test("a server that only allows TLS 1.3 and a client that only offers 1.2: a clear failure")
    func noCommonVersion() async throws {
        let pki = try await TestPKI.shared()
        var configuration = TLSClientConfiguration()
        configuration.rootCertificateFiles = [pki.caFile]
        configuration.maximumVersion = .tls12
        let pair = try TLSPair(pki: pki, client: configuration, serverConfiguration: { $0.minimumVersion = .tls13 })
        defer { pair.finish() }
        try pair.activate()
        pair.pump()
        #expect(pair.serverSide.errors.first?.kind == .handshakeFailed)
        #expect(pair.serverSide.errors.first?.message.contains("unsupported protocol") == true)
        #expect(pair.clientSide.errors.first?.message.contains("protocol version") == true)
        #expect(!pair.client.isActive && !pair.server.isActive)
    }

    @Test("closing sends close_notify; the peer answers with its own and closes")
    func closeNotify() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.handshake()
        pair.client.writeAndFlush(ByteBuffer(string: "last words"), promise: nil)
        let closed = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.close(promise: closed)
        let fromClient = TLSPair.drain(pair.client)
        try #require(outcome(closed.futureResult)).get()
        TLSPair.deliver(fromClient, to: pair.server, chunk: nil)
        #expect(pair.serverSide.plaintext == Array("last words".utf8))
        #expect(!pair.server.isActive)
        #expect(pair.serverSide.inactive)
        #expect(pair.serverSide.errors.isEmpty)
        // The server's answer is a close_notify alert record.
        let fromServer = TLSPair.drain(pair.server)
        #expect(!fromServer.isEmpty)
        // Writes after the close fail.
        let late = pair.server.eventLoop.makePromise(of: Void.self)
        pair.server.writeAndFlush(ByteBuffer(string: "x"), promise: late)
        #expect(throws: (any Error).self) { try #require(outcome(late.futureResult)).get() }
    }

    @Test("the server closing first: the client gets everything before close_notify, no error")
    func serverCloses() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.handshake()
        pair.server.writeAndFlush(ByteBuffer(string: "bye"), promise: nil)
        pair.server.close(promise: nil)
        TLSPair.deliver(TLSPair.drain(pair.server), to: pair.client, chunk: 1)
        #expect(pair.clientSide.plaintext == Array("bye".utf8))
        #expect(!pair.client.isActive)
        #expect(pair.clientSide.errors.isEmpty)
    }

    @Test("the peer dropping mid-handshake: a clear error")
    func dropMidHandshake() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.activate()
        TLSPair.deliver(TLSPair.drain(pair.client), to: pair.server, chunk: nil)
        // The server answered; the client's connection drops before it reads the answer.
        pair.client.pipeline.fireChannelInactive()
        #expect(pair.clientSide.errors.map(\.kind) == [.closedDuringHandshake])
        #expect(
            pair.clientSide.errors.first?.message == "TLS handshake failed: the connection closed during the handshake")
        pair.server.pipeline.fireChannelInactive()
        #expect(pair.serverSide.errors.map(\.kind) == [.closedDuringHandshake])
    }

    @Test("the peer dropping mid-record: a clear error; at a record boundary: none")
    func dropMidRecord() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.handshake()
        pair.client.writeAndFlush(ByteBuffer(string: "complete"), promise: nil)
        TLSPair.deliver(TLSPair.drain(pair.client), to: pair.server, chunk: nil)
        pair.client.writeAndFlush(ByteBuffer(bytes: patternBytes(5000)), promise: nil)
        let record = TLSPair.drain(pair.client)
        TLSPair.deliver(Array(record.prefix(record.count / 2)), to: pair.server, chunk: nil)
        pair.server.pipeline.fireChannelInactive()
        #expect(pair.serverSide.plaintext == Array("complete".utf8))
        #expect(pair.serverSide.errors.map(\.kind) == [.truncated])
        #expect(pair.serverSide.errors.first?.message.contains("in the middle of a TLS record") == true)

        let clean = try TLSPair(pki: pki)
        defer { clean.finish() }
        try clean.handshake()
        clean.client.writeAndFlush(ByteBuffer(string: "whole"), promise: nil)
        TLSPair.deliver(TLSPair.drain(clean.client), to: clean.server, chunk: nil)
        clean.server.pipeline.fireChannelInactive()
        #expect(clean.serverSide.errors.isEmpty)
        #expect(clean.serverSide.inactive)
    }

    @Test("a peer that does not speak TLS: a clear error naming what it sent, and a close")
    func notTLS() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.activate()
        _ = TLSPair.drain(pair.client)
        TLSPair.deliver(
            Array("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".utf8), to: pair.client, chunk: nil)
        #expect(pair.clientSide.errors.map(\.kind) == [.notTLS])
        #expect(
            pair.clientSide.errors.first?.message
                == "TLS handshake failed: the server did not answer with TLS (it sent \"HTTP/1.1 400 Bad Request\")")
        #expect(!pair.client.isActive)

        TLSPair.deliver(Array("GET / HTTP/1.1\r\n\r\n".utf8), to: pair.server, chunk: nil)
        #expect(pair.serverSide.errors.first?.message.contains("the client did not speak TLS") == true)
        #expect(!pair.server.isActive)
    }

    @Test("a certificate for another name: verification fails, nothing written reaches the server")
    func nameMismatch() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki, server: pki.otherName)
        defer { pair.finish() }
        let early = pair.client.eventLoop.makePromise(of: Void.self)
        pair.client.writeAndFlush(
            ByteBuffer(string: "GET /secret HTTP/1.1\r\nAuthorization: x\r\n\r\n"), promise: early)
        try pair.activate()
        pair.pump()
        #expect(pair.clientSide.errors.map(\.kind) == [.certificateVerificationFailed])
        #expect(
            pair.clientSide.errors.first?.message
                == "TLS handshake failed: certificate verify failed: hostname mismatch (the certificate is not valid for localhost)"
        )
        #expect(throws: TLSError.self) { try #require(outcome(early.futureResult)).get() }
        #expect(pair.serverSide.plaintext.isEmpty)
        #expect(pair.serverSide.handshake == nil)
        // The server learnt why from the client's alert.
        #expect(pair.serverSide.errors.first?.message.contains("bad certificate") == true)
    }

    @Test("no hostname: the chain is still verified, the name is not")
    func chainOnly() async throws {
        let pki = try await TestPKI.shared()
        let named = try TLSPair(pki: pki, server: pki.otherName, hostname: nil)
        defer { named.finish() }
        try named.handshake()
        let untrusted = try TLSPair(pki: pki, server: pki.untrusted, hostname: nil)
        defer { untrusted.finish() }
        try untrusted.activate()
        untrusted.pump()
        #expect(untrusted.clientSide.errors.first?.kind == .certificateVerificationFailed)
    }

    @Test("the handshake timeout")
    func handshakeTimeout() async throws {
        let pki = try await TestPKI.shared()
        var configuration = TLSClientConfiguration()
        configuration.handshakeTimeout = .milliseconds(1500)
        let pair = try TLSPair(pki: pki, client: configuration)
        defer { pair.finish() }
        try pair.activate()
        _ = TLSPair.drain(pair.client)
        pair.client.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(pair.clientSide.errors.isEmpty)
        pair.client.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(pair.clientSide.errors.map(\.message) == ["TLS handshake timed out after 1500 ms"])
        #expect(!pair.client.isActive)
    }

    @Test("a corrupted record after the handshake: a protocol error and a close")
    func corruptedRecord() async throws {
        let pki = try await TestPKI.shared()
        let pair = try TLSPair(pki: pki)
        defer { pair.finish() }
        try pair.handshake()
        pair.client.writeAndFlush(ByteBuffer(string: "tampered with"), promise: nil)
        var record = TLSPair.drain(pair.client)
        record[record.count - 3] ^= 0x40
        TLSPair.deliver(record, to: pair.server, chunk: nil)
        #expect(pair.serverSide.errors.map(\.kind) == [.protocolError])
        #expect(pair.serverSide.errors.first?.message.hasPrefix("TLS error: ") == true)
        #expect(pair.serverSide.plaintext.isEmpty)
        #expect(!pair.server.isActive)
    }

    @Test("client certificates: required by the server, given by the client")
    func clientCertificates() async throws {
        let pki = try await TestPKI.shared()
        var withCertificate = TLSClientConfiguration(rootCertificateFiles: [pki.caFile])
        withCertificate.certificateChainFile = pki.client.certificate
        withCertificate.privateKeyFile = pki.client.key
        let requiring: (inout TLSServerConfiguration) -> Void = { $0.clientCertificateRootFiles = [pki.caFile] }
        let good = try TLSPair(pki: pki, client: withCertificate, serverConfiguration: requiring)
        defer { good.finish() }
        try good.handshake()
        good.client.writeAndFlush(ByteBuffer(string: "it is me"), promise: nil)
        good.pump()
        #expect(good.serverSide.plaintext == Array("it is me".utf8))

        let missing = try TLSPair(pki: pki, serverConfiguration: requiring)
        defer { missing.finish() }
        try missing.activate()
        missing.pump()
        missing.client.writeAndFlush(ByteBuffer(string: "anyone"), promise: nil)
        missing.pump()
        #expect(missing.serverSide.plaintext.isEmpty)
        #expect(missing.serverSide.errors.first?.message.contains("peer did not return a certificate") == true)
        #expect(missing.clientSide.errors.first?.message.contains("certificate required") == true)
    }

    @Test("configuration errors name the file and the reason")
    func configurationErrors() async throws {
        let pki = try await TestPKI.shared()
        #expect(
            throws: TLSError(.configuration, "cannot read certificate file /nonexistent.pem: No such file or directory")
        ) {
            try TLSContext(
                server: TLSServerConfiguration(certificateChainFile: "/nonexistent.pem", privateKeyFile: pki.server.key)
            )
        }
        let mismatch = #expect(throws: TLSError.self) {
            try TLSContext(
                server: TLSServerConfiguration(
                    certificateChainFile: pki.server.certificate, privateKeyFile: pki.client.key))
        }
        #expect(mismatch?.message.contains("does not match the certificate") == true)
        let notPEM = #expect(throws: TLSError.self) {
            try TLSContext(client: TLSClientConfiguration(rootCertificateFiles: [pki.directory + "/index.txt"]))
        }
        #expect(notPEM?.message.hasPrefix("could not load CA file \(pki.directory)/index.txt: ") == true)
        var halfIdentity = TLSClientConfiguration()
        halfIdentity.certificateChainFile = pki.client.certificate
        #expect(throws: TLSError.self) { try TLSContext(client: halfIdentity) }
        var inverted = TLSClientConfiguration()
        inverted.minimumVersion = .tls13
        inverted.maximumVersion = .tls12
        #expect(throws: TLSError.self) { try TLSContext(client: inverted) }
    }
}
