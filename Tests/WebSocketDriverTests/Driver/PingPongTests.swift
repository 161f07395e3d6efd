import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// Ping and pong (RFC 6455 §5.5.2, §5.5.3; Ruby P-PING).
@Suite struct PingPongTests {
    @Test func rfcUnmaskedPingAndMaskedPong() throws {
        // RFC 6455 §5.7: an unmasked ping "Hello" to a client, a masked pong "Hello" to a server.
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("89 05 48 65 6c 6c 6f"))
        #expect(client.events == [.ping(Bytes.text("Hello"))])
        let frames = try #require(client.takeFrames())
        #expect(frames.count == 1)
        #expect(frames[0].sameContent(as: WireFrame(opcode: 10, masked: true, payload: Bytes.text("Hello"))))
        let server = DriverHarness.openServer()
        server.parse(Bytes.hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))
        #expect(server.events == [.pong(Bytes.text("Hello"))])
        #expect(server.written.isEmpty)
    }

    @Test func pingIsAnsweredWithTheSamePayload() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x89, Bytes.text("OHAI")))
        #expect(server.written == Bytes.hex("8a 04 4f 48 41 49"))
        #expect(server.events == [.ping(Bytes.text("OHAI"))])
    }

    @Test func pongIsWrittenBeforeThePingEvent() {
        let server = DriverHarness.openServer()
        var writtenAtEvent: [UInt8] = []
        server.driver.onPing = { [unowned server] _ in writtenAtEvent = server.written }
        server.parse(Bytes.masked(0x89, [1, 2, 3]))
        #expect(writtenAtEvent == Bytes.hex("8a 03 01 02 03"))
    }

    @Test func clientAnswersMasked() throws {
        let client = try DriverHarness.openClient()
        let payload = (0..<125).map { UInt8($0) }
        client.parse(Bytes.unmasked(0x89, payload))
        let frames = try #require(client.takeFrames())
        #expect(frames.count == 1)
        #expect(frames[0].sameContent(as: WireFrame(opcode: 10, masked: true, payload: payload)))
        #expect(client.events == [.ping(payload)])
    }

    @Test func emptyPing() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x89, []))
        #expect(server.written == Bytes.hex("8a 00"))
        #expect(server.events == [.ping([])])
    }

    @Test func pongEvent() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x8A, Bytes.text("Hi")))
        #expect(server.events == [.pong(Bytes.text("Hi"))])
        #expect(server.written.isEmpty)
    }

    @Test func pingCallbackRunsOnMatchingPong() {
        let server = DriverHarness.openServer()
        var calls: [String] = []
        server.driver.onPong = { calls.append("event \($0)") }
        #expect(server.driver.ping("Hi") { calls.append("callback") })
        #expect(server.written == Bytes.hex("89 02 48 69"))
        server.parse(Bytes.masked(0x8A, Bytes.text("Hi")))
        // The callback first, then the event.
        #expect(calls == ["callback", "event \(Bytes.text("Hi"))"])
        // Removed once called.
        server.parse(Bytes.masked(0x8A, Bytes.text("Hi")))
        #expect(calls.filter { $0 == "callback" }.count == 1)
    }

    @Test func nonMatchingPongLeavesTheCallback() {
        let server = DriverHarness.openServer()
        var calls = 0
        server.driver.ping("Hi") { calls += 1 }
        server.parse(Bytes.masked(0x8A, Bytes.text("wat")))
        server.parse(Bytes.masked(0x8A, []))
        #expect(calls == 0)
        server.parse(Bytes.masked(0x8A, Bytes.text("Hi")))
        #expect(calls == 1)
    }

    @Test func everyCallbackWithTheSamePayloadFiresOnce() {
        let server = DriverHarness.openServer()
        var calls: [String] = []
        server.driver.ping("x") { calls.append("first") }
        server.driver.ping("y") { calls.append("other") }
        server.driver.ping("x") { calls.append("second") }
        server.parse(Bytes.masked(0x8A, Bytes.text("x")))
        #expect(calls == ["first", "second"])
        server.parse(Bytes.masked(0x8A, Bytes.text("x")))
        #expect(calls == ["first", "second"])
        server.parse(Bytes.masked(0x8A, Bytes.text("y")))
        #expect(calls == ["first", "second", "other"])
    }

    @Test func callbacksAreKeyedByBytes() {
        let server = DriverHarness.openServer()
        var calls: [String] = []
        server.driver.ping([0xFF]) { calls.append("ff") }
        server.driver.ping([]) { calls.append("empty") }
        server.driver.ping([0xC3, 0xA9]) { calls.append("é bytes") }
        server.parse(Bytes.masked(0x8A, [0xFF]))
        server.parse(Bytes.masked(0x8A, []))
        server.parse(Bytes.masked(0x8A, Bytes.text("é")))
        #expect(calls == ["ff", "empty", "é bytes"])
    }

    @Test func callbackOfAQueuedPing() {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        var calls = 0
        #expect(harness.driver.ping("early") { calls += 1 })
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.written.suffix(7) == Bytes.hex("89 05 65 61 72 6c 79")[...])
        harness.parse(Bytes.masked(0x8A, Bytes.text("early")))
        #expect(calls == 1)
    }

    @Test func pingCallbackOnTheClient() throws {
        let client = try DriverHarness.openClient()
        var calls = 0
        client.driver.ping([1, 2, 3]) { calls += 1 }
        let frames = try #require(client.takeFrames())
        #expect(frames.first?.sameContent(as: WireFrame(opcode: 9, masked: true, payload: [1, 2, 3])) == true)
        client.parse(Bytes.unmasked(0x8A, [1, 2, 3]))
        #expect(calls == 1)
        #expect(client.events == [.pong([1, 2, 3])])
    }

    @Test func refusedPingRegistersNoCallback() {
        let server = DriverHarness.openServer()
        var calls = 0
        #expect(server.driver.ping([UInt8](repeating: 0, count: 126)) { calls += 1 } == false)
        server.driver.close()
        #expect(server.driver.ping("late") { calls += 1 } == false)
        server.parse(Bytes.masked(0x8A, Bytes.text("late")))
        #expect(calls == 0)
    }

    @Test func pingInterleavedWithAFragmentedMessageBothWays() throws {
        let link = try Loopback()
        link.open()
        _ = link.client.takeEvents()
        _ = link.server.takeEvents()
        var pongs = 0
        link.client.driver.sendFrame(Frame(isFinal: false, opcode: .text, payload: Bytes.text("Hel")))
        link.client.driver.ping("mid") { pongs += 1 }
        link.client.driver.sendFrame(Frame(opcode: .continuation, payload: Bytes.text("lo")))
        link.pump()
        #expect(link.server.events == [.ping(Bytes.text("mid")), .message(.text("Hello"))])
        #expect(link.client.events == [.pong(Bytes.text("mid"))])
        #expect(pongs == 1)
    }

    @Test func pongFromAPingCallbackIsWrittenInOrder() {
        let server = DriverHarness.openServer()
        server.driver.onPing = { [unowned server] payload in
            server.events.append(.ping(payload))
            server.driver.text("got \(payload.count)")
        }
        server.parse(Bytes.masked(0x89, [7]) + Bytes.masked(0x81, Bytes.text("after")))
        #expect(
            server.takeFrames() == [
                WireFrame(opcode: 10, payload: [7]), WireFrame(opcode: 1, payload: Bytes.text("got 1")),
            ])
        #expect(server.events == [.ping([7]), .message(.text("after"))])
    }
}
