/// Splits bytes into pseudo-random chunks, deterministically from a seed byte, so that a parser
/// is fed the same input in many different reads.
public struct Chunker {
    private var state: UInt64
    private let largest: Int

    /// A chunker whose sizes follow from `seed`: its low 3 bits pick the largest chunk (1, 2, 3,
    /// 5, 8, 17, 64 or 1024 bytes), the rest seeds the generator.
    public init(seed: UInt8) {
        let largestSizes = [1, 2, 3, 5, 8, 17, 64, 1024]
        largest = largestSizes[Int(seed & 7)]
        state = 0x9E37_79B9_7F4A_7C15 &* UInt64(seed | 1)
    }

    private mutating func next() -> UInt64 {
        // SplitMix64.
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// `bytes` cut into chunks of 1...largest bytes (none for an empty input).
    public mutating func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let size = 1 + Int(next() % UInt64(largest))
            let end = min(bytes.count, start + size)
            chunks.append(bytes[start..<end])
            start = end
        }
        return chunks
    }
}

/// Stops the process, so that libFuzzer records the input, when an invariant does not hold.
public func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError("fuzz invariant violated: \(message())", file: file, line: line) }
}
