import CZlib
import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The inflated size of a message is bounded while inflating, by `maxLength`.
@Suite("Decompression bombs", .serialized)
struct DecompressionBombTests {
    private static let mebibyte = 1 << 20

    /// 1 GiB of zeros deflated as one message (about 1 MiB), built in a streaming way: a 1 MiB
    /// zero buffer deflated 1024 times into one stream, then a sync flush.
    private static let bomb: [UInt8]? = try? gibibyteOfZeros()

    private static func gibibyteOfZeros() throws -> [UInt8] {
        let deflater = try ReferenceDeflater(windowBits: 15, level: 1, strategy: Z_RLE)
        let zeros = [UInt8](repeating: 0, count: mebibyte)
        var payload: [UInt8] = []
        for _ in 0..<1024 { payload += deflater.deflate(zeros, flush: Z_NO_FLUSH) }
        payload += deflater.deflate([], flush: Z_SYNC_FLUSH)
        return Array(payload.dropLast(4))
    }

    @Test("A 1 GiB bomb stops at maxLength = 64 MiB with 1009's error, and memory stays small", .measuresMemory)
    func gibibyteBomb() throws {
        let bomb = try #require(Self.bomb)
        #expect(bomb.count < 4 * Self.mebibyte)
        let connection = try Connection(client: PermessageDeflate(), server: PermessageDeflate())
        defer { connection.close() }
        let limit = 64 * Self.mebibyte

        resetPeakResidentSize()
        let before = processStatus("VmRSS")
        #expect(throws: ExtensionError.messageTooLarge(extension: "permessage-deflate", limit: limit)) {
            try connection.client.processIncoming(compressedMessage(bomb, opcode: .binary), maxLength: limit)
        }
        // Resident sizes come from /proc (Linux); elsewhere only the error is checked.
        guard let before, let peak = processStatus("VmHWM") else { return }
        if getenv("PMD_MEASURE") != nil {
            print("MEASURE bomb: \(bomb.count) B payload, peak resident growth \((peak - before) >> 20) MiB")
        }
        #expect(peak - before < 100 * Self.mebibyte, "peak growth \((peak - before) / Self.mebibyte) MiB")
    }

    @Test("The session throws ExtensionMessageTooLarge with the limit and drops its inflater")
    func sessionError() throws {
        let bomb = try #require(Self.bomb)
        let session = try activatedClient()
        #expect(throws: ExtensionMessageTooLarge(limit: 1000)) {
            try session.processIncomingMessage(compressedMessage(bomb), maxLength: 1000)
        }
        #expect(!session.codec.hasInflateStream)
    }

    @Test("The output buffer never grows beyond maxLength + 1 bytes")
    func outputBound() throws {
        let bomb = try #require(Self.bomb)
        let inflater = try Inflater(windowBits: 15)
        let limit = 3 * Self.mebibyte + 17
        #expect(throws: Inflater.Failure.tooLarge) { try inflater.inflate(bomb, limit: limit) }
        #expect(inflater.largestOutputCapacity <= limit + 1)
        #expect(inflater.largestOutputCapacity > limit / 2)
    }

    @Test("A message of exactly maxLength bytes passes; one byte more fails", arguments: [0, 1, 5, 4096, 100_000])
    func exactLimit(size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size))
        let payload = Payloads.random(count: size, using: &generator)
        let compressed = try ReferenceDeflater(level: 6).message(payload)
        let fits = try activatedClient()
        #expect(try fits.processIncomingMessage(compressedMessage(compressed), maxLength: size).payload == payload)
        if size > 0 {
            let tooSmall = try activatedClient()
            #expect(throws: ExtensionMessageTooLarge(limit: size - 1)) {
                try tooSmall.processIncomingMessage(compressedMessage(compressed), maxLength: size - 1)
            }
        }
    }

    @Test("A negative maxLength behaves as 0")
    func negativeLimit() throws {
        let session = try activatedClient()
        #expect(throws: ExtensionMessageTooLarge(limit: -1)) {
            try session.processIncomingMessage(compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: -1)
        }
        #expect(try activatedClient().processIncomingMessage(compressedMessage([0x00]), maxLength: -1).payload == [])
    }
}
