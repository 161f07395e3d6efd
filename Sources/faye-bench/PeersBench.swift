/// `faye-bench peers`: the echo matrix of `faye-bench echo` (text 32 B and 16 KiB, 1 connection
/// × 64 in flight and 100 × 8, no deflate) against faye-server's echo, the raw NIO echo server,
/// Go gorilla/websocket, node ws, the NIO floor (the C server's work on NIO) and a minimal C echo
/// server (the ceiling).
///
/// Every server is a process of its own pinned to one core (``PinnedServerProcess``); the load
/// generator is the C one (``CLoadGenerator``, `Benchmarks/peers/c-load.c`), a process pinned
/// to another core. Not `echo`'s load generator (our client driver on an event loop): that costs
/// about twice the C echo server's CPU per message, so at 32 B it, not the server, set msgs/s
/// for every fast server. Each repetition runs every server once, starting with a different
/// server each time; the figures are medians. Beside msgs/s, each server's CPU time over the
/// measured window (user + system, every thread) per echoed message, and the generator's own:
/// when a server's core is not the limit, msgs/s says little and CPU per message still tells
/// the servers apart.
struct PeersBench {
    let settings: BenchSettings
    /// Where `c-echo.c`, `c-load.c`, `gorilla-echo/main.go` and `ws-echo.js` are.
    var sourceDirectory = PeerPrograms.defaultSourceDirectory

    /// One server's figures from one repetition.
    struct Sample {
        var messagesPerSecond: Double
        var cpuNanosecondsPerMessage: Double
        var loadCPUNanosecondsPerMessage: Double
        /// Shares of the window: the server's threads on a CPU, and on a CPU or waiting for one
        /// (nil when the kernel does not say); the same for the load generator.
        var serverBusy: Double
        var serverRunnable: Double?
        var loadBusy: Double
        var loadRunnable: Double?
    }

    /// The unit of the CPU rows.
    static let cpuUnit = "server CPU ns/msg"
    /// The unit of the load generator's CPU rows.
    static let loadCPUUnit = "load generator CPU ns/msg"
    /// The unit of the rows saying how much of the window the server's threads were on a CPU or
    /// waiting on a run queue (summed over threads, so above 100 % for some multi-threaded ones).
    static let runnableUnit = "server runnable % of the window"
    /// The reference column's name in the tables (each case names its peer).
    static let referenceName = "peer (named in the case)"

    static var cases: [EchoBench.Case] { EchoBench.cases.filter { !$0.deflate } }

    /// The report's case name for `item` measured against `peer`.
    static func caseName(_ item: EchoBench.Case, against peer: PeerServer) -> String {
        "\(item.name) vs \(peer.label)"
    }

    func run(into report: Report) throws {
        let plan = try CorePlan.current()
        Progress.note("peers: \(plan)")
        let programs = try PeerPrograms.build(sources: sourceDirectory)
        var servers: [(PeerServer, PinnedServerProcess)] = []
        // Stops every started server, also when one fails to start or a run fails.
        defer { for (_, process) in servers { process.stop() } }
        for server in PeerServer.allCases {
            servers.append((server, try server.start(programs: programs, core: plan.server)))
        }
        let generator = CLoadGenerator(program: programs.cLoad)
        for item in Self.cases where settings.includes(item.name) {
            let samples = try measure(item, servers: servers, generator: generator, core: plan.load)
            summarize(item, samples)
            addRows(item, samples, into: report)
        }
    }

