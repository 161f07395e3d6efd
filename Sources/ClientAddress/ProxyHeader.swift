/// What a PROXY protocol header (HAProxy's `send-proxy` and `send-proxy-v2`) says about the
/// connection it precedes.
///
/// Three cases, told apart by ``isLocal`` and ``source``:
/// - **Proxied** (``source`` and ``destination`` set): the proxy relayed a connection from
///   ``source`` (the client) to ``destination`` (the address the client connected to). Use
///   them in place of the connection's own endpoints.
/// - **Local** (``isLocal``, version 2's `LOCAL` command): the proxy opened the connection for
///   itself, typically a health check. Keep the connection's own endpoints.
/// - **Unknown** (not local, no ``source``): the proxy relayed a connection whose endpoints it
///   cannot express here: version 1's `UNKNOWN`, or a version 2 header for UDP, a UNIX socket
///   or an unspecified family. Keep the connection's own endpoints, as the specification says.
public struct ProxyHeader: Sendable, Hashable {
    /// The version of the PROXY protocol a header was written in.
    public enum Version: Int, Sendable, Hashable {
        /// The text form: `PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n`.
        case v1 = 1
        /// The binary form, with a 12-byte signature.
        case v2 = 2
    }

    /// A type-length-value field of a version 2 header (for example type `0x02`, the host name
    /// the client asked for by TLS SNI, or `0x05`, a unique connection ID).
    public struct TLV: Sendable, Hashable {
        /// The type: see the specification's `PP2_TYPE_*` values.
        public var type: UInt8
        /// The value, as sent.
        public var value: [UInt8]

        /// Creates a field.
        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }
    }

    /// The version the header was written in.
    public var version: Version
    /// Whether the proxy opened the connection for itself (version 2's `LOCAL` command):
    /// ``source`` and ``destination`` are then `nil` and the connection's own endpoints stand.
    public var isLocal: Bool
    /// The client: the address and port the proxied connection came from; `nil` when the
    /// header is local or its addresses are unknown.
    public var source: SocketEndpoint?
    /// The address and port the client connected to (the proxy's listening side); `nil`
    /// exactly when ``source`` is.
    public var destination: SocketEndpoint?
    /// The type-length-value fields after the addresses of a version 2 header, in order. Empty
    /// for version 1, for a local header, and for an unspecified family or transport (where
    /// the addresses' size, and so where the fields start, is unknown).
    public var tlvs: [TLV]

    /// Creates a header.
    public init(
        version: Version, isLocal: Bool = false, source: SocketEndpoint? = nil, destination: SocketEndpoint? = nil,
        tlvs: [TLV] = []
    ) {
        self.version = version
        self.isLocal = isLocal
        self.source = source
        self.destination = destination
        self.tlvs = tlvs
    }

    /// Whether the header carries the proxied connection's endpoints.
    public var hasAddresses: Bool {
        source != nil
    }
}
