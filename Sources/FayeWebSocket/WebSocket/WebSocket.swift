import NIOConcurrencyHelpers
public import NIOCore
public import WebSocketDriver

/// A WebSocket connection with the W3C API's shape, server or client side.
///
/// Every member may be used from any thread: state reads are synchronised, and actions hop to
/// the connection's event loop, where all its state lives and all its events are delivered.
///
/// Events: ``onOpen(_:)``, ``onMessage(_:)``, ``onError(_:)`` and ``onClose(_:)`` each add a
/// listener (several per type are allowed). An event dispatched while a type has no listener is
/// kept and delivered to the first listener added later, as in the Ruby gem (messages only while
/// nothing else consumed them, and at most ``WebSocketOptions/messageBufferLimit`` of them: see
/// ``messages``). The close event fires once, after the transport is really gone; its code is
/// 1006 when no close frame was exchanged. An error event fires at most once, before the close.
///
/// Swift concurrency: ``connect(to:options:clientOptions:)`` returns an open socket or throws
/// the cause; ``withConnection(to:options:clientOptions:_:)`` ties a socket to a scope;
/// ``messages`` is an `AsyncSequence` with backpressure; ``send(_:)->()`` resumes once the bytes
/// were written and throws when they will never be; ``closed()`` waits for the end. Every
/// `async` member honours task cancellation and throws ``WebSocketError`` for the connection's
/// own failures.
public final class WebSocket: Sendable {
    struct State: ListenerRegistry {
        var readyState: WebSocketReadyState = .connecting
        var bufferedAmount = 0
        var protocolName = ""
        var version = ""
        var extensions: [String] = []
        var nextListenerID: UInt64 = 0
        var open = ListenerList<Void>()
        var message = ListenerList<WebSocketMessage>()
        var error = ListenerList<WebSocketError>()
        var close = ListenerList<CloseEvent>()
        var closeEvent: CloseEvent?
        /// The channel handler, once attached; dropped after the close event.
        var handler: NIOLoopBound<WebSocketHandler>?
        /// Runs once, right after the close event (the server's socket tracker).
        var closedHook: (@Sendable (WebSocket) -> Void)?
        /// What many connections never use, allocated on first use: an idle server socket
        /// stays smaller without it.
        private var rare: Rare?

        var messageSource: WebSocketMessages.Producer.Source? {
            get { rare?.messageSource }
            set { setRare(\.messageSource, newValue, isEmpty: newValue == nil) }
        }

        var messages: WebSocketMessages? {
            get { rare?.messages }
            set { setRare(\.messages, newValue, isEmpty: newValue == nil) }
        }

        var closeWaiters: [EventLoopPromise<CloseEvent>] {
            get { rare?.closeWaiters ?? [] }
            set { setRare(\.closeWaiters, newValue, isEmpty: newValue.isEmpty) }
        }

        /// Waiters for the open event (``WebSocket/connect(to:options:clientOptions:)``).
        var openWaiters: [EventLoopPromise<Void>] {
            get { rare?.openWaiters ?? [] }
            set { setRare(\.openWaiters, newValue, isEmpty: newValue.isEmpty) }
        }

        /// Listeners added off the event loop whose registration task has not run yet.
        var pendingListeners: Set<UInt64> {
            get { rare?.pendingListeners ?? [] }
            set { setRare(\.pendingListeners, newValue, isEmpty: newValue.isEmpty) }
        }

        /// The error the error event reported, once it fired.
        var failure: WebSocketError? {
            get { rare?.failure }
            set { setRare(\.failure, newValue, isEmpty: newValue == nil) }
        }

        /// The handshake response a client received.
        var response: HandshakeResponse? {
            get { rare?.response }
            set { setRare(\.response, newValue, isEmpty: newValue == nil) }
        }

        /// Stores `value` in the rare part, which is created only for a value that is not empty.
        private mutating func setRare<Value>(
            _ field: ReferenceWritableKeyPath<Rare, Value>, _ value: Value, isEmpty: Bool
        ) {
            if let rare {
                rare[keyPath: field] = value
            } else if !isEmpty {
                let made = Rare()
                made[keyPath: field] = value
                rare = made
            }
        }
    }

    /// The seldom-used part of ``State``. Only touched under the state lock, through the one
    /// ``State`` value the lock guards (which is never copied to be mutated elsewhere).
    final class Rare: @unchecked Sendable {
        var messageSource: WebSocketMessages.Producer.Source?
        var messages: WebSocketMessages?
        var closeWaiters: [EventLoopPromise<CloseEvent>] = []
        var openWaiters: [EventLoopPromise<Void>] = []
        var pendingListeners: Set<UInt64> = []
        var failure: WebSocketError?
        var response: HandshakeResponse?
    }