    private func measure(
        _ item: EchoBench.Case, servers: [(PeerServer, PinnedServerProcess)], generator: CLoadGenerator, core: Int
    ) throws -> [PeerServer: [Sample]] {
        var samples: [PeerServer: [Sample]] = [:]
        for index in 0..<settings.repetitions {
            // Each repetition starts with the next server, so that none always runs first.
            let shift = index % servers.count
            for (server, process) in servers[shift...] + servers[..<shift] {
                func once() throws -> Sample? {
                    try measureOnce(item, server: server, process: process, generator: generator, core: core)
                }
                var sample = try once()
                if sample == nil {
                    // On a busy shared core a server can be starved for a whole short window;
                    // one that echoes nothing twice in a row is broken.
                    Progress.note("peers \(item.name): \(server.label) echoed nothing in the window; measuring again")
                    sample = try once()
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
        _ item: EchoBench.Case, server: PeerServer, process: PinnedServerProcess, generator: CLoadGenerator,
        core: Int
    ) throws -> Sample? {
        // The same message, warm-up and window as `faye-bench echo` (LoadRun.alternating).
        let result: CLoadGenerator.Result
        do {
            result = try generator.run(
                port: process.port, connections: item.connections, inFlight: item.inFlight,
                payload: Payloads.text(count: item.size, seed: 5), warmup: settings.quick ? 0.05 : 0.25,
                seconds: settings.quick ? 0.15 : 1.0, serverPID: process.pid, core: core)
        } catch {
            throw BenchError("peers \(item.name) against \(server.label): \(error)")
        }
        guard result.messages > 0, result.seconds > 0 else { return nil }
        let window = result.seconds
        let sample = Sample(
            messagesPerSecond: result.messagesPerSecond,
            cpuNanosecondsPerMessage: result.serverCPUSeconds * 1e9 / Double(result.messages),
            loadCPUNanosecondsPerMessage: result.loadCPUSeconds * 1e9 / Double(result.messages),
            serverBusy: result.serverCPUSeconds / window,
            serverRunnable: result.serverWaitSeconds.map { (result.serverCPUSeconds + $0) / window },
            loadBusy: result.loadCPUSeconds / window,
            loadRunnable: result.loadWaitSeconds.map { (result.loadCPUSeconds + $0) / window })
        // Which side was the limit: a process on its CPU or waiting for it (runnable) all the
        // window long never waited for its peer; busy (on its CPU) is what it got of its core.
        Progress.note(
            "peers \(item.name) \(server.label): \(Format.figure(result.messagesPerSecond)) msgs/s, "
                + "p50 \(Format.figure(result.p50Microseconds)) µs, p99 \(Format.figure(result.p99Microseconds)) µs; "
                + "server \(Format.figure(sample.cpuNanosecondsPerMessage)) ns/msg, "
                + "core \(Self.shares(sample.serverBusy, sample.serverRunnable)); "
                + "load generator \(Format.figure(sample.loadCPUNanosecondsPerMessage)) ns/msg, "
                + "core \(Self.shares(sample.loadBusy, sample.loadRunnable))")
        return sample
    }

    /// "B % busy, R % runnable" (R: on the CPU or waiting on its run queue).
    private static func shares(_ busy: Double, _ runnable: Double?) -> String {
        func percent(_ share: Double) -> String { Format.fixed(share * 100, decimals: 0) + " %" }
        return "\(percent(busy)) busy" + (runnable.map { ", \(percent($0)) runnable" } ?? "")
    }

    /// The medians of one case, server by server: which core was the limit.
    private func summarize(_ item: EchoBench.Case, _ samples: [PeerServer: [Sample]]) {
        for server in PeerServer.allCases {
            let list = samples[server] ?? []
            guard !list.isEmpty else { continue }
            func median(_ values: [Double?]) -> Double? {
                let known = values.compactMap { $0 }
                return known.count == values.count ? Measure.median(known) : nil
            }
            let serverShares = Self.shares(
                Measure.median(list.map(\.serverBusy)), median(list.map(\.serverRunnable)))
            let loadShares = Self.shares(Measure.median(list.map(\.loadBusy)), median(list.map(\.loadRunnable)))
            Progress.note(
                "peers \(item.name) \(server.label), medians: "
                    + "\(Format.figure(Measure.median(list.map(\.messagesPerSecond)))) msgs/s; "
                    + "server \(Format.figure(Measure.median(list.map(\.cpuNanosecondsPerMessage)))) ns/msg, "
                    + "core \(serverShares); load generator "
                    + "\(Format.figure(Measure.median(list.map(\.loadCPUNanosecondsPerMessage)))) ns/msg, "
                    + "core \(loadShares)")
        }
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
        // Which side was the limit (medians; only where the kernel reports run-queue waits).
        let runnable = [PeerServer.ours] + PeerServer.references
        let shares = runnable.map { server in (samples[server] ?? []).compactMap(\.serverRunnable) }
        if shares.allSatisfy({ !$0.isEmpty }) {
            for peer in PeerServer.references {
                report.add(
                    BenchRow(
                        bench: "peers", name: Self.caseName(item, against: peer),
                        ours: Measure.median(shares[0]) * 100,
                        reference: Measure.median(shares[runnable.firstIndex(of: peer) ?? 0]) * 100,
                        unit: Self.runnableUnit, higherIsBetter: true, referenceName: Self.referenceName,
                        compared: false))
            }
        }
        // The instrument's own cost, loading faye-server (ours) and the peer (reference).
        for peer in PeerServer.references {
            report.add(
                BenchRow(
                    bench: "peers", name: Self.caseName(item, against: peer),
                    ours: median(.ours, \.loadCPUNanosecondsPerMessage),
                    reference: median(peer, \.loadCPUNanosecondsPerMessage),
                    unit: Self.loadCPUUnit, higherIsBetter: false, referenceName: Self.referenceName,
                    compared: false))
        }
    }
}
