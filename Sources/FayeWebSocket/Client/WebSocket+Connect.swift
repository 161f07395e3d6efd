import NIOCore
import NIOPosix
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension WebSocket {
    /// Opens a client WebSocket to a `ws:` or `wss:` URL.
    ///
    /// Returns at once, in `CONNECTING`; sends made now are queued until open. It never throws:
    /// a bad URL, a DNS failure, a refused or timed-out connection, a proxy refusal or a
    /// handshake failure is an error event with a clear message followed by a close event with
    /// 1006. Events dispatched before a listener is added are kept for the first listener.
    ///
    /// - Parameters:
    ///   - url: `ws[s]://host[:port][/path][?query]`; IPv6 literals in brackets; userinfo becomes
    ///     `Authorization: Basic`.
    ///   - options: subprotocols, extensions, headers (e.g. `Origin`), `maxLength`, ping, timeouts.
    ///   - clientOptions: connect timeout, TLS (verification on by default), proxy, event loops.
    public static func connect(
        to url: String,
        options: WebSocketOptions = WebSocketOptions(),
        clientOptions: WebSocketClientOptions = WebSocketClientOptions()
    ) -> WebSocket {
        let group = clientOptions.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let parsed = try? WebSocketURL(url)
        let socket = WebSocket(url: parsed?.description ?? url, eventLoop: loop, request: nil, options: options)
        loop.execute {
            ClientConnector(socket: socket, url: url, parsed: parsed, clientOptions: clientOptions).run()
        }
        return socket
    }
}

/// Sets up one client connection on its event loop.
struct ClientConnector {
    let socket: WebSocket
    let url: String
    let parsed: WebSocketURL?
    let clientOptions: WebSocketClientOptions

    func run() {
        let loop = socket.eventLoop
        let collector = OutputCollector(allocator: ByteBufferAllocator())
        let driver: Driver
        do {
            driver = try Driver.client(url: url, options: try socket.options.driverOptions()) { collector.append($0) }
        } catch {
            failEarly(collector: collector, message: "Network error: \(socket.url): \(error)")
            return
        }
        let handler = WebSocketHandler(socket: socket, driver: driver, collector: collector, isClient: true)
        socket.attach(handler)
        guard let target = parsed else { return }
        // Messages name the URL without its credentials.
        let shownURL = socket.url
        var originTLS: TLSContext?
        if target.isSecure {
            do {
                originTLS = try TLSContext.client(cached: clientOptions.tls)
            } catch {
                handler.connectionFailed("Network error: \(shownURL): \(error)")
                return
            }
        }
        var proxy = clientOptions.proxy
        if proxy == nil && clientOptions.proxyFromEnvironment {
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
                handler.connectionFailed("Network error: \(shownURL): \(error)")
                return
            }
        } else {
            endpoint = (target.host, target.port)
        }

        let bound = NIOLoopBound(handler, eventLoop: loop)
        let tunnelBound = NIOLoopBound(tunnel, eventLoop: loop)
        let proxyOutputBound = NIOLoopBound(proxyOutput, eventLoop: loop)
        let originHost = target.host
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(clientOptions.connectTimeout))
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
                                    host: originHost)
                            },
                            onFailure: { message in
                                handler.connectionFailed("Network error: \(proxyName): \(message)")
                            }
                        )
                        try sync.addHandler(proxyHandler)
                    } else if let originTLS {
                        try sync.addHandler(Self.originTLSHandler(originTLS, host: originHost, handler: handler))
                        try sync.addHandler(handler)
                    } else {
                        handler.start()
                        try sync.addHandler(handler)
                    }
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).whenFailure { error in
            bound.value.connectionFailed("Network error: \(shownURL): \(ConnectFailure.describe(error))")
        }
    }

    /// The TLS handler to the origin: the WebSocket handshake starts only once the handshake
    /// (and with it the verification of the server's certificate) has succeeded, so nothing of
    /// the upgrade request, `Authorization` included, reaches a server that failed it.
    private static func originTLSHandler(_ context: TLSContext, host: String, handler: WebSocketHandler) throws
        -> TLSHandler
    {
        try TLSHandler(context: context, serverHostname: host, onHandshakeCompleted: { _ in handler.start() })
    }

    /// A proxy URL for messages: its scheme, host and port, no credentials.
    private static func describeProxy(_ proxy: WebSocketURL) -> String {
        let host = proxy.isIPv6Literal ? "[\(proxy.host)]" : proxy.host
        return "\(proxy.isSecure ? "https" : "http")://\(host):\(proxy.port)"
    }

    /// The proxy opened the tunnel: TLS to the origin (for `wss:`) and the WebSocket handler
    /// replace the proxy handler and get the bytes that followed the proxy's answer.
    private static func enterTunnel(
        context: ChannelHandlerContext,
        handler: WebSocketHandler,
        leftover: [UInt8],
        tls: TLSContext?,
        host: String
    ) {
        let sync = context.pipeline.syncOperations
        do {
            if let tls {
                let tlsHandler = try originTLSHandler(tls, host: host, handler: handler)
                try sync.addHandler(tlsHandler, position: .after(context.handler))
                try sync.addHandler(handler, position: .after(tlsHandler))
            } else {
                handler.start()
                try sync.addHandler(handler, position: .after(context.handler))
            }
            if !leftover.isEmpty {
                var buffer = context.channel.allocator.buffer(capacity: leftover.count)
                buffer.writeBytes(leftover)
                context.fireChannelRead(NIOAny(buffer))
                context.fireChannelReadComplete()
            }
            sync.removeHandler(context: context, promise: nil)
        } catch {
            handler.connectionFailed("Network error: \(handler.socket.url): \(error)")
            context.close(promise: nil)
        }
    }

    private func failEarly(collector: OutputCollector, message: String) {
        // Without a driver there is nothing to run: report straight from the socket.
        socket.dispatch(\.error, WebSocketError(message: message))
        let event = CloseEvent(code: .abnormalClosure)
        let (waiters, messageSource) = socket.state.withLockedValue { state in
            state.readyState = .closed
            state.closeEvent = event
            defer {
                state.closeWaiters = []
                state.messageSource = nil
            }
            return (state.closeWaiters, state.messageSource)
        }
        // A `messages` sequence made before this ran ends here (outside the lock: finishing
        // calls the sequence's delegate, which takes it again).
        messageSource?.finish()
        socket.dispatch(\.close, event)
        for waiter in waiters { waiter.succeed(event) }
        socket.releaseAfterClose()
    }
}

/// Clear messages for connection failures.
enum ConnectFailure {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "DNS lookup of \(error.host) failed (\(dns))" }
            if let first = error.connectionErrors.first {
                // `127.0.0.1:80: Connection refused`, not NIO's `[IPv4]127.0.0.1/127.0.0.1:80`
                // and `connection reset (error set): Connection refused) (errno: 111)`.
                let address = first.target.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? error.host
                let reason = (first.error as? IOError).map { String(cString: strerror($0.errnoCode)) }
                return
                    "connection to \(address):\(first.target.port ?? error.port) failed: \(reason ?? "\(first.error)")"
            }
            return "could not connect to \(error.host):\(error.port)"
        case is ChannelError:
            if case ChannelError.connectTimeout(let amount) = error {
                return "connection timed out after \(amount.nanoseconds / 1_000_000) ms"
            }
            return "\(error)"
        default:
            return "\(error)"
        }
    }
}

/// The process environment, read without Foundation.
enum ProcessEnvironment {
    static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
