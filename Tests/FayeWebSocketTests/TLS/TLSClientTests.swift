import FayeTestSupport
import FayeWebSocket
import Foundation
import NIOCore
import NIOPosix
import PermessageDeflate
import Testing
import WebSocketDriver

/// Our client and our server over TLS on loopback, and the client's verification failures.
@Suite("TLS: client and server", .allocatesMemory)
struct TLSClientTests {
    static func deflateOptions() -> WebSocketOptions {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        return options
    }

    @Test("wss echo of every size up to 16 MiB with permessage-deflate, then a clean close")
    func echo() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server, options: Self.deflateOptions()) { loopback in
            let client = RecordedSocket.connect(
                "wss://localhost:\(loopback.port)/echo", options: Self.deflateOptions(),
                clientOptions: .tls(loopback.group, trusting: pki.caFile))
            try await client.expectOpen()
            #expect(client.socket.extensions == ["permessage-deflate"])
            let server = try await loopback.nextServerSocket()
            #expect(server.url == "wss://localhost:\(loopback.port)/echo")
            for size in [0, 1, 125, 126, 127, 16_383, 16_384, 16_385, 65_535, 65_536, 65_537, 1 << 20] {
                try await client.socket.send(.binary(patternBytes(size, seed: size)))
                #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(patternBytes(size, seed: size)))
            }
            let text = patternText(100_000)
            try await client.socket.send(.text(text))
            #expect(try await client.nextMessage() == .text(text))
            let noise = randomBytes(1 << 20)
            try await client.socket.send(.binary(noise))
            #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(noise))
            let huge = patternBytes(16 << 20, seed: 7)
            try await client.socket.send(.binary(huge))
            #expect(try await client.nextMessage(timeout: .seconds(60)) == .binary(huge))
            let event = try await withTimeout("the close") {
                try await client.socket.closeAndWait(code: 4001, reason: "done")
            }
            #expect(event == CloseEvent(code: CloseCode(4001), reason: "done"))
            #expect(await server.finalCloseEvent() == CloseEvent(code: CloseCode(4001), reason: "done"))
        }
    }

    @Test("many messages sent at once over TLS 1.2 arrive in order")
    func tls12Burst() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server) { loopback in
            let client = RecordedSocket.connect(
                "wss://localhost:\(loopback.port)/",
                clientOptions: .tls(loopback.group, trusting: pki.caFile) { $0.maximumVersion = .tls12 })
            for index in 0..<500 { _ = client.socket.send("message \(index)") }
            try await client.expectOpen()
            for index in 0..<500 {
                #expect(try await client.nextMessage() == .text("message \(index)"))
            }
            await client.shutdown()
        }
    }

    @Test("wss://127.0.0.1 needs the address in the certificate: with it, it opens")
    func ipLiteral() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server) { loopback in
            let client = RecordedSocket.connect(
                "wss://127.0.0.1:\(loopback.port)/", clientOptions: .tls(loopback.group, trusting: pki.caFile))
            try await client.expectOpen()
            try await client.socket.send(.text("by address"))
            #expect(try await client.nextMessage() == .text("by address"))
            await client.shutdown()
        }
    }

    @Test("wss://[::1] over IPv6, verified against the certificate's IPv6 address")
    func ipv6() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server, host: "::1") { loopback in
            let client = RecordedSocket.connect(
                "wss://[::1]:\(loopback.port)/six", clientOptions: .tls(loopback.group, trusting: pki.caFile))
            try await client.expectOpen()
            try await client.socket.send(.text("v6"))
            #expect(try await client.nextMessage() == .text("v6"))
            #expect(try await loopback.nextServerSocket().url == "wss://[::1]:\(loopback.port)/six")
            await client.shutdown()
        }
    }

    @Test("the embedded server answers ordinary requests over https")
    func https() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server) { loopback in
            let received = Locked<[UInt8]>([])
            let context = try TLSContext(client: TLSClientConfiguration(rootCertificateFiles: [pki.caFile]))
            let channel = try await ClientBootstrap(group: loopback.group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            TLSHandler(context: context, serverHostname: "localhost"))
                        try channel.pipeline.syncOperations.addHandler(ByteSink(received: received))
                    }
                }
                .connect(host: "127.0.0.1", port: loopback.port).get()
            let request = "GET /page HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            try await channel.writeAndFlush(ByteBuffer(string: request))
            try await withTimeout("the channel to close") { try await channel.closeFuture.get() }
            let response = String(decoding: received.current, as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.hasSuffix("\r\n\r\nplain GET /page\n"))
        }
    }

    // MARK: - Verification failures: the right message, and nothing sent

    /// Connects to a recording TLS server with `identity` and expects a failure whose message
    /// contains `reason`; the server must have received no plaintext at all.
    func expectRejected(
        _ identity: TestPKI.Identity,
        url: (Int) -> String,
        trust: String?,
        reason: String
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RecordingTLSServer.start(group: group, identity: identity)
        do {
            let client = RecordedSocket.connect(url(server.port), clientOptions: .tls(group, trusting: trust))
            let (message, close) = try await client.expectFailure()
            #expect(message.hasPrefix("Network error: wss://"))
            #expect(message.contains(reason), "\(message)")
            #expect(close == .close(1006, ""))
            #expect(!client.log.current.contains(.open))
            try await eventually("the server's connection to close") { server.allClosed }
            let connections = server.connections.current
            #expect(connections.count == 1)
            #expect(connections.allSatisfy { $0.plaintext.isEmpty && $0.handshake == nil })
        } catch {
            await server.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("a certificate for another host name fails: hostname mismatch")
    func wrongHostName() async throws {
        let pki = try await TestPKI.shared()
        try await expectRejected(
            pki.otherName, url: { "wss://localhost:\($0)/" }, trust: pki.caFile,
            reason:
                "TLS handshake failed: certificate verify failed: hostname mismatch (the certificate is not valid for localhost)"
        )
    }

    @Test("an untrusted CA fails, with the system store (the default) and with our CA file")
    func untrustedCA() async throws {
        let pki = try await TestPKI.shared()
        for trust in [nil, pki.caFile] {
            try await expectRejected(
                pki.untrusted, url: { "wss://localhost:\($0)/" }, trust: trust,
                reason: "certificate verify failed: unable to get local issuer certificate")
        }
    }

    @Test("an expired certificate fails: certificate has expired")
    func expired() async throws {
        let pki = try await TestPKI.shared()
        try await expectRejected(
            pki.expired, url: { "wss://localhost:\($0)/" }, trust: pki.caFile,
            reason: "certificate verify failed: certificate has expired")
    }

    @Test("wss://127.0.0.1 with a certificate naming only localhost fails: IP address mismatch")
    func ipMismatch() async throws {
        let pki = try await TestPKI.shared()
        try await expectRejected(
            pki.serverWithoutIP, url: { "wss://127.0.0.1:\($0)/" }, trust: pki.caFile,
            reason: "certificate verify failed: IP address mismatch (the certificate is not valid for 127.0.0.1)")
    }

    @Test("credentials in the URL reach neither an unverified server nor the error message")
    func credentialsNotLeaked() async throws {
        let pki = try await TestPKI.shared()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RecordingTLSServer.start(group: group, identity: pki.untrusted)
        let client = RecordedSocket.connect(
            "wss://alice:s3cret@localhost:\(server.port)/private", clientOptions: .tls(group))
        let (message, _) = try await client.expectFailure()
        #expect(message.hasPrefix("Network error: wss://localhost:\(server.port)/private: TLS handshake failed: "))
        #expect(!message.contains("s3cret") && !message.contains("alice"))
        try await eventually("the server's connection to close") { server.allClosed }
        #expect(server.connections.current.allSatisfy { $0.plaintext.isEmpty })
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("a server that does not speak TLS: a clear error; it got a ClientHello and nothing else")
    func notTLS() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RawRecordingServer.start(
            group: group, answer: Array("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".utf8),
            closeAfterFirstRead: false)
        let client = RecordedSocket.connect("wss://127.0.0.1:\(server.port)/", clientOptions: .tls(group))
        let (message, close) = try await client.expectFailure()
        #expect(
            message
                == "Network error: wss://127.0.0.1:\(server.port)/: TLS handshake failed: the server did not answer with TLS (it sent \"HTTP/1.1 400 Bad Request\")"
        )
        #expect(close == .close(1006, ""))
        let bytes = server.received.current
        #expect(bytes.first == 22)  // a TLS handshake record…
        #expect(bytes.count == 5 + Int(bytes[3]) << 8 + Int(bytes[4]))  // …and only that one
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("a server that closes during the handshake, and one that stays silent")
    func handshakeEnds() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let closing = try await RawRecordingServer.start(group: group, answer: nil, closeAfterFirstRead: true)
        let client = RecordedSocket.connect("wss://127.0.0.1:\(closing.port)/", clientOptions: .tls(group))
        let (message, _) = try await client.expectFailure()
        #expect(message.hasSuffix(": TLS handshake failed: the connection closed during the handshake"))
        await closing.stop()

        let silent = try await RawRecordingServer.start(group: group, answer: nil, closeAfterFirstRead: false)
        let waiting = RecordedSocket.connect(
            "wss://127.0.0.1:\(silent.port)/",
            clientOptions: .tls(group) { $0.handshakeTimeout = .milliseconds(300) })
        let (timeout, close) = try await waiting.expectFailure()
        #expect(timeout.hasSuffix(": TLS handshake timed out after 300 ms"))
        #expect(close == .close(1006, ""))
        await silent.stop()
        try await group.shutdownGracefully()
    }

    @Test("verifyPeer: false connects to an untrusted and to an expired certificate")
    func verificationOff() async throws {
        let pki = try await TestPKI.shared()
        for identity in [pki.untrusted, pki.expired, pki.otherName] {
            try await withTLSLoopback(identity) { loopback in
                let client = RecordedSocket.connect(
                    "wss://localhost:\(loopback.port)/",
                    clientOptions: .tls(loopback.group) { $0.verifyPeer = false })
                try await client.expectOpen()
                try await client.socket.send(.text("unverified"))
                #expect(try await client.nextMessage() == .text("unverified"))
                await client.shutdown()
            }
        }
    }

    @Test("a client certificate, when the server asks for one")
    func clientCertificate() async throws {
        let pki = try await TestPKI.shared()
        let requireCertificates: (inout TLSServerConfiguration) -> Void = {
            $0.clientCertificateRootFiles = [pki.caFile]
        }
        try await withTLSLoopback(pki.server, configure: requireCertificates) { loopback in
            let client = RecordedSocket.connect(
                "wss://localhost:\(loopback.port)/",
                clientOptions: .tls(loopback.group, trusting: pki.caFile) {
                    $0.certificateChainFile = pki.client.certificate
                    $0.privateKeyFile = pki.client.key
                })
            try await client.expectOpen()
            await client.shutdown()

            let anonymous = RecordedSocket.connect(
                "wss://localhost:\(loopback.port)/", clientOptions: .tls(loopback.group, trusting: pki.caFile))
            let (message, close) = try await anonymous.expectFailure()
            #expect(message.contains("certificate required"), "\(message)")
            #expect(close == .close(1006, ""))
        }
    }

    @Test("an unreadable CA file: error naming it, close 1006")
    func badCAFile() async throws {
        let client = RecordedSocket.connect(
            "wss://localhost:1/",
            clientOptions: .tls(MultiThreadedEventLoopGroup.singleton, trusting: "/nonexistent/ca.pem"))
        let (message, close) = try await client.expectFailure()
        #expect(
            message
                == "Network error: wss://localhost:1/: cannot read CA file /nonexistent/ca.pem: No such file or directory"
        )
        #expect(close == .close(1006, ""))
    }

    @Test("faye-server rejects a certificate without its key, and a key that does not match")
    func serverConfigurationErrors() async throws {
        let pki = try await TestPKI.shared()
        var configuration = FayeServer.Configuration(port: 0)
        configuration.tls = TLSServerConfiguration(
            certificateChainFile: pki.server.certificate, privateKeyFile: pki.client.key)
        let server = FayeServer(configuration: configuration) { _ in ServerResponse(text: "") }
        let error = await #expect(throws: TLSError.self) { try await server.start() }
        #expect(error?.kind == .configuration)
        #expect(server.localAddress == nil)
    }
}

