import WebSocketExtensions

/// A data message being reassembled from its frames, with its UTF-8 checked as it arrives.
struct IncomingMessage {
    let opcode: Opcode
    let reservedBits: ReservedBits
    /// Whether text is validated frame by frame (no extension transforms it).
    let validatesAsItArrives: Bool
    /// Whether a text message that arrives whole may go straight to a `String` (no extension
    /// needs its bytes), skipping the byte array.
    let makesTextDirectly: Bool
    private(set) var payload: [UInt8] = []
    private(set) var validator = UTF8Validator()
    /// The message as text, when it was made directly from the read buffer.
    private(set) var text: String?

    /// The largest whole text message made directly into a `String` (the size the standard
    /// library always places on the stack for a temporary allocation). Larger ones go through
    /// the payload array, whose allocation is then a small part of the cost.
    static let directTextLimit = 1024

    /// - Parameter extensionsActive: whether negotiated extensions may transform the message
    ///   (then it is always assembled as bytes and handed to them).
    init(opcode: Opcode, reservedBits: ReservedBits, extensionsActive: Bool) {
        self.opcode = opcode
        self.reservedBits = reservedBits
        // Reserved bits mean an extension transformed the payload: check what it produces.
        self.validatesAsItArrives = opcode == .text && reservedBits.isEmpty
        self.makesTextDirectly = validatesAsItArrives && !extensionsActive
    }

    /// Moves the payload out (leaving it empty), without copying or retaining it.
    mutating func takePayload() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &payload)
        return taken
    }

    /// Appends `count` received bytes, unmasking them on the way; `false` if they make the text
    /// invalid UTF-8.
    mutating func append(
        _ bytes: UnsafeRawPointer,
        count: Int,
        maskingKey: UInt32?,
        maskOffset: Int,
        wholeFrame: Bool,
        frameLength: Int
    ) -> Bool {
        let start = payload.count
        if start == 0 && wholeFrame && makesTextDirectly && count <= Self.directTextLimit {
            // A whole small text message: unmasked into temporary memory on the stack, checked
            // there, then copied once into the `String`; no array is allocated.
            return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { scratch in
                Masking.copy(from: bytes, into: scratch, key: maskingKey, offset: maskOffset)
                let unmasked = UnsafeRawBufferPointer(scratch)
                guard validator.validate(unmasked) else { return false }
                if validator.isComplete {
                    text = ValidatedText.string(unmasked, isASCII: validator.isASCII)
                }
                return true
            }
        }
        if start == 0 && wholeFrame {
            // The common case: a whole unfragmented message in one read, copied and unmasked in
            // one pass into an exactly sized buffer.
            payload = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                Masking.copy(
                    from: bytes,
                    into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<count])),
                    key: maskingKey, offset: maskOffset)
                initialized = count
            }
        } else {
            if start == 0 && frameLength > count {
                // A message arriving over several reads: room for its whole first frame at once
                // (already checked against maxLength) instead of regrowing. Pages the peer never
                // fills are not touched, so an announced length alone costs no resident memory.
                payload.reserveCapacity(frameLength)
            }
            if let key = maskingKey {
                payload.append(
                    contentsOf: UnmaskedBytes(start: bytes, count: count, maskingKey: key, maskOffset: maskOffset))
            } else {
                payload.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
            }
        }
        guard validatesAsItArrives else { return true }
        return payload.withUnsafeBytes { all in
            validator.validate(UnsafeRawBufferPointer(rebasing: all[start..<(start + count)]))
        }
    }
}
