#if canImport(Glibc)
    import Glibc
#endif

/// Which CPU cores the peer benchmark uses: the servers on one, the load generator on another.
struct CorePlan: Sendable, CustomStringConvertible {
    /// The core every measured server process is pinned to.
    var server: Int
    /// The core the load generator process is pinned to.
    var load: Int

    /// The first two cores this process may run on: load on the first, servers on the second.
    /// With a single allowed core both share it (the figures then include the load generator's
    /// competition for that core, which the description says).
    static func current() throws -> CorePlan {
        let cores = try CoreAffinity.allowedCores()
        guard let first = cores.first else { throw BenchError("sched_getaffinity reported no usable core") }
        return CorePlan(server: cores.count > 1 ? cores[1] : first, load: first)
    }

    var description: String {
        server == load
            ? "server and load generator share core \(server) (only one core allowed)"
            : "server on core \(server), load generator on core \(load)"
    }
}

/// The Linux CPU affinity call, on a bit set of `setBytes` bytes (glibc's `cpu_set_t` size;
/// its macros and this `_GNU_SOURCE` function are not imported into Swift).
enum CoreAffinity {
    static let setBytes = 128

    /// The cores the calling thread may run on, in ascending order.
    static func allowedCores() throws -> [Int] {
        var set = [UInt8](repeating: 0, count: setBytes)
        guard schedGetAffinity(0, setBytes, &set) == 0 else {
            throw BenchError("sched_getaffinity failed: errno \(errno)")
        }
        return (0..<(setBytes * 8)).filter { set[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
    }
}

/// glibc's `sched_getaffinity` (declared only under `_GNU_SOURCE`).
@_silgen_name("sched_getaffinity")
private func schedGetAffinity(_ pid: pid_t, _ size: Int, _ mask: UnsafeMutablePointer<UInt8>) -> Int32
