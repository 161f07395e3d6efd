import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Foundation
import NIOCore
import NIOPosix

// MARK: - A throwaway PKI

/// A CA and certificates made with the `openssl` command line in a temporary directory, once
/// per test process (removed at exit).
struct TestPKI: Sendable {
    /// A certificate and its key, as PEM file paths.
    struct Identity: Sendable {
        var certificate: String
        var key: String

        var serverConfiguration: TLSServerConfiguration {
            TLSServerConfiguration(certificateChainFile: certificate, privateKeyFile: key)
        }
    }

    let directory: String

    /// The CA the tests trust.
    var caFile: String { directory + "/ca.pem" }
    /// localhost, 127.0.0.1 and ::1, signed by the CA.
    var server: Identity { identity("server") }
    /// localhost only (no IP addresses), signed by the CA.
    var serverWithoutIP: Identity { identity("noip") }
    /// example.test only, signed by the CA.
    var otherName: Identity { identity("othername") }
    /// localhost and 127.0.0.1, signed by a CA nobody trusts.
    var untrusted: Identity { identity("untrusted") }
    /// localhost and 127.0.0.1, signed by the CA, valid only in January 2020.
    var expired: Identity { identity("expired") }
    /// A client certificate signed by the CA.
    var client: Identity { identity("client") }

    private func identity(_ name: String) -> Identity {
        Identity(certificate: "\(directory)/\(name).pem", key: "\(directory)/\(name).key")
    }

    /// The shared PKI; made on first use (without blocking a thread while openssl runs).
    static func shared() async throws -> TestPKI {
        try await generation.value
    }

