import WebSocketExtensions

/// A parsed RFC 6455 frame header.
struct FrameHeader {
    var isFinal: Bool
    var reservedBits: ReservedBits
    var opcode: Opcode
    var isMasked: Bool
    /// The masking key's four bytes in memory order; 0 when unmasked.
    var maskingKey: UInt32
    var payloadLength: Int
    /// Bytes the header occupies on the wire (2 to 14).
    var size: Int

    /// The most bytes a header can take.
    static let maximumSize = 14
}

/// What reading a frame header from the bytes at hand gave.
enum FrameHeaderParse {
    case needMoreData
    case complete(FrameHeader)
    case failed(ProtocolError)
}

/// The rules a header is checked against, as each of its bytes becomes available.
struct FrameHeaderRules {
    /// Whether frames must be masked (server) or must not be (client).
    var requiresMask: Bool
    var maxLength: Int

    /// Reads a header from `available` bytes at `bytes`, checking each field as soon as it is
    /// complete (RFC 6455 §5.2, §5.5, §5.1), in the Ruby driver's order.
    /// - Parameters:
    ///   - messageInProgress: whether a fragmented data message is unfinished.
    ///   - messageLength: bytes already accumulated by that message.
    ///   - allowedReservedBits: the reserved bits the active extensions use.
    func parse(
        _ bytes: UnsafeRawPointer,
        available: Int,
        messageInProgress: Bool,
        messageLength: Int,
        allowedReservedBits: ReservedBits
    ) -> FrameHeaderParse {
        guard available >= 1 else { return .needMoreData }
        let first = bytes.load(as: UInt8.self)
        let isFinal = first & 0x80 != 0
        let reservedBits = ReservedBits(rawValue: first & 0x70)
        let opcode = Opcode(headerByte: first)
        if !allowedReservedBits.permits(reservedBits, opcode: opcode) {
            return .failed(.reservedBitsSet(reservedBits))
        }
        if opcode.isReserved { return .failed(.unknownOpcode(opcode.rawValue)) }
        if opcode.isControl && !isFinal { return .failed(.fragmentedControlFrame(opcode)) }
        if opcode.isData && messageInProgress { return .failed(.unfinishedFragmentedMessage) }
        if opcode == .continuation && !messageInProgress { return .failed(.unexpectedContinuation) }

        guard available >= 2 else { return .needMoreData }
        let second = bytes.load(fromByteOffset: 1, as: UInt8.self)
        let isMasked = second & 0x80 != 0
        if requiresMask && !isMasked { return .failed(.unmaskedFrame) }
        if !requiresMask && isMasked { return .failed(.maskedFrame) }
        let shortLength = second & 0x7F
        let extendedSize = shortLength == 126 ? 2 : (shortLength == 127 ? 8 : 0)
        guard available >= 2 + extendedSize else { return .needMoreData }
        let length: UInt64
        switch extendedSize {
        case 2:
            length = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        case 8:
            length = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
            if length & (1 << 63) != 0 { return .failed(.invalidPayloadLength) }
        default:
            length = UInt64(shortLength)
        }
        if opcode.isControl && length > 125 { return .failed(.controlFrameTooLong(length)) }
        let accumulated = opcode.isControl ? 0 : messageLength
        if length > UInt64(max(0, maxLength - accumulated)) { return .failed(.frameTooLarge) }

        let size = 2 + extendedSize + (isMasked ? 4 : 0)
        guard available >= size else { return .needMoreData }
        let key = isMasked ? bytes.loadUnaligned(fromByteOffset: 2 + extendedSize, as: UInt32.self) : 0
        return .complete(
            FrameHeader(
                isFinal: isFinal,
                reservedBits: reservedBits,
                opcode: opcode,
                isMasked: isMasked,
                maskingKey: key,
                payloadLength: Int(length),
                size: size
            )
        )
    }
}
