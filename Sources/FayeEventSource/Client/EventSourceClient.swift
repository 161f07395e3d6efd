import EventStream
public import FayeWebSocket
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
import NIOPosix
import WebSocketDriver

/// The client side of Server-Sent Events: a browser's `EventSource` on SwiftNIO, for `http:`
/// and `https:` streams, with `POST` bodies, reconnection with backoff, idle detection, proxies
/// and the WebSocket client's TLS trust options.
///
/// The W3C way, with listeners:
///
/// ```swift
/// let source = EventSourceClient(url: "https://example.com/updates")
/// source.onMessage { event in print(event.data) }
/// source.addEventListener("tick") { event in print("tick", event.lastEventID) }
/// source.onError { error in print(error) }
/// // …
/// source.close()
/// ```
///
/// Or as an `AsyncSequence` with backpressure (when the consumer falls behind, the client stops
/// reading from the network):
///
/// ```swift
/// let source = EventSourceClient(url: "http://127.0.0.1:9292/")
/// for try await event in source.events {
///     print(event.type, event.data)
/// }
/// ```
///
/// The stream is parsed exactly by the HTML standard's rules (see `EventStreamParser`). After the
/// stream ends or a network error, the source reconnects (see ``ReconnectionPolicy``), sending
/// `Last-Event-ID`; meanwhile ``readyState`` is ``ReadyState/connecting`` and an error event
/// tells why. As in browsers, a response other than `200` with `Content-Type:
/// text/event-stream` fails the source without reconnecting; `204 No Content` closes it without
/// an error (the server says there is nothing more); redirects are followed.
///
/// Every member may be used from any thread; events are delivered on ``eventLoop``. Open and
/// error events that happen before the first listener of their kind is added are kept for it
/// (the first 16), so a connection that fails at once is still reported. Events of a type
/// nobody listens to are dropped, as in a browser: add listeners right after creating the
/// source (the connection starts on the event loop, after them). The ``events`` sequence, once
/// taken, gets every event.
public final class EventSourceClient: Sendable {
    /// The states of an EventSource, with the W3C values.
    public enum ReadyState: Int, Sendable, Hashable, CustomStringConvertible {
        /// Connecting, or waiting to reconnect.
        case connecting = 0
        /// The stream is open: events arrive.
        case open = 1
        /// Closed for good: by ``EventSourceClient/close()``, a `204`, or a failure.
        case closed = 2

        /// `CONNECTING`, `OPEN` or `CLOSED`.
        public var description: String {
            switch self {
            case .connecting: return "CONNECTING"
            case .open: return "OPEN"
            case .closed: return "CLOSED"
            }
        }
    }

    /// The URL given (after redirects, the URL of the stream in use is ``currentURL``), without
    /// credentials.
    public let url: String
    /// The options the source was created with.
    public let options: EventSourceClientOptions
    /// The event loop the connections live on and events are delivered on.
    public let eventLoop: any EventLoop

    let state: NIOLockedValueBox<State>
    /// How many open or error events are kept for a first listener.
    private static let keptForFirstListener = 16
    private let connector: any EventSourceConnector
    private let random: @Sendable () -> Double

    struct State: ListenerRegistry {
        var readyState = ReadyState.connecting
        var request: EventSourceRequestHead?
        var reconnectionTime: Duration
        var failures = 0
        var redirects = 0
        var openedAt: NIODeadline?
        var connection: NIOLoopBound<EventSourceClientHandler>?
        var reconnectTimer: Scheduled<Void>?
        var failure: EventSourceClientError?
        var closeWaiters: [EventLoopPromise<EventSourceClientError?>] = []
        var nextListenerID: UInt64 = 0
        var pendingListeners: Set<UInt64> = []
        var open = ListenerList<Void>()
        var error = ListenerList<EventSourceClientError>()
        var typed: [String: ListenerList<MessageEvent>] = [:]
        var events: EventSourceClientEvents?
        /// Events dispatched before ``EventSourceClient/events`` was first read (bounded).
        var earlyEvents: [MessageEvent] = []
        /// Reading is paused because ``earlyEvents`` is full and nobody listens otherwise.
        var earlyEventsFull = false

