/// The `peers` benchmark in `Docs/Performance.md`: its targets and the "Against the field"
/// section (a table per unit with every server side by side, and how it is measured).
extension PerformanceDocument {
    /// A `peers` row: `item` measured against `peer`, in `unit`.
    private func fieldRow(_ item: EchoBench.Case, _ peer: PeerServer, _ unit: String) -> BenchRow? {
        let name = PeersBench.caseName(item, against: peer)
        return rows.first { $0.bench == "peers" && $0.name == name && $0.unit == unit }
    }

    /// The share of its core `server` used while measured in `item` (CPU per message ×
    /// messages per second, both medians, so an estimate).
    private func serverBusy(_ item: EchoBench.Case, _ server: PeerServer) -> Double? {
        let peer = server == .ours ? PeerServer.c : server
        guard let rate = fieldRow(item, peer, "msgs/s"), let cpu = fieldRow(item, peer, PeersBench.cpuUnit) else {
            return nil
        }
        return server == .ours ? rate.ours * cpu.ours / 1e9 : rate.reference * cpu.reference / 1e9
    }

    /// The C ceiling at 32 B, 100 × 8, and staying ahead of the field in every case.
    var fieldTargets: [Target] {
        var targets: [Target] = []
        let ceilingCase = EchoBench.Case(size: 32, connections: 100, inFlight: 8, deflate: false)
        let description = "echo: ≥ 0.8× a minimal C echo server's msgs/s, 32 B, 100x8"
        if let row = fieldRow(ceilingCase, .c, "msgs/s") {
            var measured =
                "\(Format.ratio(row.ratio)) (\(Format.figure(row.ours)) vs \(Format.figure(row.reference)) msgs/s)"
            // The ratio says something about the servers only when the C server's core was the
            // limit; otherwise it is the load generator's (or the machine's) ceiling for both.
            if let busy = serverBusy(ceilingCase, .c), busy < 0.9 {
                measured +=
                    "; not judged: the C server's core was \(Format.fixed(busy * 100, decimals: 0)) % busy, so "
                    + "the load generator, not the server, set this figure (see the CPU target)"
            }
            let serverBound = serverBusy(ceilingCase, .c).map { $0 >= 0.9 } ?? true
            targets.append(
                Target(description: description, measured: measured, reached: serverBound ? row.ratio >= 0.8 : nil))
        } else {
            targets.append(Target(description: description, measured: "not measured", reached: nil))
        }
        // The same comparison in server CPU time: what the msgs/s target measures when the
        // server's core is the limit, and still meaningful when the load generator is.
        let cpuDescription = "echo: ≥ 0.8× a minimal C echo server's msgs per server CPU-second, 32 B, 100x8"
        if let row = fieldRow(ceilingCase, .c, PeersBench.cpuUnit) {
            targets.append(
                Target(
                    description: cpuDescription,
                    measured:
                        "\(Format.ratio(row.ratio)) (\(Format.figure(1e9 / row.ours)) vs "
                        + "\(Format.figure(1e9 / row.reference)) msgs per CPU-second)",
                    reached: row.ratio >= 0.8))
        } else {
            targets.append(Target(description: cpuDescription, measured: "not measured", reached: nil))
        }
        let rivals: [PeerServer] = [.node, .gorilla, .nio]
        for item in PeersBench.cases {
            let description =
                "echo: ahead of node ws / gorilla / NIO in msgs/s, each its own pinned process (\(item.name))"
            let found = rivals.compactMap { fieldRow(item, $0, "msgs/s") }
            guard found.count == rivals.count else {
                targets.append(Target(description: description, measured: "not measured", reached: nil))
                continue
            }
            let measured = zip(rivals, found).map { "\(Format.ratio($1.ratio)) \($0.label)" }
            targets.append(
                Target(
                    description: description, measured: measured.joined(separator: ", "),
                    reached: found.allSatisfy { $0.ratio > 1 }))
        }
        return targets
    }

    /// The "Against the field" section; empty when the run had no `peers` rows.
    var fieldSection: String {
        guard rows.contains(where: { $0.bench == "peers" }) else { return "" }
        var text = "## Against the field\n\n"
        text += fieldTable(unit: "msgs/s", title: "echoed messages per second, higher is better")
        text += fieldTable(
            unit: PeersBench.cpuUnit, title: "server CPU time (user + system) per echoed message, lower is better")
        text += busyTable
        text += Self.fieldExplanation
        return text
    }

