import CZlib
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// The examples of RFC 7692 §7.2.3, byte for byte.
@Suite("RFC 7692 §7.2.3 examples")
struct RFC7692ExampleTests {
    @Test("§7.2.3.1: \"Hello\" compresses to f2 48 cd c9 c9 07 00 with RSV1")
    func helloCompresses() throws {
        let session = try activatedClient(try compressEverything())
        let wire = try session.processOutgoingMessage(textMessage("Hello"))
        #expect(wire.payload == hex("f2 48 cd c9 c9 07 00"))
        #expect(wire.reservedBits == .rsv1)
        #expect(wire.opcode == .text)
    }

    @Test("§7.2.3.1: f2 48 cd c9 c9 07 00 inflates to \"Hello\" and RSV1 is cleared")
    func helloInflates() throws {
        let session = try activatedClient()
        let message = try session.processIncomingMessage(compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 100)
        #expect(message == textMessage("Hello"))
    }

    @Test("§7.2.3.1: the fragmented example reassembles to a payload that inflates to \"Hello\"")
    func fragmentedHello() throws {
        let session = try activatedClient()
        let payload = hex("f2 48 cd") + hex("c9 c9 07 00")
        let message = try session.processIncomingMessage(compressedMessage(payload), maxLength: 100)
        #expect(message.payload == Array("Hello".utf8))
    }

    @Test("§7.2.3.2: with context takeover the second \"Hello\" is f2 00 11 00 00")
    func sharedWindowCompression() throws {
        let session = try activatedClient(try compressEverything())
        let first = try session.processOutgoingMessage(textMessage("Hello"))
        let second = try session.processOutgoingMessage(textMessage("Hello"))
        #expect(first.payload == hex("f2 48 cd c9 c9 07 00"))
        #expect(second.payload == hex("f2 00 11 00 00"))
        #expect(second.reservedBits == .rsv1)
    }

    @Test("§7.2.3.2: with context takeover f2 00 11 00 00 inflates to \"Hello\" after the first")
    func sharedWindowInflation() throws {
        let session = try activatedClient()
        let first = try session.processIncomingMessage(compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 100)
        let second = try session.processIncomingMessage(compressedMessage(hex("f2 00 11 00 00")), maxLength: 100)
        #expect(first.payload == Array("Hello".utf8))
        #expect(second.payload == Array("Hello".utf8))
    }

    @Test("§7.2.3.2: without context takeover both \"Hello\" messages are f2 48 cd c9 c9 07 00")
    func noContextTakeoverCompression() throws {
        let session = try activatedClient(try compressEverything(noContextTakeover: true))
        let first = try session.processOutgoingMessage(textMessage("Hello"))
        let second = try session.processOutgoingMessage(textMessage("Hello"))
        #expect(first.payload == hex("f2 48 cd c9 c9 07 00"))
        #expect(second.payload == hex("f2 48 cd c9 c9 07 00"))
    }

