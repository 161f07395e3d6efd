/// Received payload bytes as a sequence that unmasks them while an array appends them: the
/// array copies straight from the read buffer into its own storage, XOR-ing on the way, in one
/// pass (instead of copying, then unmasking in place).
struct UnmaskedBytes: Sequence {
    let start: UnsafeRawPointer
    let count: Int
    let maskingKey: UInt32
    let maskOffset: Int

    struct Iterator: IteratorProtocol {
        let bytes: UnmaskedBytes
        var index = 0

        mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            let byte = bytes.start.load(fromByteOffset: index, as: UInt8.self)
            let keyByte = withUnsafeBytes(of: bytes.maskingKey) { $0[(bytes.maskOffset + index) & 3] }
            index += 1
            return byte ^ keyByte
        }
    }

    var underestimatedCount: Int { count }

    func makeIterator() -> Iterator { Iterator(bytes: self) }

    /// Called by `Array.append(contentsOf:)` with the array's uninitialized tail.
    func _copyContents(initializing buffer: UnsafeMutableBufferPointer<UInt8>) -> (Iterator, Int) {
        let written = Swift.min(count, buffer.count)
        if written > 0, let destination = buffer.baseAddress {
            Masking.apply(key: maskingKey, offset: maskOffset, from: start, to: destination, count: written)
        }
        return (Iterator(bytes: self, index: written), written)
    }
}
