public import FayeTestSupport
public import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemClose = Glibc.close
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemClose = Darwin.close
    private let systemWrite = Darwin.write
#endif

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which the Glibc module
/// does not import: the child closes every descriptor from `lowest` up before exec.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32

/// A pipe whose ends are closed on exec (the child gets its end through dup2).
private func makePipe() throws -> [Int32] {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { throw SetupError("pipe failed: errno \(errno)") }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return ends
}

/// A built executable of this package, found next to the test binary (the same build
/// directory, whatever the scratch path) or else in `.build/debug` under the package root.
public func packageExecutable(_ name: String) throws -> URL {
    var candidates: [URL] = []
    var starts: [URL] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        starts.append(URL(fileURLWithPath: exe))
    }
    if let first = CommandLine.arguments.first, first.hasPrefix("/") {
        starts.append(URL(fileURLWithPath: first))
    }
    for start in starts {
        // Linux: <build>/debug/swift-fayePackageTests.xctest; macOS: the binary sits inside
        // <build>/debug/X.xctest/Contents/MacOS/.
        var directory = start.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(name))
            directory = directory.deletingLastPathComponent()
        }
    }
    let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/\(name)"))
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate
    }
    throw SetupError(
        "\(name) is not built (looked in \(candidates.map(\.path))); run `swift build --build-tests` first")
}

/// Serialises what reads or changes the process environment across concurrently running
/// tests: `setenv` (the environment-proxy tests), spawning children (which copies it).
public let processEnvironmentLock = NSLock()

/// A child process with piped stdin, stdout and stderr, collected as they arrive.
///
/// Spawned with `posix_spawn` and an empty signal mask: the threads of a test process block
/// most signals, and a child would otherwise inherit that and ignore SIGTERM.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let name: String
    private let inputDescriptor: Locked<Int32>
    public let stdout = Locked<[UInt8]>([])
    public let stderr = Locked<[UInt8]>([])
    private let openReaders = Locked<Int>(0)
    private let exitStatus = Locked<Int32?>(nil)

    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        name = executable.lastPathComponent
        // Made under the lock so that no child spawned meanwhile inherits them before they
        // are marked close-on-exec.
        let (input, output, errors) = try processEnvironmentLock.withLock {
            (try makePipe(), try makePipe(), try makePipe())
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        // Nothing else of this process reaches the child: a test process holds many sockets,
        // some without close-on-exec, and a child that inherits them can run out of
        // descriptors or keep a peer's connection open.
        _ = addCloseFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let result: Int32 = processEnvironmentLock.withLock {
            var current = ProcessInfo.processInfo.environment
            for name in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"] {
                current[name] = nil
            }
            let variables = environment ?? current
            let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in envp { free(pointer) } }
            return posix_spawn(&child, executable.path, &actions, &attributes, argv, envp)
        }
        _ = systemClose(input[0])
        _ = systemClose(output[1])
        _ = systemClose(errors[1])
        guard result == 0 else {
            _ = systemClose(input[1])
            _ = systemClose(output[0])
            _ = systemClose(errors[0])
            throw SetupError("posix_spawn \(executable.path) failed: \(result)")
        }
        pid = child
        inputDescriptor = Locked(input[1])
        collect(output[0], into: stdout)
        collect(errors[0], into: stderr)
        let exitStatus = self.exitStatus
        let spawned = child
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
            // Exit code, or 128 + signal number as a shell reports it.
            let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            exitStatus.withLock { $0 = code }
        }
    }

    private func collect(_ descriptor: Int32, into buffer: Locked<[UInt8]>) {
        openReaders.withLock { $0 += 1 }
        let openReaders = self.openReaders
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                buffer.withLock { $0 += chunk[0..<count] }
            }
            _ = systemClose(descriptor)
            openReaders.withLock { $0 -= 1 }
        }
    }

    public var isRunning: Bool { exitStatus.current == nil }
    public var outputText: String { String(decoding: stdout.current, as: UTF8.self) }
    public var errorText: String { String(decoding: stderr.current, as: UTF8.self) }

    /// The complete lines written to stdout so far.
    public var outputLines: [String] {
        var lines = outputText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        return lines
    }

    public func write(_ text: String) throws {
        let descriptor = inputDescriptor.current
        guard descriptor >= 0 else { throw SetupError("stdin of \(name) is closed") }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw SetupError("writing to \(name) failed: errno \(errno)") }
            bytes = bytes.dropFirst(count)
        }
    }

    public func closeInput() {
        let descriptor = inputDescriptor.withLock { value -> Int32 in
            defer { value = -1 }
            return value
        }
        if descriptor >= 0 { _ = systemClose(descriptor) }
    }

    /// Waits for the exit (and the end of its output); returns the exit status.
    public func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        do {
            try await eventually("\(name) to exit", timeout: timeout) {
                !isRunning && openReaders.current == 0
            }
        } catch {
            stop()
            throw error
        }
        return exitStatus.current ?? -1
    }

    /// Ends the process if it still runs (SIGTERM, then SIGKILL after 2 s) and waits for it.
    public func stop() {
        closeInput()
        guard isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<200 where isRunning { usleep(10_000) }
        if isRunning { kill(pid, SIGKILL) }
        for _ in 0..<500 where isRunning { usleep(10_000) }
    }
}

/// Runs `executable --port 0` (`faye-server` or one of the host demos, which share its command
/// line and ready line) and gives its port to `body`; stops it afterwards.
public func withFayeServer(
    executable: String = "faye-server",
    _ arguments: [String] = [],
    _ body: (Int) async throws -> Void
) async throws {
    try await withFayeServerProcess(executable: executable, arguments) { port, _ in try await body(port) }
}

/// As ``withFayeServer(executable:_:_:)``, giving the process too.
public func withFayeServerProcess(
    executable: String = "faye-server",
    _ arguments: [String] = [],
    _ body: (Int, ChildProcess) async throws -> Void
) async throws {
    let server = try ChildProcess(try packageExecutable(executable), ["--port", "0"] + arguments)
    do {
        let found = Locked<Int?>(nil)
        try await eventually("\(executable) to listen", timeout: .seconds(30)) {
            let text = server.errorText
            guard let range = text.range(of: "faye-server listening on ws://127.0.0.1:") else {
                return !server.isRunning
            }
            let rest = text[range.upperBound...]
            guard rest.contains("\n") else { return false }
            found.withLock { $0 = Int(rest.prefix { $0.isNumber }) }
            return true
        }
        guard let port = found.current else { throw SetupError("\(executable) did not start: \(server.errorText)") }
        try await body(port, server)
    } catch {
        server.stop()
        throw error
    }
    server.stop()
}
