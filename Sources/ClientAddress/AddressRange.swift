/// A block of addresses in CIDR notation: a network address and a prefix length.
///
/// `10.0.0.0/8`, `fd00::/8`; a single address (`192.0.2.7`, `::1`) is the range of that one
/// host (`/32` or `/128`). A range whose address has bits set beyond the prefix
/// (`10.0.0.5/8`) is refused with ``AddressParseError/Reason/hostBitsSet(network:)``
/// rather than silently widened: in a list of trusted proxies such a typing mistake decides
/// whose headers are believed.
///
/// Ranges contain addresses as IPv6 does: an IPv4 address is compared as its IPv4-mapped
/// form `::ffff:a.b.c.d`. So `10.0.0.0/8` contains both `10.1.2.3` and `::ffff:10.1.2.3` (how
/// a dual-stack socket reports that peer), and `::/0` contains every address, IPv4 ones too.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the range (its bits beyond the prefix are zero).
    public let address: IPAddress
    /// How many leading bits of an address must match: 0–32 for IPv4, 0–128 for IPv6.
    public let prefixLength: Int

    /// Creates a range from its network address and prefix length.
    /// - Throws: ``AddressParseError`` when the prefix length is out of range for the family,
    ///   or when `address` has bits set beyond it.
    public init(address: IPAddress, prefixLength: Int) throws(AddressParseError) {
        let maximum = address.family == .ipv4 ? 32 : 128
        guard prefixLength >= 0 else {
            throw AddressParseError(input: "\(address)/\(prefixLength)", reason: .invalidPrefixLength)
        }
        guard prefixLength <= maximum else {
            throw AddressParseError(
                input: "\(address)/\(prefixLength)", reason: .prefixLengthTooLarge(maximum: maximum))
        }
        let network = Self.masked(address, prefixLength: prefixLength)
        guard network == address else {
            let range = AddressRange(uncheckedAddress: network, prefixLength: prefixLength)
            throw AddressParseError(input: "\(address)/\(prefixLength)", reason: .hostBitsSet(network: range))
        }
        self.init(uncheckedAddress: address, prefixLength: prefixLength)
    }

    /// The range of one host: `/32` for IPv4, `/128` for IPv6.
    public init(_ address: IPAddress) {
        self.init(uncheckedAddress: address, prefixLength: address.family == .ipv4 ? 32 : 128)
    }

    /// Parses `ADDRESS` or `ADDRESS/PREFIX` (see ``AddressRange``).
    /// - Throws: ``AddressParseError`` for a bad address, a bad or too large prefix length, or
    ///   host bits set.
    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        guard let slash = text.firstIndex(of: "/") else {
            self.init(try IPAddress(parsing: text))
            return
        }
        let address = try IPAddress(parsing: text[..<slash])
        let digits = text[text.index(after: slash)...]
        let prefix = digits.withContiguousUTF8 { AddressText.port($0[...], leadingZeros: false) }
        guard let prefix else { throw AddressParseError(input: text, reason: .invalidPrefixLength) }
        let maximum = address.family == .ipv4 ? 32 : 128
        guard Int(prefix) <= maximum else {
            throw AddressParseError(input: text, reason: .prefixLengthTooLarge(maximum: maximum))
        }
        let network = Self.masked(address, prefixLength: Int(prefix))
        guard network == address else {
            let range = AddressRange(uncheckedAddress: network, prefixLength: Int(prefix))
            throw AddressParseError(input: text, reason: .hostBitsSet(network: range))
        }
        self.init(uncheckedAddress: address, prefixLength: Int(prefix))
    }

    private init(uncheckedAddress address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` is in the range; IPv4 addresses and their IPv4-mapped IPv6 forms
    /// are the same host here.
    public func contains(_ candidate: IPAddress) -> Bool {
        let mask = Self.mask(mappedPrefixLength)
        let network = address.mappedBits
        let bits = candidate.mappedBits
        return bits.high & mask.high == network.high && bits.low & mask.low == network.low
    }

    /// `ADDRESS/PREFIX`, always with the prefix length: `10.0.0.0/8`, `::1/128`.
    public var description: String {
        "\(address)/\(prefixLength)"
    }

    /// The prefix length in the 128-bit space where IPv4 is IPv4-mapped.
    private var mappedPrefixLength: Int {
        address.family == .ipv4 ? 96 + prefixLength : prefixLength
    }

    /// A 128-bit mask of `length` leading ones.
    private static func mask(_ length: Int) -> (high: UInt64, low: UInt64) {
        func ones(_ count: Int) -> UInt64 {
            count <= 0 ? 0 : count >= 64 ? .max : ~(UInt64.max >> UInt64(count))
        }
        return (ones(length), ones(length - 64))
    }

    private static func masked(_ address: IPAddress, prefixLength: Int) -> IPAddress {
        switch address.storage {
        case .ipv4(let value):
            let mask: UInt32 = prefixLength == 0 ? 0 : ~(UInt32.max >> UInt32(prefixLength))
            return IPAddress(storage: .ipv4(value & mask))
        case .ipv6(let high, let low):
            let mask = Self.mask(prefixLength)
            return IPAddress(storage: .ipv6(high: high & mask.high, low: low & mask.low))
        }
    }
}
