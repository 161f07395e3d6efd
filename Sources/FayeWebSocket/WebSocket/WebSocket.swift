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
/// kept and delivered to the first listener added later, as in the Ruby gem. The close event
/// fires once, after the transport is really gone; its code is 1006 when no close frame was
/// exchanged. An error event fires at most once, before the close.
///
/// Swift concurrency: ``messages`` is an `AsyncSequence` with backpressure, and
/// ``send(_:)->()`` and ``closeAndWait(code:reason:)`` are `async` that resume when the bytes
/// are written or the connection is closed.
public final class WebSocket: Sendable {
    struct State: Sendable {
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

    /// Removes a listener added by one of the `on…` methods.
    public func removeListener(_ token: ListenerToken) {
        state.withLockedValue { state in
            state.open.remove(id: token.id)
            state.message.remove(id: token.id)
            state.error.remove(id: token.id)
            state.close.remove(id: token.id)
        }
    }

    private func addListener<Event: Sendable>(
        _ list: WritableKeyPath<State, ListenerList<Event>>,
        _ listener: @escaping @Sendable (Event) -> Void
    ) -> ListenerToken {
        let (id, backlog) = state.withLockedValue { state -> (UInt64, [Event]) in
            state.nextListenerID += 1
            let id = state.nextListenerID
            return (id, state[keyPath: list].add(id: id, listener))
        }
        if !backlog.isEmpty {
            eventLoop.execute {
                for event in backlog { listener(event) }
            }
        }
        return ListenerToken(id: id)
    }

    func dispatch<Event: Sendable>(_ list: WritableKeyPath<State, ListenerList<Event>>, _ event: Event) {
        let listeners = state.withLockedValue { $0[keyPath: list].dispatch(event) }
        listeners.callAll(event)
    }

    // MARK: - Messages

    /// The received messages as an `AsyncSequence` with backpressure (see ``WebSocketMessages``).
    ///
    /// Created on first use. Made before the close, it starts with the messages that arrived
    /// while no message listener was registered (a client may open and receive before its caller
    /// gets here; they stay buffered for the first listener too); from then on every message goes
    /// both to the listeners and to this sequence. Iterate it, or the connection stops reading
    /// once the buffer fills.
    public var messages: WebSocketMessages {
        let (sequence, finishedSource) = state.withLockedValue {
            state -> (WebSocketMessages, WebSocketMessages.Producer.Source?) in
            if let existing = state.messages { return (existing, nil) }
            let limit = max(2, options.messageBufferLimit)
            let made = WebSocketMessages.Producer.makeSequence(
                elementType: WebSocketMessage.self,
                backPressureStrategy: .init(lowWatermark: limit / 2, highWatermark: limit),
                finishOnDeinit: true,
                delegate: MessagesDelegate(socket: self)
            )
            let sequence = WebSocketMessages(producer: made.sequence)
            state.messages = sequence
            if state.readyState == .closed { return (sequence, made.source) }
            // Messages that arrived while nobody listened (a client can open and receive before
            // its caller gets here) go to the sequence first, in order, under the lock that
            // ``deliver(_:)`` takes: none is lost or yielded twice. They stay buffered for the
            // first listener too. Nothing calls back into this lock: the sequence has no
            // consumer yet.
            for message in state.message.bufferedEvents { _ = made.source.yield(message) }
            state.messageSource = made.source
            return (sequence, nil)
        }
        // Outside the lock: finishing calls the delegate, which takes it again.
        finishedSource?.finish()
        return sequence
    }

    /// Delivers a received message to the listeners (or buffers it for the first one) and to the
    /// sequence, if the socket is open; `false` when the sequence's consumer lags (stop reading).
    /// One lock for the state check and both, so that a sequence made meanwhile gets the message
    /// exactly once.
    func deliver(_ message: WebSocketMessage) -> Bool {
        let delivery = state.withLockedValue {
            state -> (ListenerList<WebSocketMessage>.Listeners, WebSocketMessages.Producer.Source?)? in
            guard state.readyState == .open else { return nil }
            return (state.message.dispatch(message), state.messageSource)
        }
        guard let (listeners, source) = delivery else { return true }
        listeners.callAll(message)
        guard let source else { return true }
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
                (state.readyState.rawValue <= WebSocketReadyState.open.rawValue, state.handler)
            }
            guard sendable else { return false }
            bound?.value.send(message, promise: nil)
            return true
        }
        guard readyState.rawValue <= WebSocketReadyState.open.rawValue else { return false }
        withHandler { $0.send(message, promise: nil) }
        return true
    }

    /// Sends a message and resumes when its bytes were handed to the kernel.
    /// - Throws: ``WebSocketError`` when the connection is closing or closed, or the write failed.
    public func send(_ message: WebSocketMessage) async throws {
        guard readyState.rawValue <= WebSocketReadyState.open.rawValue else {
            throw WebSocketError(message: "The WebSocket is not open")
        }
        let promise = eventLoop.makePromise(of: Void.self)
        withHandler(
            { $0.send(message, promise: promise) },
            otherwise: { promise.fail(WebSocketError(message: "The WebSocket is not open")) }
        )
        try await promise.futureResult.get()
    }

    /// Sends a ping (hybi only); `onPong` runs when the matching pong arrives.
    /// - Returns: `false` for a payload over 125 bytes, or once closing or closed.
    @discardableResult
    public func ping(_ payload: [UInt8] = [], onPong: (@Sendable () -> Void)? = nil) -> Bool {
        guard payload.count <= 125, readyState.rawValue <= WebSocketReadyState.open.rawValue else { return false }
        withHandler { $0.ping(payload, onPong: onPong) }
        return true
    }

    /// Starts the closing handshake. The close event follows once the connection is gone (after
    /// the peer's close frame, or ``WebSocketOptions/closeTimeout``).
    ///
    /// - Parameters:
    ///   - code: 1000 or 3000...4999, the codes a browser lets a page use.
    ///   - reason: UTF-8 text, cut to 123 bytes.
    /// - Throws: ``WebSocketCloseError/invalidCode(_:)`` for any other code (even when closed).
    /// - Returns: `false` when already closing or closed.
    @discardableResult
    public func close(code: UInt16 = 1000, reason: String = "") throws(WebSocketCloseError) -> Bool {
        guard code == 1000 || (3000...4999).contains(code) else { throw .invalidCode(code) }
        let accepted = state.withLockedValue { state -> Bool in
            guard state.readyState.rawValue < WebSocketReadyState.closing.rawValue else { return false }
            state.readyState = .closing
            return true
        }
        guard accepted else { return false }
        withHandler { $0.close(code: CloseCode(code), reason: reason) }
        return true
    }

    /// Closes (as ``close(code:reason:)``) and waits for the close event.
    /// - Returns: the close event.
    public func closeAndWait(code: UInt16 = 1000, reason: String = "") async throws(WebSocketCloseError) -> CloseEvent {
        try close(code: code, reason: reason)
        return await closed()
    }

    /// Waits until the connection is closed.
    /// - Returns: the close event.
    public func closed() async -> CloseEvent {
        // Once closed, answer without the event loop: it may be shut down by now.
        if let event = state.withLockedValue({ $0.closeEvent }) { return event }
        return (try? await closeFuture().get()) ?? CloseEvent(code: .abnormalClosure)
    }

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
