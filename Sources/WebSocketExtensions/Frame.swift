/// One WebSocket frame as the extension framework sees it: the header flags and the payload,
/// already unmasked.
public struct Frame: Hashable, Sendable {
    /// FIN: this is the last frame of its message.
    public var isFinal: Bool
    /// The reserved bits set on the frame.
    public var reservedBits: ReservedBits
    /// The frame's opcode.
    public var opcode: Opcode
    /// The unmasked payload.
    public var payload: [UInt8]

    /// Creates a frame.
    /// - Parameters:
    ///   - isFinal: whether FIN is set; defaults to `true`.
    ///   - reservedBits: the RSV bits; defaults to none.
    ///   - opcode: the opcode.
    ///   - payload: the unmasked payload; defaults to empty.
    public init(
        isFinal: Bool = true,
        reservedBits: ReservedBits = [],
        opcode: Opcode,
        payload: [UInt8] = []
    ) {
        self.isFinal = isFinal
        self.reservedBits = reservedBits
        self.opcode = opcode
        self.payload = payload
    }
}