/// Collects every byte read.
private final class ByteSink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let received: Locked<[UInt8]>

    init(received: Locked<[UInt8]>) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        received.withLock { $0 += bytes }
    }
}

/// `wss:` through proxies: Debian's tinyproxy for CONNECT, and tinyproxy behind a TLS relay
/// for an `https:` proxy (TLS to the proxy, then TLS to the origin inside it).
@Suite("TLS: through proxies", .allocatesMemory)
struct TLSProxyTests {
    @Test("wss through tinyproxy: TLS to the origin inside the tunnel")
    func throughTinyproxy() async throws {
        let pki = try await TestPKI.shared()
        try await withTinyProxy { proxy in
            try await withTLSLoopback(pki.server) { loopback in
                var options = WebSocketClientOptions.tls(loopback.group, trusting: pki.caFile)
                options.proxy = ProxySettings(url: proxy.url())
                let client = RecordedSocket.connect("wss://127.0.0.1:\(loopback.port)/tunnel", clientOptions: options)
                try await client.expectOpen(timeout: .seconds(10))
                #expect(try await loopback.nextServerSocket().url == "wss://127.0.0.1:\(loopback.port)/tunnel")
                let big = patternBytes(1 << 20)
                try await client.socket.send(.binary(big))
                #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(big))
                let event = try await withTimeout("the close") { try await client.socket.closeAndWait() }
                #expect(event.code == .normalClosure)
            }
        }
    }

