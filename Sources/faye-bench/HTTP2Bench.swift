import FayeWebSocket
import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#endif

/// `faye-bench http2`: what HTTP/2 costs and saves in `faye-server`.
///
/// - Echo: our client's WebSockets over HTTP/2 (extended CONNECT, all sockets as streams of one
///   TLS connection) against the same sockets over HTTP/1.1 with TLS (one connection each), to
///   one `faye-server` process, alternating run by run. The ratio is the h2 rate over the
///   HTTP/1.1 rate: stream framing and flow control are the only extra work.
/// - EventSource memory: the server's resident memory per stream for 1,000 idle EventSource
///   streams as 10 cleartext HTTP/2 connections of 100 streams against 1,000 HTTP/1.1
///   connections, each on a fresh `faye-server --h2c` process.
struct HTTP2Bench {
    let settings: BenchSettings

    struct EchoCase {
        var size: Int
        var sockets: Int
        var inFlight: Int
        var name: String { "binary \(Size.label(size)) \(sockets)x\(inFlight) h2" }
    }

    /// One socket each way is the like-for-like comparison (one connection, one server event
    /// loop either way); ten sockets show sharing: over HTTP/2 they are one connection, served
    /// by one event loop, where HTTP/1.1's ten connections spread over every core.
    static let echoCases = [
        EchoCase(size: 32, sockets: 1, inFlight: 64), EchoCase(size: 16 * 1024, sockets: 1, inFlight: 64),
        EchoCase(size: 32, sockets: 10, inFlight: 16), EchoCase(size: 16 * 1024, sockets: 10, inFlight: 8),
    ]
    static let eventSourceCase = "eventsource 1000 streams h2"

    func run(into report: Report) async throws {
        let wanted = Self.echoCases.filter { settings.includes($0.name) }
        if !wanted.isEmpty { try await echo(wanted, into: report) }
        if settings.includes(Self.eventSourceCase) { try await eventSourceMemory(into: report) }
    }

    // MARK: - Echo

    private func echo(_ cases: [EchoCase], into report: Report) async throws {
        let certificate = try SelfSignedCertificate.make()
        defer { certificate.remove() }
        let server = try ServerProcess.start(
            "faye-server", arguments: ["--tls-cert", certificate.certificate, "--tls-key", certificate.key])
        defer { server.stop() }
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            for item in cases {
                var overHTTP2: [Double] = []
                var overHTTP1: [Double] = []
                let seconds = settings.quick ? 1.0 : 2.0
                for repetition in 0..<settings.repetitions {
                    // Alternating which goes first, so drift hits both alike.
                    for http2 in repetition % 2 == 0 ? [true, false] : [false, true] {
                        let rate = try await EchoLoad.run(
                            port: server.port, item: item, http2: http2, group: clients, seconds: seconds)
                        if http2 { overHTTP2.append(rate) } else { overHTTP1.append(rate) }
                    }
                }
                report.add(
                    BenchRow(
                        bench: "http2", name: item.name, ours: Measure.median(overHTTP2),
                        reference: Measure.median(overHTTP1), unit: "msgs/s", higherIsBetter: true,
                        referenceName: "HTTP/1.1 + TLS"))
            }
        } catch {
            try? await clients.shutdownGracefully()
            throw error
        }
        try await clients.shutdownGracefully()
    }

    // MARK: - EventSource memory

    private func eventSourceMemory(into report: Report) async throws {
        Limits.raiseFileDescriptors()
        var overHTTP2: [Double] = []
        var overHTTP1: [Double] = []
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            for _ in 0..<max(1, settings.repetitions / 2) {
                overHTTP2.append(try await EventSourceFootprint.bytesPerStream(http2: true, group: group))
                overHTTP1.append(try await EventSourceFootprint.bytesPerStream(http2: false, group: group))
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        report.add(
            BenchRow(
                bench: "http2", name: Self.eventSourceCase, ours: Measure.median(overHTTP2),
                reference: Measure.median(overHTTP1), unit: "bytes per stream", higherIsBetter: false,
                referenceName: "HTTP/1.1, a connection per stream"))
    }
}

/// Echo load from our client: `sockets` WebSockets to `wss://127.0.0.1:PORT/`, each keeping
/// `inFlight` messages outstanding, on one client event loop.
enum EchoLoad {
    static func run(port: Int, item: HTTP2Bench.EchoCase, http2: Bool, group: any EventLoopGroup, seconds: Double)
        async throws -> Double
    {
        var clientOptions = WebSocketClientOptions()
        clientOptions.eventLoopGroup = group
        clientOptions.tls.verifyPeer = false  // the bench's own throwaway certificate
        clientOptions.prefersHTTP2 = http2
        let counter = NIOLockedValueBox((measuring: false, count: 0))
        let payload = WebSocketMessage.binary([UInt8](repeating: 0x5A, count: item.size))
        var sockets: [WebSocket] = []
        do {
            for _ in 0..<item.sockets {
                let socket = try await WebSocket.connect(to: "wss://127.0.0.1:\(port)/", clientOptions: clientOptions)
                let status = socket.handshakeResponse?.status
                guard status == (http2 ? 200 : 101) else {
                    throw BenchError(
                        "expected the socket over \(http2 ? "HTTP/2 (200)" : "HTTP/1.1 (101)"), got \(status ?? 0)")
                }
                socket.onMessage { message in
                    counter.withLockedValue { if $0.measuring { $0.count += 1 } }
                    let _: Bool = socket.send(message)
                }
                sockets.append(socket)
            }
            for socket in sockets {
                for _ in 0..<item.inFlight { let _: Bool = socket.send(payload) }
            }
            try await Task.sleep(for: .milliseconds(500))
            counter.withLockedValue { $0 = (true, 0) }
            let start = Measure.nanoseconds()
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            let count = counter.withLockedValue { state -> Int in
                state.measuring = false
                return state.count
            }
            let elapsed = Double(Measure.nanoseconds() - start) / 1e9
            for socket in sockets { socket.terminate() }
            return Double(count) / elapsed
        } catch {
            for socket in sockets { socket.terminate() }
            throw error
        }
    }
}

