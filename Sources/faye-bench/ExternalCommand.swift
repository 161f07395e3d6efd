#if canImport(Glibc)
    import Glibc
#endif

/// Running other programs (compilers, peer servers) from the benchmark.
enum ExternalCommand {
    /// Runs `arguments` (the program looked up in `PATH`) to completion with `environment` added
    /// to this process's; returns its standard output and error together, or throws with them
    /// when it fails.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        guard arguments.first != nil else { throw BenchError("no command to run") }
        // Standard input: a pipe whose write end closes at once, so the child reads end of file.
        let input = try makePipe()
        let pipeEnds: [Int32]
        do {
            pipeEnds = try makePipe()
        } catch {
            for end in input { close(end) }
            throw error
        }
        let pid = try spawn(arguments, environment: environment, toChild: input, fromChild: pipeEnds, errorsToo: true)
        close(input[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            output.append(contentsOf: chunk[0..<got])
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        // WIFEXITED and WEXITSTATUS are macros: exited normally when the low 7 bits are 0.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            let how = status & 0x7F == 0 ? "exit status \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
            throw BenchError("`\(arguments.joined(separator: " "))` failed (\(how)):\n\(text)")
        }
        return text
    }

    /// Starts `arguments` (the program first; looked up in `PATH` unless it is a path) with its
    /// standard input reading `toChild` and its standard output (and, with `errorsToo`, its
    /// standard error) writing `fromChild`, both pipes from ``makePipe()``. The child's ends are
    /// closed here; on failure the parent's are too, and the error names the program.
    static func spawn(
        _ arguments: [String], environment: [String: String] = [:], toChild: [Int32], fromChild: [Int32],
        errorsToo: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        if errorsToo { posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2) }
        posix_spawn_file_actions_addclose(&actions, toChild[1])
        posix_spawn_file_actions_addclose(&actions, fromChild[0])
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let envp = Self.environment(adding: environment)
        defer { for entry in envp { free(entry) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments.first ?? "", &actions, nil, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw BenchError("could not run \(arguments.first ?? "nothing"): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// A pipe, `[read end, write end]`, closed on exec: a child gets only the ends it is given
    /// (as its standard streams), so it never holds another child's pipe open.
    static func makePipe() throws -> [Int32] {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw BenchError("pipe() failed: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return ends
    }

    /// This process's environment with `extra` set (replacing variables of the same name), as a
    /// NULL-terminated array of C strings the caller frees.
    static func environment(adding extra: [String: String]) -> [UnsafeMutablePointer<CChar>?] {
        var entries: [UnsafeMutablePointer<CChar>?] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if extra[name] == nil { entries.append(strdup(entry)) }
            index += 1
        }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { entries.append(strdup("\(name)=\(value)")) }
        return entries + [nil]
    }

    /// The absolute path of this executable.
    static func currentExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw BenchError("cannot read /proc/self/exe: errno \(errno)") }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `path` and its missing parents.
    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw BenchError("cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
