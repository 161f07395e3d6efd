import NIOCore
import NIOPosix
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension WebSocket {
    /// Opens a client WebSocket to a `ws:` or `wss:` URL, the W3C way: `new WebSocket(url)`.
    ///
    /// Returns at once, in `CONNECTING`; sends made now are queued until open. It never throws:
    /// a bad URL, a DNS failure, a refused or timed-out connection, a proxy refusal or a
    /// handshake failure is an error event (a ``WebSocketError`` with its cause) followed by a
    /// close event with 1006. Events dispatched before a listener is added are kept for the
    /// first listener. For `try await`, use ``connect(to:options:clientOptions:)``.
    ///
    /// - Parameters:
    ///   - url: `ws[s]://host[:port][/path][?query]`; IPv6 literals in brackets; userinfo becomes
    ///     `Authorization: Basic`.
    ///   - options: subprotocols, extensions, headers (e.g. `Origin`), `maxLength`, ping, timeouts.
    ///   - clientOptions: connect timeout, TLS (verification on by default), proxy, event loops.
    public convenience init(
        url: String,
        options: WebSocketOptions = WebSocketOptions(),
        clientOptions: WebSocketClientOptions = WebSocketClientOptions()
    ) {
        let group = clientOptions.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let parsed = Result { try WebSocketURL(url) }
        self.init(
            url: (try? parsed.get())?.description ?? url, eventLoop: loop, request: nil, options: options)
        let socket = self
        loop.execute {
            ClientConnector(socket: socket, url: url, parsed: parsed, clientOptions: clientOptions).run()
        }
    }

    /// Connects to a `ws:` or `wss:` URL and returns the socket once it is open.
    ///
    /// ```swift
    /// let socket = try await WebSocket.connect(to: "wss://example.com/chat")
    /// try await socket.send(.text("hello"))
    /// for try await message in socket.messages { print(message) }
    /// ```
    ///
    /// ``WebSocketClientOptions/connectTimeout`` bounds the TCP connection, and again the rest
    /// of the opening (proxy tunnel, TLS, WebSocket handshake). Cancelling the task ends the attempt (the
    /// connection is dropped) and throws `CancellationError`. Messages that arrive between the
    /// open and your first listener or ``messages`` iteration are kept for it.
    ///
    /// - Parameters: as ``init(url:options:clientOptions:)``.
    /// - Returns: an open socket.
    /// - Throws: ``WebSocketError`` with the cause: ``WebSocketError/Kind/invalidURL``,
    ///   ``WebSocketError/Kind/dnsLookupFailed(host:)``,
    ///   ``WebSocketError/Kind/connectionFailed(host:port:errno:)``,
    ///   ``WebSocketError/Kind/connectTimeout(_:)``, ``WebSocketError/Kind/tls(_:)`` (with the
    ///   TLS error's kind), ``WebSocketError/Kind/proxy(_:)``,
    ///   ``WebSocketError/Kind/handshakeRejected(_:)`` (status and headers) or
    ///   ``WebSocketError/Kind/handshakeFailed(_:)``.
    public static func connect(
        to url: String,
        options: WebSocketOptions = WebSocketOptions(),
        clientOptions: WebSocketClientOptions = WebSocketClientOptions()
    ) async throws -> WebSocket {
        try Task.checkCancellation()
        let socket = WebSocket(url: url, options: options, clientOptions: clientOptions)
        try await valueHonouringCancellation(of: socket.openFuture()) { socket.terminate() }
        return socket
    }

    /// Connects (as ``connect(to:options:clientOptions:)``), runs `body` with the open socket,
    /// and closes the socket when `body` ends: with 1000 when it returns, 1001 when its task was
    /// cancelled, 1011 when it threw; then waits for the closing handshake (bounded by
    /// ``WebSocketOptions/closeTimeout``) unless the task was cancelled.
    ///
    /// ```swift
    /// try await WebSocket.withConnection(to: "ws://127.0.0.1:9292/") { socket in
    ///     try await socket.send(.text("hello"))
    ///     for try await message in socket.messages { print(message); break }
    /// }
    /// ```
    ///
    /// The socket's life is the scope's: reach for this in structured code, and for
    /// ``init(url:options:clientOptions:)`` with listeners in callback code.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: the connect error, or what `body` throws.
    public static func withConnection<Result: Sendable>(
        to url: String,
        options: WebSocketOptions = WebSocketOptions(),
        clientOptions: WebSocketClientOptions = WebSocketClientOptions(),
        _ body: (WebSocket) async throws -> Result
    ) async throws -> Result {
        let socket = try await connect(to: url, options: options, clientOptions: clientOptions)
        return try await socket.closing(after: body)
    }

    /// Runs `body`, then closes the socket (1000 after a return, 1001 after a cancellation,
    /// 1011 after an error) and waits for the close unless the task was cancelled.
    func closing<Result: Sendable>(after body: (WebSocket) async throws -> Result) async throws -> Result {
        let result: Result
        do {
            result = try await body(self)
        } catch {
            let cancelled = error is CancellationError || Task.isCancelled
            startClosing(
                code: cancelled ? .goingAway : .internalError, reason: cancelled ? "Cancelled" : "Internal error")
            if !Task.isCancelled { _ = try? await closed() }
            throw error
        }
        startClosing(code: .normalClosure, reason: "")
        if !Task.isCancelled { _ = try? await closed() }
        return result
    }
}

