import NIOCore
import WebSocketDriver

/// The channel handler that runs a ``Driver`` on a NIO channel for a ``WebSocket``: feeds reads
/// to the driver, writes its output once per read batch, keeps the W3C state machine and event
/// rules, runs the ping, pong and close timers, and stops reading while the message sequence's
/// consumer lags.
final class WebSocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let socket: WebSocket
    let driver: Driver
    private let collector: OutputCollector
    private var context: ChannelHandlerContext?
    private var inReadBatch = false
    private var readingPaused = false
    private var readPending = false
    /// Reading stopped because ``WebSocket/bufferedAmount`` passed the high-water mark.
    private var sendBufferFull = false
    /// ``WebSocket/bufferedAmount`` passed ``WebSocketOptions/maxBufferedAmount``.
    private var bufferLimitExceeded = false
    private var closeParameters: CloseEvent?
    /// The timers, once one was needed (see ``timers``).
    private var timerStorage: HandlerTimers?
    /// Whether a message was sent or received since the idle release timer last fired.
    private var activeSinceIdleCheck = false
    /// Whether the connection negotiated extensions and releases their idle state.
    private var releasesIdleState = false
    private var finalized = false
    private var opened = false
    private var startRequested = false
    private var pendingWriteCompletions: [EventLoopPromise<Void>] = []
    /// Completions of messages sent before the open: the driver holds their bytes until then.
    private var awaitingOpen: [EventLoopPromise<Void>] = []

    /// The timers, created on first use.
    private var timers: HandlerTimers {
        if let timerStorage { return timerStorage }
        let made = HandlerTimers()
        timerStorage = made
        return made
    }

    /// Whether the timers' box exists (for tests: an idle connection without pings or
    /// extensions has none).
    var hasTimers: Bool { timerStorage != nil }

    /// Whether this is the client side (a failed handshake then closes with 1006, as in browsers).
    let isClient: Bool
    /// The server's metrics, when a backend is bootstrapped (never for clients).
    private let metrics: ServerMetrics?
    /// Set when the connection ended before a transport existed (a client closed or failed
    /// before connecting): a channel that appears later is closed at once.
    private var endedWithoutTransport = false

    init(socket: WebSocket, driver: Driver, collector: OutputCollector, isClient: Bool = false) {
        self.socket = socket
        self.driver = driver
        self.collector = collector
        self.isClient = isClient
        self.metrics = isClient ? nil : ServerMetrics.current
        wireDriver()
    }

    /// The handler of a server socket for `request` on `channel`, with the driver `makeDriver`
    /// builds around the handler's output (a driver that answers the handshake itself, or one a
    /// host already answered for).
    static func server(
        for request: ServerRequest,
        options: WebSocketOptions,
        channel: any Channel,
        makeDriver: (@escaping Driver.Output) -> Driver
    ) -> WebSocketHandler {
        let collector = OutputCollector(allocator: channel.allocator)
        let socket = WebSocket(
            address: .request(secure: request.isSecure),
            eventLoop: channel.eventLoop,
            request: request.request,
            options: options
        )
        return WebSocketHandler(socket: socket, driver: makeDriver { collector.append($0) }, collector: collector)
    }

    // MARK: - Life cycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if !isClient { socket.attach(self) }
        if endedWithoutTransport {
            context.close(promise: nil)
            return
        }
        if context.channel.isActive && startRequested { start() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finalizeClose()
        self.context = nil
    }

    /// Sends the handshake (server response or client request).
    func start() {
        startRequested = true
        guard context != nil else { return }
        driver.start()
        flush(promise: nil)
    }

    /// The driver's callbacks all capture one ``DriverEvents`` (a closure capturing a single
    /// object strongly needs no context allocation of its own; four `[unowned self]` closures
    /// would each allocate one).
    private func wireDriver() {
        let events = DriverEvents(handler: self)
        driver.onOpen = { events.handler.driverOpened() }
        driver.onMessage = { message in events.handler.driverMessage(message) }
        driver.onError = { error in events.handler.driverFailed(error) }
        driver.onClose = { event in events.handler.beginClose(event, immediately: false) }
    }

    fileprivate func driverOpened() {
        let response = driver.response
        let waiters = socket.state.withLockedValue { state -> [EventLoopPromise<Void>]? in
            state.response = response
            guard state.readyState == .connecting else { return nil }
            state.readyState = .open
            state.protocolName = driver.protocol ?? ""
            state.version = driver.version ?? ""
            state.extensions = driver.extensions
            defer { state.openWaiters = [] }
            return state.openWaiters
        }
        guard let waiters else { return }
        self.opened = true
        if let metrics {
            metrics.handshakeAccepted()
            metrics.opened(.webSocket)
        }
        // The driver writes the messages it held as it opens: their completions go with the
        // next flush.
        pendingWriteCompletions += awaitingOpen
        awaitingOpen = []
        startPinging()
        releasesIdleState = socket.options.extensionIdleRelease != nil && !driver.extensions.isEmpty
        socket.dispatch(\.open, ())
        for waiter in waiters { waiter.succeed() }
    }

    /// The driver failed: a handshake it refused (or the server refused), or a protocol
    /// violation after the open.
    fileprivate func driverFailed(_ error: ProtocolError) {
        let kind: WebSocketError.Kind
        if opened {
            kind = .protocolViolation(error)
        } else if case .unexpectedStatus = error, let response = driver.response {
            kind = .handshakeRejected(response)
        } else {
            kind = .handshakeFailed(error)
        }
        if !opened { metrics?.handshakeRefused(ServerMetrics.reason(for: error)) }
        reportError(WebSocketError(kind, message: error.description))
    }

    fileprivate func driverMessage(_ message: WebSocketMessage) {
        metrics?.messageReceived(payloadBytes: message.payloadCount)
        if releasesIdleState { noteExtensionActivity() }
        // Delivered only while open (checked under the same lock as the delivery).
        if !socket.deliver(message) { readingPaused = true }
    }

    /// Reports a failure to connect (DNS, refused, timeout, proxy, TLS): error, then close 1006.
    func connectionFailed(_ error: WebSocketError) {
        reportError(error)
        beginClose(CloseEvent(code: .abnormalClosure), immediately: true)
    }

    fileprivate func reportError(_ error: WebSocketError) {
        _ = socket.reportFailure(error, response: driver.response)
    }

    /// The driver finished (or the connection must end): save the close parameters, write what
    /// is pending, then close the transport; the close event fires once it is gone.
    fileprivate func beginClose(_ event: CloseEvent, immediately: Bool) {
        let alreadyClosed = socket.state.withLockedValue { state -> Bool in
            if state.readyState == .closed { return true }
            state.readyState = .closing
            return false
        }
        guard !alreadyClosed else { return }
        if closeParameters == nil {
            // A client whose handshake failed reports 1006, as browsers do.
            closeParameters = isClient && !opened && socket.error != nil ? CloseEvent(code: .abnormalClosure) : event
        }
        guard let context else {
            endedWithoutTransport = true
            finalizeClose()
            return
        }
        if immediately {
            context.close(mode: .all, promise: nil)
            return
        }
        // The protocol ended cleanly: END_STREAM, not RST_STREAM, on an HTTP/2 stream.
        context.announceGracefulEnd()
        if let pending = collector.take() {
            trackBuffered(pending.readableBytes)
            context.writeAndFlush(wrapOutboundOut(pending)).assumeIsolated().whenComplete { _ in
                self.untrackBuffered(pending.readableBytes)
                self.context?.close(mode: .all, promise: nil)
            }
        } else {
            context.close(mode: .all, promise: nil)
        }
    }

    /// The transport is gone: CLOSED, timers cancelled, close event (1006 if no close was seen).
    private func finalizeClose() {
        guard !finalized else { return }
        finalized = true
        timerStorage?.cancelAll()
        driver.transportClosed()
        if let metrics, opened {
            metrics.closed(.webSocket)
            metrics.closedWith((closeParameters ?? CloseEvent(code: .abnormalClosure)).code)
        }
        let unwritten = pendingWriteCompletions + awaitingOpen
        pendingWriteCompletions = []
        awaitingOpen = []
        socket.finishClose(closeParameters ?? CloseEvent(code: .abnormalClosure), unwritten: unwritten)
        driver.onOpen = nil
        driver.onMessage = nil
        driver.onError = nil
        driver.onClose = nil
    }

    // MARK: - Inbound

    func channelActive(context: ChannelHandlerContext) {
        if startRequested { start() }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        metrics?.wireBytesReceived(buffer.readableBytes)
        inReadBatch = true
        buffer.withUnsafeReadableBytes { driver.parse($0) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        flush(promise: nil)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finalizeClose()
        context.fireChannelInactive()
    }

    /// A host shutting down gracefully asks its connections to quiesce: close with 1001, after
    /// what was already sent, so the host's shutdown takes a closing handshake, not a timeout.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !isClient {
            socket.goAway()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reportError(WebSocketError(WebSocketError.transportKind(of: error), message: "Network error: \(url): \(error)"))
        beginClose(CloseEvent(code: .abnormalClosure), immediately: true)
    }

    private var url: String { socket.url }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        if readingPaused || sendBufferFull {
            readPending = true
        } else {
            context.read()
        }
    }

    /// The consumer of the message sequence caught up (or went away): read again.
    func resumeReading() {
        readingPaused = false
        readIfHeldBack()
    }

    /// Issues the read held back while paused, once neither the consumer nor the send buffer
    /// holds it back any more.
    private func readIfHeldBack() {
        guard !readingPaused, !sendBufferFull, readPending, let context else { return }
        readPending = false
        context.read()
    }

    func send(_ message: WebSocketMessage, promise: EventLoopPromise<Void>?) {
        guard driver.send(message) else {
            promise?.fail(socket.error ?? .notOpen)
            return
        }
        metrics?.messageSent(payloadBytes: message.payloadCount)
        if releasesIdleState { noteExtensionActivity() }
        guard opened else {
            // Held by the driver until the open: complete once its bytes are written.
            if let promise { awaitingOpen.append(promise) }
            return
        }
        flushIfOutsideRead(promise: promise)
    }

    /// The response to an HTTP/2 extended CONNECT arrived (client over h2): the driver opens
    /// or fails on it, and what it wrote (messages queued before the open) goes out.
    func extendedConnectAnswered(_ response: HandshakeResponse) {
        driver.receiveExtendedConnectResponse(response)
        flushIfOutsideRead(promise: nil)
    }

    func ping(_ payload: [UInt8], onPong: (@Sendable () -> Void)?) {
        driver.ping(payload, onPong: onPong)
        flushIfOutsideRead(promise: nil)
    }

    func close(code: CloseCode, reason: String) {
        if timerStorage?.closeTimer == nil, let context {
            timers.closeTimer = context.eventLoop.assumeIsolated().scheduleTask(
                in: TimeAmount(socket.options.closeTimeout)
            ) {
                self.beginClose(CloseEvent(code: .abnormalClosure), immediately: true)
            }
        }
        driver.close(code: code, reason: reason)
        flushIfOutsideRead(promise: nil)
    }

    /// Drops the transport at once (or, before there is one, ends the connection attempt).
    func terminate() {
        closeParameters = CloseEvent(code: .abnormalClosure)
        guard let context else {
            beginClose(CloseEvent(code: .abnormalClosure), immediately: true)
            return
        }
        context.close(mode: .all, promise: nil)
    }

    private func flushIfOutsideRead(promise: EventLoopPromise<Void>?) {
        if inReadBatch {
            if let promise { pendingWriteCompletions.append(promise) }
        } else {
            flush(promise: promise)
        }
    }

    private func flush(promise: EventLoopPromise<Void>?) {
        var promises = pendingWriteCompletions
        pendingWriteCompletions = []
        if let promise { promises.append(promise) }
        guard let context else {
            // No transport yet (a client still connecting): keep the promises for later.
            pendingWriteCompletions = promises
            return
        }
        guard let pending = collector.take() else {
            for promise in promises { promise.succeed() }
            return
        }
        let count = pending.readableBytes
        metrics?.wireBytesSent(count)
        trackBuffered(count)
        context.writeAndFlush(wrapOutboundOut(pending)).assumeIsolated().whenComplete { result in
            self.untrackBuffered(count)
            switch result {
            case .success:
                for promise in promises { promise.succeed() }
            case .failure(let error):
                let failure =
                    self.socket.error
                    ?? WebSocketError(.connectionLost, message: "Network error: \(self.url): \(error)")
                for promise in promises { promise.fail(failure) }
            }
        }
        if bufferLimitExceeded { dropForBufferLimit() }
    }

    private func trackBuffered(_ count: Int) {
        let amount = socket.state.withLockedValue { state -> Int in
            state.bufferedAmount += count
            return state.bufferedAmount
        }
        if amount > socket.options.bufferedAmountHighWaterMark { sendBufferFull = true }
        // Enforced by flush, after the write it is issuing.
        if let limit = socket.options.maxBufferedAmount, amount > limit { bufferLimitExceeded = true }
    }

    private func untrackBuffered(_ count: Int) {
        let amount = socket.state.withLockedValue { state -> Int in
            state.bufferedAmount -= count
            return state.bufferedAmount
        }
        if sendBufferFull, amount <= socket.options.bufferedAmountHighWaterMark / 2 {
            sendBufferFull = false
            readIfHeldBack()
        }
    }

    /// ``WebSocketOptions/maxBufferedAmount`` was exceeded: the peer does not read. Drops the
    /// connection (close event 1008).
    private func dropForBufferLimit() {
        let limit = socket.options.maxBufferedAmount ?? 0
        guard !finalized, closeParameters == nil else { return }
        closeParameters = CloseEvent(code: .policyViolation, reason: "bufferedAmount exceeded \(limit) bytes")
        reportError(
            WebSocketError(
                .bufferedAmountExceeded(limit: limit),
                message: "The peer does not read: bufferedAmount exceeded \(limit) bytes"))
        beginClose(CloseEvent(code: .policyViolation), immediately: true)
    }

    // MARK: - Idle release

    /// A message went through the extensions: the idle release timer runs (started if it was
    /// not), and its next firing sees the activity.
    private func noteExtensionActivity() {
        activeSinceIdleCheck = true
        guard timerStorage?.idleReleaseTimer == nil else { return }
        scheduleIdleCheck()
    }

    private func scheduleIdleCheck() {
        guard let interval = socket.options.extensionIdleRelease, let context, !finalized else { return }
        timers.idleReleaseTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(interval)) {
            self.idleCheck()
        }
    }

    /// Fires one period after the timer started: a connection with no message since then
    /// releases its extensions' state and stops the timer (the next message starts it again).
    private func idleCheck() {
        timerStorage?.idleReleaseTimer = nil
        guard !finalized else { return }
        if activeSinceIdleCheck {
            activeSinceIdleCheck = false
            scheduleIdleCheck()
        } else {
            driver.releaseIdleState()
        }
    }

    // MARK: - Keep-alive

    private func startPinging() {
        guard let interval = socket.options.pingInterval, let context, !finalized else { return }
        timers.pingTask = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(interval)) {
            self.sendKeepAlivePing()
            self.startPinging()
        }
    }

    private func sendKeepAlivePing() {
        guard socket.readyState == .open, let context else { return }
        let timers = self.timers
        timers.pingCounter += 1
        let number = timers.pingCounter
        let loop = context.eventLoop
        driver.ping(Array(String(number).utf8)) { [unowned self] in
            self.timerStorage?.pongTimers.removeValue(forKey: number)?.cancel()
        }
        if let timeout = socket.options.pongTimeout {
            timers.pongTimers[number] = loop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
                self.metrics?.pingUnanswered()
                self.reportError(
                    WebSocketError(.pongTimeout(timeout), message: "No pong received within \(timeout); closing"))
                self.beginClose(CloseEvent(code: .abnormalClosure), immediately: true)
            }
        }
        flushIfOutsideRead(promise: nil)
    }
}

extension TimeAmount {
    /// Converts a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// What the driver's callbacks hold: the handler, without keeping it alive (the handler keeps
/// the driver).
private final class DriverEvents {
    unowned let handler: WebSocketHandler

    init(handler: WebSocketHandler) {
        self.handler = handler
    }
}

extension WebSocket {
    /// Closes with 1001 (server shutdown), bypassing the page-level code rule.
    func goAway() {
        startClosing(code: .goingAway, reason: "Server shutting down")
    }
}
