import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// Callbacks that call back into the driver while it parses (Ruby P-REENTRANT, adapted: Swift
/// callbacks do not throw, so the re-entrant calls are the interesting case).
@Suite struct ReentrancyTests {
    static func frames(_ texts: String...) -> [UInt8] {
        texts.flatMap { Bytes.masked(0x81, Bytes.text($0)) }
    }

    /// Replaces `onMessage` so that it records the message, then runs `action`.
    static func onMessage(_ harness: DriverHarness, _ action: @escaping (String) -> Void) {
        harness.driver.onMessage = { [unowned harness] message in
            harness.events.append(.message(message))
            if case .text(let text) = message { action(text) }
        }
    }

    @Test func closeFromOnMessage() {
        let server = DriverHarness.openServer()
        Self.onMessage(server) { [unowned server] text in
            if text == "A" { server.driver.close(code: .goingAway, reason: "enough") }
        }
        server.parse(Self.frames("A", "B") + Bytes.masked(0x88, Bytes.hex("03 e9")))
        // Messages that follow still arrive while closing; the peer's close finishes it.
        #expect(server.events == [.message(.text("A")), .message(.text("B")), .close(1001, "")])
        #expect(server.takeFrames() == [.close(1001, "enough")])
    }

    @Test func textFromOnMessageIsWrittenInOrder() {
        let server = DriverHarness.openServer()
        Self.onMessage(server) { [unowned server] text in server.driver.text("echo " + text) }
        server.parse(Self.frames("A", "B", "C"))
        #expect(server.takeFrames()?.map(\.payload) == ["echo A", "echo B", "echo C"].map(Bytes.text))
    }

    @Test func parseFromOnMessageKeepsTheOrder() {
        let server = DriverHarness.openServer()
        Self.onMessage(server) { [unowned server] text in
            if text == "A" { server.parse(Self.frames("C")) }
            if text == "C" { server.parse(Self.frames("D")) }
        }
        server.parse(Self.frames("A", "B"))
        #expect(server.messages == ["A", "B", "C", "D"].map { .text($0) })
    }

    @Test func parseOfAPartialFrameFromOnMessage() {
        let server = DriverHarness.openServer()
        let input = Self.frames("A", "Bcdef", "tail")
        let cut = input.count - 12
        Self.onMessage(server) { [unowned server] text in
            // Re-entrant input comes after the chunk being parsed: here, the next bytes.
            if text == "A" { server.parse(Array(input[cut..<(cut + 5)])) }
        }
        // The chunk ends two bytes before the end of the second frame, which the re-entrant
        // input completes.
        server.parse(Array(input[..<cut]))
        #expect(server.messages == [.text("A"), .text("Bcdef")])
        server.parse(Array(input[(cut + 5)...]))
        #expect(server.messages == ["A", "Bcdef", "tail"].map { .text($0) })
    }

    @Test func transportClosedFromOnMessage() {
        let server = DriverHarness.openServer()
        Self.onMessage(server) { [unowned server] _ in server.driver.transportClosed() }
        server.parse(Self.frames("A", "B"))
        #expect(server.events == [.message(.text("A")), .close(1006, "")])
        #expect(server.written.isEmpty)
    }

    @Test func closeFromOnPing() {
        let server = DriverHarness.openServer()
        server.driver.onPing = { [unowned server] _ in server.driver.close() }
        server.parse(Bytes.masked(0x89, [1]) + Bytes.masked(0x89, [2]))
        // The pong goes out before the close; the second ping is not answered while closing.
        #expect(server.takeFrames() == [WireFrame(opcode: 10, payload: [1]), .close(1000)])
    }

    @Test func pingFromOnMessageMatchedByAPongInTheSameChunk() {
        let server = DriverHarness.openServer()
        var matched = 0
        Self.onMessage(server) { [unowned server] _ in server.driver.ping("now") { matched += 1 } }
        server.parse(Self.frames("A") + Bytes.masked(0x8A, Bytes.text("now")))
        #expect(matched == 1)
    }

    @Test func sendsFromOnCloseAndOnErrorAreRefused() {
        let server = DriverHarness.openServer()
        var results: [Bool] = []
        server.driver.onError = { [unowned server] _ in
            results.append(server.driver.text("x"))
            results.append(server.driver.close())
        }
        server.driver.onClose = { [unowned server] _ in
            results.append(server.driver.text("x"))
            results.append(server.driver.ping())
        }
        server.parse(Bytes.masked(0x83, []) + Self.frames("ignored"))
        #expect(results == [false, false, false, false])
        #expect(server.takeFrames()?.count == 1)
    }

    @Test func closeFromOnConnectCancelsAnEarlyStart() {
        let server = DriverHarness { Driver.server(output: $0) }
        server.driver.start()
        server.driver.onConnect = { [unowned server] request in
            server.events.append(.connect(request.target))
            server.driver.close(code: .policyViolation, reason: "no")
        }
        server.parse(upgradeRequest())
        #expect(server.events == [.connect("/chat"), .close(1008, "no")])
        #expect(server.written.isEmpty)
    }

    @Test func parseFromOnOpenComesAfterLeftoverInput() throws {
        // Client: the response and a frame arrive together; onOpen feeds a later frame.
        let client = try ClientHandshakeTests.harness()
        client.driver.start()
        client.driver.onOpen = { [unowned client] in
            client.events.append(.open)
            client.parse(Bytes.unmasked(0x81, Bytes.text("later")))
        }
        client.parse(Bytes.text(client.handshakeResponse()) + Bytes.unmasked(0x81, Bytes.text("first")))
        #expect(client.events == [.open, .message(.text("first")), .message(.text("later"))])
    }

    @Test func parseFromOnOpenComesAfterHeldInput() {
        let server = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        server.parse(Self.frames("first"))
        server.driver.onOpen = { [unowned server] in
            server.events.append(.open)
            server.parse(Self.frames("later"))
        }
        server.driver.start()
        #expect(server.events == [.open, .message(.text("first")), .message(.text("later"))])
    }

    @Test(arguments: LegacyDraft.allCases) func legacyParseFromOnOpenComesAfterHeldInput(_ draft: LegacyDraft) {
        let harness = draft.harness()
        harness.parse([0x00] + Bytes.text("first") + [0xFF])
        harness.driver.onOpen = { [unowned harness] in
            harness.events.append(.open)
            harness.parse([0x00] + Bytes.text("later") + [0xFF])
        }
        harness.driver.start()
        #expect(harness.events == [.open, .message(.text("first")), .message(.text("later"))])
    }

    @Test func closeFromOnOpenDropsNothingAlreadyReceived() throws {
        let client = try ClientHandshakeTests.harness()
        client.driver.start()
        client.driver.onOpen = { [unowned client] in
            client.events.append(.open)
            client.driver.close()
        }
        client.parse(
            Bytes.text(client.handshakeResponse()) + Bytes.unmasked(0x81, Bytes.text("first"))
                + Bytes.hex("88 02 03 e8"))
        #expect(client.events == [.open, .message(.text("first")), .close(1000, "")])
    }

    @Test func sendFromOnOpenFollowsTheQueue() {
        let server = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        server.driver.text("queued")
        server.driver.onOpen = { [unowned server] in server.driver.text("from open") }
        server.driver.start()
        let frames = WireFrame.decode(Array(server.written[QueueTests.afterHead(server.written)...]))
        #expect(frames?.map(\.payload) == [Bytes.text("queued"), Bytes.text("from open")])
    }
}
