import FayeTestSupport
import Testing

@testable import WebSocketDriver

/// The copy that unmasks and validates UTF-8 in one pass (`UTF8Validator.copyValidating`): it
/// must copy exactly what `Masking` copies and decide exactly what the validator decides, for
/// any text, any split and any bad byte, wherever its runs of ASCII start and end.
@Suite struct ValidatingCopyTests {
    /// Copies `bytes` in the given pieces (masked with `key` when there is one); the copy and
    /// whether every piece was accepted.
    private func copy(_ bytes: [UInt8], pieces: [Int], key: UInt32?) -> (copied: [UInt8], valid: Bool, complete: Bool) {
        let wire =
            key.map { key in
                var masked = bytes
                masked.withUnsafeMutableBytes { Masking.apply(key: key, offset: 0, to: $0) }
                return masked
            } ?? bytes
        var validator = UTF8Validator()
        var copied = [UInt8](repeating: 0, count: bytes.count)
        var valid = true
        var offset = 0
        wire.withUnsafeBytes { source in
            copied.withUnsafeMutableBytes { destination in
                for piece in pieces where valid {
                    guard let from = source.baseAddress, let to = destination.baseAddress else { return }
                    valid = validator.copyValidating(
                        from: from + offset, to: to + offset, count: piece, maskingKey: key, maskOffset: offset)
                    offset += piece
                }
            }
        }
        return (copied, valid, validator.isComplete)
    }

    /// Random piece lengths adding up to `count`, some longer than the longest run.
    private func pieces(_ count: Int, _ random: inout SplitMix64) -> [Int] {
        var pieces: [Int] = []
        var left = count
        while left > 0 {
            let piece = min(left, random.int(0...3) == 0 ? random.int(1...40) : random.int(1...20_000))
            pieces.append(piece)
            left -= piece
        }
        return pieces
    }

    @Test func copiesAndAcceptsValidTextInAnyPieces() {
        var random = SplitMix64(seed: 31)
        for round in 0..<60 {
            // ASCII stretches long enough to cover whole runs, with characters of every length.
            var text = ""
            let target = random.int(0...30_000)
            while text.utf8.count < target {
                text += String(repeating: "json-like ascii ", count: random.int(0...40))
                text += random.text(byteCount: random.int(0...20))
            }
            let bytes = Array(text.utf8)
            let key: UInt32? = round % 2 == 0 ? UInt32(truncatingIfNeeded: random.next()) : nil
            let result = copy(bytes, pieces: pieces(bytes.count, &random), key: key)
            let copiedExactly = result.copied == bytes
            #expect(copiedExactly)
            #expect(result.valid && result.complete)
        }
    }

    @Test func findsABadByteAtEveryPositionAroundTheRunBoundaries() {
        let run = UTF8Validator.shortestRun
        var positions = Array(0..<40) + Array((run - 40)..<(run + 40))
        positions += Array((3 * run - 8)..<(3 * run + 8))
        positions += Array((UTF8Validator.longestRun - 8)..<(UTF8Validator.longestRun + 8))
        for position in positions {
            for bad: [UInt8] in [[0xFF], [0x80], [0xC3, 0x41], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] {
                var bytes = [UInt8](repeating: 0x61, count: UTF8Validator.longestRun + 64)
                bytes.replaceSubrange(position..<(position + bad.count), with: bad)
                for key: UInt32? in [nil, 0xA1B2_C3D4] {
                    let valid = copy(bytes, pieces: [bytes.count], key: key).valid
                    #expect(!valid, "\(Bytes.describe(bad)) at \(position)")
                }
            }
        }
    }

