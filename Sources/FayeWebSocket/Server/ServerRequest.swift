public import NIOCore
public import WebSocketDriver

/// An HTTP request that reached a ``FayeHTTPHandler``: the parsed request with its body, and
/// where it came from.
public struct ServerRequest: Sendable {
    /// Method, target, headers and body.
    public var request: IncomingRequest
    /// The peer's address, if known.
    public var remoteAddress: SocketAddress?
    /// Whether the connection itself is TLS.
    public var isTLS: Bool

    /// Creates a request.
    public init(request: IncomingRequest, remoteAddress: SocketAddress? = nil, isTLS: Bool = false) {
        self.request = request
        self.remoteAddress = remoteAddress
        self.isTLS = isTLS
    }

    /// Whether the request was made over TLS: the connection itself, or as a proxy in front of us
    /// reports with `X-Forwarded-Proto: https`, `X-Forwarded-Scheme: https`,
    /// `X-Forwarded-Ssl: on` or `HTTPS: on` (the headers the Ruby gem honours).
    public var isSecure: Bool {
        if isTLS { return true }
        let headers = request.headers
        return headers.first("X-Forwarded-Proto")?.lowercased() == "https"
            || headers.first("X-Forwarded-Scheme")?.lowercased() == "https"
            || headers.first("X-Forwarded-Ssl")?.lowercased() == "on"
            || headers.first("HTTPS")?.lowercased() == "on"
    }

    /// Whether this is a WebSocket upgrade request (see `Driver.isWebSocketRequest(_:)`).
    public var isWebSocket: Bool { Driver.isWebSocketRequest(request) }

    /// The request's URL with the given schemes for plain and secure connections:
    /// `scheme://Host/target`.
    public func url(plain: String, secure: String) -> String {
        let host = request.headers.first("Host") ?? "localhost"
        return "\(isSecure ? secure : plain)://\(host)\(request.target)"
    }
}