    /// How busy each server's core was: near 100 % the server was the limit, well below it the
    /// load generator (or the round trip, or other work on the machine) was.
    private var busyTable: String {
        let servers = [PeerServer.ours] + PeerServer.references
        var text = "server core busy while measured (CPU per message × messages per second, %):\n\n"
        text += "| case | " + servers.map(\.label).joined(separator: " | ") + " |\n"
        text += "| --- |" + String(repeating: " ---: |", count: servers.count) + "\n"
        for item in PeersBench.cases where fieldRow(item, .c, "msgs/s") != nil {
            let figures = servers.map { serverBusy(item, $0).map { Format.fixed($0 * 100, decimals: 0) } ?? "-" }
            text += "| \(item.name) | " + figures.joined(separator: " | ") + " |\n"
        }
        return text + "\n"
    }

    /// One row per case, one column per server, and ours against the C ceiling.
    private func fieldTable(unit: String, title: String) -> String {
        let servers = [PeerServer.ours] + PeerServer.references
        var text = "\(title) (\(unit)):\n\n"
        text += "| case | " + servers.map(\.label).joined(separator: " | ") + " | faye-server vs C |\n"
        text += "| --- |" + String(repeating: " ---: |", count: servers.count + 1) + "\n"
        for item in PeersBench.cases {
            let found = PeerServer.references.map { fieldRow(item, $0, unit) }
            guard let first = found.compactMap({ $0 }).first else { continue }
            let figures = [first.ours] + found.map { $0?.reference ?? .nan }
            let ceiling = fieldRow(item, .c, unit).map { Format.ratio($0.ratio) } ?? "-"
            text += "| \(item.name) | " + figures.map { Format.figure($0) }.joined(separator: " | ")
            text += " | \(ceiling) |\n"
        }
        return text + "\n"
    }

    static let fieldExplanation = """
        How it is measured (`faye-bench peers`, part of `faye-bench all`): the same load
        generator as **echo** (our client driver, N connections × M text messages in flight, the
        same messages, 0.25 s of warm-up and 1 s measured) runs on an event loop thread pinned to
        one core, against five servers, each a process of its own started through `taskset` so
        that it and every thread it makes run on one other core (the benchmark checks the
        process's allowed cores before measuring):

        - **faye-server**: `FayeServer` with `faye-server`'s echo handler, one event loop
          (`faye-bench idle-probe --server ours`, the same server as in **echo**);
        - **raw NIO**: the plain NIO echo server of **echo** (`idle-probe --server nio`);
        - **Go gorilla/websocket** (`Benchmarks/peers/gorilla-echo/main.go`, Debian's Go and
          gorilla/websocket, GOPATH mode): its echo example, `ReadMessage` then `WriteMessage`,
          default buffers, GOMAXPROCS 1 from the pinning;
        - **node ws** (`Benchmarks/peers/ws-echo.js`, Debian's node-ws): `socket.send` of each
          message received, its defaults (no compression, text validated as UTF-8);
        - **C echo server** (`Benchmarks/peers/c-echo.c`, `cc -O2`): the ceiling, a measuring
          instrument only. One thread, epoll, the opening handshake and nothing else of HTTP,
          frames unmasked eight bytes at a time straight into the output, echoed frame by frame,
          one `write` per `read`, no UTF-8 validation, no extensions, no limits.

        The Go and C servers are compiled from their sources at the start of every run. Each
        repetition runs every server once, starting with a different one each time (so none
        always goes first); the figures are medians over the repetitions. CPU time is the
        server process's time on a CPU, every thread, user and system (the kernel's
        `/proc/PID/task/*/schedstat`, in nanoseconds; `/proc/PID/stat`'s clock ticks where there
        is no schedstat), read as the measured window opens and closes, divided by the messages
        echoed in it. When the server's core is saturated (100 × 8), msgs/s and CPU per message say
        the same thing; when it is not (the load generator, a single thread of our client
        driver, is the limit, or other work on the machine takes the cores), msgs/s is the load
        generator's ceiling for every fast server alike and only CPU per message still shows
        what each server costs. The busy table says which case this run was in; `faye-bench
        peers` also prints, for every run, how busy the server's core and the load generator's
        thread were. The `peers` table above has the same figures as ratios, case by case.


        """
}
