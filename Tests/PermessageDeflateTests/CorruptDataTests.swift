import CZlib
import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// Bad compressed data becomes a typed error, which the framework turns into close code 1010.
@Suite("Corrupt compressed data")
struct CorruptDataTests {
    @Test("An invalid block type is reported with zlib's message")
    func invalidBlockType() throws {
        let session = try activatedClient()
        #expect(throws: PermessageDeflate.ProcessingError.invalidCompressedData("invalid block type")) {
            try session.processIncomingMessage(compressedMessage([0xFF, 0xFF]), maxLength: 100)
        }
    }

    @Test("Through the pipeline the failure names the extension and the reason (close 1010)")
    func throughPipeline() throws {
        let connection = try Connection(client: PermessageDeflate(), server: PermessageDeflate())
        defer { connection.close() }
        #expect(
            throws: ExtensionError.processingFailed(
                extension: "permessage-deflate",
                reason: "invalid compressed data: invalid block type"
            )
        ) {
            try connection.server.processIncoming(compressedMessage([0xFF]), maxLength: 100)
        }
    }

    @Test("A stored block cut short is truncated data")
    func truncatedStoredBlock() throws {
        let session = try activatedClient()
        #expect(throws: PermessageDeflate.ProcessingError.truncatedCompressedData) {
            try session.processIncomingMessage(compressedMessage(hex("00 0a 00 f5 ff 48")), maxLength: 100)
        }
    }

    @Test("Data after a final block is refused instead of being dropped")
    func dataAfterFinalBlock() throws {
        let session = try activatedClient()
        #expect(throws: PermessageDeflate.ProcessingError.invalidCompressedData("data after the final block")) {
            try session.processIncomingMessage(
                compressedMessage(hex("f3 48 cd c9 c9 07 00 f2 48 cd c9 c9 07 00")), maxLength: 100)
        }
        let padded = try session.processIncomingMessage(
            compressedMessage(hex("f3 48 cd c9 c9 07 00 00 00")), maxLength: 100)
        #expect(padded.payload == Array("Hello".utf8))
    }

    @Test("A payload that kept its 00 00 ff ff tail does not end on a block boundary")
    func unstrippedTail() throws {
        let session = try activatedClient()
        #expect(throws: PermessageDeflate.ProcessingError.truncatedCompressedData) {
            try session.processIncomingMessage(
                compressedMessage(hex("f2 48 cd c9 c9 07 00 00 00 ff ff")), maxLength: 100)
        }
    }

    @Test("A peer reaching back further than its negotiated window into an earlier message fails")
    func windowExceeded() throws {
        // zlib checks distances against the window it keeps between calls, so a reach beyond
        // the negotiated window into an earlier message is caught (one within the same message
        // is tolerated, since that output is still at hand).
        let session = try activatedClient(response: "server_max_window_bits=9")
        var generator = SplitMix64(seed: 9)
        let block = Payloads.random(count: 1000, using: &generator)
        let peer = try ReferenceDeflater(windowBits: 15)
        let first = try session.processIncomingMessage(compressedMessage(peer.message(block)), maxLength: 10_000)
        #expect(first.payload == block)
        #expect(throws: PermessageDeflate.ProcessingError.invalidCompressedData("invalid distance too far back")) {
            try session.processIncomingMessage(compressedMessage(peer.message(block)), maxLength: 10_000)
        }
    }

    @Test("Random garbage never crashes: it inflates within the limit or throws", arguments: 0..<8)
    func garbage(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed) &+ 1000)
        let session = try activatedClient()
        for index in 0..<300 {
            let size = Int(generator.next() % 200)
            var payload = Payloads.random(count: size, using: &generator)
            if index.isMultiple(of: 3), !payload.isEmpty { payload[0] &= 0xF8 }  // a non-final stored block header
            do {
                let message = try session.processIncomingMessage(compressedMessage(payload), maxLength: 4096)
                #expect(message.payload.count <= 4096)
            } catch is PermessageDeflate.ProcessingError {
            } catch is ExtensionMessageTooLarge {
            }
        }
    }

    @Test("Processing errors describe themselves")
    func descriptions() {
        typealias Failure = PermessageDeflate.ProcessingError
        #expect(
            Failure.invalidCompressedData("invalid block type").description
                == "invalid compressed data: invalid block type")
        #expect(
            Failure.truncatedCompressedData.description
                == "invalid compressed data: the message does not end on a DEFLATE block boundary"
        )
        #expect(
            Failure.zlibFailure(function: "deflateInit2", code: -4, message: "insufficient memory").description
                == "zlib deflateInit2 failed with code -4: insufficient memory"
        )
        #expect(
            Failure.zlibFailure(function: "inflate", code: -2, message: nil).description
                == "zlib inflate failed with code -2")
        #expect(Failure.sessionClosed.description == "the permessage-deflate session is closed")
    }
}
