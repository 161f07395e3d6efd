import FayeTestSupport
import Testing

@testable import WebSocketDriver

/// `Driver.onMessageView`: every message is lent instead of given, on every delivery path
/// (a whole small frame from the read buffer, a whole frame after a split header, a large
/// frame, a fragmented message), with the same bytes and the same failures as `onMessage`.
@Suite struct MessageViewTests {
    /// What the view received: each message's kind and a copy of its bytes.
    final class Lent {
        var messages: [(kind: WebSocketMessageKind, bytes: [UInt8])] = []
    }

    private func lending(_ harness: DriverHarness) -> Lent {
        let lent = Lent()
        harness.driver.onMessageView = { kind, bytes in
            lent.messages.append((kind, bytes.withUnsafeBytes { Array($0) }))
        }
        return lent
    }

    @Test(arguments: [0, 1, 16, 125, 126, 1024, 1025, 70_000])
    func wholeMessagesOfEverySizeAreLentNotGiven(size: Int) throws {
        let text = String(repeating: "é", count: size / 2) + String(repeating: "a", count: size % 2)
        let binary = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let server = DriverHarness.openServer()
        let lent = lending(server)
        server.parse(Bytes.masked(0x81, Bytes.text(text)) + Bytes.masked(0x82, binary))
        #expect(server.events.isEmpty)
        #expect(lent.messages.map(\.kind) == [.text, .binary])
        let same = lent.messages.map(\.bytes) == [Bytes.text(text), binary]
        #expect(same, "\(size) bytes")

        let client = try DriverHarness.openClient()
        let lentToClient = lending(client)
        client.parse(Bytes.unmasked(0x82, binary))
        #expect(client.events.isEmpty)
        let sameOnClient = lentToClient.messages.map(\.bytes) == [binary]
        #expect(sameOnClient)
    }

    @Test func aFrameWhoseHeaderArrivedFirstIsLent() {
        // The header in one read, the payload in the next: the message is made whole in the
        // driver (the direct String path for text), then lent.
        let server = DriverHarness.openServer()
        let lent = lending(server)
        let frame = Bytes.masked(0x81, Bytes.text("héllo"))
        server.parse(Array(frame[0..<6]))
        server.parse(Array(frame[6...]))
        #expect(server.events.isEmpty)
        #expect(lent.messages.count == 1)
        #expect(lent.messages.first?.kind == .text)
        #expect(lent.messages.first?.bytes == Bytes.text("héllo"))
    }

    @Test func fragmentedMessagesAreLentOnceWhole() {
        let server = DriverHarness.openServer()
        let lent = lending(server)
        server.parse(Bytes.masked(0x01, Bytes.text("frag")) + Bytes.masked(0x00, Bytes.text("men")))
        #expect(lent.messages.isEmpty)
        server.parse(Bytes.masked(0x80, Bytes.text("ted")))
        #expect(lent.messages.map(\.bytes) == [Bytes.text("fragmented")])
        #expect(server.events.isEmpty)
    }

    @Test func invalidTextFailsAsWithoutAView() {
        for payload: [UInt8] in [[0x48, 0xFF], [0x48, 0xE2, 0x82], [0xED, 0xA0, 0x80]] {
            let server = DriverHarness.openServer()
            let lent = lending(server)
            server.parse(Bytes.masked(0x81, payload))
            #expect(lent.messages.isEmpty)
            #expect(server.events == [.error(UTF8Tests.message), .close(1007, UTF8Tests.message)])
        }
    }

    @Test func removingTheViewGivesMessagesAgain() {
        let server = DriverHarness.openServer()
        let lent = lending(server)
        server.parse(Bytes.masked(0x81, Bytes.text("lent")))
        server.driver.onMessageView = nil
        server.parse(Bytes.masked(0x81, Bytes.text("given")))
        #expect(lent.messages.map(\.bytes) == [Bytes.text("lent")])
        #expect(server.events == [.message(.text("given"))])
    }

    @Test func theViewMayCloseTheConnection() {
        // Re-entrancy: closing from the callback is safe; what follows in the same read is still
        // delivered, as data may arrive until the peer answers the close (RFC 6455 §5.5.1).
        let server = DriverHarness.openServer()
        var seen = 0
        // Unowned: the harness owns the driver, which owns this callback.
        server.driver.onMessageView = { [unowned server] _, _ in
            seen += 1
            _ = server.driver.close()
        }
        server.parse(Bytes.masked(0x81, Bytes.text("one")) + Bytes.masked(0x81, Bytes.text("two")))
        #expect(seen == 2)
        #expect(server.driver.readyState == .closing)
    }
}
