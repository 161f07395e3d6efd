#if canImport(Glibc)
    import Glibc
#endif

/// One echo server in a process of its own, pinned to one core from its first instruction
/// (started through `taskset -c CORE`, which sets the affinity and then executes the server in
/// the same process, so every thread it ever makes inherits the pinning).
///
/// The protocol every server follows: print the listening port and a newline on standard
/// output once ready; exit when standard input reaches end of file. Its standard error is this
/// process's, so a server's own complaint shows up beside the benchmark's.
final class PinnedServerProcess {
    let name: String
    let pid: pid_t
    let port: Int
    private let input: Int32
    private let output: Int32
    private var running = true

    /// How long a server may take to print its port.
    static let startTimeoutMilliseconds: Int32 = 30_000

    /// Starts `arguments` (the program first, looked up in `PATH`) pinned to `core`, with
    /// `environment` added to this process's, and waits for its port.
    init(name: String, arguments: [String], environment: [String: String] = [:], core: Int) throws {
        self.name = name
        let toChild = try ExternalCommand.makePipe()
        let fromChild: [Int32]
        do {
            fromChild = try ExternalCommand.makePipe()
        } catch {
            close(toChild[0])
            close(toChild[1])
            throw BenchError("\(name): \(error)")
        }
        let command = ["taskset", "-c", String(core)] + arguments
        let pid: pid_t
        do {
            pid = try ExternalCommand.spawn(
                command, environment: environment, toChild: toChild,
                fromChild: fromChild)
        } catch {
            throw BenchError("\(name): \(error) (taskset, from util-linux, starts it pinned)")
        }
        let port: Int
        do {
            let line = try Self.readLine(from: fromChild[0], timeoutMilliseconds: Self.startTimeoutMilliseconds)
            guard let line, let number = Int(line), number > 0 else {
                throw BenchError(
                    "\(name) did not start (`\(command.joined(separator: " "))` printed "
                        + (line.map { "'\($0)'" } ?? "nothing") + " instead of its port)")
            }
            port = number
        } catch {
            Self.end(pid: pid, input: toChild[1], output: fromChild[0])
            throw error
        }
        self.pid = pid
        self.port = port
        self.input = toChild[1]
        self.output = fromChild[0]
        do {
            try checkPinned(to: core)
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stopProcess()
    }

    /// Closes its standard input (it then exits) and waits for it, killing it after 5 s.
    func stop() {
        stopProcess()
    }

    private func stopProcess() {
        guard running else { return }
        running = false
        Self.end(pid: pid, input: input, output: output)
    }

    /// Closes the child's pipes (it then exits) and reaps it, killing it after 5 s.
    private static func end(pid: pid_t, input: Int32, output: Int32) {
        close(input)
        close(output)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(10_000)
        }
        Progress.note("peers: process \(pid) did not exit 5 s after its input closed; killing it")
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }

    /// The kernel's view of the process's allowed cores must be exactly `core`.
    private func checkPinned(to core: Int) throws {
        guard let status = MachineState.readFile("/proc/\(pid)/status") else {
            throw BenchError("\(name): cannot read /proc/\(pid)/status")
        }
        let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
        let allowed = line.map { $0.dropFirst("Cpus_allowed_list:".count).trimmingWhitespace() }
        guard allowed == String(core) else {
            throw BenchError("\(name) is not pinned to core \(core) (allowed: \(allowed ?? "unknown"))")
        }
    }

    /// One line from `fd`, waiting at most `timeoutMilliseconds` in all; nil at end of file.
    private static func readLine(from fd: Int32, timeoutMilliseconds: Int32) throws -> String? {
        var line: [UInt8] = []
        let deadline = Measure.nanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        var byte: UInt8 = 0
        while true {
            let now = Measure.nanoseconds()
            guard now < deadline else { throw BenchError("no port within \(timeoutMilliseconds / 1000) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32((deadline - now) / 1_000_000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let got = read(fd, &byte, 1)
            if got < 0 && errno == EINTR { continue }
            guard got == 1 else { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == 10 { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
