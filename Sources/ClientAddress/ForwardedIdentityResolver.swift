/// Finds the client behind trusted proxies from the `Forwarded` (RFC 7239) or
/// `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` fields of a request.
///
/// ```swift
/// let resolver = ForwardedIdentityResolver(trustedProxies: try TrustedProxies(parsing: "10.0.0.0/8"))
/// let identity = resolver.resolve(peer: peerAddress, headers: [
///     (name: "X-Forwarded-For", value: "203.0.113.9, 10.0.0.7"),
///     (name: "X-Forwarded-Proto", value: "https"),
/// ])
/// // identity.address == 203.0.113.9, identity.scheme == "https"
/// ```
///
/// The rules:
/// - **Only from a trusted peer.** When the connection's peer is not in ``trustedProxies``, the
///   fields are ignored: the identity is the peer, whatever the request says.
/// - **One family of fields.** By default (``HeaderPolicy/preferForwarded``) a request with a
///   non-empty `Forwarded` field is read from `Forwarded` alone, one without from
///   `X-Forwarded-*`. A proxy that sets one family but passes the other through from the
///   client lets the client choose what is read: then pick the family your proxies write with
///   ``HeaderPolicy/forwardedOnly`` or ``HeaderPolicy/xForwardedOnly``, or have them remove
///   the other.
/// - **From the nearest hop.** Proxies append, so the entries are read from the right (the
///   last field line's last entry first). An address that is itself a trusted proxy is
///   skipped; the first one that is not is the client. Anything left of it was written by the
///   client or its side and is never read, so a client cannot forge its way past your
///   proxies. When every address read is trusted, the leftmost one read is the client.
/// - **Garbage stops the walk.** An entry that is malformed, or a `Forwarded` element whose
///   `for` is missing, `unknown` or obfuscated, ends the walk: the client is the last address
///   read before it (the peer, when it is the first entry).
/// - **Bounded.** At most ``maxHops`` entries are read (32 by default), empty list entries
///   included; an `X-Forwarded-*` list is scanned only as far back as that.
/// - **Scheme and host.** `proto` and `host` (or `X-Forwarded-Proto` and `X-Forwarded-Host`,
///   taken entry for entry alongside `X-Forwarded-For`) come from the hop the client was found
///   at or, when that hop did not give them, from the nearest hop to its right that did.
///   Values that are not a URI scheme or a host are skipped.
public struct ForwardedIdentityResolver: Sendable, Hashable {
    /// Which fields are read.
    public enum HeaderPolicy: Sendable, Hashable {
        /// `Forwarded` when the request has a non-empty one, else `X-Forwarded-*`.
        case preferForwarded
        /// `Forwarded` only.
        case forwardedOnly
        /// `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` only.
        case xForwardedOnly
    }

    /// The peers whose fields are believed, and the hops that are skipped.
    public var trustedProxies: TrustedProxies
    /// Which fields are read.
    public var headerPolicy: HeaderPolicy
    /// The most entries read from the nearest one (negative values count as zero).
    public var maxHops: Int

    /// Creates a resolver.
    public init(trustedProxies: TrustedProxies, headerPolicy: HeaderPolicy = .preferForwarded, maxHops: Int = 32) {
        self.trustedProxies = trustedProxies
        self.headerPolicy = headerPolicy
        self.maxHops = maxHops
    }

    /// The client of a request that arrived from `peer`.
    /// - Parameters:
    ///   - peer: the address of the connection's other end (after a PROXY protocol header, the
    ///     source that header gave).
    ///   - port: the peer's port, when known.
    ///   - headers: the request's fields; names are compared without regard to case.
    public func resolve(
        peer: IPAddress, port: UInt16? = nil, headers: some Sequence<(name: String, value: String)>
    ) -> ForwardedIdentity {
        var identity = ForwardedIdentity(address: peer, port: port)
        guard trustedProxies.contains(peer) else { return identity }
        var fields = Fields()
        for header in headers { fields.add(header) }
        let useForwarded: Bool
        switch headerPolicy {
        case .preferForwarded: useForwarded = fields.hasForwarded
        case .forwardedOnly: useForwarded = true
        case .xForwardedOnly: useForwarded = false
        }
        if useForwarded {
            walkForwarded(fields.forwarded, identity: &identity)
        } else {
            walkXForwarded(fields, identity: &identity)
        }
        return identity
    }

