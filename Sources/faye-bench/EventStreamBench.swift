import EventStream
import FayeEventSource
import FayeWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-bench eventstream`: the EventSource client.
///
/// - In memory: `EventStreamParser` over a stream of `event:`/`id:`/`data:` events, fed in
///   64 KiB chunks, against the floor of any event-stream parser: `memchr` finding each LF in
///   the same bytes (no CR handling, no fields, no strings). GB/s of stream text.
/// - End to end on loopback: a `FayeServer` queues events as fast as it can; an
///   ``EventSourceClient`` with a message listener receives them, against a raw NIO client that
///   only counts blank lines in what it reads. Events per second, and the CPU time of the
///   client's event loop thread per 10,000 events (the share of one core that 10,000 events/s
///   cost; under 1 is under one core).
struct EventStreamBench {
    let settings: BenchSettings

    static let payloadSizes = [32, 1024, 16 * 1024]
    static let chunkSize = 64 * 1024

    func run(into report: Report) async throws {
        let parseCases = Self.payloadSizes.map { ($0, false) } + [(1024, true)]
        for (size, prose) in parseCases where settings.includes(Self.parseName(size, prose: prose)) {
            let stream = Self.stream(payload: size, prose: prose, totalBytes: settings.quick ? 1 << 20 : 16 << 20)
            let result = Measure.alternating(
                repetitions: settings.repetitions,
                ours: { Measure.rate(minimumSeconds: settings.minimumSeconds) { Self.parse(stream) } },
                reference: { Measure.rate(minimumSeconds: settings.minimumSeconds) { Self.scanLines(stream) } })
            report.add(
                BenchRow(
                    bench: "eventstream", name: Self.parseName(size, prose: prose), ours: result.ours / 1e9,
                    reference: result.reference / 1e9, unit: "GB/s", higherIsBetter: true,
                    referenceName: "memchr for LF (line ends only)"))
        }
        let name = "text 32 B events end to end"
        guard settings.includes(name) else { return }
        let events = settings.quick ? 20_000 : 200_000
        var ours: [EndToEnd] = []
        var reference: [EndToEnd] = []
        for index in 0..<settings.repetitions {
            if index % 2 == 0 {
                ours.append(try await Self.endToEnd(events: events, rawClient: false))
                reference.append(try await Self.endToEnd(events: events, rawClient: true))
            } else {
                reference.append(try await Self.endToEnd(events: events, rawClient: true))
                ours.append(try await Self.endToEnd(events: events, rawClient: false))
            }
        }
        report.add(
            BenchRow(
                bench: "eventstream", name: name, ours: Measure.median(ours.map(\.eventsPerSecond)),
                reference: Measure.median(reference.map(\.eventsPerSecond)), unit: "events/s", higherIsBetter: true,
                referenceName: "raw NIO client counting blank lines"))
        report.add(
            BenchRow(
                bench: "eventstream", name: name + " client CPU", ours: Measure.median(ours.map(\.cpuPer10k)),
                reference: Measure.median(reference.map(\.cpuPer10k)), unit: "CPU s per 10k events",
                higherIsBetter: false, referenceName: "raw NIO client counting blank lines"))
    }

    static func parseName(_ size: Int, prose: Bool) -> String {
        "text \(Size.label(size)) events" + (prose ? " prose" : " json")
    }

    /// Events of `payload` bytes of data, with a type and an id each, up to about `totalBytes`:
    /// JSON (ASCII, what APIs send), or prose with about one word in twenty non-ASCII.
    static func stream(payload: Int, prose: Bool, totalBytes: Int) -> [UInt8] {
        let data = prose ? Payloads.text(count: payload).map { $0 == 0x0A ? UInt8(ascii: " ") : $0 } : json(payload)
        var stream: [UInt8] = []
        stream.reserveCapacity(totalBytes + payload + 64)
        var id = 0
        while stream.count < totalBytes {
            id += 1
            stream += Array("event: token\nid: \(id)\ndata: ".utf8)
            stream += data
            stream += [0x0A, 0x0A]
        }
        return stream
    }

    /// A JSON object of exactly `count` bytes (at least 16), such as an API streams.
    static func json(_ count: Int) -> [UInt8] {
        let prefix = Array(#"{"id":7,"delta":{"content":""#.utf8)
        let suffix = Array(#""},"done":false}"#.utf8)
        let fill = Swift.max(0, count - prefix.count - suffix.count)
        let words = Array("tokens arrive one at a time ".utf8)
        let body = (0..<fill).map { words[$0 % words.count] }
        return Array((prefix + body + suffix).suffix(count))
    }

    /// One pass of our parser; returns the bytes parsed.
    static func parse(_ stream: [UInt8]) -> Double {
        var parser = EventStreamParser(limits: EventStreamParser.Limits(maxLineLength: 1 << 20))
        var outputs: [EventStreamParser.Output] = []
        outputs.reserveCapacity(2048)
        var dispatched = 0
        stream.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunkSize)
                try? parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), into: &outputs)
                dispatched += outputs.count
                outputs.removeAll(keepingCapacity: true)
                offset = end
            }
        }
        precondition(dispatched > 0)
        return Double(stream.count)
    }

    /// One pass of the reference: `memchr` for each LF; returns the bytes scanned.
    static func scanLines(_ stream: [UInt8]) -> Double {
        var lines = 0
        stream.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var cursor = base
            let end = base + bytes.count
            while cursor < end, let found = memchr(cursor, 0x0A, end - cursor) {
                lines += 1
                cursor = UnsafeRawPointer(found) + 1
            }
        }
        precondition(lines > 0)
        return Double(stream.count)
    }

    struct EndToEnd {
        var eventsPerSecond: Double
        var cpuPer10k: Double
    }

    /// Serves `events` 32-byte events from a fresh server and receives them with one client;
    /// the client's loop thread CPU and the wall time from the request to the last event.
    static func endToEnd(events: Int, rawClient: Bool) async throws -> EndToEnd {
        var logger = Logger(label: "bench.eventstream")
        logger.logLevel = .error
        var configuration = FayeServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.threads = 1
        let data = String(repeating: "x", count: 32)
        let streamOptions = EventSourceOptions.withoutRetry
        let server = FayeServer(configuration: configuration, logger: logger) { request in
            guard request.isEventSource else { return ServerResponse(status: 404, text: "") }
            return .eventSource(options: streamOptions) { source in
                for id in 1...events { try? source.send(data, event: "token", id: String(id)) }
            }
        }
        try await server.start()
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = clients.next()
        guard let port = server.localAddress?.port else {
            try await clients.shutdownGracefully()
            throw BenchError("the event-stream server has no port")
        }
        let done = loop.makePromise(of: Void.self)
        let cpuBefore = try await loop.submit { Measure.threadCPUSeconds() }.get()
        let started = Measure.nanoseconds()
        let close: @Sendable () -> Void
        if rawClient {
            let channel = try await ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(BlankLineCounter(target: events, done: done))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            var request = channel.allocator.buffer(capacity: 128)
            request.writeString("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
            try await channel.writeAndFlush(request)
            close = { channel.close(promise: nil) }
        } else {
            var options = EventSourceClientOptions()
            options.connection.eventLoopGroup = loop
            options.eventBufferLimit = 1024
            let source = EventSourceClient(url: "http://127.0.0.1:\(port)/", options: options)
            let received = NIOLockedValueBox(0)
            source.addEventListener("token") { _ in
                let count = received.withLockedValue { count -> Int in
                    count += 1
                    return count
                }
                if count == events { done.succeed() }
            }
            close = { source.close() }
        }
        try await done.futureResult.get()
        let wall = Double(Measure.nanoseconds() - started) / 1e9
        let cpu = try await loop.submit { Measure.threadCPUSeconds() }.get() - cpuBefore
        close()
        try await server.shutdown()
        try await clients.shutdownGracefully()
        return EndToEnd(eventsPerSecond: Double(events) / wall, cpuPer10k: cpu / Double(events) * 10_000)
    }
}

/// Counts the events of a raw event stream by its blank lines (`\r\n\r\n`, as `FayeServer` writes).
private final class BlankLineCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let target: Int
    private let done: EventLoopPromise<Void>
    private var seen = 0
    /// The last bytes of the previous read, for a blank line split across reads.
    private var tail: [UInt8] = []

    init(target: Int, done: EventLoopPromise<Void>) {
        self.target = target
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let pattern: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
        buffer.withUnsafeReadableBytes { bytes in
            var window = tail
            for byte in bytes.prefix(3) { window.append(byte) }
            seen += window.windows(ofCount: 4, matching: pattern)
            var index = 0
            while index + 4 <= bytes.count {
                if bytes[index + 3] != 0x0A {
                    index += bytes[index + 3] == 0x0D ? 1 : 4
                    continue
                }
                if bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D { seen += 1 }
                index += 1
            }
            tail = Array(bytes.suffix(3))
        }
        // The response head ends in a blank line too.
        if seen - 1 >= target { done.succeed() }
    }
}

extension Array where Element == UInt8 {
    /// How many times `pattern` occurs in this short array.
    fileprivate func windows(ofCount count: Int, matching pattern: [UInt8]) -> Int {
        guard self.count >= count else { return 0 }
        return (0...(self.count - count)).filter { Array(self[$0..<($0 + count)]) == pattern }.count
    }
}

extension EventSourceOptions {
    /// No initial `retry:` field: the stream is only the events.
    fileprivate static var withoutRetry: EventSourceOptions {
        var options = EventSourceOptions()
        options.retry = nil
        return options
    }
}