    private static let generation = Task<TestPKI, any Error> {
        // The environment (TMPDIR) is read under the lock that tests changing it take.
        let temporary = processEnvironmentLock.withLock { NSTemporaryDirectory() }
        let directory = URL(fileURLWithPath: temporary).appendingPathComponent("faye-tls-\(UUID().uuidString)").path
        createdDirectory.withLock { $0 = directory }
        atexit {
            if let directory = TestPKI.createdDirectory.current {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return try await make(in: directory)
    }

    private static let createdDirectory = Locked<String?>(nil)

    private static func make(in directory: String) async throws -> TestPKI {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let serial = Locked(Int.random(in: 1000..<1_000_000))
        let nextSerial = {
            serial.withLock { value -> String in
                value += 1
                return String(value)
            }
        }
        func run(_ arguments: [String]) async throws { try await openssl(arguments) }
        func path(_ name: String) -> String { "\(directory)/\(name)" }

        func makeCA(_ name: String, _ subject: String) async throws {
            try await run([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "30", "-subj", "/CN=\(subject)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        func makeRequest(_ name: String, commonName: String) async throws {
            try await run([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(commonName)",
            ])
        }
        func extensions(_ subjectAltName: String?, usage: String) -> String {
            var text = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=\(usage)\n"
            if let subjectAltName { text += "subjectAltName=\(subjectAltName)\n" }
            return text
        }
        func makeLeaf(
            _ name: String, ca: String, commonName: String, subjectAltName: String?, usage: String = "serverAuth"
        ) async throws {
            try await makeRequest(name, commonName: commonName)
            try extensions(subjectAltName, usage: usage).write(
                toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            try await run([
                "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"),
                "-set_serial", nextSerial(), "-days", "30", "-extfile", path("\(name).ext"), "-out",
                path("\(name).pem"),
            ])
        }

        try await makeCA("ca", "Faye Test CA")
        try await makeCA("other-ca", "Faye Untrusted CA")
        try await makeLeaf(
            "server", ca: "ca", commonName: "localhost", subjectAltName: "DNS:localhost,IP:127.0.0.1,IP:::1")
        try await makeLeaf("noip", ca: "ca", commonName: "localhost", subjectAltName: "DNS:localhost")
        try await makeLeaf("othername", ca: "ca", commonName: "example.test", subjectAltName: "DNS:example.test")
        try await makeLeaf(
            "untrusted", ca: "other-ca", commonName: "localhost", subjectAltName: "DNS:localhost,IP:127.0.0.1")
        try await makeLeaf("client", ca: "ca", commonName: "faye test client", subjectAltName: nil, usage: "clientAuth")

        // An expired certificate: `openssl ca` takes explicit start and end dates.
        try await makeRequest("expired", commonName: "localhost")
        try "".write(toFile: path("index.txt"), atomically: true, encoding: .utf8)
        // An even number of hex digits, and above the decimal serials given by -set_serial.
        try "7FAE0001\n".write(toFile: path("serial.txt"), atomically: true, encoding: .utf8)
        let caConfig = """
            [ca]
            default_ca = test
            [test]
            database = \(path("index.txt"))
            new_certs_dir = \(directory)
            serial = \(path("serial.txt"))
            default_md = sha256
            policy = anything
            copy_extensions = none
            [anything]
            commonName = supplied
            [leaf]
            \(extensions("DNS:localhost,IP:127.0.0.1", usage: "serverAuth"))
            """
        try caConfig.write(toFile: path("ca.cnf"), atomically: true, encoding: .utf8)
        try await run([
            "ca", "-batch", "-config", path("ca.cnf"), "-cert", path("ca.pem"), "-keyfile", path("ca.key"),
            "-in", path("expired.csr"), "-out", path("expired.pem"), "-startdate", "20200101000000Z",
            "-enddate", "20200102000000Z", "-extensions", "leaf", "-notext",
        ])
        return TestPKI(directory: directory)
    }

    private static func openssl(_ arguments: [String]) async throws {
        let executable = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let executable else {
            throw SetupError(
                "the openssl command is not installed: the TLS tests need it (Debian: apt-get install openssl)")
        }
        let process = try ChildProcess(URL(fileURLWithPath: executable), arguments)
        let status = try await process.waitForExit(timeout: .seconds(30))
        guard status == 0 else {
            throw SetupError("openssl \(arguments.joined(separator: " ")) failed: \(process.errorText)")
        }
    }
}

// MARK: - Servers

extension WebSocketClientOptions {
    /// Options trusting the test CA (or the given TLS settings), on `group`.
    static func tls(
        _ group: any EventLoopGroup,
        trusting caFile: String? = nil,
        configure: (inout TLSClientConfiguration) -> Void = { _ in }
    ) -> WebSocketClientOptions {
        var options = WebSocketClientOptions()
        options.eventLoopGroup = group
        if let caFile { options.tls.rootCertificateFiles = [caFile] }
        configure(&options.tls)
        return options
    }
}

/// ``withLoopback(_:_:)`` with TLS from `identity`.
func withTLSLoopback(
    _ identity: TestPKI.Identity,
    host: String = "127.0.0.1",
    options: WebSocketOptions = WebSocketOptions(),
    configure: (inout TLSServerConfiguration) -> Void = { _ in },
    _ body: (Loopback) async throws -> Void
) async throws {
    var spec = LoopbackServer(host: host, options: options)
    var tls = identity.serverConfiguration
    configure(&tls)
    spec.configuration.tls = tls
    try await withLoopback(spec, body)
}

/// A TLS server (our ``TLSHandler``) that records what each connection brought: whether the
/// handshake finished and how many plaintext bytes arrived. It never answers.
final class RecordingTLSServer: Sendable {
    struct Connection: Sendable {
        var handshake: TLSHandshakeCompleted?
        var plaintext: [UInt8] = []
        var errors: [String] = []
        var closed = false
    }

    let channel: any Channel
    let connections: Locked<[Connection]>

    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, connections: Locked<[Connection]>) {
        self.channel = channel
        self.connections = connections
    }

    static func start(group: any EventLoopGroup, identity: TestPKI.Identity) async throws -> RecordingTLSServer {
        let context = try TLSContext(server: identity.serverConfiguration)
        let connections = Locked<[Connection]>([])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let index = connections.withLock { list -> Int in
                    list.append(Connection())
                    return list.count - 1
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(
                        RecordingHandler { update in connections.withLock { update(&$0[index]) } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RecordingTLSServer(channel: channel, connections: connections)
    }

    /// Every accepted connection has closed (and there was at least one).
    var allClosed: Bool {
        let list = connections.current
        return !list.isEmpty && list.allSatisfy(\.closed)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Records reads, the handshake event, errors and the close into a ``RecordingTLSServer`` entry.
final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let update: @Sendable ((inout RecordingTLSServer.Connection) -> Void) -> Void

    init(update: @escaping @Sendable ((inout RecordingTLSServer.Connection) -> Void) -> Void) {
        self.update = update
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        update { $0.plaintext += bytes }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted { update { $0.handshake = event } }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let text = "\(error)"
        update { $0.errors.append(text) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        update { $0.closed = true }
        context.fireChannelInactive()
    }
}

/// A plain TCP server that records every byte received; on the first read it answers with
/// `answer` (nothing: silent) and, when `closeAfterFirstRead`, closes.
final class RawRecordingServer: Sendable {
    let channel: any Channel
    let received: Locked<[UInt8]>
    let accepted: Locked<Int>

    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, received: Locked<[UInt8]>, accepted: Locked<Int>) {
        self.channel = channel
        self.received = received
        self.accepted = accepted
    }

    static func start(
        group: any EventLoopGroup,
        answer: [UInt8]?,
        closeAfterFirstRead: Bool
    ) async throws -> RawRecordingServer {
        let received = Locked<[UInt8]>([])
        let accepted = Locked(0)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                accepted.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RawRecorder(received: received, answer: answer, closeAfterFirstRead: closeAfterFirstRead))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawRecordingServer(channel: channel, received: received, accepted: accepted)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class RawRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let received: Locked<[UInt8]>
    private let answer: [UInt8]?
    private let closeAfterFirstRead: Bool
    private var first = true

    init(received: Locked<[UInt8]>, answer: [UInt8]?, closeAfterFirstRead: Bool) {
        self.received = received
        self.answer = answer
        self.closeAfterFirstRead = closeAfterFirstRead
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        received.withLock { $0 += bytes }
        guard first else { return }
        first = false
        if let answer {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: answer)), promise: nil)
        }
        if closeAfterFirstRead { context.close(promise: nil) }
    }
}

/// A TLS-terminating relay: accepts TLS with `identity` and forwards the plaintext both ways to
/// a plain TCP port (used to put TLS in front of tinyproxy, making an `https:` proxy).
final class TLSRelay: Sendable {
    let channel: any Channel
    /// Plaintext bytes received from clients (after the TLS handshake).
    let plaintextReceived: Locked<Int>

    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, plaintextReceived: Locked<Int>) {
        self.channel = channel
        self.plaintextReceived = plaintextReceived
    }

    static func start(group: any EventLoopGroup, identity: TestPKI.Identity, targetPort: Int) async throws -> TLSRelay {
        let context = try TLSContext(server: identity.serverConfiguration)
        let received = Locked(0)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(
                        RelayHandler(targetPort: targetPort, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSRelay(channel: channel, plaintextReceived: received)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// The client side of a relay: forwards reads to the target connection, opened when the client
/// connection is.
private final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let targetPort: Int
    private let received: Locked<Int>
    private var target: (any Channel)?
    private var held: [ByteBuffer] = []
    private var ended = false

    init(targetPort: Int, received: Locked<Int>) {
        self.targetPort = targetPort
        self.received = received
    }

    func channelActive(context: ChannelHandlerContext) {
        let client = context.channel
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackHandler(client: client))
                }
            }
            .connect(host: "127.0.0.1", port: targetPort)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    if self.ended {
                        channel.close(promise: nil)
                        return
                    }
                    self.target = channel
                    for buffer in self.held { channel.write(buffer, promise: nil) }
                    self.held = []
                    channel.flush()
                case .failure:
                    client.close(promise: nil)
                }
            }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.withLock { $0 += buffer.readableBytes }
        if let target {
            target.writeAndFlush(buffer, promise: nil)
        } else {
            held.append(buffer)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended = true
        target?.close(promise: nil)
        context.fireChannelInactive()
    }
}

private final class BackHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let client: any Channel

    init(client: any Channel) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.close(promise: nil)
        context.fireChannelInactive()
    }
}
