import ArgumentParser

/// `faye-bench peers`: see ``PeersBench``.
struct PeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract:
            "Echo against raw NIO, Go gorilla/websocket, node ws, the NIO floor and a minimal C server, each a process pinned to one core, loaded by a C client pinned to another."
    )
    @OptionGroup var options: BenchOptions

    @Option(
        name: .customLong("peers-directory"),
        help:
            "Where the peer servers' sources are (default: Benchmarks/peers of the checkout faye-bench was built from)."
    )
    var peersDirectory: String?

    func run() async throws {
        let report = Report(json: options.json)
        var bench = PeersBench(settings: options.settings)
        if let peersDirectory { bench.sourceDirectory = peersDirectory }
        try bench.run(into: report)
        report.printTables()
    }
}
