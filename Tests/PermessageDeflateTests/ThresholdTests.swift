import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// Messages below `compressionThreshold` are sent uncompressed, without RSV1 (RFC 7692 §6 lets
/// every message choose).
@Suite("Compression threshold")
struct ThresholdTests {
    private let threshold = PermessageDeflate.defaultCompressionThreshold

    @Test("Below the default threshold a message is sent as is, and no zlib stream is created")
    func belowThreshold() throws {
        let session = try activatedClient()
        let message = Message(opcode: .text, payload: Array(repeating: 0x61, count: threshold - 1))
        #expect(try session.processOutgoingMessage(message) == message)
        #expect(!session.codec.hasDeflateStream)
    }

    @Test("At the default threshold a message is compressed and carries RSV1")
    func atThreshold() throws {
        let session = try activatedClient()
        let message = Message(opcode: .binary, payload: Array(repeating: 0x61, count: threshold))
        let wire = try session.processOutgoingMessage(message)
        #expect(wire.reservedBits == .rsv1)
        #expect(wire.opcode == .binary)
        #expect(wire.payload.count < message.payload.count)
    }

    @Test("Empty messages are sent uncompressed by default and as 00 with threshold 0")
    func emptyMessages() throws {
        #expect(try activatedClient().processOutgoingMessage(textMessage("")) == textMessage(""))
        let everything = try activatedClient(try compressEverything())
        #expect(try everything.processOutgoingMessage(textMessage("")) == compressedMessage([0x00]))
        #expect(!everything.codec.hasDeflateStream, "00 needs no zlib stream")
    }

    @Test("A custom threshold applies exactly", arguments: [1, 100, 10_000])
    func customThreshold(limit: Int) throws {
        let session = try activatedClient(try PermessageDeflate(compressionThreshold: limit))
        let below = Message(opcode: .text, payload: Array(repeating: 0x62, count: limit - 1))
        let at = Message(opcode: .text, payload: Array(repeating: 0x62, count: limit))
        #expect(try session.processOutgoingMessage(below) == below)
        #expect(try session.processOutgoingMessage(at).reservedBits == .rsv1)
    }

    @Test("Uncompressed messages between compressed ones keep both contexts in step")
    func mixedContext() throws {
        let connection = try Connection(client: PermessageDeflate(), server: PermessageDeflate())
        defer { connection.close() }
        let long = String(repeating: "context takeover keeps the window; ", count: 4)
        for text in [long, "short", long, "", long + "!", "x", long] {
            let sent = try connection.clientSends(textMessage(text))
            #expect(sent.received == textMessage(text))
            #expect(sent.wire.reservedBits.contains(.rsv1) == (text.utf8.count >= threshold))
            let answered = try connection.serverSends(textMessage(text))
            #expect(answered.received == textMessage(text))
        }
    }

    @Test("The threshold does not apply to incoming messages")
    func incomingIgnoresThreshold() throws {
        let session = try activatedClient(try PermessageDeflate(compressionThreshold: 1000))
        let message = try session.processIncomingMessage(compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 10)
        #expect(message.payload == Array("Hello".utf8))
    }

    @Test("Non-data messages are never compressed or inflated")
    func controlMessagesUntouched() throws {
        let session = try activatedClient(try compressEverything())
        let ping = Message(opcode: .ping, payload: Array("Hello".utf8))
        #expect(try session.processOutgoingMessage(ping) == ping)
        let flagged = Message(opcode: .pong, reservedBits: .rsv1, payload: [0xFF])
        #expect(try session.processIncomingMessage(flagged, maxLength: 10) == flagged)
    }

    @Test("Other reserved bits are kept when RSV1 is added or removed")
    func otherBitsKept() throws {
        let session = try activatedClient(try compressEverything())
        let wire = try session.processOutgoingMessage(
            Message(opcode: .text, reservedBits: .rsv3, payload: Array("Hello".utf8)))
        #expect(wire.reservedBits == [.rsv1, .rsv3])
        let received = try session.processIncomingMessage(
            Message(opcode: .text, reservedBits: [.rsv1, .rsv2], payload: hex("f2 48 cd c9 c9 07 00")),
            maxLength: 10
        )
        #expect(received.reservedBits == .rsv2)
    }
}
