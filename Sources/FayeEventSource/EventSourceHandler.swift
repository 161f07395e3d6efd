import FayeWebSocket
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs an ``EventSource``'s stream: writes the response prelude and the events in order, holds
/// `async` sends while the transport is full, notices the client going away (end of input, a
/// failed write) and fires the close event once.
///
/// Its transport is the connection it took over (it is then that connection's channel handler)
/// or a host server's response body (``HostedEventStream``).
final class EventSourceHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var bytes: [UInt8]
        var promise: EventLoopPromise<Void>?
        /// An `async` send: written only while the channel is writable.
        var waitsForWritable: Bool
    }

    private let source: EventSource
    private var transport: (any EventStreamTransport)?
    /// Whether the transport writes the response head itself (a host's body writer).
    private let hosted: Bool
    /// The head is written (or being written); events may follow.
    private var started = false
    private var closeRequested = false
    private var closing = false
    private var finalized = false
    private var flushScheduled = false
    private var closeReason: EventSourceCloseEvent.Reason?
    private var queue = CircularBuffer<Pending>()
    private var pingTask: RepeatedTask?
    private var closeTimer: Scheduled<Void>?
    /// Counted in the open streams of the server's metrics.
    private var countedOpen = false

    /// A handler that takes a connection over.
    /// - Parameters:
    ///   - source: the stream.
    ///   - writesHead: whether it writes the HTTP/1.1 response head (`false` on an HTTP/2
    ///     stream, whose head the server wrote).
    init(source: EventSource, writesHead: Bool = true) {
        self.source = source
        self.hosted = !writesHead
    }

    /// A handler writing into a host's response body.
    init(source: EventSource, transport: any EventStreamTransport) {
        self.source = source
        self.transport = transport
        self.hosted = true
    }

    // MARK: - Life cycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.transport = ChannelTransport(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finalize()
        self.transport = nil
    }

    /// Writes the head and what was sent while connecting, then opens the stream.
    func start() {
        guard let transport, !started, !finalized else { return }
        guard transport.isActive else {
            // The client left while the responder ran.
            finalize()
            return
        }
        started = true
        let prelude = hosted ? source.options.bodyPrelude() : source.options.responsePrelude()
        if !prelude.isEmpty { write(prelude, promise: nil, buffered: false) }
        drain()
        // OPEN, and the open event dispatched, before the client can see a byte.
        let opened = source.state.withLockedValue { state -> Bool in
            guard state.readyState == .connecting else { return false }
            state.readyState = .open
            return true
        }
        if opened {
            if let metrics = ServerMetrics.current {
                metrics.opened(.eventSource)
                countedOpen = true
            }
            source.dispatch(\.open, ())
            startPinging()
        }
        transport.flush()
        if closeRequested { beginClose() }
    }

    private func startPinging() {
        guard let interval = source.options.pingInterval, !finalized else { return }
        let amount = TimeAmount(interval)
        pingTask = source.eventLoop.scheduleRepeatedTask(initialDelay: amount, delay: amount) { [source] _ in
            source.ping()
        }
    }

    /// The transport is gone (or never was): CLOSED, timers cancelled, pending sends failed,
    /// close event.
    private func finalize() {
        guard !finalized else { return }
        finalized = true
        if countedOpen { ServerMetrics.current?.closed(.eventSource) }
        pingTask?.cancel()
        pingTask = nil
        closeTimer?.cancel()
        closeTimer = nil
        let dropped = queue
        queue.removeAll()
        for pending in dropped {
            source.written(pending.bytes.count)
            pending.promise?.fail(EventSourceError.connectionClosed)
        }
        let event = EventSourceCloseEvent(reason: closeReason ?? (closeRequested ? .closedLocally : .connectionLost))
        let waiters = source.state.withLockedValue { state in
            state.readyState = .closed
            state.closeEvent = event
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        source.detach()
        source.dispatch(\.close, event)
        for waiter in waiters { waiter.succeed(event) }
        source.releaseListeners()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A client has nothing to say on an event stream: whatever it sends is dropped.
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func channelInactive(context: ChannelHandlerContext) {
        finalize()
        context.fireChannelInactive()
    }

    /// The transport is gone (a host's body writer failed or finished).
    func transportClosed(_ error: (any Error)?) {
        if let error, closeReason == nil {
            closeReason = Self.isEndOfConnection(error) ? .connectionLost : .error("\(error)")
        }
        finalize()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The host shuts down gracefully: end the stream after what was sent.
            source.close()
        }
        if case .some(.inputClosed) = event as? ChannelEvent {
            // A half-closing client (only seen with `allowRemoteHalfClosure`) has gone away.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    /// The transport may take more: write what waited for it.
    func writabilityChanged() {
        if transport?.isWritable == true { drain() }
    }

    // MARK: - Outbound

    /// Queues an event (or a ping), and writes what may be written.
    func enqueue(_ bytes: [UInt8], promise: EventLoopPromise<Void>?, waitForWritable: Bool) {
        guard !finalized else {
            source.written(bytes.count)
            promise?.fail(EventSourceError.connectionClosed)
            return
        }
        queue.append(Pending(bytes: bytes, promise: promise, waitsForWritable: waitForWritable))
        guard started else { return }
        if closing {
            // Accepted before close() on another thread: written before the connection closes.
            drain(ignoringWritability: true)
            closeAfterPendingWrites()
        } else {
            drain()
        }
    }

    /// Writes queued bytes in order, stopping at an `async` send while the channel is not
    /// writable (or at nothing, when closing); flushes at the end of the event loop tick.
    private func drain(ignoringWritability: Bool = false) {
        guard let transport, started else { return }
        var wrote = false
        while let first = queue.first {
            if first.waitsForWritable && !ignoringWritability && !transport.isWritable { break }
            queue.removeFirst()
            write(first.bytes, promise: first.promise, buffered: true)
            wrote = true
        }
        if wrote { scheduleFlush() }
    }

    /// Writes bytes; `buffered` ones (events and pings, not the head) are counted in
    /// `bufferedAmount` until written.
    private func write(_ bytes: [UInt8], promise: EventLoopPromise<Void>?, buffered: Bool) {
        guard let transport else {
            if buffered { source.written(bytes.count) }
            promise?.fail(EventSourceError.connectionClosed)
            return
        }
        let count = bytes.count
        transport.write(bytes) { result in
            if buffered { self.source.written(count) }
            switch result {
            case .success: promise?.succeed()
            case .failure(let error):
                promise?.fail(EventSourceError.connectionClosed)
                self.fail(error)
            }
        }
    }

    /// One flush for every write made in this event loop tick.
    private func scheduleFlush() {
        guard !flushScheduled, transport != nil else { return }
        flushScheduled = true
        source.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.transport?.flush()
        }
    }

    /// A read or write failed: drop the connection.
    private func fail(_ error: any Error) {
        guard !finalized else { return }
        if closeReason == nil {
            closeReason = Self.isEndOfConnection(error) ? .connectionLost : .error("\(error)")
        }
        transport?.close()
    }

    /// Errors that only say the client is gone (a reset, a broken pipe, a write after the close).
    private static func isEndOfConnection(_ error: any Error) -> Bool {
        if let error = error as? ChannelError {
            switch error {
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: return true
            default: return false
            }
        }
        if let error = error as? IOError {
            return error.errnoCode == ECONNRESET || error.errnoCode == EPIPE
        }
        return false
    }

    // MARK: - Closing

    /// Writes everything queued, then closes the connection.
    func close() {
        guard !closeRequested, !finalized else { return }
        closeRequested = true
        if closeReason == nil { closeReason = .closedLocally }
        if started { beginClose() }
    }

    private func beginClose() {
        guard transport != nil, !closing, !finalized else { return }
        closing = true
        let timeout = TimeAmount(source.options.closeTimeout)
        closeTimer = source.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.transport?.close()
        }
        drain(ignoringWritability: true)
        closeAfterPendingWrites()
    }

    /// Flushes, and closes the connection once everything written so far is out.
    private func closeAfterPendingWrites() {
        transport?.closeAfterWrites()
    }

    /// Drops the connection at once.
    func terminate() {
        closeRequested = true
        if closeReason == nil { closeReason = .closedLocally }
        transport?.close()
    }
}

