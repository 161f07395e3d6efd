/// Why a text is not an address, an address range or a list of trusted proxies.
public struct AddressParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the text.
    public enum Reason: Sendable, Hashable {
        /// The text (or an entry of a list) is empty.
        case empty
        /// The text has no colon and is not a dotted quad of four decimal numbers 0–255
        /// without leading zeros.
        case invalidIPv4
        /// The text has a colon and is not an IPv6 address.
        case invalidIPv6
        /// The text has a zone index (`%eth0`), which addresses here never carry.
        case zoneNotSupported
        /// What follows the `/` of a range is not a decimal number without leading zeros.
        case invalidPrefixLength
        /// The prefix length of a range exceeds the address's bits (32 for IPv4, 128 for IPv6).
        case prefixLengthTooLarge(maximum: Int)
        /// A range has bits set beyond its prefix length (`10.0.0.5/8`): a typing mistake that
        /// could trust far more, or far fewer, hosts than meant. The associated value is the
        /// range the prefix describes (`10.0.0.0/8`).
        case hostBitsSet(network: AddressRange)
    }

    /// The text that failed, cut to its first 64 characters (with `…`) when longer.
    public var input: String
    /// What is wrong with it.
    public var reason: Reason

    /// Creates an error for `input`, which is cut to its first 64 characters when longer.
    public init(input: some StringProtocol, reason: Reason) {
        self.input = input.count > 64 ? String(input.prefix(64)) + "…" : String(input)
        self.reason = reason
    }

    /// A sentence naming the text and the problem.
    public var description: String {
        let quoted = "\"\(input)\""
        switch reason {
        case .empty:
            return "An address is missing (an empty entry)"
        case .invalidIPv4:
            return "\(quoted) is not an IPv4 address "
                + "(four decimal numbers 0-255 separated by dots, without leading zeros)"
        case .invalidIPv6:
            return "\(quoted) is not an IPv6 address"
        case .zoneNotSupported:
            return "\(quoted) has a zone index (%...), which is not supported: "
                + "a zone only means something on one host"
        case .invalidPrefixLength:
            return "\(quoted) has an invalid prefix length (expected a decimal number after '/')"
        case .prefixLengthTooLarge(let maximum):
            return "\(quoted) has a prefix length above \(maximum)"
        case .hostBitsSet(let network):
            return "\(quoted) has address bits set beyond its prefix length: "
                + "write \(network) for the network, or the address alone for one host"
        }
    }
}
