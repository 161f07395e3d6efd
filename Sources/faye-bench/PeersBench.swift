import NIOCore
import NIOPosix

/// `faye-bench peers`: the echo matrix of `faye-bench echo` (text 32 B and 16 KiB, 1 connection
/// × 64 in flight and 100 × 8, no deflate) against faye-server's echo, the raw NIO echo server,
/// Go gorilla/websocket, node ws and a minimal C echo server (the ceiling).
///
/// Every server is a process of its own pinned to one core (``PinnedServerProcess``); the load
/// generator (``LoadRun``, our client driver) runs in this process on an event loop thread
/// pinned to another core. Each repetition runs every server once, starting with a different
/// server each time; the figures are medians. Beside msgs/s, each server's CPU time over the
/// measured window (user + system, every thread) per echoed message: when the load generator
/// rather than the server's core is the limit, msgs/s is the same for every fast server and
/// this is the figure that still tells them apart.
struct PeersBench {
    let settings: BenchSettings
    /// Where `c-echo.c`, `gorilla-echo/main.go` and `ws-echo.js` are.
    var sourceDirectory = PeerPrograms.defaultSourceDirectory

    /// One server's figures from one repetition.
    struct Sample {
        var messagesPerSecond: Double
        var cpuNanosecondsPerMessage: Double
    }

    /// The unit of the CPU rows.
    static let cpuUnit = "server CPU ns/msg"
    /// The reference column's name in the tables (each case names its peer).
    static let referenceName = "peer (named in the case)"

    static var cases: [EchoBench.Case] { EchoBench.cases.filter { !$0.deflate } }

    /// The report's case name for `item` measured against `peer`.
    static func caseName(_ item: EchoBench.Case, against peer: PeerServer) -> String {
        "\(item.name) vs \(peer.label)"
    }

    func run(into report: Report) async throws {
        let plan = try CorePlan.current()
        Progress.note("peers: \(plan)")
        let programs = try PeerPrograms.build(sources: sourceDirectory)
        var servers: [(PeerServer, PinnedServerProcess)] = []
        // Stops every started server, also when one fails to start or a run fails.
        defer { for (_, process) in servers { process.stop() } }
        for server in PeerServer.allCases {
            servers.append((server, try server.start(programs: programs, core: plan.server)))
        }
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let loop = clients.next()
            try await loop.submit { try CoreAffinity.pinCurrentThread(to: plan.load) }.get()
            for item in Self.cases where settings.includes(item.name) {
                let samples = try await measure(item, servers: servers, loop: loop)
                addRows(item, samples, into: report)
            }
        } catch {
            try? await clients.shutdownGracefully()
            throw error
        }
        try await clients.shutdownGracefully()
    }

    private func measure(
        _ item: EchoBench.Case, servers: [(PeerServer, PinnedServerProcess)], loop: any EventLoop
    ) async throws -> [PeerServer: [Sample]] {
        var samples: [PeerServer: [Sample]] = [:]
        for index in 0..<settings.repetitions {
            // Each repetition starts with the next server, so that none always runs first.
            let shift = index % servers.count
            for (server, process) in servers[shift...] + servers[..<shift] {
                var sample = try await measureOnce(item, server: server, process: process, loop: loop)
                if sample == nil {
                    // On a busy shared core a server can be starved for a whole short window;
                    // one that echoes nothing twice in a row is broken.
                    Progress.note("peers \(item.name): \(server.label) echoed nothing in the window; measuring again")
                    sample = try await measureOnce(item, server: server, process: process, loop: loop)
                }
                guard let sample else {
                    throw BenchError("peers \(item.name): \(server.label) echoed nothing in the measured window, twice")
                }
                samples[server, default: []].append(sample)
            }
        }
        return samples
    }

    /// One load run against one server; nil when it echoed nothing in the measured window.
    private func measureOnce(
        _ item: EchoBench.Case, server: PeerServer, process: PinnedServerProcess, loop: any EventLoop
    ) async throws -> Sample? {
        // The same message, warm-up and window as `faye-bench echo` (LoadRun.alternating).
        let text = String(decoding: Payloads.text(count: item.size, seed: 5), as: UTF8.self)
        let seconds = settings.quick ? 0.15 : 1.0
        let warmup = settings.quick ? 0.05 : 0.25
        let run = LoadRun(
            port: process.port, connections: item.connections, inFlight: item.inFlight,
            message: .text(text), deflate: false, loop: loop)
        let window = ServerCPUWindow(pid: process.pid, name: server.label)
        run.windowObserver = { opening in window.record(opening: opening) }
        let result: LoadRun.Result
        do {
            result = try await run.run(warmup: warmup, seconds: seconds)
        } catch {
            throw BenchError("peers \(item.name) against \(server.label): \(error)")
        }
        let (completed, usage) = try await loop.submit { (run.completed, try window.usage()) }.get()
        guard completed > 0 else { return nil }
        // Which core was the limit: a server at 100 % of its core is measured at its ceiling;
        // below that, the load generator, the round trip or other work on the machine held it
        // back.
        func busy(_ seconds: Double) -> String { Format.fixed(seconds / usage.wallSeconds * 100, decimals: 0) + " %" }
        Progress.note(
            "peers \(item.name) \(server.label): \(Format.figure(result.messagesPerSecond)) msgs/s, "
                + "server core \(busy(usage.serverSeconds)) busy, load generator thread \(busy(usage.loadSeconds))")
        return Sample(
            messagesPerSecond: result.messagesPerSecond,
            cpuNanosecondsPerMessage: usage.serverSeconds * 1e9 / Double(completed))
    }

    private func addRows(_ item: EchoBench.Case, _ samples: [PeerServer: [Sample]], into report: Report) {
        func median(_ server: PeerServer, _ field: KeyPath<Sample, Double>) -> Double {
            Measure.median((samples[server] ?? []).map { $0[keyPath: field] })
        }
        for peer in PeerServer.references {
            report.add(
                BenchRow(
                    bench: "peers", name: Self.caseName(item, against: peer),
                    ours: median(.ours, \.messagesPerSecond), reference: median(peer, \.messagesPerSecond),
                    unit: "msgs/s", higherIsBetter: true, referenceName: Self.referenceName))
        }
        for peer in PeerServer.references {
            report.add(
                BenchRow(
                    bench: "peers", name: Self.caseName(item, against: peer),
                    ours: median(.ours, \.cpuNanosecondsPerMessage),
                    reference: median(peer, \.cpuNanosecondsPerMessage),
                    unit: Self.cpuUnit, higherIsBetter: false, referenceName: Self.referenceName))
        }
    }
}
