/// MD5 (RFC 1321), for the draft-76 (hixie-76) handshake challenge.
///
/// MD5 is broken as a cryptographic hash; the old handshake only uses it as a fixed transform,
/// which is all this helper is meant for.
enum MD5 {
    /// The 16-byte MD5 digest of `bytes`.
    static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(buffer: UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { hash(buffer: $0) }
    }

    private static func hash(buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var state = State()
        BlockPadding.forEachBlock(of: buffer, lengthOrder: .littleEndian) { block, offset in
            state.compress(block, at: offset)
        }

        var digest: [UInt8] = []
        digest.reserveCapacity(16)
        for word in [state.a, state.b, state.c, state.d] {
            digest.append(UInt8(truncatingIfNeeded: word))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
        }
        return digest
    }

    /// `T[i]` of RFC 1321 §3.4: the integer part of 2^32 × |sin(i + 1)|.
    private static let sines: [UInt32] = [
        0xD76A_A478, 0xE8C7_B756, 0x2420_70DB, 0xC1BD_CEEE, 0xF57C_0FAF, 0x4787_C62A, 0xA830_4613, 0xFD46_9501,
        0x6980_98D8, 0x8B44_F7AF, 0xFFFF_5BB1, 0x895C_D7BE, 0x6B90_1122, 0xFD98_7193, 0xA679_438E, 0x49B4_0821,
        0xF61E_2562, 0xC040_B340, 0x265E_5A51, 0xE9B6_C7AA, 0xD62F_105D, 0x0244_1453, 0xD8A1_E681, 0xE7D3_FBC8,
        0x21E1_CDE6, 0xC337_07D6, 0xF4D5_0D87, 0x455A_14ED, 0xA9E3_E905, 0xFCEF_A3F8, 0x676F_02D9, 0x8D2A_4C8A,
        0xFFFA_3942, 0x8771_F681, 0x6D9D_6122, 0xFDE5_380C, 0xA4BE_EA44, 0x4BDE_CFA9, 0xF6BB_4B60, 0xBEBF_BC70,
        0x289B_7EC6, 0xEAA1_27FA, 0xD4EF_3085, 0x0488_1D05, 0xD9D4_D039, 0xE6DB_99E5, 0x1FA2_7CF8, 0xC4AC_5665,
        0xF429_2244, 0x432A_FF97, 0xAB94_23A7, 0xFC93_A039, 0x655B_59C3, 0x8F0C_CC92, 0xFFEF_F47D, 0x8584_5DD1,
        0x6FA8_7E4F, 0xFE2C_E6E0, 0xA301_4314, 0x4E08_11A1, 0xF753_7E82, 0xBD3A_F235, 0x2AD7_D2BB, 0xEB86_D391,
    ]

    /// The left-rotation amounts of the four rounds (RFC 1321 §3.4), four per round.
    private static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]

    /// The four state words A, B, C, D, initialised per RFC 1321 §3.3.
    private struct State {
        var a: UInt32 = 0x6745_2301
        var b: UInt32 = 0xEFCD_AB89
        var c: UInt32 = 0x98BA_DCFE
        var d: UInt32 = 0x1032_5476

        /// Processes the 64-byte block at `offset` (RFC 1321 §3.4).
        mutating func compress(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
            func word(_ index: Int) -> UInt32 {
                buffer.loadUnaligned(fromByteOffset: offset + 4 * index, as: UInt32.self).littleEndian
            }
            var aa = a
            var bb = b
            var cc = c
            var dd = d
            for step in 0..<64 {
                let f: UInt32
                let g: Int
                switch step {
                case 0..<16:
                    f = (bb & cc) | (~bb & dd)
                    g = step
                case 16..<32:
                    f = (bb & dd) | (cc & ~dd)
                    g = (5 &* step &+ 1) & 15
                case 32..<48:
                    f = bb ^ cc ^ dd
                    g = (3 &* step &+ 5) & 15
                default:
                    f = cc ^ (bb | ~dd)
                    g = (7 &* step) & 15
                }
                let shift = MD5.shifts[(step >> 4) << 2 | (step & 3)]
                let sum = aa &+ f &+ MD5.sines[step] &+ word(g)
                aa = dd
                dd = cc
                cc = bb
                bb = bb &+ ((sum << shift) | (sum >> (32 - shift)))
            }
            a = a &+ aa
            b = b &+ bb
            c = c &+ cc
            d = d &+ dd
        }
    }
}
