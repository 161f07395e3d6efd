import NIOConcurrencyHelpers
public import NIOCore

/// A Server-Sent Events stream to one client: the server side of a browser's `EventSource`.
///
/// A responder accepts an EventSource request with `ServerResponse.eventSource(options:_:)`:
///
/// ```swift
/// let server = FayeServer { request in
///     guard request.isEventSource else { return ServerResponse(text: "Hello\n") }
///     return .eventSource { source in
///         source.onClose { event in print("gone: \(event.reason)") }
///         try? source.send("hello", event: "greeting", id: "1")
///     }
/// }
/// ```
///
/// The response is `200` with `Content-Type: text/event-stream`, `Cache-Control: no-cache,
/// no-store`, `Connection: close` (the body lasts until the connection closes), the custom
/// headers of ``EventSourceOptions/headers``, then the initial `retry:` field.
///
/// Every member may be used from any thread: state reads are synchronised, and actions hop to
/// the connection's event loop, where the stream's state lives and its events are delivered.
///
/// Events: ``onOpen(_:)`` (the head was written) and ``onClose(_:)`` (the connection is gone,
/// exactly once, whether by ``close()``, by the client going away, or by a failed write). An
/// event dispatched while its type has no listener is kept and delivered to the first listener
/// added later, as in the Ruby gem.
///
/// Sending: `send(_:event:id:)` returns at once (the bytes are queued; see ``bufferedAmount``);
/// its `async` overload resumes when the bytes were written and waits, before writing, while the
/// connection's outbound buffer is full, so a producer never piles up more than that.
public final class EventSource: Sendable {
    struct State: ListenerRegistry {
        var readyState: EventSourceReadyState = .connecting
        var bufferedAmount = 0
        var nextListenerID: UInt64 = 0
        var pendingListeners: Set<UInt64> = []
        var open = ListenerList<Void>()
        var close = ListenerList<EventSourceCloseEvent>()
        var closeEvent: EventSourceCloseEvent?
        var closeWaiters: [EventLoopPromise<EventSourceCloseEvent>] = []
    }

    /// The request's URL: `http://` or `https://` (for TLS, or behind a proxy reporting
    /// `X-Forwarded-Proto: https` and the like) plus its `Host` and target.
    public let url: String
    /// The request that opened the stream.
    public let request: IncomingRequest
    /// The client's address, if known.
    public let remoteAddress: SocketAddress?
    /// The ID of the last event the client received before reconnecting: the `Last-Event-ID`
    /// header, or the `lastEventId` query parameter of polyfills; `""` for a first connection
    /// (see ``lastEventID(of:)``). Resume the stream after it (in the setup closure, whatever is
    /// sent there follows the response head).
    public let lastEventId: String
    /// The options the stream was opened with.
    public let options: EventSourceOptions
    /// The event loop the connection lives on (where events are delivered).
    public let eventLoop: any EventLoop

    let state: NIOLockedValueBox<State>
    private let handlerBox: NIOLockedValueBox<NIOLoopBound<EventSourceHandler>?>

    init(
        url: String,
        request: IncomingRequest,
        remoteAddress: SocketAddress?,
        options: EventSourceOptions,
        eventLoop: any EventLoop
    ) {
        self.url = url
        self.request = request
        self.remoteAddress = remoteAddress
        self.lastEventId = Self.lastEventID(of: request)
        self.options = options
        self.eventLoop = eventLoop
        self.state = NIOLockedValueBox(State())
        self.handlerBox = NIOLockedValueBox(nil)
    }

    /// Binds the handler; on the event loop.
    func attach(_ handler: EventSourceHandler) {
        handlerBox.withLockedValue { $0 = NIOLoopBound(handler, eventLoop: eventLoop) }
    }

    /// Lets the handler go once the connection is gone; on the event loop.
    func detach() {
        handlerBox.withLockedValue { $0 = nil }
    }