    @Test func agreesWithTheValidatorOnNonASCIIText() {
        // Prose-like: every run holds a character that is not ASCII, so runs grow to the
        // longest; then one bad byte somewhere.
        var random = SplitMix64(seed: 32)
        for _ in 0..<40 {
            var bytes = Array(random.text(byteCount: random.int(1_000...40_000)).utf8)
            let expectValid = random.int(0...1) == 0
            if !expectValid {
                bytes[random.int(0...(bytes.count - 1))] = [0xFF, 0xC0, 0x80][random.int(0...2)]
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            let result = copy(bytes, pieces: pieces(bytes.count, &random), key: 0x0102_0304)
            #expect((result.valid && result.complete) == expected)
            let copiedExactly = result.copied == bytes
            if result.valid { #expect(copiedExactly) }
        }
    }

    @Test func aCharacterLeftOpenIsCheckedInTheNextPiece() {
        // "é" split across two pieces, then ASCII: the second piece must go to the validator even
        // though its runs are ASCII.
        let bytes = [UInt8](repeating: 0x61, count: 255) + [0xC3] + [UInt8](repeating: 0x61, count: 300)
        let valid = copy(bytes, pieces: [256, 300], key: nil).valid
        #expect(!valid)
        let good = [UInt8](repeating: 0x61, count: 255) + [0xC3, 0xA9] + [UInt8](repeating: 0x61, count: 299)
        let goodResult = copy(good, pieces: [256, 300], key: 0xDEAD_BEEF)
        #expect(goodResult.valid && goodResult.complete)
        let copiedExactly = goodResult.copied == good
        #expect(copiedExactly)
    }

    // The vector validator (whole 64-byte blocks, for copies of `vectorThreshold` bytes or
    // more), checked against the standard library's validation.

    /// Bytes that matter to UTF-8: every boundary of every class of byte.
    private static let edgeBytes: [UInt8] = [
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
        0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
    ]

    /// Whether the copy (in `pieces`, masked with `key`) accepts `bytes` exactly when the
    /// standard library does, and copies them exactly.
    private func agreesWithTheStandardLibrary(_ bytes: [UInt8], pieces: [Int], key: UInt32?) -> Bool {
        let expected = String(validating: bytes, as: UTF8.self) != nil
        let result = copy(bytes, pieces: pieces, key: key)
        guard (result.valid && result.complete) == expected else { return false }
        return !result.valid || result.copied == bytes
    }

    @Test func everyPairOfBytesAtTheVectorBlockEdges() {
        // Every pair of bytes, in ASCII, straddling the two halves of a block, the boundary
        // between blocks and the end of the vector part.
        for position in [0, 31, 63, 126, 190] {
            var failures = 0
            for first in 0...255 {
                for second in 0...255 {
                    var bytes = [UInt8](repeating: 0x61, count: 192)
                    bytes[position] = UInt8(first)
                    bytes[position + 1] = UInt8(second)
                    if !agreesWithTheStandardLibrary(bytes, pieces: [192], key: nil) { failures += 1 }
                }
            }
            #expect(failures == 0, "at \(position)")
        }
    }

    @Test func everyTripleAndSampledQuadruplesOfEdgeBytes() {
        let edges = Self.edgeBytes
        var failures: [[UInt8]] = []
        for position in [30, 62, 125] {
            for a in edges {
                for b in edges {
                    for c in edges {
                        var bytes = [UInt8](repeating: 0x20, count: 192)
                        bytes.replaceSubrange(position..<(position + 3), with: [a, b, c])
                        if !agreesWithTheStandardLibrary(bytes, pieces: [192], key: 0x5A5A_A5A5) {
                            failures.append([a, b, c])
                        }
                    }
                }
            }
        }
        var random = SplitMix64(seed: 41)
        for _ in 0..<40_000 {
            let sequence = (0..<random.int(4...6)).map { _ in edges[random.int(0...(edges.count - 1))] }
            var bytes = [UInt8](repeating: 0x20, count: 192)
            let position = random.int(0...(192 - sequence.count))
            bytes.replaceSubrange(position..<(position + sequence.count), with: sequence)
            if !agreesWithTheStandardLibrary(bytes, pieces: [192], key: nil) { failures.append(sequence) }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).map(Bytes.describe))")
    }

    @Test func randomTextValidOrDamagedSplitAtEveryPosition() {
        var random = SplitMix64(seed: 42)
        for round in 0..<60 {
            // Dense non-ASCII text, sometimes with one byte damaged, one removed or the end cut.
            var bytes = Array(random.text(byteCount: random.int(130...400)).utf8)
            switch round % 4 {
            case 1:
                bytes[random.int(0...(bytes.count - 1))] = Self.edgeBytes[random.int(0...(Self.edgeBytes.count - 1))]
            case 2: bytes.remove(at: random.int(0...(bytes.count - 1)))
            case 3: bytes.removeLast(random.int(1...3))
            default: break
            }
            for split in 0...bytes.count {
                for key: UInt32? in [nil, 0x1F2E_3D4C] {
                    let agrees = agreesWithTheStandardLibrary(bytes, pieces: [split, bytes.count - split], key: key)
                    #expect(agrees, "round \(round), split at \(split), key \(String(describing: key))")
                }
            }
        }
    }

    @Test func randomTextInRandomPiecesAgreesWithTheStandardLibrary() {
        var random = SplitMix64(seed: 43)
        for round in 0..<300 {
            var text = ""
            let target = random.int(0...6_000)
            while text.utf8.count < target {
                text += String(repeating: "ascii ", count: random.int(0...30))
                text += random.text(byteCount: random.int(0...40))
            }
            var bytes = Array(text.utf8)
            if round % 2 == 1 && !bytes.isEmpty {
                for _ in 0..<random.int(1...3) {
                    bytes[random.int(0...(bytes.count - 1))] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            var pieces: [Int] = []
            var left = bytes.count
            while left > 0 {
                let piece = min(left, random.int(0...2) == 0 ? random.int(1...5) : random.int(60...3_000))
                pieces.append(piece)
                left -= piece
            }
            let key: UInt32? = round % 3 == 0 ? nil : UInt32(truncatingIfNeeded: random.next())
            #expect(agreesWithTheStandardLibrary(bytes, pieces: pieces, key: key), "round \(round)")
        }
    }
}
