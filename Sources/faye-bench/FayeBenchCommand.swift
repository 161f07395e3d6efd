import ArgumentParser

/// `faye-bench`: the driver and the server measured against NIO's own WebSocket stack, in one
/// run (DESIGN §3). Every row puts our figure beside the reference's, with their ratio (> 1
/// means we are better), as the median of several repetitions that alternate between the two.
@main
struct FayeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-bench",
        abstract: "Speed and memory of swift-faye against NIO's WebSocket stack, side by side in one run.",
        subcommands: [
            ParseCommand.self, FrameCommand.self, DeflateCommand.self, EchoCommand.self, HostsCommand.self,
            IdleCommand.self, EventStreamCommand.self, HTTP2Command.self, BombCommand.self,
            PeersCommand.self,
            AllCommand.self, IdleProbeCommand.self,
        ]
    )
}

/// The options every benchmark subcommand takes.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Short runs with one repetition: checks that the benchmark works (for CI), figures are rough.")
    var quick = false

    @Flag(help: "One JSON object per line for each row instead of tables.")
    var json = false

    @Option(help: "Repetitions per case; the median is reported (default 5, 1 with --quick).")
    var repetitions: Int?

    @Option(name: .customLong("case"), help: "Only the cases whose name starts with this (for example 'text 64 KiB').")
    var caseFilter: String?

    func validate() throws {
        if let repetitions, repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
    }

    /// The settings the benchmarks run with.
    var settings: BenchSettings {
        BenchSettings(quick: quick, repetitions: repetitions ?? (quick ? 1 : 5), caseFilter: caseFilter)
    }
}

/// How long and how often each benchmark measures.
struct BenchSettings: Sendable {
    var quick: Bool
    var repetitions: Int
    /// Only the cases whose name starts with this, when set.
    var caseFilter: String?

    func includes(_ name: String) -> Bool {
        caseFilter.map { name.hasPrefix($0) } ?? true
    }

    /// The least CPU time one repetition of a micro-benchmark runs for.
    var minimumSeconds: Double { quick ? 0.01 : 0.25 }
}

struct ParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse", abstract: "Parsing masked client frames (and unmasked server frames) in 64 KiB chunks.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        ParseBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct FrameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frame", abstract: "Building outgoing frames: server (unmasked) and client (masked).")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        FrameBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct DeflateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deflate", abstract: "permessage-deflate compress + inflate against zlib called directly.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        try DeflateBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo round trips through faye-server's echo handler and a plain NIO echo server.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        try await EchoBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Echo through faye-vapor-demo and faye-hummingbird-demo against faye-server (each its own process).")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        try await HostBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "Server memory per idle open connection (each server in its own process).")
    @OptionGroup var options: BenchOptions

    @Option(help: "Idle connections to open (default 10000, 500 with --quick).")
    var connections: Int?

    func run() async throws {
        let report = Report(json: options.json)
        try IdleBench(settings: options.settings, connections: connections).run(into: report)
        report.printTables()
    }
}

struct EventStreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventstream",
        abstract: "The EventSource client: parsing in memory against memchr, and events end to end on loopback.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        try await EventStreamBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct HTTP2Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http2",
        abstract:
            "WebSocket echo over HTTP/2 against HTTP/1.1 with TLS, and server memory per EventSource stream over h2 against HTTP/1.1."
    )
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        try await HTTP2Bench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct BombCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bomb",
        abstract: "Server memory while a peer sends a decompression bomb or an endless message, and after it.")
    @OptionGroup var options: BenchOptions

    func run() async throws {
        let report = Report(json: options.json)
        try BombBench(settings: options.settings).run(into: report)
        report.printTables()
    }
}

struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Runs every benchmark; --write-docs regenerates Docs/Performance.md and the README summary.")
    @OptionGroup var options: BenchOptions

    @Option(
        name: .customLong("write-docs"), help: "The package root whose Docs/Performance.md and README.md to update.")
    var writeDocs: String?

    func run() async throws {
        let report = Report(json: options.json)
        let settings = options.settings
        let machine = MachineState.capture()
        let started = ContinuousClock.now
        ParseBench(settings: settings).run(into: report)
        FrameBench(settings: settings).run(into: report)
        try DeflateBench(settings: settings).run(into: report)
        try await EchoBench(settings: settings).run(into: report)
        try PeersBench(settings: settings).run(into: report)
        try await HostBench(settings: settings).run(into: report)
        try IdleBench(settings: settings, connections: nil).run(into: report)
        try await EventStreamBench(settings: settings).run(into: report)
        try await HTTP2Bench(settings: settings).run(into: report)
        try BombBench(settings: settings).run(into: report)
        report.printTables()
        if let writeDocs {
            let elapsed = ContinuousClock.now - started
            let after = MachineState.capture()
            try PerformanceDocument(
                rows: report.rows, settings: settings, before: machine, after: after, elapsed: elapsed
            ).write(packageRoot: writeDocs)
        }
    }
}
