/// A small seeded generator (SplitMix64), so that property tests are deterministic.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

extension SplitMix64 {
    /// A value in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            withUnsafeBytes(of: next()) { result.append(contentsOf: $0.prefix(count - result.count)) }
        }
        return result
    }

    /// Random text of about `byteCount` UTF-8 bytes, mixing 1-, 2-, 3- and 4-byte characters.
    public mutating func text(byteCount: Int) -> String {
        let samples: [[UInt8]] = ["é", "ß", "Ж", "€", "\u{F8FF}", "中", "😀", "𝄞", "\u{10FFFF}", "\u{7F}", "\u{80}"].map {
            Array($0.utf8)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount + 4)
        while bytes.count < byteCount {
            let draw = next()
            if draw & 3 == 0 {
                bytes.append(contentsOf: samples[Int((draw >> 8) % UInt64(samples.count))])
            } else {
                bytes.append(UInt8(0x20 + (draw >> 8) % 95))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Cuts `bytes` into chunks: of one byte each when `maxChunk` is 1, else of random sizes in
    /// 1...maxChunk.
    public mutating func chunks(_ bytes: [UInt8], maxChunk: Int) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let size = min(bytes.count - index, maxChunk <= 1 ? 1 : int(1...maxChunk))
            result.append(Array(bytes[index..<(index + size)]))
            index += size
        }
        return result
    }
}

/// `count` bytes that do not compress (a fixed-seed xorshift stream).
public func randomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var words: [UInt64] = []
    words.reserveCapacity(count / 8 + 1)
    while words.count * 8 < count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        words.append(state)
    }
    return words.withUnsafeBytes { Array($0.prefix(count)) }
}

/// A payload of `count` bytes with a recognisable pattern (built block-wise: debug builds are
/// slow per element).
public func patternBytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    let block = (0..<4093).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8) &+ seed) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count { bytes.append(contentsOf: block.prefix(count - bytes.count)) }
    return bytes
}

/// A UTF-8 text of exactly `count` bytes, with multi-byte characters where they fit.
public func patternText(_ count: Int) -> String {
    let snippet = Array("héllo wörld ✓ 🎉 ".utf8)
    let block = Array(repeating: snippet, count: 200).flatMap { $0 }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count + block.count <= count { bytes.append(contentsOf: block) }
    while bytes.count + snippet.count <= count { bytes.append(contentsOf: snippet) }
    while bytes.count < count { bytes.append(UInt8(ascii: "a") + UInt8(bytes.count % 26)) }
    return String(decoding: bytes, as: UTF8.self)
}