    /// The client of a request that arrived from `peer` (see
    /// ``resolve(peer:port:headers:)``).
    public func resolve(
        peer: SocketEndpoint, headers: some Sequence<(name: String, value: String)>
    ) -> ForwardedIdentity {
        resolve(peer: peer.address, port: peer.port, headers: headers)
    }

    private func walkForwarded(_ lines: [String], identity: inout ForwardedIdentity) {
        var examined = 0
        for line in lines.reversed() {
            let finished = line.withContiguousUTF8 { buffer -> Bool in
                for piece in ForwardedHeader.elementSlices(buffer[...]).reversed() {
                    guard examined < maxHops else { return true }
                    examined += 1
                    if piece.isEmpty { continue }
                    guard case .success(let element) = ForwardedElement.parse(piece) else { return true }
                    if let proto = element.proto { identity.scheme = proto }
                    if let host = element.host { identity.host = host }
                    guard let node = element.forwardedFor, let address = node.address else { return true }
                    identity.address = address
                    identity.port = node.portNumber
                    identity.source = .forwarded
                    if !trustedProxies.contains(address) { return true }
                }
                return false
            }
            if finished { return }
        }
    }

    private func walkXForwarded(_ fields: Fields, identity: inout ForwardedIdentity) {
        let limit = max(0, maxHops)
        let addresses = FieldSyntax.lastItems(of: fields.forwardedFor, limit: limit)
        var clientHop = 0
        for (hop, item) in addresses.enumerated() {
            guard let endpoint = Self.forwardedForEntry(item) else { break }
            identity.address = endpoint.address
            identity.port = endpoint.port
            identity.source = .xForwardedFor
            clientHop = hop
            if !trustedProxies.contains(endpoint.address) { break }
        }
        let protos = FieldSyntax.lastItems(of: fields.forwardedProto, limit: min(limit, clientHop + 1))
        for item in protos {
            if let scheme = HostSyntax.scheme(item.utf8) { identity.scheme = scheme }
        }
        let hosts = FieldSyntax.lastItems(of: fields.forwardedHost, limit: min(limit, clientHop + 1))
        for item in hosts {
            if let host = HostSyntax.host(Array(item.utf8)) { identity.host = host }
        }
    }

    /// An `X-Forwarded-For` entry: an IPv4 or IPv6 address, the IPv6 one optionally in
    /// brackets, either with an optional port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
    static func forwardedForEntry(_ item: String) -> (address: IPAddress, port: UInt16?)? {
        item.withContiguousUTF8 { buffer -> (address: IPAddress, port: UInt16?)? in
            let bytes = buffer[...]
            if bytes.first == UInt8(ascii: "[") {
                guard let node = ForwardedNode.parse(bytes), let address = node.address else { return nil }
                if node.port != nil && node.portNumber == nil { return nil }
                return (address, node.portNumber)
            }
            let colons = bytes.lazy.filter { $0 == AddressText.colon }.count
            if colons == 1, let colon = bytes.firstIndex(of: AddressText.colon) {
                guard let value = AddressText.ipv4(bytes[..<colon]),
                    let port = AddressText.port(bytes[(colon + 1)...], leadingZeros: false)
                else { return nil }
                return (IPAddress(storage: .ipv4(value)), port)
            }
            return AddressText.address(bytes).map { ($0, nil) }
        }
    }

    /// The values of the fields read, by name.
    private struct Fields {
        var forwarded: [String] = []
        var forwardedFor: [String] = []
        var forwardedProto: [String] = []
        var forwardedHost: [String] = []

        /// Whether a `Forwarded` line has more than white space.
        var hasForwarded: Bool {
            forwarded.contains { !$0.trimmingSpacesAndTabs().isEmpty }
        }

        mutating func add(_ header: (name: String, value: String)) {
            let name = header.name.utf8
            if Self.matches(name, "forwarded") {
                forwarded.append(header.value)
            } else if Self.matches(name, "x-forwarded-for") {
                forwardedFor.append(header.value)
            } else if Self.matches(name, "x-forwarded-proto") {
                forwardedProto.append(header.value)
            } else if Self.matches(name, "x-forwarded-host") {
                forwardedHost.append(header.value)
            }
        }

        /// ASCII case-insensitive equality with a lowercase name.
        private static func matches(_ name: String.UTF8View, _ lowercase: StaticString) -> Bool {
            guard name.count == lowercase.utf8CodeUnitCount else { return false }
            return lowercase.withUTF8Buffer { expected in
                zip(name, expected).allSatisfy { (FieldSyntax.isAlpha($0) ? $0 | 0x20 : $0) == $1 }
            }
        }
    }
}