    /// Where ``url`` comes from.
    enum Address: Sendable {
        /// A client's URL.
        case url(String)
        /// A server socket's URL, built from the request's `Host` and target when read, so that
        /// an open connection does not keep a copy of it.
        case request(secure: Bool)
    }

    /// The URL: for a server, `ws://` or `wss://` plus the request's `Host` and target; for a
    /// client, the URL it connects to (without credentials).
    public var url: String {
        switch address {
        case .url(let url):
            return url
        case .request(let secure):
            guard let request else { return "" }
            return ServerRequest(request: request, isTLS: secure).url(plain: "ws", secure: "wss")
        }
    }

    private let address: Address
    /// The event loop the connection lives on.
    public let eventLoop: any EventLoop
    /// The handshake request (server side).
    public let request: IncomingRequest?

    /// The handshake response a client received (status and headers), once it arrived; kept
    /// when the handshake failed too.
    public var handshakeResponse: HandshakeResponse? { state.withLockedValue { $0.response } }

    let options: WebSocketOptions
    let state: NIOLockedValueBox<State>

    /// A client socket.
    convenience init(url: String, eventLoop: any EventLoop, request: IncomingRequest?, options: WebSocketOptions) {
        self.init(address: .url(url), eventLoop: eventLoop, request: request, options: options)
    }

    init(address: Address, eventLoop: any EventLoop, request: IncomingRequest?, options: WebSocketOptions) {
        self.address = address
        self.eventLoop = eventLoop
        self.request = request
        self.options = options
        self.state = NIOLockedValueBox(State())
    }

    func attach(_ handler: WebSocketHandler) {
        let bound = NIOLoopBound(handler, eventLoop: eventLoop)
        state.withLockedValue { $0.handler = bound }
    }

    /// Sets the hook that runs once, on the event loop, right after the close event.
    /// - Returns: `false` (and sets nothing) when the socket is already closed.
    func setClosedHook(_ hook: @escaping @Sendable (WebSocket) -> Void) -> Bool {
        state.withLockedValue { state in
            guard state.closeEvent == nil else { return false }
            state.closedHook = hook
            return true
        }
    }

    /// Runs (and drops) the closed hook; called once the close event was dispatched.
    func runClosedHook() {
        let hook = state.withLockedValue { state in
            defer { state.closedHook = nil }
            return state.closedHook
        }
        hook?(self)
    }

    /// Reports the connection's failure: stores it (for ``closed()``, the message sequence and
    /// unsent messages) and fires the error event, at most once and only before the socket is
    /// closing or closed. Keeps the handshake response seen so far.
    /// - Returns: whether it was reported.
    func reportFailure(_ error: WebSocketError, response: HandshakeResponse?) -> Bool {
        let report = state.withLockedValue { state -> Bool in
            if state.response == nil { state.response = response }
            guard state.failure == nil, state.readyState <= .open else {
                return false
            }
            state.failure = error
            state.messages?.failure.withLockedValue { $0 = error }
            return true
        }
        if report { dispatch(\.error, error) }
        return report
    }

    /// The transport is gone (or never came): `CLOSED`, the message sequence ends, what was
    /// not written fails with the cause, then the close event, the close waiters, the closed
    /// hook, and the release of what the socket no longer needs. The one place a socket closes.
    func finishClose(_ event: CloseEvent, unwritten: [EventLoopPromise<Void>]) {
        let (waiters, openWaiters, messageSource, failure) = state.withLockedValue { state in
            state.readyState = .closed
            state.closeEvent = event
            defer {
                state.closeWaiters = []
                state.openWaiters = []
                state.messageSource = nil
            }
            return (state.closeWaiters, state.openWaiters, state.messageSource, state.failure)
        }
        // Outside the lock: finishing calls the sequence's delegate, which takes it again.
        messageSource?.finish()
        for promise in unwritten { promise.fail(failure ?? .closedBeforeSent) }
        for waiter in openWaiters { waiter.fail(failure ?? Self.closedBeforeOpen) }
        dispatch(\.close, event)
        for waiter in waiters { waiter.succeed(event) }
        runClosedHook()
        releaseAfterClose()
    }

    /// Once the close event was dispatched: drops the handler (which keeps the socket) and the
    /// listeners (which can never run again, and often capture the socket), so that a closed
    /// socket is freed when its user lets go of it.
    func releaseAfterClose() {
        state.withLockedValue { state in
            state.handler = nil
            state.open.removeAllListeners()
            state.message.removeAllListeners()
            state.error.removeAllListeners()
            state.close.removeAllListeners()
        }
    }

