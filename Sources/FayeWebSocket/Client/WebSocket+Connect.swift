import NIOCore
import NIOPosix
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension WebSocket {
    /// Opens a client WebSocket to a `ws:` URL (`wss:` arrives with TLS support).
    ///
    /// Returns at once, in `CONNECTING`; sends made now are queued until open. It never throws:
    /// a bad URL, a DNS failure, a refused or timed-out connection, a proxy refusal or a
    /// handshake failure is an error event with a clear message followed by a close event with
    /// 1006. Events dispatched before a listener is added are kept for the first listener.
    ///
    /// - Parameters:
    ///   - url: `ws://host[:port][/path][?query]`; IPv6 literals in brackets; userinfo becomes
    ///     `Authorization: Basic`.
    ///   - options: subprotocols, extensions, headers (e.g. `Origin`), `maxLength`, ping, timeouts.
    ///   - clientOptions: connect timeout, proxy, event loops.
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
            failEarly(collector: collector, message: "Network error: \(url): \(error)")
            return
        }
        let handler = WebSocketHandler(socket: socket, driver: driver, collector: collector, isClient: true)
        socket.attach(handler)
        guard let target = parsed else { return }
        guard !target.isSecure else {
            handler.connectionFailed("Network error: \(url): wss: needs TLS, which this build does not support yet")
            return
        }
        var proxy = clientOptions.proxy
        if proxy == nil && clientOptions.proxyFromEnvironment {
            proxy = ProxySettings.fromEnvironment(for: target, environment: ProcessEnvironment.current())
        }
        let endpoint: (host: String, port: Int)
        var tunnel: ProxyConnect?
        let proxyOutput = OutputCollector(allocator: ByteBufferAllocator())
        if let proxy {
            do {
                let connect = try ProxyConnect(proxyURL: proxy.url, target: target, headers: proxy.headers) {
                    proxyOutput.append($0)
                }
                guard !connect.proxyUsesTLS else {
                    handler.connectionFailed(
                        "Network error: \(url): https: proxies need TLS, which this build does not support yet")
                    return
                }
                tunnel = connect
                endpoint = (connect.proxy.host, connect.proxy.port)
            } catch {
                handler.connectionFailed("Network error: \(url): \(error)")
                return
            }
        } else {
            endpoint = (target.host, target.port)
        }

        let bound = NIOLoopBound(handler, eventLoop: loop)
        let tunnelBound = NIOLoopBound(tunnel, eventLoop: loop)
        let proxyOutputBound = NIOLoopBound(proxyOutput, eventLoop: loop)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(clientOptions.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = bound.value
                    let sync = channel.pipeline.syncOperations
                    if let tunnel = tunnelBound.value {
                        let proxyHandler = ProxyTunnelHandler(
                            proxy: tunnel,
                            collector: proxyOutputBound.value,
                            onTunnel: { context, leftover in
                                Self.enterTunnel(context: context, handler: handler, leftover: leftover)
                            },
                            onFailure: { message in
                                handler.connectionFailed("Network error: \(tunnel.proxy.description): \(message)")
                            }
                        )
                        try sync.addHandler(proxyHandler)
                    } else {
                        handler.start()
                        try sync.addHandler(handler)
                    }
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).whenFailure { error in
            bound.value.connectionFailed("Network error: \(url): \(ConnectFailure.describe(error))")
        }
    }

    /// The proxy opened the tunnel: the WebSocket handler replaces the proxy handler and gets the
    /// bytes that followed the proxy's answer.
    private static func enterTunnel(context: ChannelHandlerContext, handler: WebSocketHandler, leftover: [UInt8]) {
        let sync = context.pipeline.syncOperations
        do {
            handler.start()
            try sync.addHandler(handler, position: .after(context.handler))
            if !leftover.isEmpty {
                var buffer = context.channel.allocator.buffer(capacity: leftover.count)
                buffer.writeBytes(leftover)
                context.fireChannelRead(NIOAny(buffer))
                context.fireChannelReadComplete()
            }
            sync.removeHandler(context: context, promise: nil)
        } catch {
            handler.connectionFailed("Network error: \(error)")
        }
    }

    private func failEarly(collector: OutputCollector, message: String) {
        // Without a driver there is nothing to run: report straight from the socket.
        socket.dispatch(\.error, WebSocketError(message: message))
        let event = CloseEvent(code: .abnormalClosure)
        let waiters = socket.state.withLockedValue { state -> [EventLoopPromise<CloseEvent>] in
            state.readyState = .closed
            state.closeEvent = event
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        socket.dispatch(\.close, event)
        for waiter in waiters { waiter.succeed(event) }
    }
}

/// Clear messages for connection failures.
enum ConnectFailure {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "DNS lookup of \(error.host) failed (\(dns))" }
            if let first = error.connectionErrors.first {
                return "connection to \(first.target) failed: \(first.error)"
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
