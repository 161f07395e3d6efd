/// Received payload bytes as a sequence that unmasks them (when masked) while an array appends
/// them: the array copies straight from the read buffer into its own storage, XOR-ing on the
/// way, in one pass (instead of copying, then unmasking in place). With a validator, the bytes
/// are checked as UTF-8 in that same pass (``UTF8Validator/copyValidating(from:to:count:maskingKey:maskOffset:)``).
struct UnmaskedBytes: Sequence {
    let start: UnsafeRawPointer
    let count: Int
    let maskingKey: UInt32?
    let maskOffset: Int
    /// Where the text's validation state lives while the array appends, and where a failure is
    /// recorded; `nil` for bytes that are not validated.
    let validation: Validation?

    /// The validator the bytes are checked with, and the flag that goes `false` when they are
    /// invalid. Both belong to the caller and outlive the append.
    struct Validation {
        let validator: UnsafeMutablePointer<UTF8Validator>
        let isValid: UnsafeMutablePointer<Bool>

        func check(_ bytes: UnsafeRawBufferPointer) {
            if isValid.pointee && !validator.pointee.validate(bytes) { isValid.pointee = false }
        }
    }

    init(start: UnsafeRawPointer, count: Int, maskingKey: UInt32?, maskOffset: Int, validation: Validation? = nil) {
        self.start = start
        self.count = count
        self.maskingKey = maskingKey
        self.maskOffset = maskOffset
        self.validation = validation
    }

    struct Iterator: IteratorProtocol {
        let bytes: UnmaskedBytes
        var index = 0

        mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            var byte = bytes.start.load(fromByteOffset: index, as: UInt8.self)
            if let key = bytes.maskingKey {
                byte ^= withUnsafeBytes(of: key) { $0[(bytes.maskOffset + index) & 3] }
            }
            index += 1
            withUnsafeBytes(of: byte) { bytes.validation?.check($0) }
            return byte
        }
    }

    var underestimatedCount: Int { count }

    func makeIterator() -> Iterator { Iterator(bytes: self) }

    /// Called by `Array.append(contentsOf:)` with the array's uninitialized tail.
    func _copyContents(initializing buffer: UnsafeMutableBufferPointer<UInt8>) -> (Iterator, Int) {
        let written = Swift.min(count, buffer.count)
        if written > 0, let destination = buffer.baseAddress {
            let validated =
                validation.map {
                    $0.isValid.pointee
                        && $0.validator.pointee.copyValidating(
                            from: start, to: destination, count: written, maskingKey: maskingKey,
                            maskOffset: maskOffset)
                } ?? false
            if !validated {
                // Not validated, or invalid (then validation stopped part way): every byte is
                // still copied, so that all `written` bytes are initialized.
                if let validation { validation.isValid.pointee = false }
                Masking.copy(
                    from: start, into: UnsafeMutableRawBufferPointer(start: destination, count: written),
                    key: maskingKey, offset: maskOffset)
            }
        }
        return (Iterator(bytes: self, index: written), written)
    }
}