    /// Runs `body` with the handler on the event loop (at once when already there). Off the
    /// loop the handler is looked up when the task runs, so calls made before a client's handler
    /// is attached (by a task enqueued earlier) still reach it, in order.
    /// `otherwise` runs instead when there is no handler (a client that failed before it had
    /// one, or a socket already closed).
    func withHandler(
        _ body: @escaping @Sendable (WebSocketHandler) -> Void,
        otherwise: (@Sendable () -> Void)? = nil
    ) {
        if eventLoop.inEventLoop {
            guard let bound = state.withLockedValue({ $0.handler }) else {
                otherwise?()
                return
            }
            body(bound.value)
        } else {
            eventLoop.execute {
                guard let bound = self.state.withLockedValue({ $0.handler }) else {
                    otherwise?()
                    return
                }
                body(bound.value)
            }
        }
    }

    // MARK: - State

    /// `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    public var readyState: WebSocketReadyState { state.withLockedValue { $0.readyState } }

    /// Bytes accepted by the `send` methods (as frames) and not yet written to the kernel.
    public var bufferedAmount: Int { state.withLockedValue { $0.bufferedAmount } }

    /// The negotiated subprotocol, or `""`.
    public var `protocol`: String { state.withLockedValue { $0.protocolName } }

    /// The protocol version: `hybi-13`, `hixie-76` or `hixie-75` (`""` before the handshake).
    public var version: String { state.withLockedValue { $0.version } }

    /// The negotiated extensions, in pipeline order.
    public var extensions: [String] { state.withLockedValue { $0.extensions } }

    /// The close event, once the socket is closed (whether or not an error came before it).
    public var closeEvent: CloseEvent? { state.withLockedValue { $0.closeEvent } }

    /// The error the error event reported, if one did (at most one per connection).
    public var error: WebSocketError? { state.withLockedValue { $0.failure } }

    // MARK: - Events

    /// Adds a listener for the open event.
    @discardableResult
    public func onOpen(_ listener: @escaping @Sendable () -> Void) -> ListenerToken {
        addListener(\.open) { (_: Void) in listener() }
    }

    /// Adds a listener for message events (only delivered while open).
    @discardableResult
    public func onMessage(_ listener: @escaping @Sendable (WebSocketMessage) -> Void) -> ListenerToken {
        addListener(\.message, listener)
    }

    /// Adds a listener for the error event (at most one per connection).
    @discardableResult
    public func onError(_ listener: @escaping @Sendable (WebSocketError) -> Void) -> ListenerToken {
        addListener(\.error, listener)
    }

    /// Adds a listener for the close event (exactly one per connection).
    @discardableResult
    public func onClose(_ listener: @escaping @Sendable (CloseEvent) -> Void) -> ListenerToken {
        addListener(\.close, listener)
    }

    private func addListener<Event: Sendable>(
        _ list: any WritableKeyPath<State, ListenerList<Event>> & Sendable,
        _ listener: @escaping @Sendable (Event) -> Void
    ) -> ListenerToken {
        state.addListener(list, on: eventLoop, listener) {
            // Messages kept for a first listener may have paused reading.
            if Event.self == WebSocketMessage.self { self.withHandler { $0.resumeReading() } }
        }
    }

    /// Removes a listener added by one of the `on…` methods, at once (also one whose
    /// registration is still a task on the event loop).
    public func removeListener(_ token: ListenerToken) {
        state.removeListener(token) { state, id in
            state.open.remove(id: id)
            state.message.remove(id: id)
            state.error.remove(id: id)
            state.close.remove(id: id)
        }
    }

    func dispatch<Event: Sendable>(_ list: WritableKeyPath<State, ListenerList<Event>>, _ event: Event) {
        let listeners = state.withLockedValue { $0[keyPath: list].dispatch(event) }
        listeners.callAll(event)
    }

    // MARK: - Messages

