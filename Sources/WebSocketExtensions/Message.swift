/// A whole text or binary message as it passes through the extension pipeline.
///
/// Extensions process whole messages, never single frames (RFC 7692 is a per-message
/// extension). An incoming message carries the reserved bits of its first frame; an extension
/// that transforms it clears the bits it owns. An outgoing message leaves the pipeline with the
/// bits its first frame must carry.
public struct Message: Hashable, Sendable {
    /// ``Opcode/text`` or ``Opcode/binary``.
    public var opcode: Opcode
    /// The reserved bits of the message's first frame.
    public var reservedBits: ReservedBits
    /// The message payload: UTF-8 bytes for text (once every extension has decoded it).
    public var payload: [UInt8]

    /// Creates a message.
    /// - Parameters:
    ///   - opcode: ``Opcode/text`` or ``Opcode/binary``.
    ///   - reservedBits: the RSV bits of the first frame; defaults to none.
    ///   - payload: the payload bytes.
    public init(opcode: Opcode, reservedBits: ReservedBits = [], payload: [UInt8]) {
        self.opcode = opcode
        self.reservedBits = reservedBits
        self.payload = payload
    }
}