/// Where an event stream's bytes go; used on the stream's event loop.
protocol EventStreamTransport: AnyObject {
    /// Whether the client can still be written to.
    var isActive: Bool { get }
    /// Whether the transport takes more now (`async` sends wait while it does not).
    var isWritable: Bool { get }
    /// Writes bytes; `completion` runs on the event loop once they are out (or failed).
    func write(_ bytes: [UInt8], completion: @escaping (Result<Void, any Error>) -> Void)
    /// Sends what was written.
    func flush()
    /// Ends the stream once everything written so far is out.
    func closeAfterWrites()
    /// Ends the stream now.
    func close()
}

/// The connection an ``EventSourceHandler`` took over.
private final class ChannelTransport: EventStreamTransport {
    private let context: ChannelHandlerContext

    init(context: ChannelHandlerContext) {
        self.context = context
    }

    var isActive: Bool { context.channel.isActive }
    var isWritable: Bool { context.channel.isWritable }

    func write(_ bytes: [UInt8], completion: @escaping (Result<Void, any Error>) -> Void) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(NIOAny(buffer)).assumeIsolated().whenComplete(completion)
    }

    func flush() { context.flush() }

    func closeAfterWrites() {
        let empty = context.channel.allocator.buffer(capacity: 0)
        context.writeAndFlush(NIOAny(empty)).assumeIsolated().whenComplete { [context] _ in
            // A clean end: END_STREAM on an HTTP/2 stream.
            context.announceGracefulEnd()
            context.close(promise: nil)
        }
    }

    func close() { context.close(promise: nil) }
}
