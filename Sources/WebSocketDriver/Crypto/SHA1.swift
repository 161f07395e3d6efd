/// SHA-1 (FIPS 180-4 §6.1), for the `Sec-WebSocket-Accept` value of RFC 6455 §4.2.2.
///
/// SHA-1 is no longer collision resistant; the WebSocket handshake only uses it as a fixed
/// transform, which is all this helper is meant for.
enum SHA1 {
    /// The 20-byte SHA-1 digest of `bytes`.
    static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(buffer: UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { hash(buffer: $0) }
    }

    private static func hash(buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var state = State()
        var schedule = [UInt32](repeating: 0, count: 80)
        BlockPadding.forEachBlock(of: buffer, lengthOrder: .bigEndian) { block, offset in
            state.compress(block, at: offset, schedule: &schedule)
        }

        var digest: [UInt8] = []
        digest.reserveCapacity(20)
        for word in [state.h0, state.h1, state.h2, state.h3, state.h4] {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// The five working hash words, initialised per FIPS 180-4 §5.3.1.
    private struct State {
        var h0: UInt32 = 0x6745_2301
        var h1: UInt32 = 0xEFCD_AB89
        var h2: UInt32 = 0x98BA_DCFE
        var h3: UInt32 = 0x1032_5476
        var h4: UInt32 = 0xC3D2_E1F0

        /// Processes the 64-byte block at `offset` (FIPS 180-4 §6.1.2).
        mutating func compress(_ buffer: UnsafeRawBufferPointer, at offset: Int, schedule: inout [UInt32]) {
            schedule.withUnsafeMutableBufferPointer { w in
                for t in 0..<16 {
                    w[t] = buffer.loadUnaligned(fromByteOffset: offset + 4 * t, as: UInt32.self).bigEndian
                }
                for t in 16..<80 {
                    w[t] = rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], by: 1)
                }
                var a = h0
                var b = h1
                var c = h2
                var d = h3
                var e = h4
                for t in 0..<80 {
                    let f: UInt32
                    let k: UInt32
                    switch t {
                    case 0..<20:
                        f = (b & c) | (~b & d)
                        k = 0x5A82_7999
                    case 20..<40:
                        f = b ^ c ^ d
                        k = 0x6ED9_EBA1
                    case 40..<60:
                        f = (b & c) | (b & d) | (c & d)
                        k = 0x8F1B_BCDC
                    default:
                        f = b ^ c ^ d
                        k = 0xCA62_C1D6
                    }
                    let temp = rotateLeft(a, by: 5) &+ f &+ e &+ k &+ w[t]
                    e = d
                    d = c
                    c = rotateLeft(b, by: 30)
                    b = a
                    a = temp
                }
                h0 = h0 &+ a
                h1 = h1 &+ b
                h2 = h2 &+ c
                h3 = h3 &+ d
                h4 = h4 &+ e
            }
        }

        private func rotateLeft(_ value: UInt32, by count: UInt32) -> UInt32 {
            (value << count) | (value >> (32 - count))
        }
    }
}
