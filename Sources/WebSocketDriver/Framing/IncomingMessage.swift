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
    /// The most bytes the message may hold (`maxLength`): its buffer never reserves more.
    let capacityLimit: Int
    private(set) var payload: [UInt8] = []
    private(set) var validator = UTF8Validator()
    /// The message as text, when it was made directly from the read buffer.
    private(set) var text: String?

    /// The largest whole text message made directly into a `String` (the size the standard
    /// library always places on the stack for a temporary allocation). Larger ones go through
    /// the payload array, whose allocation is then a small part of the cost.
    static let directTextLimit = 1024

    /// Up to this many bytes a message assembled from several frames or reads grows
    /// geometrically; past it, the buffer is reserved at ``capacityLimit`` at once. Such a
    /// buffer is mapped memory whose untouched pages cost nothing, so a message that stops
    /// short (or an attacker that never finishes one) costs the bytes received, never a
    /// doubled buffer or the copy that doubling makes.
    static let geometricGrowthLimit = 1 << 20

    /// - Parameters:
    ///   - extensionsActive: whether negotiated extensions may transform the message
    ///   (then it is always assembled as bytes and handed to them).
    ///   - capacityLimit: the largest message allowed, in bytes (`maxLength`).
    init(opcode: Opcode, reservedBits: ReservedBits, extensionsActive: Bool, capacityLimit: Int) {
        self.opcode = opcode
        self.capacityLimit = max(0, capacityLimit)
        self.reservedBits = reservedBits
        // Reserved bits mean an extension transformed the payload: check what it produces.
        self.validatesAsItArrives = opcode == .text && reservedBits.isEmpty
        self.makesTextDirectly = validatesAsItArrives && !extensionsActive
    }

    /// The buffer's capacity, for tests of the bound.
    var payloadCapacity: Int { payload.capacity }

    /// The largest limit reserved at once (256 MiB): a larger `maxLength` could ask the system
    /// for more address space than it grants, so such messages keep doubling.
    static let directReservationLimit = 256 << 20

    /// Makes room for `needed` bytes, knowing that the frames so far announce `announced`:
    /// exactly that once the final frame has announced it; before, the announced length while
    /// it is small, doubling while the message stays under ``geometricGrowthLimit``, then
    /// ``capacityLimit`` at once (doubling on when the limit is above
    /// ``directReservationLimit``); never more than the limit.
    private mutating func reserve(needed: Int, announced: Int, isFinal: Bool) {
        guard payload.capacity < needed else { return }
        if isFinal {
            payload.reserveCapacity(announced)
            return
        }
        let doubled = payload.capacity > Int.max / 2 ? Int.max : payload.capacity * 2
        var capacity = max(announced, min(doubled, Self.geometricGrowthLimit))
        if capacity > Self.geometricGrowthLimit {
            capacity =
                capacityLimit <= Self.directReservationLimit ? capacityLimit : max(announced, doubled)
        }
        payload.reserveCapacity(max(needed, min(capacity, capacityLimit)))
    }

    /// Moves the payload out (leaving it empty), without copying or retaining it.
    mutating func takePayload() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &payload)
        return taken
    }

    /// Appends `count` received bytes, unmasking them on the way; `false` if they make the text
    /// invalid UTF-8. Text checked as it arrives is validated in the same pass as the copy.
    mutating func append(
        _ bytes: UnsafeRawPointer,
        count: Int,
        maskingKey: UInt32?,
        maskOffset: Int,
        wholeFrame: Bool,
        frameLength: Int,
        finalFrame: Bool
    ) -> Bool {
        let start = payload.count
        if start == 0 && wholeFrame && makesTextDirectly && count <= Self.directTextLimit {
            // A whole small text message: unmasked and checked into temporary memory on the
            // stack, then copied once into the `String`; no array is allocated.
            return withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { scratch in
                guard let base = scratch.baseAddress else { return true }
                guard
                    validator.copyValidating(
                        from: bytes, to: base, count: count, maskingKey: maskingKey, maskOffset: maskOffset)
                else { return false }
                if validator.isComplete {
                    text = ValidatedText.string(UnsafeRawBufferPointer(scratch), isASCII: validator.isASCII)
                }
                return true
            }
        }
        if start == 0 && wholeFrame {
            // The common case: a whole unfragmented message in one read, copied and unmasked (and
            // validated, for text) in one pass into an exactly sized buffer.
            var valid = true
            payload = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                if let destination = buffer.baseAddress {
                    valid = copy(bytes, to: destination, count: count, maskingKey: maskingKey, maskOffset: maskOffset)
                }
                initialized = count
            }
            return valid
        }
        // The frame's remaining bytes were checked against maxLength with its header.
        let announced = start - maskOffset + frameLength
        reserve(needed: start + count, announced: max(start + count, announced), isFinal: finalFrame)
        guard validatesAsItArrives else {
            payload.append(
                contentsOf: UnmaskedBytes(start: bytes, count: count, maskingKey: maskingKey, maskOffset: maskOffset))
            return true
        }
        var valid = true
        withUnsafeMutablePointer(to: &validator) { validator in
            withUnsafeMutablePointer(to: &valid) { valid in
                payload.append(
                    contentsOf: UnmaskedBytes(
                        start: bytes, count: count, maskingKey: maskingKey, maskOffset: maskOffset,
                        validation: UnmaskedBytes.Validation(validator: validator, isValid: valid)))
            }
        }
        return valid
    }

    /// Copies (unmasking) `count` bytes into fresh memory, validating them on the way when the
    /// text is checked as it arrives; `false` if they are invalid (every byte is copied anyway).
    private mutating func copy(
        _ bytes: UnsafeRawPointer,
        to destination: UnsafeMutableRawPointer,
        count: Int,
        maskingKey: UInt32?,
        maskOffset: Int
    ) -> Bool {
        if validatesAsItArrives
            && validator.copyValidating(
                from: bytes, to: destination, count: count, maskingKey: maskingKey, maskOffset: maskOffset)
        {
            return true
        }
        Masking.copy(
            from: bytes, into: UnsafeMutableRawBufferPointer(start: destination, count: count), key: maskingKey,
            offset: maskOffset)
        return !validatesAsItArrives
    }
}
