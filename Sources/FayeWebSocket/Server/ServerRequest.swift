import ClientAddress
public import NIOCore
public import WebSocketDriver

/// An HTTP request that reached a ``FayeHTTPHandler``: the parsed request with its body, and
/// where it came from.
public struct ServerRequest: Sendable {
    /// Method, target, headers and body.
    public var request: IncomingRequest
    /// The client's address, if known: the connection's peer, or, behind trusted proxies
    /// (``FayeServer/Configuration/trustedProxies``), the client they report (PROXY protocol,
    /// `Forwarded`, `X-Forwarded-For`). Port 0 when a proxy gave no port.
    public var remoteAddress: SocketAddress?
    /// The address the connection itself came from: a proxy's, when there is one in front.
    public var peerAddress: SocketAddress?
    /// Whether the connection itself is TLS.
    public var isTLS: Bool
    /// The scheme (`https`, `http`) a trusted proxy reported the client used, if any.
    public var forwardedScheme: String?
    /// The `Host` a trusted proxy reported the client asked for, if any.
    public var forwardedHost: String?
    /// Whether scheme headers are honoured from anyone, as the Ruby gem does (no trusted
    /// proxies configured); with trusted proxies, only what they report counts.
    var honoursSchemeHeadersFromAnyone = true

    /// Creates a request.
    public init(request: IncomingRequest, remoteAddress: SocketAddress? = nil, isTLS: Bool = false) {
        self.request = request
        self.remoteAddress = remoteAddress
        self.peerAddress = remoteAddress
        self.isTLS = isTLS
    }

    /// Whether the request was made over TLS.
    ///
    /// The connection itself; or, behind trusted proxies, the scheme they report
    /// (``forwardedScheme``). Without trusted proxies configured, as the Ruby gem does: also
    /// `X-Forwarded-Proto: https`, `X-Forwarded-Scheme: https`, `X-Forwarded-Ssl: on` or
    /// `HTTPS: on` from anyone.
    public var isSecure: Bool {
        if isTLS { return true }
        if let forwardedScheme { return forwardedScheme == "https" || forwardedScheme == "wss" }
        guard honoursSchemeHeadersFromAnyone else { return false }
        let headers = request.headers
        return headers.first("X-Forwarded-Proto")?.lowercased() == "https"
            || headers.first("X-Forwarded-Scheme")?.lowercased() == "https"
            || headers.first("X-Forwarded-Ssl")?.lowercased() == "on"
            || headers.first("HTTPS")?.lowercased() == "on"
    }

    /// Whether this is a WebSocket upgrade request (see `Driver.isWebSocketRequest(_:)`).
    public var isWebSocket: Bool { Driver.isWebSocketRequest(request) }

    /// The request's URL with the given schemes for plain and secure connections:
    /// `scheme://Host/target` (the `Host` a trusted proxy reported, if any).
    public func url(plain: String, secure: String) -> String {
        let host = forwardedHost ?? request.headers.first("Host") ?? "localhost"
        return "\(isSecure ? secure : plain)://\(host)\(request.target)"
    }

    /// Applies what trusted proxies say about the client: when the peer (``remoteAddress`` as
    /// the connection reported it, possibly from a PROXY header) is in `trustedProxies`, its
    /// `Forwarded` or `X-Forwarded-*` fields name the client, its scheme and host. Without
    /// trusted proxies nothing changes (and scheme headers keep the gem's meaning).
    mutating func resolveForwarding(through trustedProxies: TrustedProxies) {
        guard !trustedProxies.isEmpty else { return }
        honoursSchemeHeadersFromAnyone = false
        guard let peer = remoteAddress, let address = peer.ipAddress.flatMap(IPAddress.init) else { return }
        let resolver = ForwardedIdentityResolver(trustedProxies: trustedProxies)
        let fields = request.headers.map { (name: $0.name, value: $0.value) }
        let identity = resolver.resolve(peer: address, port: peer.port.map { UInt16(clamping: $0) }, headers: fields)
        guard identity.source != .connection || identity.scheme != nil || identity.host != nil else { return }
        if identity.source != .connection {
            remoteAddress = try? SocketAddress(ipAddress: identity.address.description, port: Int(identity.port ?? 0))
        }
        forwardedScheme = identity.scheme
        forwardedHost = identity.host
    }

    /// The client's address for log lines: `IP:PORT`, or `IP` when the port is unknown.
    public var clientDescription: String { remoteAddress?.hostAndPort ?? "?" }
}

extension SocketAddress {
    /// `IP:PORT` (`[IPv6]:PORT`), or the IP alone when the port is 0 (unknown); other
    /// addresses as NIO describes them.
    var hostAndPort: String {
        guard let ip = ipAddress else { return "\(self)" }
        let shown = ip.contains(":") ? "[\(ip)]" : ip
        guard let port, port != 0 else { return shown }
        return "\(shown):\(port)"
    }
}