        /// Whether a message listener of any type is registered (or being registered).
        var hasMessageListeners: Bool {
            !pendingListeners.isEmpty || typed.values.contains { !$0.isEmpty }
        }

        /// The listeners of one event type.
        subscript(listenersFor type: String) -> ListenerList<MessageEvent> {
            get { typed[type] ?? ListenerList() }
            set { typed[type] = newValue }
        }
    }

    /// Creates the source and starts connecting, the W3C way: `new EventSource(url)`.
    ///
    /// It never throws: an invalid URL is an error event (``EventSourceClientError/Kind/invalidURL``)
    /// and the source closes.
    ///
    /// - Parameters:
    ///   - url: an `http:` or `https:` URL; IPv6 literals in brackets; userinfo becomes
    ///     `Authorization: Basic`.
    ///   - options: method, headers, body, reconnection, idle timeout, limits, connection.
    public convenience init(url: String, options: EventSourceClientOptions = EventSourceClientOptions()) {
        let group = options.connection.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.init(
            url: url, options: options, eventLoop: group.next(), connector: TransportConnector(),
            random: { Double.random(in: 0..<1) })
    }

    init(
        url: String,
        options: EventSourceClientOptions,
        eventLoop: any EventLoop,
        connector: any EventSourceConnector,
        random: @escaping @Sendable () -> Double
    ) {
        let parsed = Result { () throws(EventSourceClientError) in try EventSourceTarget(url) }
        self.url = (try? parsed.get())?.description ?? url
        self.options = options
        self.eventLoop = eventLoop
        self.connector = connector
        self.random = random
        var initial = State(reconnectionTime: options.reconnection.initialDelay)
        if case .success(let target) = parsed {
            initial.request = EventSourceRequestHead(
                target: target, method: options.method, headers: options.headers, body: options.body,
                lastEventID: options.lastEventID)
        }
        self.state = NIOLockedValueBox(initial)
        eventLoop.execute {
            switch parsed {
            case .success: self.connect()
            case .failure(let error): self.fail(error)
            }
        }
    }

    // MARK: - State

    /// The current state.
    public var readyState: ReadyState { state.withLockedValue { $0.readyState } }

    /// The last event ID in force: what a reconnection sends as `Last-Event-ID`.
    public var lastEventID: String { state.withLockedValue { $0.request?.lastEventID ?? "" } }

    /// The URL of the stream in use (after redirects), without credentials.
    public var currentURL: String { state.withLockedValue { $0.request?.target.description ?? url } }

    /// The reconnection time in force: ``ReconnectionPolicy/initialDelay`` or the server's `retry`.
    public var reconnectionTime: Duration { state.withLockedValue { $0.reconnectionTime } }

    /// Closes the source: ``readyState`` is ``ReadyState/closed`` at once (as in a browser); the
    /// connection is dropped, no reconnection happens, ``events`` ends and the listeners are
    /// released, on the event loop.
    public func close() {
        guard let closing = markClosed(with: nil) else { return }
        eventLoop.execute { self.complete(closing, error: nil) }
    }

    /// Waits until the source is closed; returns the error that closed it, or `nil` after
    /// ``close()`` or a `204`.
    /// - Throws: `CancellationError` if the task is cancelled while waiting (the source stays open).
    @discardableResult
    public func closed() async throws -> EventSourceClientError? {
        let promise = eventLoop.makePromise(of: EventSourceClientError?.self)
        let done = state.withLockedValue { state -> Bool in
            if state.readyState == .closed { return true }
            state.closeWaiters.append(promise)
            return false
        }
        if done { promise.succeed(state.withLockedValue { $0.failure }) }
        return try await valueHonouringCancellation(of: promise.futureResult)
    }

    // MARK: - Listeners

    /// Adds a listener for the open event (each time a stream opens, reconnections included).
    @discardableResult
    public func onOpen(_ listener: @escaping @Sendable () -> Void) -> ListenerToken {
        state.addListener(\.open, on: eventLoop) { _ in listener() }
    }

    /// Adds a listener for events of type `message` (those without an `event:` field).
    @discardableResult
    public func onMessage(_ listener: @escaping @Sendable (MessageEvent) -> Void) -> ListenerToken {
        addEventListener("message", listener)
    }