    /// Once the close event was dispatched: drops the listeners (they can never run again, and
    /// often capture the stream), so that a closed stream is freed when its user lets go of it.
    func releaseListeners() {
        state.withLockedValue { state in
            state.open.removeAllListeners()
            state.close.removeAllListeners()
        }
    }

    /// Runs `body` with the handler on the event loop (at once when already there), or
    /// `orElse` there when the handler is gone.
    private func withHandler(
        _ body: @escaping @Sendable (EventSourceHandler) -> Void,
        orElse: @escaping @Sendable () -> Void = {}
    ) {
        if eventLoop.inEventLoop {
            guard let bound = handlerBox.withLockedValue({ $0 }) else { return orElse() }
            body(bound.value)
        } else {
            eventLoop.execute {
                guard let bound = self.handlerBox.withLockedValue({ $0 }) else { return orElse() }
                body(bound.value)
            }
        }
    }

    // MARK: - State

    /// `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    public var readyState: EventSourceReadyState { state.withLockedValue { $0.readyState } }

    /// Bytes of events and pings sent and not yet handed to the kernel. It grows while the
    /// client reads slower than you send; the `async` `send` keeps it bounded.
    public var bufferedAmount: Int { state.withLockedValue { $0.bufferedAmount } }

    // MARK: - Events

    /// Adds a listener for the open event (the response head went to the connection).
    @discardableResult
    public func onOpen(_ listener: @escaping @Sendable () -> Void) -> EventSourceListenerToken {
        addListener(\.open) { (_: Void) in listener() }
    }

    /// Adds a listener for the close event (exactly one per stream, once the connection is gone).
    @discardableResult
    public func onClose(_ listener: @escaping @Sendable (EventSourceCloseEvent) -> Void) -> EventSourceListenerToken {
        addListener(\.close, listener)
    }

    /// Removes a listener added by ``onOpen(_:)`` or ``onClose(_:)``, at once.
    public func removeListener(_ token: EventSourceListenerToken) {
        state.removeListener(token) { state, id in
            state.open.remove(id: id)
            state.close.remove(id: id)
        }
    }

    private func addListener<Event: Sendable>(
        _ list: any WritableKeyPath<State, ListenerList<Event>> & Sendable,
        _ listener: @escaping @Sendable (Event) -> Void
    ) -> EventSourceListenerToken {
        state.addListener(list, on: eventLoop, listener)
    }

    func dispatch<Event: Sendable>(_ list: WritableKeyPath<State, ListenerList<Event>>, _ event: Event) {
        let listeners = state.withLockedValue { $0[keyPath: list].dispatch(event) }
        listeners.callAll(event)
    }

    // MARK: - Sending

    /// Sends an event without waiting: it is queued on the event loop and counted in
    /// ``bufferedAmount`` until written. Events sent while connecting (in the setup closure)
    /// follow the response head.
    ///
    /// In an `async` context the `async` overload is chosen (`try await source.send(…)`).
    ///
    /// - Parameters:
    ///   - data: the payload; each line (split on CRLF, CR and LF) becomes a `data:` line.
    ///   - event: the event type (`event:` field); `nil` for the client's default, `message`.
    ///   - id: the event ID (`id:` field) the client reports as `Last-Event-ID` when it
    ///     reconnects.
    /// - Throws: ``EventSourceError/invalidEventType(_:)`` or ``EventSourceError/invalidID(_:)``
    ///   when `event` or `id` contains a line break (or `id` a NUL), ``EventSourceError/notOpen``
    ///   once closing or closed: nothing is written.
    public func send(_ data: String, event: String? = nil, id: String? = nil) throws(EventSourceError) {
        let bytes = try ServerSentEvent(data: data, event: event, id: id).encoded()
        guard enqueue(bytes, promise: nil, waitForWritable: false) else { throw .notOpen }
    }

