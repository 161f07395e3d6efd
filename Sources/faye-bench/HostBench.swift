import NIOCore
import NIOPosix
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#endif

/// `faye-bench hosts`: echo msgs/s through the host demos (our sockets inside Vapor and
/// Hummingbird) against `faye-server`, each server its own process with its default settings,
/// driven by the same load generator, alternating run by run. A host only fronts the HTTP
/// request, so the ratio should stay near 1.
struct HostBench {
    let settings: BenchSettings

    static let hosts = [
        (name: "vapor", executable: "faye-vapor-demo"), (name: "hummingbird", executable: "faye-hummingbird-demo"),
    ]

    static var cases: [EchoBench.Case] {
        var cases: [EchoBench.Case] = []
        for (connections, inFlight) in [(1, 64), (100, 8)] {
            for size in [32, 16 * 1024] {
                cases.append(EchoBench.Case(size: size, connections: connections, inFlight: inFlight, deflate: false))
            }
        }
        cases.append(EchoBench.Case(size: 16 * 1024, connections: 100, inFlight: 8, deflate: true))
        return cases
    }

    func run(into report: Report) async throws {
        let wanted = Self.cases.filter { item in
            Self.hosts.contains { settings.includes("\(item.name) \($0.name)") }
        }
        guard !wanted.isEmpty else { return }
        let reference = try ServerProcess.start("faye-server")
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { reference.stop() }
        do {
            for host in Self.hosts {
                let server = try ServerProcess.start(host.executable)
                defer { server.stop() }
                for item in wanted where settings.includes("\(item.name) \(host.name)") {
                    try await measure(
                        item, host: host.name, server: server, reference: reference, loop: clients.next(), into: report)
                }
            }
        } catch {
            try? await clients.shutdownGracefully()
            throw error
        }
        try await clients.shutdownGracefully()
    }

    private func measure(
        _ item: EchoBench.Case, host: String, server: ServerProcess, reference: ServerProcess, loop: any EventLoop,
        into report: Report
    ) async throws {
        let (hosted, direct) = try await LoadRun.alternating(
            item, ports: (server.port, reference.port), settings: settings, loop: loop)
        report.add(
            BenchRow(
                bench: "hosts", name: "\(item.name) \(host)", ours: Measure.median(hosted.map(\.messagesPerSecond)),
                reference: Measure.median(direct.map(\.messagesPerSecond)), unit: "msgs/s", higherIsBetter: true,
                referenceName: "faye-server"))
    }
}

/// A server executable built next to `faye-bench` (`faye-server` or a host demo), started with
/// `--port 0`; its standard error goes to a temporary file, where its ready line gives the port.
final class ServerProcess {
    let pid: pid_t
    let port: Int
    private let logPath: String

    private init(pid: pid_t, port: Int, logPath: String) {
        self.pid = pid
        self.port = port
        self.logPath = logPath
    }

    /// Starts `executable --port 0` with `arguments` after it (`wss://` is awaited with `--tls-cert`).
    static func start(_ executable: String, arguments: [String] = []) throws -> ServerProcess {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let own =
            length > 0
            ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments[0]
        let directory = own.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = directory + "/" + executable
        guard access(path, X_OK) == 0 else {
            throw BenchError(
                "\(path) is not built: build it next to faye-bench with `swift build -c release --enable-all-traits`")
        }
        let logPath = "/tmp/faye-bench-\(getpid())-\(executable).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] =
            ([path, "--port", "0"] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard status == 0 else { throw BenchError("posix_spawn \(path) failed: \(status)") }
        let scheme = arguments.contains("--tls-cert") ? "wss" : "ws"
        let marker = "faye-server listening on \(scheme)://127.0.0.1:"
        for _ in 0..<600 {
            if let text = MachineState.readFile(logPath), let port = Self.port(in: text, after: marker) {
                return ServerProcess(pid: pid, port: port, logPath: logPath)
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        var exit: Int32 = 0
        _ = waitpid(pid, &exit, 0)
        throw BenchError("\(executable) did not print its ready line within 30 s (log: \(logPath))")
    }

    /// The number after `marker` on a complete line of `text`.
    private static func port(in text: String, after marker: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(marker) {
            return Int(line.dropFirst(marker.count))
        }
        return nil
    }

    /// SIGTERM, and waits for the exit.
    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        unlink(logPath)
    }
}
