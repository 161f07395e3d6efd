import FayeWebSocket

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-bench idle`, compressed case: the server's resident memory per connection that
/// negotiated permessage-deflate, exchanged one 1 KiB text message (compressed both ways, so
/// both zlib streams exist) and then went idle, measured after the idle release period
/// (``WebSocketOptions/defaultExtensionIdleRelease``) has passed twice. The reference is the
/// same server with the idle release turned off, in the same run.
struct CompressedIdleBench {
    let settings: BenchSettings
    let connections: Int?

    static let unit = "bytes per connection"
    /// The case's name for `count` connections.
    static func name(_ count: Int) -> String { "idle \(count) connections deflate, one 1 KiB message" }

    func run(into report: Report) throws {
        let count = connections.map { min($0, 2_000) } ?? (settings.quick ? 200 : 2_000)
        guard settings.includes(Self.name(count)) else { return }
        Limits.raiseFileDescriptors()
        let repetitions = settings.quick ? 1 : min(settings.repetitions, 3)
        let rates = try Measure.alternating(
            repetitions: repetitions,
            ours: { try Self.measure(connections: count, releasing: true) },
            reference: { try Self.measure(connections: count, releasing: false) })
        report.add(
            BenchRow(
                bench: "compressed idle", name: Self.name(count), ours: rates.ours, reference: rates.reference,
                unit: Self.unit, higherIsBetter: false, referenceName: "without idle release"))
    }

    /// A 1 KiB chat-like JSON text, different for every connection.
    static func message(number: Int) -> [UInt8] {
        var text =
            "{\"type\":\"message\",\"room\":\"general\",\"user\":\"user-\(number)\",\"seq\":\(number),\"text\":\""
        var word = UInt64(number &+ 1) &* 0x9E37_79B9_7F4A_7C15
        while text.utf8.count < 1000 {
            word = word &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += ["hello", "world", "swift", "faye", "socket", "idle", "memory", "window"][Int(word >> 61)] + " "
        }
        text += "\"}"
        return Array(text.utf8.prefix(1024))
    }

    /// Sends `message` compressed (RSV1) and reads the echo, which must be compressed too.
    static func exchange(on socket: inout BenchSocket, message: [UInt8]) throws {
        var frame: [UInt8] = []
        let compressed = try RawDeflate.compress(message)
        WireFrames.append(to: &frame, isFinal: true, opcode: 0x41, payload: compressed[...], key: 0x0A0B_0C0D)
        guard socket.writeAll(frame) else { throw BenchError("the server closed before the message") }
        guard let echo = socket.readFrame() else { throw BenchError("the server closed before the echo") }
        guard echo.first == 0xC1 else { throw BenchError("the echo is not a compressed text frame") }
    }

    static func measure(connections: Int, releasing: Bool) throws -> Double {
        var arguments = ["faye-bench", "idle-probe", "--server", "ours"]
        if !releasing { arguments += ["--no-extension-idle-release"] }
        let child = try ChildProcess(arguments: arguments)
        defer { child.finish() }
        guard let line = child.readLine(), let port = Int(line) else {
            throw BenchError("the idle probe did not start")
        }
        var sockets: [BenchSocket] = []
        defer { for socket in sockets { socket.close() } }
        for number in 0..<IdleProbe.warmupConnections {
            sockets.append(try open(port: port, number: number))
        }
        let settle = releasing ? idleWait : .milliseconds(200)
        try sleep(settle)
        let before = try BombBench.trimmedResidentBytes(of: child)
        for number in 0..<connections {
            sockets.append(try open(port: port, number: IdleProbe.warmupConnections + number))
        }
        try sleep(settle)
        let after = try BombBench.trimmedResidentBytes(of: child)
        return Double(after - before) / Double(connections)
    }

    /// Twice the release period and a half second: every connection has been released.
    static var idleWait: Duration {
        WebSocketOptions.defaultExtensionIdleRelease * 2 + .milliseconds(500)
    }

    private static func open(port: Int, number: Int) throws -> BenchSocket {
        var socket = BenchSocket(fd: try IdleClient.open(port: port, offerDeflate: true))
        do {
            try exchange(on: &socket, message: message(number: number))
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    private static func sleep(_ duration: Duration) throws {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