    /// Sends an event and resumes once its bytes were handed to the kernel.
    ///
    /// Before writing, it waits while the connection's outbound buffer is full (the client reads
    /// slower than you send), so a loop of these never holds more than about one buffer of data.
    /// Events keep the order of the calls that reach the event loop.
    ///
    /// - Parameters:
    ///   - data: the payload; each line (split on CRLF, CR and LF) becomes a `data:` line.
    ///   - event: the event type (`event:` field); `nil` for the client's default, `message`.
    ///   - id: the event ID (`id:` field) the client reports as `Last-Event-ID` when it
    ///     reconnects.
    /// - Throws: ``EventSourceError/invalidEventType(_:)`` or ``EventSourceError/invalidID(_:)``
    ///   for a field that cannot be written, ``EventSourceError/notOpen`` when closing or closed,
    ///   ``EventSourceError/connectionClosed`` when the connection ended before the write,
    ///   ``EventSourceError/cancelled`` when the task was cancelled (before the call: nothing is
    ///   sent; while waiting: the event may still be written).
    public func send(_ data: String, event: String? = nil, id: String? = nil) async throws(EventSourceError) {
        let bytes = try ServerSentEvent(data: data, event: event, id: id).encoded()
        guard !Task.isCancelled else { throw .cancelled }
        let promise = eventLoop.makePromise(of: Void.self)
        guard enqueue(bytes, promise: promise, waitForWritable: true) else {
            promise.succeed()
            throw .notOpen
        }
        do {
            try await valueHonouringCancellation(of: promise.futureResult)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .connectionClosed
        }
    }

    /// Writes a comment (`:` and a blank line), which clients ignore: a keepalive through
    /// proxies that drop idle connections (see ``EventSourceOptions/pingInterval``).
    /// - Returns: `false` once closing or closed.
    @discardableResult
    public func ping() -> Bool {
        enqueue(ServerSentEvent.pingComment, promise: nil, waitForWritable: false)
    }

    /// Queues bytes for the handler, counting them in `bufferedAmount`; `false` (and `promise`
    /// untouched) once closing or closed.
    private func enqueue(_ bytes: [UInt8], promise: EventLoopPromise<Void>?, waitForWritable: Bool) -> Bool {
        let count = bytes.count
        let accepted = state.withLockedValue { state -> Bool in
            guard state.readyState <= .open else { return false }
            state.bufferedAmount += count
            return true
        }
        guard accepted else { return false }
        withHandler { handler in
            handler.enqueue(bytes, promise: promise, waitForWritable: waitForWritable)
        } orElse: {
            self.written(count)
            promise?.fail(EventSourceError.connectionClosed)
        }
        return true
    }

    /// `count` bytes left the buffer (written, or dropped with the connection).
    func written(_ count: Int) {
        state.withLockedValue { $0.bufferedAmount -= count }
    }

    // MARK: - Closing

    /// Ends the stream: the bytes already sent are written, then the connection is closed and
    /// the close event fires (``EventSourceCloseEvent/Reason/closedLocally``). Sends
    /// fail from now on. Does nothing when already closing or closed.
    ///
    /// A browser reconnects after the `retry` time; to make it stop, answer its next request
    /// with an ordinary response instead (`204 No Content`, say).
    public func close() {
        let accepted = state.withLockedValue { state -> Bool in
            guard state.readyState < .closing else { return false }
            state.readyState = .closing
            return true
        }
        guard accepted else { return }
        withHandler { $0.close() }
    }

    /// Ends the stream for a server's graceful shutdown: a last `retry:` field advising the
    /// client to come back after `retryHint` (to another instance, resuming by
    /// `Last-Event-ID`), then ``close()``.
    package func drain(retryHint: Duration) {
        _ = enqueue(ServerSentEvent.retryField(retryHint), promise: nil, waitForWritable: false)
        close()
    }

    /// Runs `body` once the stream is closed (at once when it already is).
    package func whenGone(_ body: @escaping @Sendable () -> Void) {
        switch closeWait() {
        case .closed: body()
        case .waiting(let event): event.whenComplete { _ in body() }
        }
    }

