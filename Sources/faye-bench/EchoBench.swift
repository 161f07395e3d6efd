import NIOCore
import NIOPosix
import WebSocketDriver

/// `faye-bench echo`: msgs/s and round-trip latency through faye-server's echo handler and
/// through a plain NIO echo server, with our driver as the load generator on its own thread.
struct EchoBench {
    let settings: BenchSettings

    struct Case {
        var size: Int
        var connections: Int
        var inFlight: Int
        var deflate: Bool

        var name: String {
            "text \(Size.label(size)) \(connections)x\(inFlight)" + (deflate ? " deflate" : "")
        }
    }

    static var cases: [Case] {
        var cases: [Case] = []
        for deflate in [false, true] {
            for (connections, inFlight) in [(1, 64), (100, 8)] {
                for size in [32, 16 * 1024] {
                    cases.append(Case(size: size, connections: connections, inFlight: inFlight, deflate: deflate))
                }
            }
        }
        return cases
    }

    func run(into report: Report) async throws {
        let ours = try await OurEchoServer.start()
        let theirs: NIOBenchServer
        do {
            theirs = try await NIOEchoServer.start()
        } catch {
            try? await ours.shutdown()
            throw error
        }
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            for item in Self.cases where settings.includes(item.name) {
                try await measure(item, ours: ours, theirs: theirs, loop: clients.next(), into: report)
            }
        } catch {
            try? await ours.shutdown()
            try? await theirs.shutdown()
            try? await clients.shutdownGracefully()
            throw error
        }
        try await ours.shutdown()
        try await theirs.shutdown()
        try await clients.shutdownGracefully()
    }

    private func measure(
        _ item: Case, ours: OurEchoServer, theirs: NIOBenchServer, loop: any EventLoop, into report: Report
    ) async throws {
        let (oursResults, theirsResults) = try await LoadRun.alternating(
            item, ports: (ours.port, theirs.port), settings: settings, loop: loop)
        let referenceName = "NIO echo server"
        func median(_ results: [LoadRun.Result], _ field: KeyPath<LoadRun.Result, Double>) -> Double {
            Measure.median(results.map { $0[keyPath: field] })
        }
        report.add(
            BenchRow(
                bench: "echo", name: item.name, ours: median(oursResults, \.messagesPerSecond),
                reference: median(theirsResults, \.messagesPerSecond), unit: "msgs/s", higherIsBetter: true,
                referenceName: referenceName))
        report.add(
            BenchRow(
                bench: "echo", name: item.name, ours: median(oursResults, \.p50Microseconds),
                reference: median(theirsResults, \.p50Microseconds), unit: "µs p50 latency", higherIsBetter: false,
                referenceName: referenceName))
        report.add(
            BenchRow(
                bench: "echo", name: item.name, ours: median(oursResults, \.p99Microseconds),
                reference: median(theirsResults, \.p99Microseconds), unit: "µs p99 latency", higherIsBetter: false,
                referenceName: referenceName))
    }
}
