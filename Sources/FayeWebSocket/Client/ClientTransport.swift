package import NIOCore
import NIOPosix
package import WebSocketDriver

/// The protocol side of a client connection, as ``ClientTransport`` sees it: the WebSocket
/// client's handler, or the EventSource client's.
package protocol ClientConnectionHandler: AnyObject {
    /// The handlers to add to the pipeline once the byte stream to the origin is being set up,
    /// in order (the last one gets the errors of those before it).
    func channelHandlers() -> [any ChannelHandler]
    /// The byte stream to the origin is open (TCP, the proxy's tunnel, TLS with the server
    /// verified): send the request. May be called before the handlers are in the pipeline.
    func start()
    /// The connection could not be opened.
    func connectionFailed(_ error: WebSocketError)
    /// Runs `body` once the opening ended (the protocol's handshake finished or failed); until
    /// then the opening timeout applies.
    func whenOpeningEnds(_ body: @escaping @Sendable () -> Void)
    /// Whether the connection is still opening.
    var isOpening: Bool { get }
}

/// Opens the byte stream of a client connection on one event loop: TCP (bounded by the connect
/// timeout), the proxy's CONNECT tunnel, TLS to the origin with its certificate verified; then
/// hands over to a ``ClientConnectionHandler``. Failures reach the handler as ``WebSocketError``
/// values with their cause.
package struct ClientTransport {
    /// Where to connect: the origin's host and port, and whether it speaks TLS.
    package let target: WebSocketURL
    /// The URL as shown in messages (no credentials).
    package let shownURL: String
    /// Connect timeout, TLS trust, proxy.
    package let options: WebSocketClientOptions
    /// The loop the connection lives on; ``open(_:)`` is called on it.
    package let eventLoop: any EventLoop

    /// A transport to `target`; nothing happens before ``open(_:)``.
    package init(target: WebSocketURL, shownURL: String, options: WebSocketClientOptions, eventLoop: any EventLoop) {
        self.target = target
        self.shownURL = shownURL
        self.options = options
        self.eventLoop = eventLoop
    }

    /// Connects and runs `handler` on the connection. Call on ``eventLoop``.
    package func open(_ handler: any ClientConnectionHandler) {
        let loop = eventLoop
        var originTLS: TLSContext?
        if target.isSecure {
            do {
                originTLS = try TLSContext.client(cached: options.tls)
            } catch {
                handler.connectionFailed(Self.failure(error, prefix: shownURL))
                return
            }
        }
        var proxy = options.proxy
        if proxy == nil && options.proxyFromEnvironment {
            proxy = ProxySettings.fromEnvironment(for: target, environment: ProcessEnvironment.current())
        }
        let endpoint: (host: String, port: Int)
        var tunnel: ProxyConnect?
        var proxyTLS: TLSContext?
        let proxyOutput = OutputCollector(allocator: ByteBufferAllocator())
        if let proxy {
            do {
                let connect = try ProxyConnect(proxyURL: proxy.url, target: target, headers: proxy.headers) {
                    proxyOutput.append($0)
                }
                if connect.proxyUsesTLS {
                    proxyTLS = try TLSContext.client(cached: proxy.tls)
                }
                tunnel = connect
                endpoint = (connect.proxy.host, connect.proxy.port)
            } catch {
                handler.connectionFailed(Self.failure(error, prefix: shownURL))
                return
            }
        } else {
            endpoint = (target.host, target.port)
        }

        let bound = NIOLoopBound(handler, eventLoop: loop)
        let tunnelBound = NIOLoopBound(tunnel, eventLoop: loop)
        let proxyOutputBound = NIOLoopBound(proxyOutput, eventLoop: loop)
        let originHost = target.host
        let shownURL = self.shownURL
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(options.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [originTLS, proxyTLS] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = bound.value
                    let sync = channel.pipeline.syncOperations
                    if let tunnel = tunnelBound.value {
                        let proxyName = Self.describeProxy(tunnel.proxy)
                        if let proxyTLS {
                            // TLS to the proxy: the CONNECT request (and its credentials) is held
                            // until the proxy's certificate has been verified.
                            try sync.addHandler(
                                TLSHandler(
                                    context: proxyTLS, serverHostname: tunnel.proxy.host, onHandshakeCompleted: nil)
                            )
                        }
                        let proxyHandler = ProxyTunnelHandler(
                            proxy: tunnel,
                            collector: proxyOutputBound.value,
                            onTunnel: { context, leftover in
                                Self.enterTunnel(
                                    context: context, handler: handler, leftover: leftover, tls: originTLS,
                                    host: originHost, shownURL: shownURL)
                            },
                            onFailure: { kind, message in
                                handler.connectionFailed(
                                    WebSocketError(kind, message: "Network error: \(proxyName): \(message)"))
                            }
                        )
                        try sync.addHandler(proxyHandler)
                    } else if let originTLS {
                        try sync.addHandler(Self.originTLSHandler(originTLS, host: originHost, handler: handler))
                        try sync.addHandlers(handler.channelHandlers())
                    } else {
                        try sync.addHandlers(handler.channelHandlers())
                        handler.start()
                    }
                }
            }
        let connecting = bootstrap.connect(host: endpoint.host, port: endpoint.port)
        let timeout = options.connectTimeout
        connecting.whenSuccess { _ in
            Self.scheduleOpeningTimeout(timeout, on: loop, handler: bound.value, shownURL: shownURL)
        }
        connecting.whenFailure { error in
            let (kind, text) = ConnectFailure.describe(error, host: endpoint.host, port: endpoint.port)
            bound.value.connectionFailed(WebSocketError(kind, message: "Network error: \(shownURL): \(text)"))
        }
    }

    /// The TLS handler to the origin: the protocol starts only once the handshake (and with it
    /// the verification of the server's certificate) has succeeded, so nothing of the request,
    /// `Authorization` included, reaches a server that failed it.
    private static func originTLSHandler(_ context: TLSContext, host: String, handler: any ClientConnectionHandler)
        throws -> TLSHandler
    {
        try TLSHandler(context: context, serverHostname: host, onHandshakeCompleted: { _ in handler.start() })
    }

    /// A proxy URL for messages: its scheme, host and port, no credentials.
    private static func describeProxy(_ proxy: WebSocketURL) -> String {
        let host = proxy.isIPv6Literal ? "[\(proxy.host)]" : proxy.host
        return "\(proxy.isSecure ? "https" : "http")://\(host):\(proxy.port)"
    }

    /// The proxy opened the tunnel: TLS to the origin (for `wss:`) and the protocol's handlers
    /// replace the proxy handler and get the bytes that followed the proxy's answer.
    private static func enterTunnel(
        context: ChannelHandlerContext,
        handler: any ClientConnectionHandler,
        leftover: [UInt8],
        tls: TLSContext?,
        host: String,
        shownURL: String
    ) {
        let sync = context.pipeline.syncOperations
        do {
            if let tls {
                let tlsHandler = try originTLSHandler(tls, host: host, handler: handler)
                try sync.addHandler(tlsHandler, position: .after(context.handler))
                try sync.addHandlers(handler.channelHandlers(), position: .after(tlsHandler))
            } else {
                // Started once all its handlers are in place: the request must not overtake
                // the encoder it goes through (NIO inserts a list `.after` a handler from its end).
                try sync.addHandlers(handler.channelHandlers(), position: .after(context.handler))
                handler.start()
            }
            if !leftover.isEmpty {
                var buffer = context.channel.allocator.buffer(capacity: leftover.count)
                buffer.writeBytes(leftover)
                context.fireChannelRead(NIOAny(buffer))
                context.fireChannelReadComplete()
            }
            sync.removeHandler(context: context, promise: nil)
        } catch {
            handler.connectionFailed(failure(error, prefix: shownURL))
            context.close(promise: nil)
        }
    }

    /// A client-side setup failure (a TLS context that could not load, a bad proxy URL).
    package static func failure(_ error: any Error, prefix: String) -> WebSocketError {
        let kind: WebSocketError.Kind
        switch error {
        case let error as TLSError: kind = .tls(error)
        case let error as ProxyError: kind = .proxy(error)
        default: kind = .invalidURL
        }
        return WebSocketError(kind, message: "Network error: \(prefix): \(error)")
    }

    /// Once connected, the rest of the opening (proxy tunnel, TLS, the protocol's handshake)
    /// must also finish within the connect timeout.
    package static func scheduleOpeningTimeout(
        _ timeout: Duration, on loop: any EventLoop, handler: any ClientConnectionHandler, shownURL: String
    ) {
        let bound = NIOLoopBound(handler, eventLoop: loop)
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
            guard bound.value.isOpening else { return }
            let milliseconds =
                timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            bound.value.connectionFailed(
                WebSocketError(
                    .connectTimeout(timeout),
                    message: "Network error: \(shownURL): the connection did not open within \(milliseconds) ms"))
        }
        // Cancelled as soon as the opening ends, so a long timeout keeps nothing.
        handler.whenOpeningEnds { timer.cancel() }
    }
}