    /// Adds a listener for events of one type (an `event:` field's value).
    @discardableResult
    public func addEventListener(_ type: String, _ listener: @escaping @Sendable (MessageEvent) -> Void)
        -> ListenerToken
    {
        state.addListener(\State.[listenersFor: type], on: eventLoop, listener)
    }

    /// Adds a listener for error events: each network error before a reconnection (the state is
    /// then ``ReadyState/connecting``), and the failure that closes the source (``ReadyState/closed``).
    @discardableResult
    public func onError(_ listener: @escaping @Sendable (EventSourceClientError) -> Void) -> ListenerToken {
        state.addListener(\.error, on: eventLoop, listener)
    }

    /// Removes a listener.
    public func removeListener(_ token: ListenerToken) {
        state.removeListener(token) { state, id in
            state.open.remove(id: id)
            state.error.remove(id: id)
            for type in state.typed.keys { state.typed[type]?.remove(id: id) }
        }
    }

    // MARK: - The async sequence

    /// Every event, as an `AsyncSequence` with backpressure: when the consumer falls
    /// ``EventSourceClientOptions/eventBufferLimit`` events behind, the client stops reading
    /// until it has caught up halfway. Events dispatched before the first access are kept for it:
    /// with no message listener registered, the client stops reading once
    /// ``EventSourceClientOptions/eventBufferLimit`` wait, so none is lost; with listeners (which
    /// consume the stream), only the latest ``EventSourceClientOptions/eventBufferLimit`` are
    /// kept, so a source used through listeners never stalls on a sequence nobody reads.
    ///
    /// It ends (`nil`) after ``close()`` or a `204`, and throws the ``EventSourceClientError``
    /// that closed the source. Reconnections are invisible to it. It has one consumer: a second
    /// iteration throws ``EventSourceClientError/Kind/eventsAlreadyIterated``.
    public var events: EventSourceClientEvents {
        let (events, made) = state.withLockedValue { state -> (EventSourceClientEvents, Bool) in
            if let events = state.events { return (events, false) }
            let events = EventSourceClientEvents(
                bufferLimit: options.eventBufferLimit, delegate: EventsDelegate(client: self))
            // Handed over under the lock: an event the loop dispatches next comes after them.
            // With listeners only the latest are kept (trimming is in batches); without, every
            // one waited for the sequence and all are handed over.
            let kept =
                state.hasMessageListeners
                ? state.earlyEvents.suffix(Swift.max(1, options.eventBufferLimit)) : state.earlyEvents[...]
            for event in kept { _ = events.yield(event) }
            state.earlyEvents = []
            state.earlyEventsFull = false
            if state.readyState == .closed { events.finish(throwing: state.failure) }
            state.events = events
            return (events, true)
        }
        if made {
            // From now on the sequence's own backpressure decides (it may hold more than its
            // limit after the hand-over, and then reading waits for the consumer).
            let paused = events.isPaused
            eventLoop.execute {
                let connection = self.state.withLockedValue { $0.connection }?.value
                if paused { connection?.pauseReading() } else { connection?.resumeReading() }
            }
        }
        return events
    }

    // MARK: - Connections (on the event loop)

    private func connect() {
        let request = state.withLockedValue { state -> EventSourceRequestHead? in
            guard state.readyState != .closed else { return nil }
            state.readyState = .connecting
            state.reconnectTimer = nil
            return state.request
        }
        guard let request else { return }
        let handler = EventSourceClientHandler(
            request: request, limits: options.limits, idleTimeout: options.idleTimeout, loop: eventLoop,
            delegate: self)
        state.withLockedValue { $0.connection = NIOLoopBound(handler, eventLoop: eventLoop) }
        if state.withLockedValue({ $0.events?.isPaused ?? $0.earlyEventsFull }) { handler.pauseReading() }
        connector.open(request: request, options: options.connection, eventLoop: eventLoop, handler: handler)
    }

    private func opened() {
        let listeners = state.withLockedValue { state -> ListenerList<Void>.Listeners? in
            guard state.readyState == .connecting else { return nil }
            state.readyState = .open
            state.redirects = 0
            state.openedAt = eventLoop.now
            return state.open.dispatch((), keepingAtMost: Self.keptForFirstListener)
        }
        listeners?.callAll(())
    }

