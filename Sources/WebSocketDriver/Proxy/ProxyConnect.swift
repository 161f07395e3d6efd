/// The HTTP CONNECT exchange that opens a tunnel through a proxy (RFC 9110 §9.3.6), sans-IO
/// like ``Driver``.
///
/// Connect to the proxy, call ``start()`` to write the request, feed what the proxy sends to
/// ``parse(_:)-(UnsafeRawBufferPointer)``. On a 2xx answer ``onConnect`` fires once with any bytes that followed the
/// head (they belong to the tunnel); from then on the connection carries the origin's traffic:
/// start TLS for `wss:` if needed, then a client ``Driver``. Any other answer fires ``onError``
/// once with the status and headers.
public final class ProxyConnect {
    /// The proxy, parsed.
    public let proxy: WebSocketURL
    /// The `host:port` the tunnel goes to (IPv6 hosts bracketed).
    public let authority: String
    private let output: Driver.Output
    private var headers: HeaderFields
    private var parser: HTTPHeadParser
    private var started = false
    private var finished = false

    /// The proxy's response head, once parsed.
    public private(set) var response: HandshakeResponse?
    /// The proxy's status code, once parsed.
    public var status: Int? { response?.status }

    /// The tunnel is open; the bytes are tunnel data that arrived with the response head.
    public var onConnect: (([UInt8]) -> Void)?
    /// The tunnel could not be opened.
    public var onError: ((ProxyError) -> Void)?

    /// Prepares a CONNECT to `target` through the proxy at `proxyURL`.
    ///
    /// - Parameters:
    ///   - proxyURL: `http://[user[:password]@]host[:port]` (default port 80) or `https://…`
    ///     (default 443; TLS to the proxy is the caller's). Credentials become
    ///     `Proxy-Authorization: Basic`, percent-decoded.
    ///   - target: the origin to tunnel to (its port, or the scheme's default).
    ///   - headers: extra request headers, validated like ``Driver/setHeader(_:_:)``.
    ///   - limits: limits on the proxy's response head.
    ///   - output: the sink for the request bytes.
    /// - Throws: ``ProxyError/invalidProxyURL(_:)`` or a ``HeaderError`` for a bad header.
    public init(
        proxyURL: String,
        target: WebSocketURL,
        headers: HeaderFields = HeaderFields(),
        limits: HTTPHeadLimits = HTTPHeadLimits(),
        output: @escaping Driver.Output
    ) throws {
        self.proxy = try Self.parseProxyURL(proxyURL)
        let host = target.isIPv6Literal ? "[\(target.host)]" : target.host
        self.authority = "\(host):\(target.port)"
        for field in headers {
            guard HeaderFields.isValidName(field.name) else { throw HeaderError.invalidName(field.name) }
            guard HeaderFields.isValidValue(field.value) else { throw HeaderError.invalidValue(name: field.name) }
        }
        self.headers = headers
        self.parser = HTTPHeadParser(kind: .response, limits: limits)
        self.output = output
    }

    /// A proxy URL has the shape of a WebSocket URL with `http`/`https` for `ws`/`wss` (the same
    /// default ports), so it is parsed by the same code.
    private static func parseProxyURL(_ text: String) throws(ProxyError) -> WebSocketURL {
        let lowered = text.lowercased()
        let mapped: String
        if lowered.hasPrefix("http://") {
            mapped = "ws://" + text.dropFirst("http://".count)
        } else if lowered.hasPrefix("https://") {
            mapped = "wss://" + text.dropFirst("https://".count)
        } else {
            throw .invalidProxyURL(text)
        }
        do {
            return try WebSocketURL(mapped)
        } catch {
            throw .invalidProxyURL(text)
        }
    }

    /// Whether the proxy itself is reached over TLS (`https:`).
    public var proxyUsesTLS: Bool { proxy.isSecure }

    /// Adds a request header before ``start()``.
    /// - Throws: ``HeaderError`` for a bad name or value, or when the request was already sent.
    public func setHeader(_ name: String, _ value: String) throws(HeaderError) {
        guard HeaderFields.isValidName(name) else { throw .invalidName(name) }
        guard HeaderFields.isValidValue(value) else { throw .invalidValue(name: name) }
        guard !started else { throw .handshakeAlreadySent }
        headers.append(name: name, value: value)
    }

    /// The request head written by ``start()``.
    public var requestHead: String {
        var text = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        text += "Connection: keep-alive\r\nProxy-Connection: keep-alive\r\n"
        if let user = proxy.user {
            let credentials = user + ":" + (proxy.password ?? "")
            text += "Proxy-Authorization: Basic \(Base64.encode(Array(credentials.utf8)))\r\n"
        }
        text += HTTPResponseText.headerLines(headers)
        return text + "\r\n"
    }

    /// Writes the CONNECT request; `false` if it was already written.
    @discardableResult
    public func start() -> Bool {
        guard !started else { return false }
        started = true
        var head = requestHead
        head.withUTF8 { output(UnsafeRawBufferPointer($0)) }
        return true
    }

    /// Feeds bytes from the proxy. Once the tunnel opened or failed, further bytes are ignored.
    public func parse(_ bytes: UnsafeRawBufferPointer) {
        guard started, !finished else { return }
        let result: HTTPHeadParser.Result
        do {
            result = try parser.parse(bytes)
        } catch {
            finished = true
            onError?(.invalidResponse(error))
            return
        }
        guard case .response(let head, let consumed) = result else { return }
        finished = true
        response = head
        if (200...299).contains(head.status) {
            onConnect?(Array(bytes[consumed...]))
        } else {
            onError?(.refused(status: head.status, reason: head.reason, headers: head.headers))
        }
    }

    /// Feeds bytes from the proxy.
    public func parse(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        array.withUnsafeBytes { parse($0) }
    }
}
