import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import WebSocketDriver

/// One HTTP/2 connection that client WebSockets share (``WebSocketClientOptions/prefersHTTP2``):
/// TLS with ALPN `h2`, the server's SETTINGS awaited, then one stream per socket.
///
/// It opens through ``ClientTransport`` (connect timeout, TLS verification) as a
/// ``ClientConnectionHandler`` would. The sockets waiting for it learn the outcome: streams on
/// it, HTTP/1.1 (the server did not pick `h2`, or does not advertise
/// `SETTINGS_ENABLE_CONNECT_PROTOCOL`), or the connection error. Used on its event loop only.
final class HTTP2ClientConnection: ClientConnectionHandler {
    /// What the sockets waiting for the connection are told.
    enum Outcome {
        case streams(HTTP2ClientConnection)
        case http1
        case failed(WebSocketError)
    }

    private enum State {
        case opening
        case ready
        case done
    }

    /// The receive window of each stream, and of the connection.
    static let streamWindow = 1024 * 1024
    static let connectionWindow = 4 * 1024 * 1024
    /// The largest DATA frame the server may send: 1 MiB, as the server's own.
    static let maxFrameSize = 1024 * 1024

    /// How long an HTTP/2 connection with no socket on it stays open for the next one.
    static let idleTimeout: TimeAmount = .seconds(30)

    let eventLoop: any EventLoop
    /// The origin, for errors.
    private let host: String
    private let port: Int
    private let shownURL: String
    private let probe = HTTP2ClientProbe()
    private var state = State.opening
    private var waiters: [(Outcome) -> Void] = []
    private var openingEnded: [@Sendable () -> Void] = []
    private var multiplexer: NIOHTTP2Handler.StreamMultiplexer?
    private var channel: (any Channel)?
    private var streams = 0
    private var idleTimer: Scheduled<Void>?
    /// Called once when the outcome is known, then when the connection closes.
    private let onOutcome: (HTTP2ClientConnection, Outcome) -> Void
    private let onClose: (HTTP2ClientConnection) -> Void

    init(
        eventLoop: any EventLoop,
        host: String,
        port: Int,
        shownURL: String,
        onOutcome: @escaping (HTTP2ClientConnection, Outcome) -> Void,
        onClose: @escaping (HTTP2ClientConnection) -> Void
    ) {
        self.eventLoop = eventLoop
        self.host = host
        self.port = port
        self.shownURL = shownURL
        self.onOutcome = onOutcome
        self.onClose = onClose
    }

    /// Runs `waiter` with the outcome: now when it is known, else once it is.
    func wait(_ waiter: @escaping (Outcome) -> Void) {
        switch state {
        case .opening: waiters.append(waiter)
        case .ready: waiter(.streams(self))
        case .done: waiter(.http1)
        }
    }

    /// Whether new streams can be opened on it.
    var isUsable: Bool {
        if case .ready = state, channel?.isActive == true { return true }
        return false
    }

    // MARK: - ClientConnectionHandler

    func channelHandlers() -> [any ChannelHandler] { [probe] }

    var isOpening: Bool {
        if case .opening = state { return true }
        return false
    }

    func whenOpeningEnds(_ body: @escaping @Sendable () -> Void) {
        if isOpening { openingEnded.append(body) } else { body() }
    }