    private func redirect(to location: String, status: HTTPResponseStatus) {
        let outcome = state.withLockedValue { state -> EventSourceClientError? in
            guard var request = state.request else { return nil }
            state.redirects += 1
            if state.redirects > options.maxRedirects {
                return EventSourceClientError(
                    .tooManyRedirects(options.maxRedirects),
                    message: "Network error: \(url): more than \(options.maxRedirects) redirects")
            }
            do throws(EventSourceClientError) {
                let next = try request.target.resolving(location)
                if next.origin != request.target.origin {
                    // Credentials meant for one origin are not sent to another.
                    request.headers.removeAll(named: "Authorization")
                    request.headers.removeAll(named: "Cookie")
                }
                request.target = next
            } catch {
                return error
            }
            let method = request.method.uppercased()
            if status == .seeOther || ((status == .movedPermanently || status == .found) && method == "POST") {
                request.method = method == "HEAD" ? "HEAD" : "GET"
                request.body = nil
                request.headers.removeAll(named: "Content-Type")
                request.headers.removeAll(named: "Content-Length")
            }
            state.request = request
            return nil
        }
        if let outcome {
            fail(outcome)
        } else {
            connect()
        }
    }

    /// A network error or the end of a stream: reconnect (with an error event) or fail.
    private func connectionEnded(_ error: EventSourceClientError) {
        let reconnecting = options.reconnects && error.isRetryable
        guard reconnecting else {
            fail(error)
            return
        }
        let policy = options.reconnection
        enum Decision {
            case closed
            case gaveUp
            case retry(after: Duration, listeners: ListenerList<EventSourceClientError>.Listeners)
        }
        let decision = state.withLockedValue { state -> Decision in
            guard state.readyState != .closed else { return .closed }
            if let openedAt = state.openedAt, eventLoop.now - openedAt >= TimeAmount(policy.stableAfter) {
                state.failures = 0
            }
            state.openedAt = nil
            state.failures += 1
            state.readyState = .connecting
            state.connection = nil
            if let limit = policy.maxAttempts, state.failures > limit { return .gaveUp }
            let delay = policy.delay(
                reconnectionTime: state.reconnectionTime, failures: state.failures, random: random())
            return .retry(
                after: delay, listeners: state.error.dispatch(error, keepingAtMost: Self.keptForFirstListener))
        }
        let delay: Duration
        let listeners: ListenerList<EventSourceClientError>.Listeners
        switch decision {
        case .closed:
            return
        case .gaveUp:
            let attempts = policy.maxAttempts ?? 0
            fail(
                EventSourceClientError(
                    .gaveUp(attempts: attempts),
                    message: "Network error: \(url): \(attempts) attempts failed in a row; the last: \(error.message)"))
            return
        case .retry(let after, let current):
            delay = after
            listeners = current
        }
        listeners.callAll(error)
        let timer = eventLoop.scheduleTask(in: TimeAmount(delay)) { self.connect() }
        state.withLockedValue { state in
            if state.readyState == .closed { timer.cancel() } else { state.reconnectTimer = timer }
        }
    }

    /// Closes the source with an error event.
    private func fail(_ error: EventSourceClientError) {
        finish(with: error)
    }

    /// Closes the source (on the event loop): with `error`, an error event first; without, quietly.
    private func finish(with error: EventSourceClientError?) {
        guard let closing = markClosed(with: error) else { return }
        complete(closing, error: error)
    }

    /// The state change of closing, once: what is left to do afterwards, on the event loop.
    /// The listeners are released (a listener that captures the source no longer keeps it).
    private func markClosed(with error: EventSourceClientError?) -> Closing? {
        state.withLockedValue { state -> Closing? in
            guard state.readyState != .closed else { return nil }
            state.readyState = .closed
            state.failure = error
            let closing = Closing(
                connection: state.connection, timer: state.reconnectTimer, waiters: state.closeWaiters,
                errorListeners: error.map { state.error.dispatch($0, keepingAtMost: Self.keptForFirstListener) },
                events: state.events)
            state.connection = nil
            state.reconnectTimer = nil
            state.closeWaiters = []
            state.open.removeAllListeners()
            state.error.removeAllListeners()
            state.typed = [:]
            return closing
        }
    }

