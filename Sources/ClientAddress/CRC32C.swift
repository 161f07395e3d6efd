/// CRC-32C (Castagnoli, RFC 3720 / RFC 4960 Appendix B), which a version 2 PROXY header may
/// carry over itself. Headers are short, so a bit at a time is enough.
enum CRC32C {
    private static let polynomial: UInt32 = 0x82F6_3B78  // reflected 0x1EDC6F41

    /// The checksum of `bytes`, with the bytes in `zeroed` counted as zeros.
    static func checksum(_ bytes: ByteSlice, zeroing zeroed: Range<Int>) -> UInt32 {
        var crc = UInt32.max
        for index in bytes.indices {
            crc ^= zeroed.contains(index) ? 0 : UInt32(bytes[index])
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? crc >> 1 ^ polynomial : crc >> 1
            }
        }
        return ~crc
    }
}
