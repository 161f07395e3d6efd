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
}
