/// Who sent a request, as far as the trusted proxies in front of the server say: what
/// ``ForwardedIdentityResolver/resolve(peer:port:headers:)`` returns.
public struct ForwardedIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Where ``ForwardedIdentity/address`` came from.
    public enum Source: Sendable, Hashable {
        /// The connection's peer: it is not a trusted proxy, or its headers named no client.
        case connection
        /// A `for` parameter of a `Forwarded` field.
        case forwarded
        /// An entry of an `X-Forwarded-For` field.
        case xForwardedFor
    }

    /// The client's address (see ``IPAddress/unmapped`` for an IPv4-mapped one).
    public var address: IPAddress
    /// The client's port, when known: the peer's port when given for the connection, or the
    /// port a proxy reported with the address.
    public var port: UInt16?
    /// The URI scheme the client used (`https`, `http`), lowercase, when a trusted proxy said;
    /// `nil` means: the scheme of the connection itself.
    public var scheme: String?
    /// The `Host` the client asked for (`example.com`, `example.com:8443`), when a trusted proxy
    /// said; `nil` means: the request's own `Host`.
    public var host: String?
    /// Where ``address`` came from.
    public var source: Source

    /// Creates an identity.
    public init(
        address: IPAddress, port: UInt16? = nil, scheme: String? = nil, host: String? = nil,
        source: Source = .connection
    ) {
        self.address = address
        self.port = port
        self.scheme = scheme
        self.host = host
        self.source = source
    }

    /// `192.0.2.60:4711 (Forwarded, https, host example.com)`; only what is known.
    public var description: String {
        var text = port.map { "\(SocketEndpoint(address: address, port: $0))" } ?? "\(address)"
        var details: [String] = []
        switch source {
        case .connection: details.append("connection")
        case .forwarded: details.append("Forwarded")
        case .xForwardedFor: details.append("X-Forwarded-For")
        }
        if let scheme { details.append(scheme) }
        if let host { details.append("host \(host)") }
        text += " (" + details.joined(separator: ", ") + ")"
        return text
    }
}