    private func complete(_ closing: Closing, error: EventSourceClientError?) {
        closing.timer?.cancel()
        closing.connection?.value.cancel()
        if let error { closing.errorListeners?.callAll(error) }
        closing.events?.finish(throwing: error)
        for waiter in closing.waiters { waiter.succeed(error) }
    }

    private struct Closing: Sendable {
        var connection: NIOLoopBound<EventSourceClientHandler>?
        var timer: Scheduled<Void>?
        var waiters: [EventLoopPromise<EventSourceClientError?>]
        var errorListeners: ListenerList<EventSourceClientError>.Listeners?
        var events: EventSourceClientEvents?
    }

    /// The sequence's consumer caught up (or went away): read again.
    func eventsResumed() {
        eventLoop.execute {
            let (connection, events) = self.state.withLockedValue { ($0.connection, $0.events) }
            events?.resumed()
            connection?.value.resumeReading()
        }
    }

    private func deliver(_ event: MessageEvent) {
        let limit = options.eventBufferLimit
        let (listeners, events, pause) = state.withLockedValue { state in
            // A stream that delivers is not a failure: the backoff starts over.
            state.failures = 0
            var pause = false
            if state.events == nil {
                state.earlyEvents.append(event)
                if state.earlyEvents.count >= Swift.max(1, limit) {
                    if state.hasMessageListeners {
                        // Listeners consume the stream: the sequence nobody reads yet keeps
                        // only the latest events, and never stalls it. Trimmed in batches (at
                        // twice the limit), not one shift of the whole array per event.
                        if state.earlyEvents.count >= 2 * Swift.max(1, limit) {
                            state.earlyEvents.removeFirst(state.earlyEvents.count - Swift.max(1, limit))
                        }
                    } else {
                        // Nobody consumes yet: wait for the sequence rather than lose events.
                        state.earlyEventsFull = true
                        pause = true
                    }
                }
            }
            return (state.typed[event.type]?.current, state.events, pause)
        }
        if pause { state.withLockedValue { $0.connection }?.value.pauseReading() }
        listeners?.callAll(event)
        if let events, events.yield(event) == .stopProducing {
            state.withLockedValue { $0.connection }?.value.pauseReading()
        }
    }
}

extension EventSourceClient: EventSourceConnectionDelegate {
    func connection(_ connection: EventSourceClientHandler, receivedHead head: HTTPResponseHead) {
        let contentType = head.headers.first(name: "Content-Type")
        switch head.status {
        case .ok where Self.isEventStream(contentType):
            opened()
        case .noContent:
            connection.cancel()
            finish(with: nil)
        case .movedPermanently, .found, .seeOther, .temporaryRedirect, .permanentRedirect:
            connection.cancel()
            guard let location = head.headers.first(name: "Location") else {
                fail(
                    EventSourceClientError(
                        .badResponse(status: Int(head.status.code), contentType: contentType),
                        message: "Network error: \(currentURL): \(head.status.code) redirect without a Location"))
                return
            }
            redirect(to: location, status: head.status)
        default:
            connection.cancel()
            let what = head.status == .ok ? "Content-Type \(contentType ?? "(none)")" : "status \(head.status.code)"
            fail(
                EventSourceClientError(
                    .badResponse(status: Int(head.status.code), contentType: contentType),
                    message:
                        "Network error: \(currentURL): the response is not an event stream (\(what); expected 200 with text/event-stream)"
                ))
        }
    }

    func connection(
        _ connection: EventSourceClientHandler, parsed outputs: [EventStreamParser.Output], lastEventID: String
    ) {
        state.withLockedValue { $0.request?.lastEventID = lastEventID }
        for output in outputs {
            switch output {
            case .event(let event):
                guard readyState == .open else { return }
                deliver(event)
            case .retry(let milliseconds):
                state.withLockedValue { $0.reconnectionTime = .milliseconds(milliseconds) }
            }
        }
    }

    func connection(_ connection: EventSourceClientHandler, endedWith error: EventSourceClientError) {
        guard state.withLockedValue({ $0.connection?.value === connection }) else { return }
        connectionEnded(error)
    }

    /// `text/event-stream`, parameters allowed, ASCII case-insensitive.
    static func isEventStream(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let media = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return media.trimmingSpaces().lowercased() == "text/event-stream"
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var slice = self
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
