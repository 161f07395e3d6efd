/// A WebSocket frame opcode (RFC 6455 §5.2): a four-bit value.
///
/// Unknown values are representable so that a parser can report them; ``isReserved`` tells
/// whether RFC 6455 leaves the value undefined (such a frame fails the connection with 1002).
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The opcode's four-bit value (0...15).
    public let rawValue: UInt8

    /// Creates an opcode from its value; returns `nil` for a value above 15.
    public init?(rawValue: UInt8) {
        guard rawValue <= 0x0F else { return nil }
        self.rawValue = rawValue
    }

    @usableFromInline
    init(uncheckedValue: UInt8) {
        self.rawValue = uncheckedValue
    }

    /// Creates an opcode from the low four bits of a frame header byte.
    @inlinable
    public init(headerByte: UInt8) {
        self.rawValue = headerByte & 0x0F
    }

    /// `0x0`: a continuation frame of a fragmented message.
    @inlinable public static var continuation: Opcode { Opcode(uncheckedValue: 0x0) }
    /// `0x1`: a text frame (UTF-8 payload).
    @inlinable public static var text: Opcode { Opcode(uncheckedValue: 0x1) }
    /// `0x2`: a binary frame.
    @inlinable public static var binary: Opcode { Opcode(uncheckedValue: 0x2) }
    /// `0x8`: a close frame.
    @inlinable public static var close: Opcode { Opcode(uncheckedValue: 0x8) }
    /// `0x9`: a ping frame.
    @inlinable public static var ping: Opcode { Opcode(uncheckedValue: 0x9) }
    /// `0xA`: a pong frame.
    @inlinable public static var pong: Opcode { Opcode(uncheckedValue: 0xA) }

    /// Whether this is a control opcode (close, ping, pong, or a reserved control value).
    @inlinable public var isControl: Bool { rawValue & 0x08 != 0 }

    /// Whether this opcode starts a data message (text or binary).
    @inlinable public var isData: Bool { rawValue == 0x1 || rawValue == 0x2 }

    /// Whether RFC 6455 reserves this value for future use (`0x3`–`0x7`, `0xB`–`0xF`).
    public var isReserved: Bool {
        switch rawValue {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: return false
        default: return true
        }
    }

    /// The opcode's name (`text`, `close`, …), or `reserved(N)` for a reserved one.
    public var description: String {
        switch rawValue {
        case 0x0: return "continuation"
        case 0x1: return "text"
        case 0x2: return "binary"
        case 0x8: return "close"
        case 0x9: return "ping"
        case 0xA: return "pong"
        default: return "reserved(\(rawValue))"
        }
    }
}
