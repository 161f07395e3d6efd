#if canImport(Glibc)
    import Glibc
#endif

/// One run of the C load generator (`Benchmarks/peers/c-load.c`, see its header) against one
/// server: a child process started through `taskset -c CORE`, given the message's payload on
/// its standard input, which then stays open until the run is over (the generator stops at once
/// when it reaches end of file, so it never outlives this process). It measures the window
/// itself, including the server's CPU time, and prints one `result` line.
struct CLoadGenerator {
    /// The compiled `c-load`.
    var program: String

    /// What the generator measured over its window.
    struct Result {
        var messages: Int
        var seconds: Double
        var p50Microseconds: Double
        var p99Microseconds: Double
        /// The generator's time on a CPU and waiting on its run queue, seconds.
        var loadCPUSeconds: Double
        var loadWaitSeconds: Double?
        /// The server process's (every thread) time on a CPU and waiting on a run queue.
        var serverCPUSeconds: Double
        var serverWaitSeconds: Double?
        /// The one core the generator could run on (nil: several).
        var core: Int?

        var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    }

    /// Loads the server on `port` (process `serverPID`) with `connections` × `inFlight` text
    /// messages of `payload`, pinned to `core`: `warmup` seconds, then `seconds` measured.
    func run(
        port: Int, connections: Int, inFlight: Int, payload: [UInt8], warmup: Double, seconds: Double,
        serverPID: pid_t, core: Int
    ) throws -> Result {
        let arguments = [
            "taskset", "-c", String(core), program, String(port), String(connections), String(inFlight),
            String(payload.count), String(warmup), String(seconds), String(serverPID),
        ]
        let toChild = try ExternalCommand.makePipe()
        let fromChild: [Int32]
        do {
            fromChild = try ExternalCommand.makePipe()
        } catch {
            close(toChild[0])
            close(toChild[1])
            throw error
        }
        // The payload goes into the pipe before the child exists: it fits (a pipe holds 64 KiB),
        // and no write can then meet a reader that already died (SIGPIPE).
        let queued = payload.withUnsafeBytes { bytes -> Int in
            _ = fcntl(toChild[1], F_SETFL, fcntl(toChild[1], F_GETFL) | O_NONBLOCK)
            return bytes.isEmpty ? 0 : write(toChild[1], bytes.baseAddress, bytes.count)
        }
        guard queued == payload.count else {
            for end in toChild + fromChild { close(end) }
            throw BenchError("the C load generator's \(payload.count)-byte payload does not fit in a pipe")
        }
        let pid: pid_t
        do {
            pid = try ExternalCommand.spawn(arguments, toChild: toChild, fromChild: fromChild, errorsToo: true)
        } catch {
            throw BenchError("the C load generator: \(error) (taskset, from util-linux, starts it pinned)")
        }
        // Connecting may take a while on a busy machine; the close handshake takes at most 2 s.
        let limit = warmup + seconds + 45
        let (output, ending) = Self.collect(pid: pid, input: toChild[1], output: fromChild[0], limitSeconds: limit)
        let command = arguments.joined(separator: " ")
        if let ending { throw BenchError("`\(command)` \(ending):\n\(output)") }
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("result ") }),
            let result = Self.parse(line)
        else { throw BenchError("`\(command)` printed no result line:\n\(output)") }
        guard result.core == core else {
            throw BenchError(
                "the C load generator was not pinned to core \(core) (it could run on "
                    + (result.core.map { "core \($0)" } ?? "several cores") + ")")
        }
        return result
    }

    /// Reads the child's output until it exits or `limitSeconds` pass (then kills it), then
    /// closes its standard input and reaps it. Returns the output and, unless it exited with
    /// status 0, how it ended.
    private static func collect(
        pid: pid_t, input: Int32, output: Int32, limitSeconds: Double
    ) -> (output: String, ending: String?) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = Measure.nanoseconds() + UInt64(limitSeconds * 1e9)
        var killed = false
        while true {
            let now = Measure.nanoseconds()
            guard now < deadline else {
                kill(pid, SIGKILL)
                killed = true
                break
            }
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 1000))) > 0 else { continue }
            let got = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }  // end of file: the generator exited
            bytes.append(contentsOf: chunk[0..<got])
        }
        close(input)
        close(output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: bytes, as: UTF8.self)
        if killed { return (text, "did not finish within \(Int(limitSeconds)) s and was killed") }
        // WIFEXITED and WEXITSTATUS are macros: exited normally when the low 7 bits are 0.
        if status & 0x7F != 0 { return (text, "ended by signal \(status & 0x7F)") }
        if (status >> 8) & 0xFF != 0 { return (text, "failed (exit status \((status >> 8) & 0xFF))") }
        return (text, nil)
    }

    /// The `result key=value ...` line.
    static func parse(_ line: Substring) -> Result? {
        var fields: [Substring: Double] = [:]
        for pair in line.split(separator: " ").dropFirst() {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]) else { return nil }
            fields[parts[0]] = value
        }
        guard let messages = fields["messages"], let seconds = fields["seconds"], let p50 = fields["p50_us"],
            let p99 = fields["p99_us"], let loadCPU = fields["load_cpu_seconds"],
            let loadWait = fields["load_wait_seconds"], let serverCPU = fields["server_cpu_seconds"],
            let serverWait = fields["server_wait_seconds"], let core = fields["core"],
            messages >= 0, messages < 1e15
        else { return nil }
        return Result(
            messages: Int(messages), seconds: seconds, p50Microseconds: p50, p99Microseconds: p99,
            loadCPUSeconds: loadCPU, loadWaitSeconds: loadWait >= 0 ? loadWait : nil,
            serverCPUSeconds: serverCPU, serverWaitSeconds: serverWait >= 0 ? serverWait : nil,
            core: core >= 0 ? Int(core) : nil)
    }
}
