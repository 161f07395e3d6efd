import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// draft-76 specifics (Ruby `draft76_spec.rb`).
@Suite struct Draft76Tests {
    let draft = LegacyDraft.draft76

    static let head = Bytes.text(
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Origin: http://www.example.com\r\nSec-WebSocket-Location: ws://www.example.com/socket\r\n\r\n"
    )

    @Test func keyValues() {
        #expect(Draft76Key.value(LegacyDraft.key1) == 197_703_290)
        #expect(Draft76Key.value(LegacyDraft.key2) == 300_690_739)
        // Not divisible by its 4 spaces.
        #expect(Draft76Key.value("2 L785 8o% s9Sy9@V. 4<1P5") == nil)
        // No spaces, no digits, too large.
        #expect(Draft76Key.value("12345") == nil)
        #expect(Draft76Key.value("a b c") == nil)
        #expect(Draft76Key.value("") == nil)
        #expect(Draft76Key.value("8589934592 ") == nil)
        #expect(Draft76Key.value("4294967295 ") == 4_294_967_295)
        #expect(Draft76Key.value("99999999999999999999999999 ") == nil)
    }

    @Test func signatureVector() {
        var challenge: [UInt8] = []
        for value: UInt32 in [197_703_290, 300_690_739] { withUnsafeBytes(of: value.bigEndian) { challenge += $0 } }
        #expect(MD5.hash(challenge + LegacyDraft.key3) == LegacyDraft.signature)
    }

    @Test func startsConnecting() {
        let harness = draft.harness()
        #expect(harness.driver.readyState == .connecting)
        #expect(harness.driver.version == "hixie-76")
    }

    @Test func startWritesTheHeadThenTheSignature() {
        let harness = draft.harness()
        #expect(harness.driver.start())
        #expect(harness.writes == [Self.head, LegacyDraft.signature])
        #expect(harness.events == [.open])
        #expect(harness.driver.readyState == .open)
    }

    @Test func invalidKeyIsRefused() {
        let message = "Client sent invalid Sec-WebSocket-Key headers"
        for key in ["2 L785 8o% s9Sy9@V. 4<1P5", "12345", "no digits here", ""] {
            let harness = draft.harness(
                draft.request(adding: [("Sec-WebSocket-Key1", key)], removing: ["Sec-WebSocket-Key1"]))
            #expect(harness.driver.start() == false)
            #expect(
                harness.writtenText
                    == "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 45\r\n"
                    + "Connection: close\r\n\r\n" + message, "\(key)")
            #expect(!harness.events.contains(.open))
            #expect(harness.events == [.error(message), .close(1002, message)])
            #expect(harness.errors.first?.httpStatus == 400)
            #expect(harness.driver.readyState == .closed)
        }
    }

    @Test func missingKeyIsRefused() {
        // Key1 alone selects draft-76, which then misses Key2.
        let harness = draft.harness(draft.request(removing: ["Sec-WebSocket-Key2"]))
        #expect(harness.driver.start() == false)
        let message = "Missing handshake request header: Sec-WebSocket-Key2"
        #expect(harness.writtenText == ServerHandshakeTests.refusal("400 Bad Request", message))
        #expect(harness.events == [.error(message), .close(1002, message)])
    }

    @Test func textBeforeStartFollowsTheSignature() {
        let harness = draft.harness()
        #expect(harness.driver.text("Hi"))
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.writes == [Self.head, LegacyDraft.signature, [0x00, 0x48, 0x69, 0xFF]])
    }

    @Test func withoutTheBodyOnlyTheHeadIsWritten() {
        let harness = draft.harness(draft.request(body: []))
        harness.driver.text("queued")
        #expect(harness.driver.start())
        #expect(harness.writes == [Self.head])
        #expect(harness.events.isEmpty)
        #expect(harness.driver.readyState == .connecting)
        // The body arrives later, in pieces.
        harness.parse(Array(LegacyDraft.key3[0..<5]))
        #expect(harness.writes == [Self.head])
        harness.parse(Array(LegacyDraft.key3[5...]))
        #expect(harness.writes == [Self.head, LegacyDraft.signature, [0x00] + Bytes.text("queued") + [0xFF]])
        #expect(harness.events == [.open])
        #expect(harness.driver.readyState == .open)
    }

    @Test func bodyThenFramesInOneRead() {
        let harness = draft.harness(draft.request(body: []))
        harness.driver.start()
        harness.parse(LegacyDraft.key3 + [0x00] + Bytes.text("Hello") + [0xFF])
        #expect(harness.events == [.open, .message(.text("Hello"))])
    }

    @Test func bodyBeyondTheKeyIsParsedAsFrames() {
        let harness = draft.harness(draft.request(body: LegacyDraft.key3 + [0x00, 0x41, 0xFF]))
        harness.driver.start()
        #expect(harness.events == [.open, .message(.text("A"))])
    }

    @Test func bodyBeforeStart() {
        let harness = draft.harness(draft.request(body: []))
        harness.parse(LegacyDraft.key3)
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.writes == [Self.head, LegacyDraft.signature])
    }

    @Test func ffZeroCloses() {
        let harness = draft.openHarness()
        harness.parse([0xFF, 0x00, 0x00, 0x41, 0xFF])
        #expect(harness.events == [.close(1000, "")])
        #expect(harness.written == [0xFF, 0x00])
        #expect(harness.driver.readyState == .closed)
    }

    @Test func ffZeroSplitAcrossReads() {
        let harness = draft.openHarness()
        harness.parse([0xFF])
        #expect(harness.events.isEmpty)
        harness.parse([0x00])
        #expect(harness.events == [.close(1000, "")])
    }

    @Test func ffWithALengthIsASkippedFrame() {
        let harness = draft.openHarness()
        harness.parse([0xFF, 0x02, 0xFF, 0x00, 0x00, 0x41, 0xFF])
        #expect(harness.events == [.message(.text("A"))])
        // And the FF that follows later is a close again.
        harness.parse([0xFF, 0x00])
        #expect(harness.events == [.message(.text("A")), .close(1000, "")])
    }

    @Test func closeWritesFFZero() {
        let harness = draft.openHarness()
        harness.driver.close()
        #expect(harness.written == [0xFF, 0x00])
    }

    @Test func closeWhileWaitingForTheBodyWritesNothing() {
        let harness = draft.harness(draft.request(body: []))
        harness.driver.start()
        _ = harness.takeWritten()
        #expect(harness.driver.close())
        #expect(harness.written.isEmpty)
        #expect(harness.events == [.close(1000, "")])
        harness.parse(LegacyDraft.key3)
        #expect(harness.written.isEmpty)
    }
}
