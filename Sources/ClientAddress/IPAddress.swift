/// An IPv4 or IPv6 address: 4 or 16 bytes, without a zone.
///
/// Parse one from text with ``init(parsing:)`` (or the failable ``init(_:)``); the text forms
/// accepted are:
/// - IPv4: a dotted quad, four decimal numbers 0–255 without leading zeros (`192.0.2.1`, not
///   `192.0.2.01`, whose zero some parsers read as octal);
/// - IPv6: eight groups of one to four hexadecimal digits (either case), with at most one `::`
///   standing for one or more groups of zeros, and optionally an IPv4 dotted quad as the last
///   32 bits (`::ffff:192.0.2.1`, `64:ff9b::198.51.100.7`).
///
/// A zone index (`fe80::1%eth0`) is refused: a zone names an interface of one host, so it has
/// no meaning in a header another host wrote, nor in a list of trusted proxies.
///
/// ``description`` is the canonical text: the dotted quad, or for IPv6 the RFC 5952 form
/// (lowercase, no leading zeros, the longest run of two or more zero groups as `::`, the
/// first one on a tie, and `::ffff:a.b.c.d` for an IPv4-mapped address).
///
/// Equality is by family and bytes: `::ffff:192.0.2.1` and `192.0.2.1` are different values.
/// Where only the host matters, as in ``AddressRange/contains(_:)`` and
/// ``TrustedProxies/contains(_:)``, an IPv4-mapped address counts as its IPv4 address (see
/// ``unmapped``).
public struct IPAddress: Sendable, Hashable {
    /// The version of the Internet Protocol an address belongs to.
    public enum Family: Sendable, Hashable {
        /// A 32-bit IPv4 address.
        case ipv4
        /// A 128-bit IPv6 address.
        case ipv6
    }

    /// The address bits; IPv6 in two big-endian halves.
    enum Storage: Sendable, Hashable {
        case ipv4(UInt32)
        case ipv6(high: UInt64, low: UInt64)
    }

    let storage: Storage

    init(storage: Storage) {
        self.storage = storage
    }

    /// Creates an IPv4 address from its four bytes, most significant first: `.ipv4(192, 0, 2, 1)`.
    public static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress {
        IPAddress(storage: .ipv4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)))
    }

    /// Creates an address from its bytes in network order: 4 bytes make an IPv4 address, 16 an
    /// IPv6 one; any other count gives `nil`.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            var value: UInt32 = 0
            for byte in bytes { value = value << 8 | UInt32(byte) }
            storage = .ipv4(value)
        case 16:
            var high: UInt64 = 0
            var low: UInt64 = 0
            for byte in bytes {
                high = high << 8 | low >> 56
                low = low << 8 | UInt64(byte)
            }
            storage = .ipv6(high: high, low: low)
        default:
            return nil
        }
    }

    /// Which protocol version the address belongs to.
    public var family: Family {
        switch storage {
        case .ipv4: return .ipv4
        case .ipv6: return .ipv6
        }
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch storage {
        case .ipv4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .ipv6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        }
    }

    /// Whether this is an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2): how
    /// a dual-stack socket reports an IPv4 peer.
    public var isIPv4Mapped: Bool {
        guard case .ipv6(let high, let low) = storage else { return false }
        return high == 0 && low >> 32 == 0xFFFF
    }

    /// The IPv4 address an IPv4-mapped IPv6 address carries; any other address unchanged.
    /// `::ffff:192.0.2.1` gives `192.0.2.1`.
    public var unmapped: IPAddress {
        guard case .ipv6(_, let low) = storage, isIPv4Mapped else { return self }
        return IPAddress(storage: .ipv4(UInt32(truncatingIfNeeded: low)))
    }

    /// The address as 128 bits, an IPv4 address as its IPv4-mapped form: the space in which
    /// ranges contain addresses.
    var mappedBits: (high: UInt64, low: UInt64) {
        switch storage {
        case .ipv4(let value): return (0, 0xFFFF_0000_0000 | UInt64(value))
        case .ipv6(let high, let low): return (high, low)
        }
    }
}
