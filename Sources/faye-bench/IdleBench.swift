import ArgumentParser
import FayeWebSocket
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-bench idle`: how much a server's resident memory grows per idle open WebSocket. Each
/// server runs alone in a child process (`faye-bench idle-probe`), so that only its own memory
/// is counted; this process opens the connections with plain blocking sockets.
struct IdleBench {
    let settings: BenchSettings
    let connections: Int?

    func run(into report: Report) throws {
        let count = connections ?? (settings.quick ? 500 : 10_000)
        Limits.raiseFileDescriptors()
        let repetitions = settings.quick ? 1 : min(settings.repetitions, 3)
        for deflate in [false, true] {
            let name = "idle \(count) connections" + (deflate ? " deflate" : "")
            let rates = try Measure.alternating(
                repetitions: repetitions,
                ours: { try IdleProbe.measure(server: "ours", connections: count, offerDeflate: deflate) },
                reference: { try IdleProbe.measure(server: "nio", connections: count, offerDeflate: deflate) })
            report.add(
                BenchRow(
                    bench: "idle", name: name, ours: rates.ours, reference: rates.reference,
                    unit: "bytes per connection", higherIsBetter: false, referenceName: "NIO echo server"))
        }
        try CompressedIdleBench(settings: settings, connections: connections).run(into: report)
    }
}

enum Limits {
    /// Raises the soft file descriptor limit to the hard one (inherited by child processes).
    static func raiseFileDescriptors() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// The parent's side: spawns the probe, opens the connections, reads the probe's RSS.
enum IdleProbe {
    /// Warm-up connections opened before the baseline, so one-time allocations are not counted.
    static let warmupConnections = 100

    static func measure(server: String, connections: Int, offerDeflate: Bool) throws -> Double {
        let child = try ChildProcess(arguments: ["faye-bench", "idle-probe", "--server", server])
        defer { child.finish() }
        guard let line = child.readLine(), let port = Int(line) else {
            throw BenchError("the idle probe did not start")
        }
        var sockets: [Int32] = []
        defer { for socket in sockets { IdleClient.close(socket) } }
        for _ in 0..<warmupConnections {
            sockets.append(try IdleClient.open(port: port, offerDeflate: offerDeflate))
        }
        let before = try rss(of: child)
        for _ in 0..<connections {
            sockets.append(try IdleClient.open(port: port, offerDeflate: offerDeflate))
        }
        let after = try rss(of: child)
        return Double(after - before) / Double(connections)
    }

    /// Asks the probe to return freed memory to the system, then reads its resident size.
    private static func rss(of child: ChildProcess) throws -> Int {
        usleep(200_000)
        child.writeLine("trim")
        guard child.readLine() == "trimmed" else { throw BenchError("the idle probe did not answer") }
        guard let bytes = ProcessMemory.residentBytes(pid: child.pid) else {
            throw BenchError("cannot read the probe's resident size")
        }
        return bytes
    }
}

/// Blocking client sockets that complete the opening handshake and then stay idle.
enum IdleClient {
    static func open(port: Int, offerDeflate: Bool) throws -> Int32 {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw BenchError("socket() failed: errno \(errno)") }
        // Closing resets the connection: no TIME_WAIT left on the loopback port range.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw BenchError("connect() failed: errno \(errno)")
        }
        let request = WireFrames.clientRequest(offeringDeflate: offerDeflate)
        let written = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == request.count else {
            Glibc.close(fd)
            throw BenchError("could not send the handshake")
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !response.ends(with: [13, 10, 13, 10]) {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard got > 0 else {
                Glibc.close(fd)
                throw BenchError("the server closed during the handshake")
            }
            response.append(contentsOf: chunk[0..<got])
        }
        guard response.starts(with: Array("HTTP/1.1 101".utf8)) else {
            Glibc.close(fd)
            throw BenchError(
                "the server refused the handshake: \(String(decoding: response.prefix(40), as: UTF8.self))")
        }
        return fd
    }

    static func close(_ fd: Int32) {
        Glibc.close(fd)
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}

enum ProcessMemory {
    /// `VmRSS` of a process, in bytes.
    static func residentBytes(pid: pid_t) -> Int? {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmRSS:") else { continue }
            let digits = text.dropFirst(6).filter { $0.isNumber }
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }
}

/// A child process running this executable, talked to by lines on its standard input/output.
final class ChildProcess {
    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var buffered: [UInt8] = []

    init(arguments: [String]) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw BenchError("pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addclose(&actions, toChild[1])
        posix_spawn_file_actions_addclose(&actions, fromChild[0])
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, environ)
        Glibc.close(toChild[0])
        Glibc.close(fromChild[1])
        guard status == 0 else {
            Glibc.close(toChild[1])
            Glibc.close(fromChild[0])
            throw BenchError("posix_spawn failed: \(status)")
        }
        self.pid = pid
        self.input = toChild[1]
        self.output = fromChild[0]
    }

    func writeLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
    }

    func readLine() -> String? {
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            if let newline = buffered.firstIndex(of: 10) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            let got = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            guard got > 0 else { return nil }
            buffered.append(contentsOf: chunk[0..<got])
        }
    }

    /// Closes its input (the probe then exits) and waits for it.
    func finish() {
        Glibc.close(input)
        Glibc.close(output)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

/// `faye-bench idle-probe`: the child side of `idle` (and a pinned server of `peers`). Starts one
/// server, prints its port, then answers `trim` lines (returning freed memory to the system)
/// until its input closes.
struct IdleProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle-probe", abstract: "Internal: the server process of `faye-bench idle` and `peers`.",
        shouldDisplay: false)

    @Option(help: "ours, nio or nio-floor")
    var server: String

    @Flag(help: "Our server without the extensions' idle release.")
    var noExtensionIdleRelease = false

    func run() async throws {
        let running: any BenchServer
        switch server {
        case "ours":
            running = try await OurEchoServer.start(
                extensionIdleRelease: noExtensionIdleRelease ? nil : WebSocketOptions.defaultExtensionIdleRelease)
        case "nio": running = try await NIOEchoServer.start()
        case "nio-floor": running = try await NIOFloorEchoServer.start()
        default: throw ValidationError("--server must be ours, nio or nio-floor")
        }
        Output.standardOutput("\(running.port)\n")
        while let line = Swift.readLine() {
            if line == "trim" {
                _ = mallocTrim(0)
                Output.standardOutput("trimmed\n")
            }
        }
        try await running.shutdown()
    }
}

/// glibc's `malloc_trim` (declared in `malloc.h`, which the Glibc module does not import).
@_silgen_name("malloc_trim")
func mallocTrim(_ pad: Int) -> Int32