    @Test("wss through tinyproxy to an untrusted origin: verification fails inside the tunnel, nothing sent")
    func untrustedThroughTinyproxy() async throws {
        let pki = try await TestPKI.shared()
        try await withTinyProxy { proxy in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let server = try await RecordingTLSServer.start(group: group, identity: pki.untrusted)
            var options = WebSocketClientOptions.tls(group, trusting: pki.caFile)
            options.proxy = ProxySettings(url: proxy.url())
            let client = RecordedSocket.connect("wss://127.0.0.1:\(server.port)/", clientOptions: options)
            let (message, close) = try await client.expectFailure(timeout: .seconds(10))
            #expect(message.contains("certificate verify failed: unable to get local issuer certificate"), "\(message)")
            #expect(close == .close(1006, ""))
            try await eventually("the origin's connection to close", timeout: .seconds(10)) { server.allClosed }
            #expect(server.connections.current.allSatisfy { $0.plaintext.isEmpty })
            await server.stop()
            try await group.shutdownGracefully()
        }
    }

    @Test("an https proxy: TLS to the proxy, CONNECT, then TLS to the origin inside it")
    func httpsProxy() async throws {
        let pki = try await TestPKI.shared()
        try await withTinyProxy { proxy in
            try await withTLSLoopback(pki.server) { loopback in
                let relay = try await TLSRelay.start(
                    group: loopback.group, identity: pki.server, targetPort: proxy.port)
                var options = WebSocketClientOptions.tls(loopback.group, trusting: pki.caFile)
                var settings = ProxySettings(
                    url: "https://\(TinyProxy.user):\(TinyProxy.password)@127.0.0.1:\(relay.port)")
                settings.tls.rootCertificateFiles = [pki.caFile]
                options.proxy = settings
                let client = RecordedSocket.connect("wss://localhost:\(loopback.port)/nested", clientOptions: options)
                try await client.expectOpen(timeout: .seconds(10))
                try await client.socket.send(.text("inside two layers"))
                #expect(try await client.nextMessage() == .text("inside two layers"))
                let big = randomBytes(1 << 20)
                try await client.socket.send(.binary(big))
                #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(big))
                let event = try await withTimeout("the close") { try await client.socket.closeAndWait(code: 4002) }
                #expect(event.code == CloseCode(4002))
                await relay.stop()
            }
        }
    }

    @Test("an https proxy with an untrusted certificate: error naming the proxy, no CONNECT sent")
    func untrustedHTTPSProxy() async throws {
        let pki = try await TestPKI.shared()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let target = try await RawRecordingServer.start(group: group, answer: nil, closeAfterFirstRead: false)
        let relay = try await TLSRelay.start(group: group, identity: pki.untrusted, targetPort: target.port)
        var options = WebSocketClientOptions.tls(group, trusting: pki.caFile)
        var settings = ProxySettings(url: "https://user:pw@127.0.0.1:\(relay.port)")
        settings.tls.rootCertificateFiles = [pki.caFile]
        options.proxy = settings
        let client = RecordedSocket.connect("wss://localhost:1/", clientOptions: options)
        let (message, close) = try await client.expectFailure()
        #expect(
            message
                == "Network error: https://127.0.0.1:\(relay.port): TLS handshake failed: certificate verify failed: unable to get local issuer certificate"
        )
        #expect(close == .close(1006, ""))
        try await Task.sleep(for: .milliseconds(100))
        #expect(relay.plaintextReceived.current == 0)
        #expect(target.received.current.isEmpty)
        await relay.stop()
        await target.stop()
        try await group.shutdownGracefully()
    }
}
