#if canImport(Glibc)
    import Glibc
#endif

/// CPU time over the load generator's measured window: the server process's (every thread,
/// ``PinnedServerProcess/cpuSeconds(pid:)``) and the load generator thread's own, read as the
/// window opens and as it closes (``LoadRun/windowObserver``). It runs on the load generator's
/// loop thread and is confined to it.
final class ServerCPUWindow: @unchecked Sendable {
    /// What the window cost.
    struct Usage: Sendable {
        var serverSeconds: Double
        var loadSeconds: Double
        var wallSeconds: Double
    }

    private struct Reading {
        var server: Double
        var load: Double
        var wall: UInt64
    }

    private let pid: pid_t
    private let name: String
    private var opened: Reading?
    private var closed: Reading?
    private var failure: String?

    init(pid: pid_t, name: String) {
        self.pid = pid
        self.name = name
    }

    /// The observer to hand the load run (called on its loop thread).
    func record(opening: Bool) {
        do {
            let reading = Reading(
                server: try PinnedServerProcess.cpuSeconds(pid: pid), load: Measure.threadCPUSeconds(),
                wall: Measure.nanoseconds())
            if opening { opened = reading } else { closed = reading }
        } catch {
            failure = "\(name): \(error)"
        }
    }

    /// The CPU time the server and the load generator used during the window.
    func usage() throws -> Usage {
        if let failure { throw BenchError(failure) }
        guard let opened, let closed else { throw BenchError("\(name): the measured window did not complete") }
        return Usage(
            serverSeconds: closed.server - opened.server, loadSeconds: closed.load - opened.load,
            wallSeconds: Double(closed.wall - opened.wall) / 1e9)
    }
}