    /// The close event, or a future of it registered with the stream. The promise is made only
    /// when there is something to wait for: one dropped uncompleted would be a leak (and a trap
    /// in debug builds).
    private func closeWait() -> CloseWait {
        state.withLockedValue { state in
            if let event = state.closeEvent { return .closed(event) }
            let promise = eventLoop.makePromise(of: EventSourceCloseEvent.self)
            state.closeWaiters.append(promise)
            return .waiting(promise.futureResult)
        }
    }

    private enum CloseWait {
        case closed(EventSourceCloseEvent)
        case waiting(EventLoopFuture<EventSourceCloseEvent>)
    }

    /// Drops the connection at once, discarding what is not written yet.
    public func terminate() {
        state.withLockedValue { state in
            if state.readyState < .closing { state.readyState = .closing }
        }
        withHandler { $0.terminate() }
    }

    /// Waits until the connection is gone.
    ///
    /// Cancelling the waiting task throws `CancellationError` and leaves the stream as it is.
    /// - Returns: the close event.
    public func closed() async throws -> EventSourceCloseEvent {
        // Once closed, answer without the event loop: it may be shut down by now.
        switch closeWait() {
        case .closed(let event): return event
        case .waiting(let event): return try await valueHonouringCancellation(of: event)
        }
    }

    /// Closes (as ``close()``) and waits for the close event (see ``closed()``).
    /// - Returns: the close event.
    public func closeAndWait() async throws -> EventSourceCloseEvent {
        close()
        return try await closed()
    }
}

extension ServerResponse {
    /// Accepts an EventSource request: the connection is taken over and streams events.
    ///
    /// `setup` runs on the connection's event loop before the response head is written: the
    /// listeners it adds see every event, and what it sends (a replay of the events after
    /// ``EventSource/lastEventId``, say) follows the head and the `retry:` field. The stream then
    /// opens (open event).
    ///
    /// - Parameters:
    ///   - options: custom headers, `retry`, ping interval, close timeout.
    ///   - setup: receives the new stream.
    public static func eventSource(
        options: EventSourceOptions = EventSourceOptions(),
        _ setup: @escaping @Sendable (EventSource) -> Void
    ) -> ServerResponse {
        takeOver(EventSourceTakeover(options: options, setup: setup))
    }
}

extension EventSource: DrainableStream {}

/// Takes a connection over for an ``EventSource``.
struct EventSourceTakeover: ConnectionTakeover, DrainRegistering {
    let options: EventSourceOptions
    let setup: @Sendable (EventSource) -> Void
    /// The server's streams, tracked for its graceful shutdown.
    var streams: DrainableStreams?

    func registering(with streams: DrainableStreams) -> any ConnectionTakeover {
        var copy = self
        copy.streams = streams
        return copy
    }

    func makeHandler(
        for request: ServerRequest,
        channel: any Channel
    ) throws -> (handler: any ChannelHandler, start: () -> Void) {
        let (handler, start) = makeStream(for: request, channel: channel, writesHead: true)
        return (handler, start)
    }

    /// Over HTTP/2: the head is the stream's (200 and the hosted headers), the handler writes
    /// the body only.
    func makeHTTP2Stream(for request: ServerRequest, channel: any Channel) throws -> HTTP2StreamTakeover? {
        let (handler, start) = makeStream(for: request, channel: channel, writesHead: false)
        return HTTP2StreamTakeover(
            name: "eventsource", status: 200, headers: options.responseHeaders(hosted: true), handler: handler,
            start: start)
    }

    /// The stream for `request` and its handler, tracked for the server's shutdown; `start`
    /// runs `setup` and opens it.
    private func makeStream(
        for request: ServerRequest, channel: any Channel, writesHead: Bool
    ) -> (handler: EventSourceHandler, start: () -> Void) {
        let source = EventSource(
            url: request.url(plain: "http", secure: "https"),
            request: request.request,
            remoteAddress: request.remoteAddress,
            options: options,
            eventLoop: channel.eventLoop
        )
        let handler = EventSourceHandler(source: source, writesHead: writesHead)
        source.attach(handler)
        streams?.add(source)
        let setup = self.setup
        return (
            handler,
            {
                setup(source)
                handler.start()
            }
        )
    }
}
