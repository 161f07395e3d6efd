/// The message padding MD5 (RFC 1321 §3.1–3.2) and SHA-1 (FIPS 180-4 §5.1.1) share: the input
/// in 64-byte blocks, then `0x80`, zeros, and the length in bits as a 64-bit integer.
enum BlockPadding {
    /// The byte order of the length field: little-endian for MD5, big-endian for SHA-1.
    enum LengthOrder {
        case littleEndian
        case bigEndian
    }

    /// Calls `compress` with each 64-byte block of `buffer` followed by the padding, passing the
    /// buffer holding the block and the block's offset in it.
    static func forEachBlock(
        of buffer: UnsafeRawBufferPointer,
        lengthOrder: LengthOrder,
        _ compress: (UnsafeRawBufferPointer, Int) -> Void
    ) {
        let fullBlocksEnd = buffer.count - buffer.count % 64
        var offset = 0
        while offset < fullBlocksEnd {
            compress(buffer, offset)
            offset += 64
        }
        var tail = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[fullBlocksEnd...]))
        tail.append(0x80)
        let paddedLength = tail.count <= 56 ? 64 : 128
        tail.append(contentsOf: repeatElement(0, count: paddedLength - 8 - tail.count))
        let bitLength = UInt64(truncatingIfNeeded: buffer.count) &* 8
        let shifts =
            lengthOrder == .littleEndian
            ? Array(stride(from: 0, through: 56, by: 8)) : Array(stride(from: 56, through: 0, by: -8))
        for shift in shifts {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { tailBuffer in
            var tailOffset = 0
            while tailOffset < tailBuffer.count {
                compress(tailBuffer, tailOffset)
                tailOffset += 64
            }
        }
    }
}