    /// The received messages as an `AsyncSequence` with backpressure (see ``WebSocketMessages``).
    ///
    /// Created on first use; it has one consumer (a second iteration throws
    /// ``WebSocketError/Kind/messagesAlreadyIterated`` instead of trapping). Made before the
    /// close, it starts with the messages that arrived while nothing consumed them (a client can
    /// open and receive before its caller gets here), in order; those are then the sequence's
    /// and no longer wait for a first `onMessage` listener. From then on every message goes to
    /// the listeners and to this sequence, and none is kept anywhere else: the sequence holds at
    /// most ``WebSocketOptions/messageBufferLimit`` messages, and the socket stops reading while
    /// it is full. Iterate it, or the connection stops reading.
    ///
    /// The sequence ends when the connection closes: normally after a close without an error,
    /// by throwing the connection's ``WebSocketError`` after a failure.
    public var messages: WebSocketMessages {
        let (sequence, finishedSource, resume) = state.withLockedValue {
            state -> (WebSocketMessages, WebSocketMessages.Producer.Source?, Bool) in
            if let existing = state.messages { return (existing, nil, false) }
            let limit = max(2, options.messageBufferLimit)
            let made = WebSocketMessages.Producer.makeSequence(
                elementType: WebSocketMessage.self,
                backPressureStrategy: .init(lowWatermark: limit / 2, highWatermark: limit),
                finishOnDeinit: true,
                delegate: MessagesDelegate(socket: self)
            )
            let sequence = WebSocketMessages(producer: made.sequence, failure: state.failure)
            state.messages = sequence
            // The messages nobody consumed yet become the sequence's, in order, under the lock
            // that ``deliver(_:)`` takes: none is lost or delivered twice. Nothing calls back
            // into this lock: the sequence has no consumer yet.
            var wantsMore = true
            for message in state.message.takeBufferedEvents() {
                wantsMore = made.source.yield(message) != .stopProducing
            }
            if state.readyState == .closed { return (sequence, made.source, false) }
            state.messageSource = made.source
            return (sequence, nil, wantsMore)
        }
        // Outside the lock: finishing calls the delegate, which takes it again.
        finishedSource?.finish()
        // Reading may have paused while the messages waited for a consumer.
        if resume { withHandler { $0.resumeReading() } }
        return sequence
    }

    /// Delivers a received message to the listeners and to the sequence, if the socket is open;
    /// with neither, keeps it for the first listener or the sequence made later. `false` when
    /// reading must pause: the sequence's consumer lags, or the messages kept for a consumer
    /// reached ``WebSocketOptions/messageBufferLimit``. One lock for the state check and the
    /// delivery, so that a sequence made meanwhile gets the message exactly once.
    func deliver(_ message: WebSocketMessage) -> Bool {
        let limit = max(2, options.messageBufferLimit)
        let delivery = state.withLockedValue {
            state -> (ListenerList<WebSocketMessage>.Listeners, WebSocketMessages.Producer.Source?, Bool)? in
            guard state.readyState == .open else { return nil }
            if let source = state.messageSource { return (state.message.current, source, true) }
            let listeners = state.message.dispatch(message)
            return (listeners, nil, state.message.bufferedCount < limit)
        }
        guard let (listeners, source, keepReading) = delivery else { return true }
        listeners.callAll(message)
        guard let source else { return keepReading }
        switch source.yield(message) {
        case .produceMore: return true
        case .stopProducing: return false
        case .dropped: return true
        }
    }

    func messagesTerminated() {
        state.withLockedValue { $0.messageSource = nil }
    }

    // MARK: - Sending

    /// Sends a text message. Queued while connecting.
    /// - Returns: `false` once closing or closed.
    @discardableResult
    public func send(_ text: String) -> Bool {
        send(.text(text))
    }