    /// TLS is up: HTTP/2 when ALPN chose `h2`, else HTTP/1.1 for every waiting socket.
    func start() {
        guard let context = probe.context else { return }
        let channel = context.channel
        self.channel = channel
        channel.closeFuture.assumeIsolated().whenComplete { _ in self.closed() }
        guard probe.applicationProtocol == "h2" else {
            finish(.http1)
            channel.close(promise: nil)
            return
        }
        do {
            var connectionConfiguration = NIOHTTP2Handler.ConnectionConfiguration()
            // The server's streams may run ahead by 1 MiB each and 4 MiB together, in frames of
            // up to 1 MiB: the same windows and frames the server gives its clients.
            connectionConfiguration.initialSettings = [
                HTTP2Setting(parameter: .enablePush, value: 0),
                HTTP2Setting(parameter: .maxConcurrentStreams, value: 0),
                HTTP2Setting(parameter: .initialWindowSize, value: Self.streamWindow),
                HTTP2Setting(parameter: .maxFrameSize, value: Self.maxFrameSize),
            ]
            connectionConfiguration.targetWindowSize = Self.connectionWindow
            var streamConfiguration = NIOHTTP2Handler.StreamConfiguration()
            streamConfiguration.targetWindowSize = Self.streamWindow
            let multiplexer = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                mode: .client,
                connectionConfiguration: connectionConfiguration,
                streamConfiguration: streamConfiguration
            ) { stream in
                // Servers may not open streams here (no push, no concurrent streams allowed).
                stream.close()
            }
            self.multiplexer = multiplexer
            try channel.pipeline.syncOperations.addHandler(
                HTTP2SettingsObserver { [self] settings in
                    let connectProtocol = settings.first { $0.parameter == .enableConnectProtocol }?.value == 1
                    if connectProtocol {
                        finish(.streams(self))
                    } else {
                        // RFC 8441 §3: no extended CONNECT without the setting.
                        finish(.http1)
                        channel.close(promise: nil)
                    }
                })
            // Its work is done: every read of the connection would pass through it.
            channel.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            connectionFailed(failure("could not set up HTTP/2: \(error)"))
            channel.close(promise: nil)
        }
    }

    func connectionFailed(_ error: WebSocketError) {
        finish(.failed(error))
    }

    private func finish(_ outcome: Outcome) {
        guard case .opening = state else { return }
        if case .streams = outcome { state = .ready } else { state = .done }
        onOutcome(self, outcome)
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter(outcome) }
        let ended = openingEnded
        openingEnded = []
        for body in ended { body() }
        if case .streams = outcome, streams == 0 { scheduleIdleClose() }
    }

    private func closed() {
        finish(.failed(failure("the connection closed before HTTP/2 was set up")))
        state = .done
        idleTimer?.cancel()
        idleTimer = nil
        multiplexer = nil
        channel = nil
        onClose(self)
    }

    // MARK: - Streams

    /// Opens a stream for a client socket: its extended CONNECT goes out once the stream exists.
    func openStream(for socketHandler: WebSocketHandler, closeTimeout: Duration) {
        guard let multiplexer, isUsable else {
            socketHandler.connectionFailed(failure("the HTTP/2 connection closed"))
            return
        }
        streams += 1
        idleTimer?.cancel()
        idleTimer = nil
        let handshake = HTTP2ClientHandshakeHandler(socketHandler: socketHandler)
        let handlers = NIOLoopBound((handshake, socketHandler), eventLoop: eventLoop)
        let created = eventLoop.makePromise(of: (any Channel).self)
        multiplexer.createStreamChannel(promise: created) { stream in
            stream.eventLoop.makeCompletedFuture {
                let (handshake, socketHandler) = handlers.value
                try stream.pipeline.syncOperations.addHandlers([
                    handshake, HTTP2StreamBytesHandler(peerEnded: false, closeTimeout: closeTimeout), socketHandler,
                ])
            }
        }
        created.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let stream):
                socketHandler.start()
                if let request = socketHandler.driver.extendedConnectRequest { handshake.send(request) }
                stream.closeFuture.assumeIsolated().whenComplete { _ in self.streamClosed() }
            case .failure(let error):
                self.streamClosed()
                socketHandler.connectionFailed(self.failure("could not open an HTTP/2 stream: \(error)"))
            }
        }
    }

    /// A connection failure of the origin, worded like the transport's.
    private func failure(_ reason: String) -> WebSocketError {
        WebSocketError(
            .connectionFailed(host: host, port: port, errno: nil), message: "Network error: \(shownURL): \(reason)")
    }

    private func streamClosed() {
        streams -= 1
        if streams == 0 { scheduleIdleClose() }
    }

    private func scheduleIdleClose() {
        guard isUsable, idleTimer == nil else { return }
        idleTimer = eventLoop.assumeIsolated().scheduleTask(in: Self.idleTimeout) {
            self.idleTimer = nil
            if self.streams == 0 { self.channel?.close(promise: nil) }
        }
    }
}

/// Notes the TLS handshake's ALPN result and the pipeline position the HTTP/2 handlers go after;
/// removed once they are in place.
final class HTTP2ClientProbe: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private(set) var context: ChannelHandlerContext?
    private(set) var applicationProtocol: String?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Lets go of the context: kept, it would hold the pipeline (and its event loop) in a cycle
    /// with this handler once the channel is gone.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted { applicationProtocol = completed.applicationProtocol }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Reports the server's first SETTINGS frame (the connection preface's).
final class HTTP2SettingsObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame

    private var onSettings: ((HTTP2Settings) -> Void)?

    init(onSettings: @escaping (HTTP2Settings) -> Void) {
        self.onSettings = onSettings
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard case .settings(.settings(let settings)) = frame.payload, let report = onSettings else { return }
        onSettings = nil
        report(settings)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Lets go of the callback (and the connection it holds) if no SETTINGS came.
    func handlerRemoved(context: ChannelHandlerContext) {
        onSettings = nil
    }
}
