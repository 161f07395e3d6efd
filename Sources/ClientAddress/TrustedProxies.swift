/// The addresses of the proxies whose word about the client is believed.
///
/// Client identity travels in what a proxy adds: a PROXY protocol header before the
/// connection's bytes, `Forwarded` or `X-Forwarded-*` fields in a request. Anybody can send
/// those, so they count only from a peer in this list; from any other peer a header is
/// ignored and a PROXY protocol header refused. The list is empty by default: nothing is
/// trusted until configured.
///
/// ```swift
/// let trusted = try TrustedProxies(parsing: "127.0.0.1, 10.0.0.0/8, ::1")
/// trusted.contains(IPAddress("10.1.2.3")!)  // true
/// trusted.contains(IPAddress("::ffff:10.1.2.3")!)  // true: an IPv4-mapped 10.1.2.3
/// ```
public struct TrustedProxies: Sendable, Hashable, CustomStringConvertible {
    /// The trusted ranges, in the order given.
    public var ranges: [AddressRange]

    /// Trusts the addresses in `ranges`; none by default.
    public init(_ ranges: [AddressRange] = []) {
        self.ranges = ranges
    }

    /// Parses a comma-separated list of addresses and CIDR ranges, the value of a command line
    /// option such as `--trust-proxy 127.0.0.1,10.0.0.0/8,::1`. Spaces and tabs around an
    /// entry are ignored; an empty entry (`a,,b`, a trailing comma, an empty list) is an error,
    /// as it is more likely a mistake than a wish.
    /// - Throws: ``AddressParseError`` for the first entry that is not an address or a range.
    public init(parsing list: some StringProtocol) throws(AddressParseError) {
        var ranges: [AddressRange] = []
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            let text = entry.trimmingSpacesAndTabs()
            guard !text.isEmpty else { throw AddressParseError(input: list, reason: .empty) }
            ranges.append(try AddressRange(parsing: text))
        }
        self.init(ranges)
    }

    /// Whether no address is trusted.
    public var isEmpty: Bool {
        ranges.isEmpty
    }

    /// Whether `address` is in one of the ranges. An IPv4-mapped IPv6 address counts as its
    /// IPv4 address, and an IPv4 address as its mapped form (see ``AddressRange``).
    public func contains(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// The ranges, comma-separated: `127.0.0.1/32,10.0.0.0/8`.
    public var description: String {
        ranges.map(\.description).joined(separator: ",")
    }
}