/// The resident memory a `faye-server --h2c` process adds per idle EventSource stream.
enum EventSourceFootprint {
    static let streams = 1000
    static let streamsPerConnection = 100

    static func bytesPerStream(http2: Bool, group: any EventLoopGroup) async throws -> Double {
        // Ticks every 10 minutes: the streams stay idle while measured.
        let server = try ServerProcess.start("faye-server", arguments: ["--h2c", "--sse-interval", "600000"])
        defer { server.stop() }
        let opened = NIOLockedValueBox(0)
        var channels: [any Channel] = []
        defer { for channel in channels { channel.close(promise: nil) } }
        // A few streams first, so one-time allocations are not counted.
        channels += try await open(http2: http2, port: server.port, count: 10, group: group, opened: opened)
        try await waitFor(opened, 10)
        try await Task.sleep(for: .milliseconds(300))
        guard let before = ProcessMemory.residentBytes(pid: server.pid) else {
            throw BenchError("no RSS for faye-server")
        }
        channels += try await open(http2: http2, port: server.port, count: streams, group: group, opened: opened)
        try await waitFor(opened, 10 + streams)
        try await Task.sleep(for: .milliseconds(500))
        guard let after = ProcessMemory.residentBytes(pid: server.pid) else {
            throw BenchError("no RSS for faye-server")
        }
        return Double(after - before) / Double(streams)
    }

    private static func waitFor(_ opened: NIOLockedValueBox<Int>, _ count: Int) async throws {
        for _ in 0..<600 {
            if opened.withLockedValue({ $0 }) >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("only \(opened.withLockedValue { $0 }) of \(count) EventSource streams opened within 30 s")
    }

    /// Opens `count` EventSource streams: HTTP/2 connections of up to 100 streams, or one
    /// HTTP/1.1 connection each. Each counts once in `opened` when its first bytes arrive.
    private static func open(
        http2: Bool, port: Int, count: Int, group: any EventLoopGroup, opened: NIOLockedValueBox<Int>
    ) async throws -> [any Channel] {
        var channels: [any Channel] = []
        if http2 {
            var remaining = count
            while remaining > 0 {
                let streams = min(remaining, streamsPerConnection)
                remaining -= streams
                channels.append(try await openHTTP2(port: port, streams: streams, group: group, opened: opened))
            }
        } else {
            let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FirstBytesCounter(opened: opened))
                }
            }
            for _ in 0..<count {
                let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
                let request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
                try await channel.writeAndFlush(ByteBuffer(string: request))
                channels.append(channel)
            }
        }
        return channels
    }

    private static func openHTTP2(port: Int, streams: Int, group: any EventLoopGroup, opened: NIOLockedValueBox<Int>)
        async throws -> any Channel
    {
        let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                    mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()
                ) { stream in stream.close() }
            }
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        let multiplexer = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
        }.get()
        for _ in 0..<streams {
            let stream = try await channel.eventLoop.flatSubmit {
                let promise = channel.eventLoop.makePromise(of: (any Channel).self)
                multiplexer.createStreamChannel(promise: promise) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(FirstDataCounter(opened: opened))
                    }
                }
                return promise.futureResult
            }.get()
            let headers: HPACKHeaders = [
                ":method": "GET", ":scheme": "http", ":path": "/events", ":authority": "127.0.0.1",
                "accept": "text/event-stream",
            ]
            try await stream.writeAndFlush(HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: true)))
        }
        return channel
    }
}

/// Counts an HTTP/1.1 connection as open at its first bytes.
private final class FirstBytesCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let opened: NIOLockedValueBox<Int>
    private var counted = false

    init(opened: NIOLockedValueBox<Int>) {
        self.opened = opened
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !counted else { return }
        counted = true
        opened.withLockedValue { $0 += 1 }
    }
}

/// Counts an HTTP/2 stream as open at its first DATA (the `retry:` line after the 200).
private final class FirstDataCounter: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    let opened: NIOLockedValueBox<Int>
    private var counted = false

    init(opened: NIOLockedValueBox<Int>) {
        self.opened = opened
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !counted, case .data = unwrapInboundIn(data) else { return }
        counted = true
        opened.withLockedValue { $0 += 1 }
    }
}

/// A throwaway self-signed certificate for 127.0.0.1, made with the `openssl` command.
struct SelfSignedCertificate {
    let directory: String
    var certificate: String { directory + "/cert.pem" }
    var key: String { directory + "/key.pem" }

    static func make() throws -> SelfSignedCertificate {
        let directory = "/tmp/faye-bench-\(getpid())-tls"
        mkdir(directory, 0o700)
        let made = SelfSignedCertificate(directory: directory)
        let arguments = [
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", made.key, "-out", made.certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else {
            throw BenchError("could not run openssl (apt-get install openssl)")
        }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        guard status == 0 else { throw BenchError("openssl could not make the bench's certificate") }
        return made
    }

    func remove() {
        unlink(certificate)
        unlink(key)
        rmdir(directory)
    }
}
