/// The three reserved bits (RSV1, RSV2, RSV3) of a WebSocket frame header.
///
/// The raw value uses the bit positions of the first header byte (RFC 6455 §5.2), so a parser
/// can take `ReservedBits(rawValue: firstByte & 0x70)` without any shifting.
public struct ReservedBits: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The bits in their frame-header positions: RSV1 `0x40`, RSV2 `0x20`, RSV3 `0x10`.
    public let rawValue: UInt8

    /// Creates a set of reserved bits from the first byte of a frame header's bit positions.
    ///
    /// Bits outside `0x70` are kept, so ``isValid`` can report them; a frame parser should mask
    /// the header byte with `0x70` first.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// RSV1, bit `0x40` of the first header byte. permessage-deflate uses it (RFC 7692 §6).
    public static let rsv1 = ReservedBits(rawValue: 0x40)
    /// RSV2, bit `0x20` of the first header byte.
    public static let rsv2 = ReservedBits(rawValue: 0x20)
    /// RSV3, bit `0x10` of the first header byte.
    public static let rsv3 = ReservedBits(rawValue: 0x10)
    /// All three reserved bits.
    public static let all: ReservedBits = [.rsv1, .rsv2, .rsv3]

    /// Whether only RSV1, RSV2 and RSV3 are set (no other bit of the raw value).
    public var isValid: Bool { rawValue & ~ReservedBits.all.rawValue == 0 }

    /// The bits as `RSV1`, `RSV2`, `RSV3` names joined by `+`, or `none`.
    public var description: String {
        var names: [String] = []
        if contains(.rsv1) { names.append("RSV1") }
        if contains(.rsv2) { names.append("RSV2") }
        if contains(.rsv3) { names.append("RSV3") }
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }
}

extension ReservedBits {
    /// Whether a frame with `opcode` may carry `bits`, when `self` holds the bits the active
    /// extensions use: the first frame of a text or binary message may carry those bits;
    /// continuation and control frames may carry none (RFC 6455 §5.2, RFC 7692 §6).
    @inlinable
    public func permits(_ bits: ReservedBits, opcode: Opcode) -> Bool {
        bits.isEmpty || (opcode.isData && isSuperset(of: bits))
    }
}