    @Test("§7.2.3.2: without the peer's context takeover a back-reference to the last message fails")
    func noContextTakeoverInflation() throws {
        let session = try activatedClient(response: "server_no_context_takeover")
        _ = try session.processIncomingMessage(compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 100)
        #expect(throws: PermessageDeflate.ProcessingError.invalidCompressedData("invalid distance too far back")) {
            try session.processIncomingMessage(compressedMessage(hex("f2 00 11 00 00")), maxLength: 100)
        }
    }

    @Test("§7.2.3.3: the uncompressed block 00 05 00 fa ff 48 65 6c 6c 6f 00 inflates to \"Hello\"")
    func storedBlock() throws {
        let session = try activatedClient()
        let message = try session.processIncomingMessage(
            compressedMessage(hex("00 05 00 fa ff 48 65 6c 6c 6f 00")),
            maxLength: 100
        )
        #expect(message.payload == Array("Hello".utf8))
    }

    @Test("§7.2.3.4: a BFINAL block f3 48 cd c9 c9 07 00 00 inflates, and the window carries over")
    func finalBlock() throws {
        let session = try activatedClient()
        let first = try session.processIncomingMessage(
            compressedMessage(hex("f3 48 cd c9 c9 07 00 00")), maxLength: 100)
        #expect(first.payload == Array("Hello".utf8))
        let second = try session.processIncomingMessage(compressedMessage(hex("f2 00 11 00 00")), maxLength: 100)
        #expect(second.payload == Array("Hello".utf8))
    }

    @Test("§7.2.3.4: a BFINAL block without the trailing 00 byte inflates too")
    func finalBlockWithoutPadding() throws {
        let session = try activatedClient()
        let message = try session.processIncomingMessage(compressedMessage(hex("f3 48 cd c9 c9 07 00")), maxLength: 100)
        #expect(message.payload == Array("Hello".utf8))
    }

    @Test("§7.2.3.5: two DEFLATE blocks in one message inflate to \"Hello\"")
    func twoBlocks() throws {
        let session = try activatedClient()
        let message = try session.processIncomingMessage(
            compressedMessage(hex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00")),
            maxLength: 100
        )
        #expect(message.payload == Array("Hello".utf8))
    }

    @Test("§7.2.3.6: an empty message compresses to 00 on a fresh context, as zlib's own flush gives")
    func emptyOnFreshContext() throws {
        let session = try activatedClient(try compressEverything())
        let wire = try session.processOutgoingMessage(textMessage(""))
        #expect(wire.payload == [0x00])
        #expect(wire.reservedBits == .rsv1)
        let zlib = try ReferenceDeflater(level: 6).message([])
        #expect(zlib == [0x00])
    }

    @Test("An empty message after other messages still compresses to 00 (the Ruby gem fails: P-EMPTY)")
    func emptyAfterMessages() throws {
        let connection = try Connection(client: try compressEverything(), server: try compressEverything())
        for text in ["Hello", "", "Hello", "", ""] {
            let client = try connection.clientSends(textMessage(text))
            let server = try connection.serverSends(textMessage(text))
            #expect(client.received == textMessage(text))
            #expect(server.received == textMessage(text))
            if text.isEmpty {
                #expect(client.wire.payload == [0x00])
                #expect(server.wire.payload == [0x00])
            }
        }
        let last = try connection.clientSends(textMessage("Hello"))
        #expect(last.received == textMessage("Hello"))
        #expect(last.wire.payload.count <= 5, "a back-reference into the earlier messages")
    }

    @Test("00 inflates to an empty message, in a fresh context and after others")
    func emptyInflates() throws {
        let session = try activatedClient()
        #expect(try session.processIncomingMessage(compressedMessage([0x00]), maxLength: 0).payload == [])
        _ = try session.processIncomingMessage(compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 100)
        #expect(try session.processIncomingMessage(compressedMessage([0x00]), maxLength: 0).payload == [])
        let next = try session.processIncomingMessage(compressedMessage(hex("f2 00 11 00 00")), maxLength: 100)
        #expect(next.payload == Array("Hello".utf8))
    }

    @Test("A zero-length payload with RSV1 is an empty message and leaves the context alone")
    func zeroLengthCompressedPayload() throws {
        let session = try activatedClient()
        let empty = try session.processIncomingMessage(compressedMessage([]), maxLength: 0)
        #expect(empty == textMessage(""))
        #expect(!session.codec.hasInflateStream)
    }

    @Test("A message without RSV1 passes through untouched, in both directions of processing")
    func uncompressedPassesThrough() throws {
        let session = try activatedClient()
        let message = Message(opcode: .binary, reservedBits: [], payload: hex("f2 48 cd c9 c9 07 00"))
        #expect(try session.processIncomingMessage(message, maxLength: 3) == message)
        #expect(!session.codec.hasInflateStream)
    }
}
