import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// UTF-8 validation (RFC 3629; RFC 6455 §8.1): incremental, failing at the first impossible byte.
@Suite struct UTF8Tests {
    /// Invalid sequences, each with the index of its first impossible byte.
    static let invalidCases: [([UInt8], Int)] = [
        ([0xED, 0xA0, 0x80], 1), ([0xED, 0xBF, 0xBF], 1),  // surrogates
        ([0xC0, 0xAF], 0), ([0xC1, 0xBF], 0), ([0xE0, 0x80, 0xAF], 1), ([0xE0, 0x9F, 0xBF], 1),
        ([0xF0, 0x80, 0x80, 0x80], 1), ([0xF0, 0x8F, 0xBF, 0xBF], 1),  // overlong forms
        ([0xF4, 0x90, 0x80, 0x80], 1), ([0xF5, 0x80, 0x80, 0x80], 0), ([0xF8], 0), ([0xFC], 0), ([0xFE], 0),
        ([0xFF], 0),  // beyond U+10FFFF, never valid
        ([0x80], 0), ([0xBF], 0), ([0x41, 0x80], 1),  // bare continuation bytes
        ([0xC3, 0x41], 1), ([0xE2, 0x82, 0x41], 2), ([0xF0, 0x9F, 0x98, 0x41], 3),  // cut short by ASCII
    ]

    static var invalidSequences: [[UInt8]] { invalidCases.map(\.0) }

