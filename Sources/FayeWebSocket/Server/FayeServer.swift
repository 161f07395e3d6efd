public import ClientAddress
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
public import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An embedded HTTP/1.1 server for ``FayeHTTPHandler`` responders: the part Thin or Puma plays
/// for the Ruby gem. One event loop per core, keep-alive, bounded request heads and bodies, a
/// handshake timeout, and a graceful shutdown that closes WebSockets with 1001.
///
/// ```swift
/// let server = FayeServer(configuration: .init(port: 9292)) { request in
///     guard request.isWebSocket else { return ServerResponse(text: "Hello\n") }
///     return .webSocket { socket in socket.onMessage { socket.send($0) } }
/// }
/// try await server.start()
/// print(server.localAddress!)
/// // …
/// try await server.shutdown()
/// ```
///
/// It is also a `Service` of swift-service-lifecycle: run it in a `ServiceGroup` and a
/// SIGTERM or SIGINT (the group's graceful shutdown) shuts it down as ``shutdown()`` does, every
/// WebSocket closed with 1001:
///
/// ```swift
/// let group = ServiceGroup(
///     services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class FayeServer: Sendable {
    /// Where and how the server listens.
    public struct Configuration: Sendable {
        /// The address to bind: an IPv4 or IPv6 literal or a host name. Default `127.0.0.1`.
        public var host: String = "127.0.0.1"
        /// The port; 0 picks a free one (see ``FayeServer/localAddress``). Default 9292.
        public var port: Int = 9292
        /// The largest request head (request line and headers) accepted; 431 beyond it.
        /// Default 16 KiB.
        public var maxHeadSize: Int = 16 * 1024
        /// The most header fields accepted in a request; 431 beyond it. Default 100.
        public var maxHeaderCount: Int = 100
        /// The largest request body accepted; 413 beyond it. Default 1 MiB.
        public var maxBodySize: Int = 1024 * 1024
        /// A connection that has not completed its first request head (or, when kept alive,
        /// its next one) within this time is closed. Default 30 seconds.
        public var handshakeTimeout: Duration = .seconds(30)
        /// The most connections open at once (HTTP, WebSocket and EventSource alike). A
        /// connection accepted beyond it is answered `503 Service Unavailable` with
        /// `Connection: close` and `Retry-After: 1`, and closed; its request is not served.
        /// Default 10,000 (keep it under the process's file descriptor limit).
        public var maxConnections: Int = 10_000
        /// Event loop threads of the server's own group. Default: one per core. Not used when
        /// the server runs on a group you pass to ``FayeServer/init(configuration:eventLoopGroup:logger:responder:)``.
        public var threads: Int = System.coreCount
        /// How long ``FayeServer/shutdown()`` waits for WebSockets to finish their closing
        /// handshake. Default 5 seconds.
        public var shutdownGracePeriod: Duration = .seconds(5)
        /// Whether several processes may bind the same port (`SO_REUSEPORT`): the kernel then
        /// spreads new connections over them. Default `false`.
        public var reusePort = false
        /// A path answered by the server itself, before the responder, for load balancers'
        /// health checks: `GET` (or `HEAD`) gets `200 ok` while the server serves normally and
        /// `503 draining` once a graceful shutdown has begun. `nil` (the default): none.
        public var healthCheckPath: String?
        /// How long a graceful shutdown keeps serving, and accepting, with the health check
        /// answering `503`, before it stops accepting: time for a load balancer to notice and
        /// send new connections elsewhere. Default zero.
        public var drainDelay: Duration = .zero
        /// The reconnection time advised to EventSource clients (a final `retry:` field) when a
        /// graceful shutdown ends their streams, so that they come back soon, to another
        /// instance, and resume by `Last-Event-ID`. Default 1 second.
        public var shutdownRetryHint: Duration = .seconds(1)
        /// The proxies in front of the server (addresses or CIDR ranges, e.g.
        /// `TrustedProxies(parsing: "127.0.0.1, 10.0.0.0/8")`): from these peers, and only these,
        /// the `Forwarded` and `X-Forwarded-For`/`-Proto`/`-Host` fields name the client, its
        /// scheme and host (``ServerRequest/remoteAddress``, ``ServerRequest/isSecure``); from
        /// anyone else they are ignored, and a connection that starts with a PROXY protocol
        /// header is closed. Empty (the default): no proxy is trusted, and the scheme headers
        /// keep the Ruby gem's meaning (honoured from anyone, for `isSecure` only).
        public var trustedProxies = TrustedProxies()
        /// Whether every connection from a trusted proxy starts with a PROXY protocol header
        /// (version 1 or 2, HAProxy's `send-proxy`/`send-proxy-v2`) naming the client; one
        /// without a valid header is closed with nothing served. Default `false`.
        public var expectsProxyProtocol = false
        /// Whether this server's connections count in the library's metrics (swift-metrics,
        /// once the application bootstrapped a backend). Default `true`; turn it off for the
        /// server of a metrics endpoint, so that scrapes do not count.
        public var reportsMetrics = true
        /// TLS (`wss:` and `https:`): the certificate chain and key, loaded by ``FayeServer/start()``.
        /// `nil` (the default): plain TCP.
        public var tls: TLSServerConfiguration?
        /// HTTP/2: offered by ALPN over TLS (on by default), with prior knowledge over
        /// cleartext (off by default), its stream limits. See ``HTTP2ServerConfiguration``.
        public var http2 = HTTP2ServerConfiguration()

        /// Creates a configuration.
        public init(host: String = "127.0.0.1", port: Int = 9292) {
            self.host = host
            self.port = port
        }
    }

    private struct Running: Sendable {
        var group: (any EventLoopGroup)?
        var channel: (any Channel)?
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The configuration.
    public let configuration: Configuration
    /// The logger: one line per connection at `info`.
    public let logger: Logger
    private let responder: FayeHTTPHandler.Responder
    private let running = NIOLockedValueBox(Running())
    /// The application's event loops, when it passed them; otherwise the server makes its own.
    private let sharedGroup: (any EventLoopGroup)?

    /// Creates a server; ``start()`` binds it (or ``run()``, as a service).
    ///
    /// - Parameters:
    ///   - configuration: where and how it listens.
    ///   - eventLoopGroup: event loops the application already has; the server runs on them
    ///     and leaves them running when it shuts down. `nil` (the default): the server makes a
    ///     group of ``Configuration/threads`` threads and shuts it down with itself.
    ///   - logger: one line per connection at `info`.
    ///   - responder: answers each request (see ``FayeHTTPHandler/Responder``).
    public init(
        configuration: Configuration = Configuration(),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "faye.server"),
        responder: @escaping FayeHTTPHandler.Responder
    ) {
        self.configuration = configuration
        self.sharedGroup = eventLoopGroup
        self.logger = logger
        let tracker = SocketTracker()
        self.tracker = tracker
        let streams = DrainableStreams()
        self.streams = streams
        let healthCheckPath = configuration.healthCheckPath
        let streamLogger = logger.logLevel <= .info ? logger : nil
        let draining = self.draining
        // WebSockets and EventSources taken over by this server are tracked for the graceful
        // shutdown; the health check is answered before the responder.
        self.responder = { request in
            if let healthCheckPath, request.request.method == "GET" || request.request.method == "HEAD",
                request.request.path == healthCheckPath
            {
                return draining.withLockedValue { $0 }
                    ? ServerResponse(status: 503, headers: ["Cache-Control": "no-store"], text: "draining\n")
                    : ServerResponse(status: 200, headers: ["Cache-Control": "no-store"], text: "ok\n")
            }
            let response = await responder(request)
            if let registering = response.takeover as? any DrainRegistering {
                Self.logTakeover("eventsource", request, logger: streamLogger)
                return .takeOver(registering.registering(with: streams))
            }
            guard let takeover = response.takeover as? WebSocketTakeover else { return response }
            Self.logTakeover("websocket", request, logger: streamLogger)
            return .webSocket(options: takeover.options) { socket in
                tracker.add(socket)
                takeover.setup(socket)
            }
        }
    }

    /// One line per WebSocket or EventSource of an HTTP/1.1 connection, naming the client as
    /// resolved through trusted proxies (HTTP/2 streams have a line of their own).
    private static func logTakeover(_ kind: String, _ request: ServerRequest, logger: Logger?) {
        guard let logger, request.request.version != "HTTP/2" else { return }
        logger.info("\(kind) from \(request.clientDescription) \(request.request.target)")
    }

    private let tracker: SocketTracker
    private let streams: DrainableStreams
    /// Set when a graceful shutdown begins: the health check answers 503 from then on.
    private let draining = NIOLockedValueBox(false)

    /// Whether the server is serving normally: `false` once a graceful shutdown has begun (the
    /// health check, when configured, then answers `503`).
    public var isHealthy: Bool { !draining.withLockedValue { $0 } && isRunning }
    let connections = ConnectionTracker()

    /// The receive buffer sizes of accepted connections: NIO's adaptive allocator with its
    /// minimum and maximum (64 B and 64 KiB), starting at 512 bytes rather than NIO's 2 KiB.
    ///
    /// NIO keeps the buffer of a connection's last read for the next one, so an idle
    /// connection holds the buffer its opening handshake was read into. A WebSocket handshake
    /// request is a few hundred bytes; starting at 512 bytes saves 1.5 KiB per idle connection.
    /// Larger messages cost nothing in steady state: the allocator doubles the buffer after
    /// every read that fills it (up to 64 KiB, within one read batch of up to 16 reads) and
    /// halves it only after two reads in a row that fill less than half.
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 64 * 1024)

    /// The connections open now (accepted and not yet closed; refused ones not counted).
    public var connectionCount: Int { connections.count }

    /// The bound address, once started.
    public var localAddress: SocketAddress? {
        running.withLockedValue { $0.channel?.localAddress }
    }

    /// Loads the TLS certificate and key (if configured), binds and starts accepting connections.
    /// - Throws: a ``TLSError`` for an unreadable or mismatched certificate or key, or the bind
    ///   error.
    public func start() async throws {
        let configuration = self.configuration
        // Loaded once, before binding: a bad certificate or key fails start().
        let tls = try configuration.tls.map { try TLSContext(server: Self.offeringHTTP2($0, configuration.http2)) }
        // Refused connections are answered in HTTP/1.1: their TLS selects no protocol.
        let refusalTLS = try configuration.tls.map { try TLSContext(server: $0) }
        let group: any EventLoopGroup =
            sharedGroup ?? MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let responder = self.responder
        let logger = self.logger
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(
                .socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: configuration.reusePort ? 1 : 0
            )
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.recvAllocator, value: Self.receiveAllocator)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.add(channel, limit: configuration.maxConnections) else {
                        logger.warning("connection refused: \(configuration.maxConnections) connections open")
                        if let refusalTLS {
                            try channel.pipeline.syncOperations.addHandler(TLSHandler(context: refusalTLS))
                        }
                        try channel.pipeline.syncOperations.addHandler(ConnectionLimitHandler())
                        return
                    }
                    try Self.configure(
                        channel, configuration: configuration, tls: tls, responder: responder, logger: logger)
                }
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            running.withLockedValue {
                $0.group = group
                $0.channel = channel
            }
        } catch {
            if sharedGroup == nil { try? await group.shutdownGracefully() }
            throw error
        }
    }

    /// Whether the server is bound and accepting.
    private var isRunning: Bool { running.withLockedValue { $0.channel != nil } }

    /// The TLS configuration with `h2` and `http/1.1` offered by ALPN when HTTP/2 is enabled
    /// and the application named no protocols of its own.
    static func offeringHTTP2(_ tls: TLSServerConfiguration, _ http2: HTTP2ServerConfiguration)
        -> TLSServerConfiguration
    {
        var tls = tls
        if http2.isEnabled && tls.applicationProtocols.isEmpty { tls.applicationProtocols = ["h2", "http/1.1"] }
        return tls
    }

    /// Builds the pipeline the server builds for each accepted connection, on a channel you
    /// accepted yourself (your own `ServerBootstrap`, an inherited socket, an embedded channel
    /// in a test or a fuzzer): TLS when `tls` is given, then HTTP/1.1 or HTTP/2 (chosen by ALPN
    /// over TLS, by the preface with ``HTTP2ServerConfiguration/acceptsPriorKnowledge``), with
    /// the configuration's limits and timeouts. Call it on the channel's event loop, from the
    /// child channel initializer.
    ///
    /// The server's own bookkeeping (``connectionCount``, the connection limit, the graceful
    /// shutdown of WebSockets) is not part of it: that belongs to a running ``FayeServer``.
    /// Neither are the accepted channels' options: a ``FayeServer`` sets
    /// `ChannelOptions.recvAllocator` to
    /// `AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)`, because NIO
    /// keeps the buffer of a connection's last read and NIO's default starts at 2 KiB; set it
    /// on your bootstrap's child channels for the same idle footprint.
    ///
    /// - Parameters:
    ///   - channel: the accepted connection.
    ///   - configuration: limits, timeouts and HTTP/2 settings (its host, port and TLS
    ///     configuration are not used; pass the loaded `tls` context instead).
    ///   - tls: the TLS context to serve with, or `nil` for cleartext. Offer `h2` by ALPN with
    ///     ``TLSServerConfiguration/applicationProtocols`` for HTTP/2 over TLS.
    ///   - responder: answers each request.
    ///   - logger: one line per connection (and per HTTP/2 WebSocket or EventSource stream) at `info`.
    public static func configure(
        _ channel: any Channel,
        configuration: Configuration,
        tls: TLSContext?,
        responder: @escaping FayeHTTPHandler.Responder,
        logger: Logger
    ) throws {
        let trusted = configuration.trustedProxies
        guard !trusted.isEmpty else {
            try configureConnection(
                channel, client: nil, configuration: configuration, tls: tls, responder: responder, logger: logger)
            return
        }
        // Behind trusted proxies: the PROXY header comes before anything else, TLS included.
        try channel.pipeline.syncOperations.addHandler(
            ProxyProtocolHandler(
                trustedProxies: trusted, expectsHeader: configuration.expectsProxyProtocol,
                timeout: configuration.handshakeTimeout
            ) { client, _ in
                try configureConnection(
                    channel, client: client, configuration: configuration, tls: tls, responder: responder,
                    logger: logger)
            })
    }

    /// The pipeline after any PROXY header: TLS, then HTTP/1.1 or HTTP/2. `client` is the
    /// address a PROXY header named.
    private static func configureConnection(
        _ channel: any Channel,
        client: SocketAddress?,
        configuration: Configuration,
        tls: TLSContext?,
        responder: @escaping FayeHTTPHandler.Responder,
        logger: Logger
    ) throws {
        let sync = channel.pipeline.syncOperations
        // TLS first: it stays when a takeover removes the HTTP handlers.
        if let tls { try sync.addHandler(TLSHandler(context: tls)) }
        let logged = logger.logLevel <= .info ? logger : nil
        let selection: HTTPVersionSelector.Source? =
            if tls != nil {
                configuration.http2.isEnabled ? .alpn : nil
            } else {
                configuration.http2.acceptsPriorKnowledge ? .preface : nil
            }
        let isTLS = tls != nil
        let address = client ?? channel.remoteAddress
        guard let selection else {
            try configureHTTP1(
                channel, configuration: configuration, isTLS: isTLS, client: client, responder: responder)
            logConnection(channel, address, .http1, logger: logged, reportsMetrics: configuration.reportsMetrics)
            return
        }
        try sync.addHandler(
            HTTPVersionSelector(source: selection, timeout: configuration.handshakeTimeout) { choice, _ in
                switch choice {
                case .http1:
                    try configureHTTP1(
                        channel, configuration: configuration, isTLS: isTLS, client: client, responder: responder)
                case .http2:
                    try configureHTTP2(
                        channel, configuration: configuration, isTLS: isTLS, client: client, responder: responder,
                        logger: logged)
                }
                logConnection(channel, address, choice, logger: logged, reportsMetrics: configuration.reportsMetrics)
            })
    }

    /// The HTTP/1.1 handlers: NIO's codec with the head limits, pipelining, the handshake
    /// timeout, then the ``FayeHTTPHandler``.
    private static func configureHTTP1(
        _ channel: any Channel,
        configuration: Configuration,
        isTLS: Bool,
        client: SocketAddress?,
        responder: @escaping FayeHTTPHandler.Responder
    ) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = configuration.maxHeadSize
        limits.maxHeaderFieldSize = configuration.maxHeadSize
        limits.maxHeaderFieldCount = configuration.maxHeaderCount
        var handlerConfiguration = FayeHTTPHandler.Configuration()
        handlerConfiguration.maxBodySize = configuration.maxBodySize
        handlerConfiguration.isTLS = isTLS
        handlerConfiguration.trustedProxies = configuration.trustedProxies
        handlerConfiguration.clientAddress = client
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTPResponseEncoder())
        try sync.addHandler(
            ByteToMessageHandler(
                HTTPRequestDecoder(
                    leftOverBytesStrategy: .forwardBytes,
                    informationalResponseStrategy: .drop,
                    limitConfiguration: limits
                )
            )
        )
        try sync.addHandler(HTTPServerPipelineHandler())
        try sync.addHandler(HandshakeTimeoutHandler(timeout: configuration.handshakeTimeout))
        try sync.addHandler(FayeHTTPHandler(configuration: handlerConfiguration, responder: responder))
    }

    /// The HTTP/2 handler (SETTINGS from ``HTTP2ServerConfiguration``, the head limit as
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`) and, on each stream the client opens, an
    /// ``HTTP2StreamRequestHandler``.
    private static func configureHTTP2(
        _ channel: any Channel,
        configuration: Configuration,
        isTLS: Bool,
        client: SocketAddress?,
        responder: @escaping FayeHTTPHandler.Responder,
        logger: Logger?
    ) throws {
        let http2 = configuration.http2
        // Idle connections and shutdown end with GOAWAY, so that a client knows which of its
        // streams were served and opens new ones elsewhere.
        let management = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(
                maxIdleTime: http2.idleTimeout.map { TimeAmount($0) }, maxAge: nil,
                maxGraceTime: TimeAmount(configuration.shutdownGracePeriod), keepalive: nil))
        let streamLimit = HTTP2StreamLimit(limit: http2.maxConcurrentStreams, next: management.http2StreamDelegate)
        var settings: HTTP2Settings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: streamLimit.enforcedByNIO),
            HTTP2Setting(parameter: .maxHeaderListSize, value: configuration.maxHeadSize),
            HTTP2Setting(parameter: .headerTableSize, value: http2.headerTableSize),
            HTTP2Setting(parameter: .initialWindowSize, value: http2.initialWindowSize),
            HTTP2Setting(parameter: .maxFrameSize, value: http2.maxFrameSize),
        ]
        if http2.allowsWebSockets { settings.append(HTTP2Setting(parameter: .enableConnectProtocol, value: 1)) }
        var connectionConfiguration = NIOHTTP2Handler.ConnectionConfiguration()
        connectionConfiguration.initialSettings = settings
        connectionConfiguration.targetWindowSize = http2.connectionWindowSize
        var streamConfiguration = NIOHTTP2Handler.StreamConfiguration()
        streamConfiguration.targetWindowSize = http2.initialWindowSize
        // NIO's guard against rapid resets (CVE-2023-44487) allows 200 RST_STREAMs per 30 s by
        // default: a client that cancels its allowed streams (and resets a few frames already
        // in flight on them) twice would be cut off. Ten per allowed stream keeps the guard.
        streamConfiguration.streamResetFrameRateLimit.maximumCount = max(200, 10 * http2.maxConcurrentStreams)
        let connection = HTTP2StreamRequestHandler.Connection(
            responder: responder,
            maxBodySize: configuration.maxBodySize,
            maxHeaderCount: configuration.maxHeaderCount,
            isTLS: isTLS,
            remoteAddress: client ?? channel.remoteAddress,
            peerAddress: channel.remoteAddress,
            trustedProxies: configuration.trustedProxies,
            streamCloseTimeout: http2.streamCloseTimeout,
            logger: logger
        )
        // The client is told the real limit; NIO's higher one is only the connection-error ceiling.
        try channel.pipeline.syncOperations.addHandler(HTTP2AdvertisedLimitWriter(advertised: streamLimit.limit))
        let boundLimit = NIOLoopBound(streamLimit, eventLoop: channel.eventLoop)
        _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
            mode: .server,
            connectionConfiguration: connectionConfiguration,
            streamConfiguration: streamConfiguration,
            streamDelegate: streamLimit
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                guard boundLimit.value.admit(stream) else {
                    HTTP2StreamLimit.refuse(stream)
                    return
                }
                try stream.pipeline.syncOperations.addHandler(HTTP2StreamRequestHandler(connection: connection))
            }
        }
        try channel.pipeline.syncOperations.addHandler(management)
        try channel.pipeline.syncOperations.addHandler(HTTP2ProtocolErrorSink())
        // The connection became active before it chose HTTP/2: tell the new handler, which
        // starts its idle timer on channelActive, and only the handlers behind it.
        if channel.isActive {
            try channel.pipeline.syncOperations.context(handlerType: NIOHTTP2Handler.self).fireChannelActive()
        }
    }

    /// One line per connection at `info` (`connection from ADDRESS (h2)`), and one when it
    /// closes. Only when info lines are logged: the close callback and the peer's description
    /// cost memory per open connection.
    private static func logConnection(
        _ channel: any Channel, _ address: SocketAddress?, _ choice: HTTPVersionChoice, logger: Logger?,
        reportsMetrics: Bool
    ) {
        if reportsMetrics, let metrics = ServerMetrics.current {
            let kind: ServerMetrics.Kind = choice == .http2 ? .http2 : .http1
            metrics.opened(kind)
            channel.closeFuture.whenComplete { _ in metrics.closed(kind) }
        }
        guard let logger else { return }
        let peer = address?.hostAndPort ?? "?"
        logger.info("connection from \(peer) (\(choice.name))")
        channel.closeFuture.whenComplete { _ in logger.info("connection from \(peer) closed") }
    }

    /// Shuts down gracefully: with a ``Configuration/drainDelay``, first keeps serving for that
    /// long with ``isHealthy`` false (the health check answers `503`); then stops accepting,
    /// closes every WebSocket with 1001 (going away) and ends every EventSource stream after a
    /// final `retry:` of ``Configuration/shutdownRetryHint``, waits up to the grace period for
    /// them, then closes the remaining connections (kept-alive HTTP connections, taken-over
    /// ones, what did not finish in time) and stops the event loops once every connection's
    /// close callbacks have run. A second call waits for the first.
    public func shutdown() async throws {
        let first = draining.withLockedValue { draining -> Bool in
            defer { draining = true }
            return !draining
        }
        guard first else {
            await stopped()
            return
        }
        if configuration.drainDelay > .zero, isRunning {
            // Still serving and accepting: the load balancer sees the health check fail.
            try? await Task.sleep(for: configuration.drainDelay)
        }
        let (group, channel) = running.withLockedValue { state in
            defer {
                state.group = nil
                state.channel = nil
            }
            return (state.group, state.channel)
        }
        guard let group else {
            markStopped()
            return
        }
        try? await channel?.close()
        // HTTP/2 connections announce the end (GOAWAY) and take no new streams; the ones open
        // end below, as over HTTP/1.1.
        for connection in connections.all() {
            connection.eventLoop.execute {
                let sync = connection.pipeline.syncOperations
                guard (try? sync.handler(type: NIOHTTP2ServerConnectionManagementHandler.self)) != nil else { return }
                sync.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
        let sockets = tracker.all()
        let streams = self.streams.all()
        for socket in sockets { socket.goAway() }
        for stream in streams { stream.drain(retryHint: configuration.shutdownRetryHint) }
        if !sockets.isEmpty || !streams.isEmpty {
            // Every closing handshake and stream end, but no longer than the grace period.
            let loop = group.any()
            let done = loop.makePromise(of: Void.self)
            let gone = streams.map { stream in
                let promise = loop.makePromise(of: Void.self)
                stream.whenGone { promise.succeed() }
                return promise.futureResult
            }
            let closes = sockets.map { $0.closeFuture().map { _ in } }
            EventLoopFuture.andAllComplete(closes + gone, on: loop).cascade(to: done)
            let timer = loop.scheduleTask(in: TimeAmount(configuration.shutdownGracePeriod)) { done.succeed() }
            try? await done.futureResult.get()
            timer.cancel()
        }
        let remaining = tracker.all()
        for socket in remaining { socket.terminate() }
        for stream in self.streams.all() { stream.terminate() }
        // Let them finish (and their close callbacks run) while the event loops still run.
        for socket in remaining { _ = try? await socket.closed() }
        let channels = connections.all()
        for channel in channels { channel.close(promise: nil) }
        for channel in channels { try? await channel.closeFuture.get() }
        if sharedGroup == nil { try await group.shutdownGracefully() }
        markStopped()
    }

    private func markStopped() {
        let waiters = running.withLockedValue { state in
            state.stopped = true
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until a ``shutdown()`` has finished.
    private func stopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = running.withLockedValue { state -> Bool in
                if state.stopped { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// The connections a server has open, for its connection limit and its shutdown.
final class ConnectionTracker: Sendable {
    private let channels = NIOLockedValueBox([ObjectIdentifier: any Channel]())

    var count: Int { channels.withLockedValue { $0.count } }

    /// Adds `channel` unless `limit` connections are open; it is removed when it closes.
    func add(_ channel: any Channel, limit: Int) -> Bool {
        let id = ObjectIdentifier(channel)
        let added = channels.withLockedValue { channels -> Bool in
            guard channels.count < limit else { return false }
            channels[id] = channel
            return true
        }
        guard added else { return false }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
        return true
    }

    func all() -> [any Channel] {
        channels.withLockedValue { Array($0.values) }
    }
}

/// The WebSockets a server has open.
final class SocketTracker: Sendable {
    private let sockets = NIOLockedValueBox([ObjectIdentifier: WebSocket]())

    func add(_ socket: WebSocket) {
        let id = ObjectIdentifier(socket)
        sockets.withLockedValue { $0[id] = socket }
        // Not a close listener: it would take the close event that, with no listener of the
        // user's yet, must be kept for the first one added later. Not a close future either: a
        // promise and its callback per open socket cost memory; the hook captures only `self`.
        let hooked = socket.setClosedHook { [self] socket in self.remove(socket) }
        if !hooked { remove(socket) }
    }

    private func remove(_ socket: WebSocket) {
        let id = ObjectIdentifier(socket)
        sockets.withLockedValue { _ = $0.removeValue(forKey: id) }
    }

    func all() -> [WebSocket] {
        sockets.withLockedValue { Array($0.values) }
    }
}

extension FayeServer: Service {
    /// Runs the server as a service: starts it (unless ``start()`` already did), then serves
    /// until the service group shuts down gracefully (SIGTERM, SIGINT, or
    /// `triggerGracefulShutdown()`), the task is cancelled, or ``shutdown()`` is called; each
    /// of these shuts the server down as ``shutdown()`` does (WebSockets closed with 1001 within
    /// the grace period) before `run()` returns.
    /// - Throws: the start error (a bad certificate, a port in use).
    public func run() async throws {
        if !isRunning { try await start() }
        await withTaskCancellationOrGracefulShutdownHandler {
            await self.stopped()
        } onCancelOrGracefulShutdown: {
            Task { try? await self.shutdown() }
        }
    }
}
