import FayeTestSupport
import Testing

@testable import WebSocketDriver

/// RFC 6455 §5.3 masking, checked against a byte-at-a-time reference.
@Suite struct MaskingTests {
    static func reference(_ bytes: [UInt8], key: [UInt8], offset: Int) -> [UInt8] {
        bytes.enumerated().map { $1 ^ key[($0 + offset) % 4] }
    }

    static func wide(_ key: [UInt8]) -> UInt32 {
        key.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    @Test func rfcExample() {
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var bytes = Bytes.text("Hello")
        let wide = Self.wide(key)
        bytes.withUnsafeMutableBytes { Masking.apply(key: wide, offset: 0, to: $0) }
        #expect(bytes == Bytes.hex("7f 9f 4d 51 58"))
        #expect(Masking.keyBytes(wide) == key)
    }

    @Test func everyLengthAndOffsetMatchesTheReference() {
        var random = SplitMix64(seed: 3)
        for _ in 0..<4 {
            let key = random.bytes(4)
            let wide = Self.wide(key)
            for length in 0...80 {
                let input = random.bytes(length)
                for offset in 0..<8 {
                    var inPlace = input
                    inPlace.withUnsafeMutableBytes { Masking.apply(key: wide, offset: offset, to: $0) }
                    #expect(
                        inPlace == Self.reference(input, key: key, offset: offset), "length \(length) offset \(offset)")
                    var copy = [UInt8](repeating: 0, count: length)
                    input.withUnsafeBytes { source in
                        copy.withUnsafeMutableBytes { destination in
                            if let from = source.baseAddress, let to = destination.baseAddress {
                                Masking.apply(key: wide, offset: offset, from: from, to: to, count: length)
                            }
                        }
                    }
                    #expect(copy == inPlace)
                }
            }
        }
    }

    @Test func maskingTwiceRestores() {
        var random = SplitMix64(seed: 4)
        let input = random.bytes(10_000)
        var bytes = input
        bytes.withUnsafeMutableBytes { Masking.apply(key: 0xDEAD_BEEF, offset: 1, to: $0) }
        #expect(bytes != input)
        bytes.withUnsafeMutableBytes { Masking.apply(key: 0xDEAD_BEEF, offset: 1, to: $0) }
        #expect(bytes == input)
    }

    @Test func unmaskingInPiecesEqualsUnmaskingAtOnce() {
        // As the parser does when a frame's payload arrives over several reads.
        var random = SplitMix64(seed: 5)
        let key = random.bytes(4)
        let wide = Self.wide(key)
        let input = random.bytes(1000)
        var pieces = input
        var offset = 0
        while offset < pieces.count {
            let size = min(random.int(1...40), pieces.count - offset)
            pieces.withUnsafeMutableBytes { all in
                Masking.apply(
                    key: wide, offset: offset,
                    to: UnsafeMutableRawBufferPointer(rebasing: all[offset..<(offset + size)]))
            }
            offset += size
        }
        #expect(pieces == Self.reference(input, key: key, offset: 0))
    }

    @Test func appendingUnmaskedBytesEqualsTheReference() {
        // The array-append path: pieces unmasked straight into the array's storage, and the
        // same bytes taken one at a time through the sequence's iterator.
        var random = SplitMix64(seed: 6)
        let key = random.bytes(4)
        let wide = Self.wide(key)
        let input = random.bytes(3000)
        var appended: [UInt8] = [0xAA]
        var offset = 0
        input.withUnsafeBytes { all in
            while offset < all.count {
                let size = min(random.int(0...300), all.count - offset)
                guard let base = all.baseAddress else { return }
                let piece = UnmaskedBytes(start: base + offset, count: size, maskingKey: wide, maskOffset: offset)
                appended.append(contentsOf: piece)
                #expect(
                    Array(piece.makeIterator().remaining)
                        == Self.reference(
                            Array(all[offset..<(offset + size)]), key: key, offset: offset))
                offset += size
            }
        }
        #expect(appended == [0xAA] + Self.reference(input, key: key, offset: 0))
    }

    @Test func encoderMasksWithAFreshKeyEachTime() {
        var encoder = FrameEncoder(masks: true)
        var frames: [[UInt8]] = []
        for _ in 0..<2 {
            Bytes.text("Hello").withUnsafeBytes { payload in
                encoder.encode(isFinal: true, reservedBits: [], opcode: .text, payload: payload) {
                    frames.append(Array($0))
                }
            }
        }
        #expect(frames[0] != frames[1])
        for frame in frames {
            #expect(WireFrame.decode(frame)?.first?.payload == Bytes.text("Hello"))
        }
    }

    @Test func maskingKeysStayUnpredictableAcrossBatches() {
        // Several refills of the batch: keys must keep changing (two equal 32-bit keys among
        // a thousand random ones are possible but rare; a stuck or zeroed batch is not).
        var source = MaskingKeySource()
        let keys = (0..<(MaskingKeySource.batchSize * 16)).map { _ in source.next() }
        #expect(Set(keys).count >= keys.count - 2)
        #expect(keys.filter { $0 == 0 }.count <= 1)
        var bytes = [UInt8](repeating: 0, count: SystemRandom.maximumRequest)
        #expect(bytes.withUnsafeMutableBytes { SystemRandom.fill($0) })
        #expect(bytes.contains { $0 != 0 })
        var tooMany = [UInt8](repeating: 0, count: SystemRandom.maximumRequest + 1)
        #expect(!tooMany.withUnsafeMutableBytes { SystemRandom.fill($0) })
    }

    @Test func encoderHeaderLengths() {
        #expect(FrameEncoder.headerLength(payloadLength: 0, masked: false) == 2)
        #expect(FrameEncoder.headerLength(payloadLength: 125, masked: true) == 6)
        #expect(FrameEncoder.headerLength(payloadLength: 126, masked: false) == 4)
        #expect(FrameEncoder.headerLength(payloadLength: 65535, masked: true) == 8)
        #expect(FrameEncoder.headerLength(payloadLength: 65536, masked: false) == 10)
        #expect(FrameEncoder.headerLength(payloadLength: 65536, masked: true) == 14)
    }
}

extension UnmaskedBytes.Iterator {
    /// The bytes this iterator has left, one `next()` at a time.
    fileprivate var remaining: [UInt8] {
        var copy = self
        var bytes: [UInt8] = []
        while let byte = copy.next() { bytes.append(byte) }
        return bytes
    }
}