    static let validSamples: [String] = [
        "", "a", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFD}", "\u{FFFF}",
        "\u{10000}", "\u{10FFFF}", "κόσμε", "Apple = \u{F8FF}", "😀𝄞中€",
    ]

    // MARK: The validator

    @Test func validText() {
        for text in Self.validSamples {
            #expect(UTF8Validator.isValid(Array(text.utf8)), "\(text.debugDescription)")
        }
    }

    @Test func invalidSequences() {
        for bytes in Self.invalidSequences {
            #expect(!UTF8Validator.isValid(bytes), "\(Bytes.describe(bytes))")
            #expect(!UTF8Validator.isValid(Bytes.text("prefix ") + bytes + Bytes.text(" suffix")))
        }
    }

    @Test func truncatedSequencesAreIncompleteNotInvalid() {
        for bytes: [UInt8] in [[0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0x41, 0xF4, 0x8F]] {
            var validator = UTF8Validator()
            let ok = bytes.withUnsafeBytes { validator.validate($0) }
            #expect(ok)
            #expect(!validator.isComplete)
            #expect(!UTF8Validator.isValid(bytes))
        }
    }

    @Test func failsAtTheFirstImpossibleByte() {
        for (bytes, impossible) in Self.invalidCases {
            // Fed byte by byte, every byte before the impossible one is accepted.
            var validator = UTF8Validator()
            var failedAt: Int?
            for (index, byte) in bytes.enumerated() {
                if ![byte].withUnsafeBytes({ validator.validate($0) }) {
                    failedAt = index
                    break
                }
            }
            #expect(failedAt == impossible, "\(Bytes.describe(bytes))")
        }
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var random = SplitMix64(seed: 8)
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
            0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<3000 {
            let length = random.int(0...12)
            let bytes = (0..<length).map { _ in interesting[random.int(0...(interesting.count - 1))] }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(UTF8Validator.isValid(bytes) == expected, "\(Bytes.describe(bytes))")
            // Any split gives the same answer.
            var validator = UTF8Validator()
            var ok = true
            for chunk in random.chunks(bytes, maxChunk: 3) where ok {
                ok = chunk.withUnsafeBytes { validator.validate($0) }
            }
            #expect((ok && validator.isComplete) == expected, "\(Bytes.describe(bytes))")
        }
    }

    @Test func asciiFastPathFindsABadByteAnywhere() {
        for position in 0..<70 {
            var bytes = [UInt8](repeating: 0x61, count: 70)
            bytes[position] = 0xFF
            #expect(!UTF8Validator.isValid(bytes), "\(position)")
            bytes[position] = 0x80
            #expect(!UTF8Validator.isValid(bytes), "\(position)")
            bytes[position] = 0x7F
            #expect(UTF8Validator.isValid(bytes))
        }
    }

    @Test func randomValidTextIsValid() {
        var random = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let text = random.text(byteCount: random.int(0...300))
            #expect(UTF8Validator.isValid(Array(text.utf8)))
        }
    }

    @Test func reset() {
        var validator = UTF8Validator()
        _ = [UInt8(0xE2)].withUnsafeBytes { validator.validate($0) }
        #expect(!validator.isComplete)
        validator.reset()
        #expect(validator.isComplete)
        #expect([UInt8(0x41)].withUnsafeBytes { validator.validate($0) })
    }

    // MARK: In the driver

    static let message = "Could not decode a text frame as UTF-8"

    @Test func everyInvalidSequenceFailsATextMessage() {
        for bytes in Self.invalidSequences {
            let server = DriverHarness.openServer()
            server.parse(Bytes.masked(0x81, Bytes.text("Hi ") + bytes))
            #expect(server.events == [.error(Self.message), .close(1007, Self.message)], "\(Bytes.describe(bytes))")
            #expect(server.written == Bytes.unmasked(0x88, [0x03, 0xEF] + Bytes.text(Self.message)))
        }
    }

    @Test func failsMidFrameBeforeTheRestArrives() {
        let server = DriverHarness.openServer()
        let frame = Bytes.masked(0x81, Bytes.text("ab") + [0xFF] + Bytes.text("1234567"))
        // Header, key and the first two payload bytes: still fine.
        server.parse(Array(frame[0..<8]))
        #expect(server.events.isEmpty)
        // The impossible byte.
        server.parse([frame[8]])
        #expect(server.events == [.error(Self.message), .close(1007, Self.message)])
    }

    @Test func failsInANonFinalFragment() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x01, [0xED, 0xA0]))
        #expect(server.events == [.error(Self.message), .close(1007, Self.message)])
    }

    @Test func truncatedAtTheEndOfTheMessageFails() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x01, Bytes.text("H") + [0xE2, 0x82]))
        #expect(server.events.isEmpty)
        server.parse(Bytes.masked(0x80, []))
        #expect(server.events == [.error(Self.message), .close(1007, Self.message)])
    }

    @Test func wholeFrameEndingMidCharacterFails() {
        // A single final frame (the path that makes the String straight from the read buffer).
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x81, Bytes.text("H") + [0xE2, 0x82]))
        #expect(server.events == [.error(Self.message), .close(1007, Self.message)])
    }

    @Test func wholeTextOnEitherSideOfTheDirectStringLimit() throws {
        // Up to IncomingMessage.directTextLimit bytes a whole text frame goes straight into a
        // String; above it through the payload array. Both give the same text, in both roles.
        let limit = IncomingMessage.directTextLimit
        for count in [0, 1, limit - 1, limit, limit + 1, 4 * limit] {
            let text = String(repeating: "a", count: max(0, count - 2)) + (count >= 2 ? "é" : "")
            #expect(text.utf8.count == (count == 1 ? 0 : count))
            let server = DriverHarness.openServer()
            server.parse(Bytes.masked(0x81, Bytes.text(text)))
            #expect(server.events == [.message(.text(text))], "\(count) bytes, server")
            let client = try DriverHarness.openClient()
            client.parse(Bytes.unmasked(0x81, Bytes.text(text)))
            #expect(client.events == [.message(.text(text))], "\(count) bytes, client")
        }
    }

    @Test func characterSplitAcrossFragmentsAndReads() throws {
        let client = try DriverHarness.openClient()
        let bytes = Bytes.unmasked(0x01, [0xF0, 0x9F]) + Bytes.unmasked(0x00, [0x98]) + Bytes.unmasked(0x80, [0x80])
        for byte in bytes { client.parse([byte]) }
        #expect(client.events == [.message(.text("😀"))])
    }

    @Test func binaryIsNotValidated() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x82, [0xFF, 0xED, 0xA0, 0x80]))
        #expect(server.events == [.message(.binary([0xFF, 0xED, 0xA0, 0x80]))])
    }

    @Test func validationStartsAfreshForEachMessage() {
        let server = DriverHarness.openServer()
        // A binary message ending mid-sequence does not affect the next text message.
        server.parse(Bytes.masked(0x82, [0xE2]) + Bytes.masked(0x81, [0x82, 0xAC]))
        #expect(server.events.first == .message(.binary([0xE2])))
        #expect(server.events.suffix(2) == [.error(Self.message), .close(1007, Self.message)])
    }

    @Test func transformedTextIsValidatedAfterTheExtension() throws {
        var options = DriverOptions()
        try options.extensions.add(TestExtension())
        // Invalid on the wire, valid once the extension reversed it.
        let server = DriverHarness.openServer(options: options, extraHeaders: ["Sec-WebSocket-Extensions: x-test"])
        server.parse(Bytes.masked(0xC1, Array(Bytes.text("é").reversed())))
        #expect(server.events == [.message(.text("é"))])
        // Valid on the wire, invalid once reversed.
        let other = DriverHarness.openServer(options: options, extraHeaders: ["Sec-WebSocket-Extensions: x-test"])
        other.parse(Bytes.masked(0xC1, Bytes.text("é")))
        #expect(other.events == [.error(Self.message), .close(1007, Self.message)])
    }
}
