import NIOCore
import NIOPosix
import PermessageDeflate
import WebSocketDriver

/// The echo benchmark's load: `connections` WebSocket clients built on our driver, each keeping
/// `inFlight` messages outstanding, on one event loop thread of their own.
///
/// Everything mutable here lives on that loop; the caller reads the results only after the run
/// has completed on it.
final class LoadRun: @unchecked Sendable {
    struct Result {
        var messagesPerSecond: Double
        var p50Microseconds: Double
        var p99Microseconds: Double
    }

    let port: Int
    let connections: Int
    let inFlight: Int
    let message: WebSocketMessage
    let deflate: Bool
    let loop: any EventLoop

    // Loop-confined state.
    var measuring = false
    var stopped = false
    var completed = 0
    var latencies: [Double] = []
    var opened = 0
    var failure: String?
    var openPromise: EventLoopPromise<Void>
    var channels: [any Channel] = []

    init(port: Int, connections: Int, inFlight: Int, message: WebSocketMessage, deflate: Bool, loop: any EventLoop) {
        self.port = port
        self.connections = connections
        self.inFlight = inFlight
        self.message = message
        self.deflate = deflate
        self.loop = loop
        self.openPromise = loop.makePromise()
    }

    /// Connects, waits until every connection is open, measures for `seconds` after a
    /// `warmup`, then closes the connections.
    func run(warmup: Double, seconds: Double) async throws -> Result {
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LoadClientHandler(run: self))
                }
            }
        do {
            for _ in 0..<connections {
                let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
                try await loop.submit { self.channels.append(channel) }.get()
            }
            try await openPromise.futureResult.get()
            try await loop.scheduleTask(in: .nanoseconds(Int64(warmup * 1e9))) {
                self.measuring = true
                self.completed = 0
                self.latencies.removeAll(keepingCapacity: true)
            }.futureResult.get()
            let start = Measure.nanoseconds()
            let count = try await loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                self.measuring = false
                self.stopped = true
                return self.completed
            }.futureResult.get()
            let elapsed = Double(Measure.nanoseconds() - start) / 1e9
            try await closeAll()
            if let failure { throw BenchError(failure) }
            let sorted = try await loop.submit { self.latencies.sorted() }.get()
            return Result(
                messagesPerSecond: Double(count) / elapsed,
                p50Microseconds: Measure.percentile(sorted, 0.50) / 1000,
                p99Microseconds: Measure.percentile(sorted, 0.99) / 1000)
        } catch {
            try? await closeAll()
            throw error
        }
    }

    private func closeAll() async throws {
        let channels = try await loop.submit {
            self.stopped = true
            defer { self.channels = [] }
            return self.channels
        }.get()
        for channel in channels {
            try? await channel.close()
        }
    }

    // Called on the loop by the handlers.

    func connectionOpened() {
        opened += 1
        if opened == connections { openPromise.succeed() }
    }

    func connectionFailed(_ reason: String) {
        guard !stopped else { return }
        if failure == nil { failure = reason }
        openPromise.fail(BenchError(reason))
    }

    func received(sentAt: UInt64) {
        guard measuring else { return }
        completed += 1
        latencies.append(Double(Measure.nanoseconds() &- sentAt))
    }
}

/// One load connection: our client driver, the bytes it writes collected and flushed once per
/// read batch, and a new message sent for each echo received.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The driver's output, gathered until the next flush.
    final class Collector {
        var buffer: ByteBuffer? = nil

        func append(_ bytes: UnsafeRawBufferPointer) {
            if buffer == nil { buffer = ByteBufferAllocator().buffer(capacity: max(bytes.count, 512)) }
            buffer?.writeBytes(bytes)
        }
    }

    private let run: LoadRun
    private let collector = Collector()
    private let driver: Driver
    private var context: ChannelHandlerContext?
    private var sendTimes: [UInt64] = []
    private var head = 0
    private var inRead = false

    init(run: LoadRun) throws {
        self.run = run
        var options = DriverOptions()
        if run.deflate { try options.extensions.add(PermessageDeflate()) }
        let collector = self.collector
        driver = try Driver.client(url: "ws://127.0.0.1:\(run.port)/", options: options) { collector.append($0) }
        driver.onOpen = { [unowned self] in
            for _ in 0..<self.run.inFlight { self.sendOne() }
            self.run.connectionOpened()
        }
        driver.onMessage = { [unowned self] _ in self.echoed() }
        driver.onClose = { [unowned self] event in
            self.run.connectionFailed("a load connection closed: \(event.code) \(event.reason)")
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        driver.start()
        flush()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        inRead = true
        buffer.withUnsafeReadableBytes { driver.parse($0) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.transportClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        run.connectionFailed("a load connection failed: \(error)")
        context.close(promise: nil)
    }

    private func sendOne() {
        sendTimes.append(Measure.nanoseconds())
        driver.send(run.message)
        if !inRead { flush() }
    }

    private func echoed() {
        guard head < sendTimes.count else {
            run.connectionFailed("an echo arrived that was not sent")
            return
        }
        let sentAt = sendTimes[head]
        head += 1
        if head > 1024 && head * 2 > sendTimes.count {
            sendTimes.removeFirst(head)
            head = 0
        }
        run.received(sentAt: sentAt)
        if !run.stopped { sendOne() }
    }

    private func flush() {
        guard let context, let pending = collector.buffer else { return }
        collector.buffer = nil
        context.writeAndFlush(wrapOutboundOut(pending), promise: nil)
    }
}

extension LoadRun {
    /// The echo load of `item` against two servers, repetition by repetition, alternating which
    /// goes first (so that a drift of the machine affects both alike); each server's results.
    static func alternating(
        _ item: EchoBench.Case,
        ports: (first: Int, second: Int),
        settings: BenchSettings,
        loop: any EventLoop
    ) async throws -> (first: [Result], second: [Result]) {
        let text = String(decoding: Payloads.text(count: item.size, seed: 5), as: UTF8.self)
        let seconds = settings.quick ? 0.15 : 1.0
        let warmup = settings.quick ? 0.05 : 0.25
        var first: [Result] = []
        var second: [Result] = []
        for index in 0..<settings.repetitions {
            for port in index % 2 == 0 ? [ports.first, ports.second] : [ports.second, ports.first] {
                let run = LoadRun(
                    port: port, connections: item.connections, inFlight: item.inFlight,
                    message: .text(text), deflate: item.deflate, loop: loop)
                let result = try await run.run(warmup: warmup, seconds: seconds)
                if port == ports.first { first.append(result) } else { second.append(result) }
            }
        }
        return (first, second)
    }
}
