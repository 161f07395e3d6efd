import ArgumentParser
import FayeWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PermessageDeflate
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#endif

/// `faye-soak`: many concurrent deflate WebSocket connections to the embedded server over
/// loopback, echoing for a fixed time, then closed half abruptly and half cleanly; checks that
/// no echo was lost, every socket and every WebSocket object was released, and memory returned to
/// its baseline. Exits 1 when a check fails.
///
/// Memory is checked twice. The heap bytes in use (the allocator's own count over all arenas) must
/// come back to within `--heap-tolerance-mib` of the baseline: that is the leak check, and it is
/// tight (2,000 connections leaking 2 KiB each would fail it). The resident size must come back to
/// within `--rss-tolerance-mib`: glibc cannot return a page that still holds one live chunk (a
/// thread's cached free chunks count as live), so after a round of 2,000 connections some tens of
/// MiB of pages can stay resident with no more than a MiB or two of heap in use; this bound catches
/// resident growth that the heap count would not see (thread stacks, mapped buffers).
@main
struct FayeSoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-soak",
        abstract: "Soak and leak check of the embedded server (loopback only)."
    )

    @Option(help: "Concurrent connections per round.")
    var connections = 2000

    @Option(help: "Seconds of echo per round, all connections at once.")
    var seconds: Double = 3

    @Option(help: "Rounds; memory must return to the baseline after each.")
    var rounds = 2

    @Option(
        name: .customLong("heap-tolerance-mib"), help: "Allowed growth of heap bytes in use over the baseline, in MiB.")
    var heapToleranceMiB = 4

    @Option(name: .customLong("rss-tolerance-mib"), help: "Allowed resident growth over the baseline, in MiB.")
    var rssToleranceMiB = 64

    @Option(help: "Bytes per echoed text message.")
    var size = 2048

    func validate() throws {
        guard connections > 0, rounds > 0, seconds > 0, size > 0 else {
            throw ValidationError("--connections, --rounds, --seconds and --size must be positive")
        }
    }

    func run() async throws {
        let limit = try Self.raiseDescriptorLimit(to: UInt64(connections) * 2 + 512)
        print("soak: \(connections) connections × \(rounds) rounds, \(seconds) s echo each, fd limit \(limit)")

        var logger = Logger(label: "faye.soak")
        logger.logLevel = .warning
        let registry = Registry()
        var configuration = FayeServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.maxConnections = connections * 2
        configuration.threads = 2
        let serverOptions = {
            var options = WebSocketOptions()
            options.extensions = [PermessageDeflate()]
            return options
        }()
        let server = FayeServer(configuration: configuration, logger: logger) { request in
            guard request.isWebSocket else { return ServerResponse(status: 404, text: "WebSocket only\n") }
            return .webSocket(options: serverOptions) { socket in
                registry.add(socket)
                socket.onMessage { socket.send($0) }
            }
        }
        try await server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var failures: [String] = []
        do {
            guard let port = server.localAddress?.port else { throw SoakFailure("the server has no port") }
            let url = "ws://127.0.0.1:\(port)/"

            // Warm-up: the event loops, allocator arenas and lazily built tables.
            _ = try await round(url: url, group: group, count: min(100, connections), seconds: 0.2, server: server)
            try await Self.settle(server: server, registry: registry)
            let baselineRSS = Self.trimmedResidentBytes()
            let baselineHeap = try Self.heapBytesInUse()
            let baselineFDs = Self.openDescriptors()
            print(
                "soak: baseline \(Self.mebibytes(baselineHeap)) MiB heap in use, \(baselineRSS >> 20) MiB resident, \(baselineFDs) descriptors"
            )

            for index in 1...rounds {
                let result = try await round(
                    url: url, group: group, count: connections, seconds: seconds, server: server)
                try await Self.settle(server: server, registry: registry)
                let rss = Self.trimmedResidentBytes()
                let heap = try Self.heapBytesInUse()
                let fds = Self.openDescriptors()
                let phases = result.phases.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
                let counts = "\(result.opened) opened, \(result.echoes) echoes (\(result.lost) lost)"
                let memory =
                    "peak \(result.peakRSS >> 20) MiB, after close \(Self.mebibytes(heap)) MiB heap in use, \(rss >> 20) MiB resident"
                let objects = "\(registry.alive) server and \(result.clientsAlive) client WebSockets alive"
                print("soak: round \(index): \(counts), \(memory), \(fds) descriptors, \(objects); \(phases)")
                if result.opened != connections {
                    failures.append("round \(index): \(result.opened) of \(connections) opened")
                }
                if result.lost > 0 { failures.append("round \(index): \(result.lost) echoes lost") }
                if fds != baselineFDs {
                    failures.append("round \(index): \(fds) descriptors open, baseline \(baselineFDs)")
                }
                if registry.alive > 0 {
                    failures.append("round \(index): \(registry.alive) server WebSockets not freed")
                }
                if result.clientsAlive > 0 {
                    failures.append("round \(index): \(result.clientsAlive) client WebSockets not freed")
                }
                if heap > baselineHeap + heapToleranceMiB << 20 {
                    failures.append(
                        "round \(index): \(Self.mebibytes(heap)) MiB heap in use, baseline \(Self.mebibytes(baselineHeap)) + \(heapToleranceMiB) MiB"
                    )
                }
                if rss > baselineRSS + rssToleranceMiB << 20 {
                    failures.append(
                        "round \(index): \(rss >> 20) MiB resident, baseline \(baselineRSS >> 20) + \(rssToleranceMiB) MiB"
                    )
                }
            }
        } catch {
            failures.append("\(error)")
        }
        try await server.shutdown()
        try await group.shutdownGracefully()
        if failures.isEmpty {
            print("soak: passed")
        } else {
            for failure in failures { print("soak: FAILED: \(failure)") }
            throw ExitCode.failure
        }
    }

    struct RoundResult {
        var opened = 0
        var echoes = 0
        var lost = 0
        var peakRSS = 0
        var clientsAlive = 0
        var phases: [(String, Duration)] = []
    }

    /// Opens `count` deflate clients (in waves, within the listen backlog), echoes on all of them
    /// for `seconds`, closes even ones abruptly and odd ones with a closing handshake.
    func round(url: String, group: any EventLoopGroup, count: Int, seconds: Double, server: FayeServer) async throws
        -> RoundResult
    {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        var clientOptions = WebSocketClientOptions()
        clientOptions.eventLoopGroup = group
        clientOptions.connectTimeout = .seconds(20)
        var result = RoundResult()
        let weakClients = Registry()
        var sockets: [WebSocket] = []
        sockets.reserveCapacity(count)
        let clock = ContinuousClock()
        var phaseStart = clock.now
        for waveStart in stride(from: 0, to: count, by: 250) {
            let wave = (waveStart..<min(count, waveStart + 250)).map { _ in
                WebSocket(url: url, options: options, clientOptions: clientOptions)
            }
            for socket in wave { weakClients.add(socket) }
            for socket in wave where await Self.opened(socket) { result.opened += 1 }
            sockets += wave
        }

        result.phases.append(("open", clock.now - phaseStart))
        phaseStart = clock.now
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let payload = String(repeating: "soak echo payload, compressible. ", count: size / 33 + 1).prefix(size)
        let text = String(payload)
        let counts = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
            for socket in sockets {
                tasks.addTask {
                    var iterator = socket.messages.makeAsyncIterator()
                    var (sent, echoed) = (0, 0)
                    while ContinuousClock.now < deadline {
                        guard (try? await socket.send(.text(text))) != nil else { break }
                        sent += 1
                        guard let message = try? await iterator.next() else { break }
                        if message == .text(text) { echoed += 1 }
                    }
                    return (sent, echoed)
                }
            }
            var total = (0, 0)
            for try await (sent, echoed) in tasks { total = (total.0 + sent, total.1 + echoed) }
            return total
        }
        result.echoes = counts.1
        result.lost = counts.0 - counts.1
        result.peakRSS = Self.residentBytes()
        result.phases.append(("echo", clock.now - phaseStart))
        phaseStart = clock.now

        for (index, socket) in sockets.enumerated() where index % 2 == 0 { socket.terminate() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (index, socket) in sockets.enumerated() where index % 2 == 1 {
                tasks.addTask { _ = try await socket.closeAndWait() }
            }
            try await tasks.waitForAll()
        }
        for socket in sockets { _ = try? await socket.closed() }
        sockets = []
        result.phases.append(("close", clock.now - phaseStart))
        // Every client object must go once nothing holds it (their event loop tasks finish first).
        let until = ContinuousClock.now + .seconds(10)
        while weakClients.alive > 0, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(20)) }
        result.clientsAlive = weakClients.alive
        _ = server
        return result
    }

    /// Waits until the server has no connection open and no WebSocket object alive.
    static func settle(server: FayeServer, registry: Registry) async throws {
        let until = ContinuousClock.now + .seconds(30)
        while server.connectionCount > 0 || registry.alive > 0, ContinuousClock.now < until {
            try await Task.sleep(for: .milliseconds(20))
        }
        // The close callbacks' last tasks.
        try await Task.sleep(for: .milliseconds(200))
    }

    /// Whether the socket opened (`false`: it closed first).
    static func opened(_ socket: WebSocket) async -> Bool {
        await withCheckedContinuation { continuation in
            let resumed = NIOLockedValueBox(false)
            let resume: @Sendable (Bool) -> Void = { value in
                let first = resumed.withLockedValue { done -> Bool in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            socket.onOpen { resume(true) }
            socket.onClose { _ in resume(false) }
        }
    }

    // MARK: - Process measurements (Linux /proc)

    /// Raises the soft (and, when allowed, hard) open file limit to at least `wanted`.
    static func raiseDescriptorLimit(to wanted: UInt64) throws -> UInt64 {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { throw SoakFailure("getrlimit failed") }
        if limits.rlim_cur >= wanted { return UInt64(limits.rlim_cur) }
        limits.rlim_cur = rlim_t(wanted)
        if limits.rlim_max < limits.rlim_cur { limits.rlim_max = limits.rlim_cur }
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else {
            throw SoakFailure("cannot raise the open file limit to \(wanted): \(String(cString: strerror(errno)))")
        }
        return wanted
    }

    /// VmRSS in bytes.
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmRSS:") else { continue }
            let digits = text.dropFirst(6).filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }

    /// VmRSS after handing the allocator's free pages back to the kernel: what is still in use,
    /// not what glibc keeps cached.
    static func trimmedResidentBytes() -> Int {
        // glibc's malloc_trim, which the Glibc module does not export.
        typealias MallocTrim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(nil, "malloc_trim") { _ = unsafeBitCast(symbol, to: MallocTrim.self)(0) }
        return residentBytes()
    }

    /// Heap bytes in use over all of glibc's arenas, memory mapped chunks included: what the
    /// system handed the allocator minus what the allocator holds free (`malloc_info`'s totals).
    static func heapBytesInUse() throws -> Int {
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(nil, "malloc_info") else { throw SoakFailure("malloc_info is not available") }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        guard let stream = open_memstream(&buffer, &length) else { throw SoakFailure("open_memstream failed") }
        let status = unsafeBitCast(symbol, to: MallocInfo.self)(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard status == 0, let buffer else { throw SoakFailure("malloc_info failed") }
        return try MallocInfoTotals(xml: String(cString: buffer)).inUse
    }

    /// Bytes as MiB with one decimal.
    static func mebibytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The entries of /proc/self/fd (open descriptors, sockets included).
    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { count += 1 }
        }
        return count - 1  // the directory stream's own descriptor
    }
}

/// Weak references to WebSockets, to see that each is freed.
final class Registry: Sendable {
    private struct Entry {
        weak var socket: WebSocket?
    }
    private let entries = NIOLockedValueBox([Entry]())

    func add(_ socket: WebSocket) {
        entries.withLockedValue { $0.append(Entry(socket: socket)) }
    }

    /// How many are still alive; forgets the freed ones.
    var alive: Int {
        entries.withLockedValue { entries in
            entries.removeAll { $0.socket == nil }
            return entries.count
        }
    }
}

struct SoakFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