/// Sets up one client connection on its event loop: the driver and the handler, then the
/// transport.
struct ClientConnector {
    let socket: WebSocket
    let url: String
    let parsed: Result<WebSocketURL, any Error>
    let clientOptions: WebSocketClientOptions

    func run() {
        let collector = OutputCollector(allocator: ByteBufferAllocator())
        let driver: Driver
        let viaHTTP2 = (try? parsed.get()).map(usesHTTP2) ?? false
        do {
            let options = try socket.options.driverOptions()
            driver =
                viaHTTP2
                ? try Driver.extendedConnectClient(url: url, options: options) { collector.append($0) }
                : try Driver.client(url: url, options: options) { collector.append($0) }
        } catch {
            failEarly(WebSocketError(.invalidURL, message: "Network error: \(socket.url): \(error)"))
            return
        }
        let handler = WebSocketHandler(socket: socket, driver: driver, collector: collector, isClient: true)
        socket.attach(handler)
        guard case .success(let target) = parsed else { return }
        // Messages name the URL without its credentials.
        let transport = ClientTransport(
            target: target, shownURL: socket.url, options: clientOptions, eventLoop: socket.eventLoop)
        guard viaHTTP2 else {
            transport.open(handler)
            return
        }
        let closeTimeout = socket.options.closeTimeout
        let timeout = clientOptions.connectTimeout
        HTTP2ClientPool.shared.withConnection(
            to: target, shownURL: socket.url, options: clientOptions, eventLoop: socket.eventLoop
        ) { outcome in
            switch outcome {
            case .streams(let connection):
                ClientTransport.scheduleOpeningTimeout(
                    timeout, on: connection.eventLoop, handler: handler, shownURL: transport.shownURL)
                connection.openStream(for: handler, closeTimeout: closeTimeout)
            case .http1:
                driver.fallBackToHTTP1Handshake()
                transport.open(handler)
            case .failed(let error):
                handler.connectionFailed(error)
            }
        }
    }

    /// Whether to try HTTP/2: asked for, `wss:`, and no proxy (tunnels stay HTTP/1.1).
    private func usesHTTP2(_ target: WebSocketURL) -> Bool {
        guard clientOptions.prefersHTTP2, target.isSecure, clientOptions.proxy == nil else { return false }
        if clientOptions.proxyFromEnvironment,
            ProxySettings.fromEnvironment(for: target, environment: ProcessEnvironment.current()) != nil
        {
            return false
        }
        return true
    }

    private func failEarly(_ error: WebSocketError) {
        // Without a driver there is nothing to run: report and close straight from the socket.
        _ = socket.reportFailure(error, response: nil)
        socket.finishClose(CloseEvent(code: .abnormalClosure), unwritten: [])
    }
}

extension WebSocketHandler: ClientConnectionHandler {
    func channelHandlers() -> [any ChannelHandler] { [self] }

    var isOpening: Bool { socket.readyState == .connecting }

    func whenOpeningEnds(_ body: @escaping @Sendable () -> Void) {
        socket.openFuture().whenComplete { _ in body() }
    }
}

/// Clear messages for connection failures.
package enum ConnectFailure {
    /// The error kind of a failed connect, and a sentence naming the address and the system's reason.
    package static func describe(_ error: any Error, host: String, port: Int) -> (WebSocketError.Kind, String) {
        switch error {
        case let error as NIOConnectionError:
            if let dns = error.dnsAAAAError ?? error.dnsAError {
                return (.dnsLookupFailed(host: error.host), "DNS lookup of \(error.host) failed (\(dns))")
            }
            if let first = error.connectionErrors.first {
                // `127.0.0.1:80: Connection refused`, not NIO's `[IPv4]127.0.0.1/127.0.0.1:80`
                // and `connection reset (error set): Connection refused) (errno: 111)`.
                let address = first.target.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? error.host
                let errno = (first.error as? IOError)?.errnoCode
                let reason = errno.map { String(cString: strerror($0)) }
                let target = first.target.port ?? error.port
                return (
                    .connectionFailed(host: error.host, port: target, errno: errno),
                    "connection to \(address):\(target) failed: \(reason ?? "\(first.error)")"
                )
            }
            return (
                .connectionFailed(host: error.host, port: error.port, errno: nil),
                "could not connect to \(error.host):\(error.port)"
            )
        case ChannelError.connectTimeout(let amount):
            let duration = Duration.nanoseconds(amount.nanoseconds)
            return (.connectTimeout(duration), "connection timed out after \(amount.nanoseconds / 1_000_000) ms")
        case let error as IOError:
            return (.connectionFailed(host: host, port: port, errno: error.errnoCode), "\(error)")
        default:
            return (.connectionFailed(host: host, port: port, errno: nil), "\(error)")
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