    /// Sends a binary message. Queued while connecting.
    /// - Returns: `false` once closing or closed.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        send(.binary(bytes))
    }

    /// Sends a message. Queued while connecting.
    /// - Returns: `false` once closing or closed.
    @discardableResult
    public func send(_ message: WebSocketMessage) -> Bool {
        if eventLoop.inEventLoop {
            // One lock for the state and the handler (an echo sends once per message received).
            let (sendable, bound) = state.withLockedValue { state in
                (state.readyState <= .open, state.handler)
            }
            guard sendable else { return false }
            bound?.value.send(message, promise: nil)
            return true
        }
        guard readyState <= .open else { return false }
        withHandler { $0.send(message, promise: nil) }
        return true
    }

    /// Sends a message and resumes when its bytes were handed to the kernel.
    ///
    /// Sent while connecting, it waits for the open and its bytes. Cancelling the waiting task
    /// throws `CancellationError`; a message already handed to the connection may still be sent.
    ///
    /// - Throws: ``WebSocketError``: the connection's failure (a refused connection, a rejected
    ///   handshake, …) when the message will never be written,
    ///   ``WebSocketError/Kind/notOpen`` once closing or closed,
    ///   ``WebSocketError/Kind/closedBeforeSent`` when the connection closed first.
    public func send(_ message: WebSocketMessage) async throws {
        try Task.checkCancellation()
        guard readyState <= .open else {
            throw self.error ?? .notOpen
        }
        let promise = eventLoop.makePromise(of: Void.self)
        withHandler(
            { $0.send(message, promise: promise) },
            otherwise: { promise.fail(self.error ?? .notOpen) }
        )
        try await valueHonouringCancellation(of: promise.futureResult)
    }

    /// Sends a ping (hybi only); `onPong` runs when the matching pong arrives.
    /// - Returns: `false` for a payload over 125 bytes, or once closing or closed.
    @discardableResult
    public func ping(_ payload: [UInt8] = [], onPong: (@Sendable () -> Void)? = nil) -> Bool {
        guard payload.count <= 125, readyState <= .open else { return false }
        withHandler { $0.ping(payload, onPong: onPong) }
        return true
    }

    /// Starts the closing handshake. The close event follows once the connection is gone (after
    /// the peer's close frame, or ``WebSocketOptions/closeTimeout``).
    ///
    /// - Parameters:
    ///   - code: 1000 or 3000...4999, the codes a browser lets a page use (a literal works:
    ///     `close(code: 4000)`).
    ///   - reason: UTF-8 text, cut to 123 bytes.
    /// - Throws: ``WebSocketCloseError/invalidCode(_:)`` for any other code (even when closed).
    /// - Returns: `false` when already closing or closed.
    @discardableResult
    public func close(code: CloseCode = .normalClosure, reason: String = "") throws(WebSocketCloseError) -> Bool {
        guard code == .normalClosure || (3000...4999).contains(code.rawValue) else {
            throw .invalidCode(code.rawValue)
        }
        return startClosing(code: code, reason: reason)
    }

    /// Moves to `CLOSING` and starts the closing handshake with any code (the server's 1001 on
    /// shutdown, a scope's 1011); `false` when already closing or closed.
    @discardableResult
    func startClosing(code: CloseCode, reason: String) -> Bool {
        let accepted = state.withLockedValue { state -> Bool in
            guard state.readyState < .closing else { return false }
            state.readyState = .closing
            return true
        }
        guard accepted else { return false }
        withHandler { $0.close(code: code, reason: reason) }
        return true
    }

    /// Closes (as ``close(code:reason:)``) and waits for the close event (see ``closed()``).
    /// - Returns: the close event.
    public func closeAndWait(code: CloseCode = .normalClosure, reason: String = "") async throws -> CloseEvent {
        try close(code: code, reason: reason)
        return try await closed()
    }

    /// Waits until the connection is closed.
    ///
    /// Cancelling the waiting task throws `CancellationError` and leaves the socket as it is.
    ///
    /// - Returns: the close event, when the connection ended without an error event.
    /// - Throws: the connection's ``WebSocketError`` when it ended with one (the error event's
    ///   value: a protocol violation, a pong timeout, a failed connect, …).
    public func closed() async throws -> CloseEvent {
        // Once closed, answer without the event loop: it may be shut down by now.
        let (known, failure) = state.withLockedValue { ($0.closeEvent, $0.failure) }
        if let known {
            if let failure { throw failure }
            return known
        }
        let event = try await valueHonouringCancellation(of: closeFuture())
        if let failure = self.error { throw failure }
        return event
    }

    /// Succeeds once the socket is open; fails with the connection's error (or
    /// ``WebSocketError/Kind/notOpen``) when it closed first.
    func openFuture() -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let outcome = state.withLockedValue { state -> Result<Void, WebSocketError>? in
            switch state.readyState {
            case .open: return .success(())
            case .connecting:
                state.openWaiters.append(promise)
                return nil
            case .closing, .closed:
                return .failure(state.failure ?? Self.closedBeforeOpen)
            }
        }
        if let outcome { promise.completeWith(outcome.mapError { $0 as any Error }) }
        return promise.futureResult
    }

    static let closedBeforeOpen = WebSocketError(.notOpen, message: "The WebSocket closed before it opened")

    /// Succeeds with the close event once the connection is closed.
    func closeFuture() -> EventLoopFuture<CloseEvent> {
        let promise = eventLoop.makePromise(of: CloseEvent.self)
        let done = state.withLockedValue { state -> CloseEvent? in
            if let event = state.closeEvent { return event }
            state.closeWaiters.append(promise)
            return nil
        }
        if let done { promise.succeed(done) }
        return promise.futureResult
    }

    /// Drops the connection at once, without a closing handshake (close event 1006).
    public func terminate() {
        withHandler { $0.terminate() }
    }
}
