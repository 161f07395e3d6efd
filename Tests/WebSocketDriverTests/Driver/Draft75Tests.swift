import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// The draft-75 and draft-76 framing both drafts share (Ruby `draft75_examples.rb`), run for each.
enum LegacyDraft: CaseIterable, CustomStringConvertible {
    case draft75
    case draft76

    static let key1 = "1   38 wZ3f9 23O0 3l 0r"
    static let key2 = "27   0E 6 2  1665:< ;U 1H"
    static let key3: [UInt8] = [0x91, 0x25, 0x3E, 0xD3, 0xA9, 0xE7, 0x6A, 0x88]
    static let signature = Bytes.hex("b4 9c 6e 40 53 04 04 26 e5 1b bf 6c b7 9f 1d f9")

    var description: String { self == .draft75 ? "draft-75" : "draft-76" }

    /// The Ruby specs' request.
    func request(
        origin: Bool = true,
        body: [UInt8]? = nil,
        adding extra: [(String, String)] = [],
        removing: [String] = []
    ) -> IncomingRequest {
        var headers = HeaderFields([("Host", "www.example.com"), ("Upgrade", "WebSocket"), ("Connection", "Upgrade")])
        if origin { headers.append(name: "Origin", value: "http://www.example.com") }
        if self == .draft76 {
            headers.append(name: "Sec-WebSocket-Key1", value: Self.key1)
            headers.append(name: "Sec-WebSocket-Key2", value: Self.key2)
        }
        for name in removing { headers.removeAll(named: name) }
        for (name, value) in extra { headers.append(name: name, value: value) }
        return IncomingRequest(
            method: "GET", target: "/socket", headers: headers, body: body ?? (self == .draft76 ? Self.key3 : []))
    }

    func harness(_ request: IncomingRequest? = nil, options: DriverOptions = DriverOptions()) -> DriverHarness {
        DriverHarness { Driver.forRequest(request ?? self.request(), options: options, output: $0) }
    }

    /// An open driver, with what it wrote and emitted cleared.
    func openHarness(options: DriverOptions = DriverOptions()) -> DriverHarness {
        let harness = harness(options: options)
        harness.driver.start()
        precondition(harness.driver.readyState == .open)
        _ = harness.takeWritten()
        _ = harness.takeEvents()
        return harness
    }

    /// What `start` writes when the request is complete.
    var response: [UInt8] {
        switch self {
        case .draft75:
            return Bytes.text(
                "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                    + "WebSocket-Origin: http://www.example.com\r\nWebSocket-Location: ws://www.example.com/socket\r\n\r\n"
            )
        case .draft76:
            return Bytes.text(
                "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Origin: http://www.example.com\r\n"
                    + "Sec-WebSocket-Location: ws://www.example.com/socket\r\n\r\n") + Self.signature
        }
    }
}

@Suite struct LegacyFramingTests {
    @Test(arguments: LegacyDraft.allCases) func textFrame(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00] + Bytes.text("Hello") + [0xFF])
        #expect(harness.events == [.message(.text("Hello"))])
    }

    @Test(arguments: LegacyDraft.allCases) func twoFramesInOneChunk(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00] + Bytes.text("Hello") + [0xFF, 0x00] + Bytes.text("Hello") + [0xFF])
        #expect(harness.events == [.message(.text("Hello")), .message(.text("Hello"))])
    }

    @Test(arguments: LegacyDraft.allCases) func anyLeadByteBelow0x80StartsText(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x66] + Bytes.text("Hello") + [0xFF, 0x7F, 0x41, 0xFF])
        #expect(harness.events == [.message(.text("Hello")), .message(.text("A"))])
    }

    @Test(arguments: LegacyDraft.allCases) func emptyTextFrame(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00, 0xFF])
        #expect(harness.events == [.message(.text(""))])
    }

    @Test(arguments: LegacyDraft.allCases) func lengthPrefixedFramesAreSkipped(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x80, 0x02, 0x48, 0x69, 0x00] + Bytes.text("Hello") + [0xFF])
        #expect(harness.events == [.message(.text("Hello"))])
    }

    @Test(arguments: LegacyDraft.allCases) func multiByteLengthIsSkipped(_ draft: LegacyDraft) {
        // 81 01: 1 * 128 + 1 = 129 bytes, full of FF and 00 bytes that must not end anything.
        let harness = draft.openHarness()
        let skipped = (0..<129).map { $0 % 2 == 0 ? UInt8(0xFF) : 0x00 }
        harness.parse([0x80, 0x81, 0x01] + skipped + [0x00] + Bytes.text("Hi") + [0xFF])
        #expect(harness.events == [.message(.text("Hi"))])
    }

    @Test(arguments: LegacyDraft.allCases) func skippedFrameSplitAcrossReads(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        let bytes: [UInt8] = [0x80, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x41, 0xFF]
        for byte in bytes { harness.parse([byte]) }
        #expect(harness.events == [.message(.text("A"))])
    }

    @Test(arguments: LegacyDraft.allCases) func zeroLengthFrameIsSkipped(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x80, 0x00, 0x00, 0x41, 0xFF])
        #expect(harness.events == [.message(.text("A"))])
    }

    @Test(arguments: LegacyDraft.allCases) func multibyteText(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00] + Bytes.text("Apple = \u{F8FF}") + [0xFF])
        #expect(harness.events == [.message(.text("Apple = \u{F8FF}"))])
    }

    @Test(arguments: LegacyDraft.allCases) func frameSplitAcrossChunks(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00] + Bytes.text("Hel"))
        #expect(harness.events.isEmpty)
        harness.parse(Bytes.text("lo") + [0xFF])
        #expect(harness.events == [.message(.text("Hello"))])
    }

    @Test(arguments: LegacyDraft.allCases) func characterSplitAcrossChunks(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00] + Bytes.text("Apple = ") + [0xEF, 0xA3])
        harness.parse([0xBF, 0xFF])
        #expect(harness.events == [.message(.text("Apple = \u{F8FF}"))])
    }

    @Test(arguments: LegacyDraft.allCases) func textIsNotValidated(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x00, 0xCE, 0xFF])
        #expect(harness.events == [.message(.text("\u{FFFD}"))])
    }

    @Test(arguments: LegacyDraft.allCases) func reentrantParseLosesNothing(_ draft: LegacyDraft) {
        // The Ruby spec raises from the listener; here the listener feeds more input.
        let harness = draft.openHarness()
        var fed = false
        harness.driver.onMessage = { [unowned harness] message in
            harness.events.append(.message(message))
            if !fed {
                fed = true
                harness.parse([0x00] + Bytes.text("Again") + [0xFF])
            }
        }
        harness.parse([0x00] + Bytes.text("Hello") + [0xFF, 0x00] + Bytes.text("World") + [0xFF])
        #expect(harness.events == [.message(.text("Hello")), .message(.text("World")), .message(.text("Again"))])
    }

    @Test(arguments: LegacyDraft.allCases) func closeFromAListenerStopsParsing(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.driver.onMessage = { [unowned harness] message in
            harness.events.append(.message(message))
            harness.driver.close()
        }
        harness.parse([0x00] + Bytes.text("Hello") + [0xFF, 0x00] + Bytes.text("World") + [0xFF])
        #expect(harness.events == [.message(.text("Hello")), .close(1000, "")])
    }

    // MARK: Sending

    @Test(arguments: LegacyDraft.allCases) func text(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        #expect(harness.driver.text("Hello"))
        #expect(harness.written == [0x00] + Bytes.text("Hello") + [0xFF])
        _ = harness.takeWritten()
        #expect(harness.driver.send(.text("Apple = \u{F8FF}")))
        #expect(harness.written == Bytes.hex("00 41 70 70 6c 65 20 3d 20 ef a3 bf ff"))
    }

    @Test(arguments: LegacyDraft.allCases) func noBinaryPingPongOrFrames(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        #expect(harness.driver.binary([1]) == false)
        #expect(harness.driver.ping() == false)
        #expect(harness.driver.ping("x") { Issue.record("no pong in drafts") } == false)
        #expect(harness.driver.pong() == false)
        #expect(harness.driver.sendFrame(Frame(opcode: .text, payload: [0x41])) == false)
        #expect(harness.written.isEmpty)
        #expect(harness.driver.protocol == nil)
        #expect(harness.driver.extensions == [])
    }

    // MARK: Closing

    @Test(arguments: LegacyDraft.allCases) func close(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        #expect(harness.driver.close())
        #expect(harness.events == [.close(1000, "")])
        #expect(harness.driver.readyState == .closed)
        #expect(harness.written == (draft == .draft76 ? [0xFF, 0x00] : []))
        _ = harness.takeWritten()
        #expect(harness.driver.close() == false)
        #expect(harness.written.isEmpty)
        #expect(harness.driver.readyState == .closed)
        #expect(harness.events == [.close(1000, "")])
    }

    @Test(arguments: LegacyDraft.allCases) func nothingIsWrittenAfterClose(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.driver.close()
        _ = harness.takeWritten()
        #expect(harness.driver.text("late") == false)
        #expect(harness.written.isEmpty)
        harness.parse([0x00, 0x41, 0xFF])
        #expect(harness.events == [.close(1000, "")])
    }

    @Test(arguments: LegacyDraft.allCases) func closeBeforeStart(_ draft: LegacyDraft) {
        let harness = draft.harness()
        harness.driver.text("dropped")
        #expect(harness.driver.close())
        #expect(harness.events == [.close(1000, "")])
        #expect(harness.driver.start() == false)
        #expect(harness.written.isEmpty)
    }

    @Test(arguments: LegacyDraft.allCases) func transportClosed(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.driver.transportClosed()
        harness.driver.transportClosed()
        #expect(harness.events == [.close(1006, "")])
        #expect(harness.written.isEmpty)
        #expect(harness.driver.text("x") == false)
    }

    @Test(arguments: LegacyDraft.allCases) func maxLengthClosesWithoutAnError(_ draft: LegacyDraft) {
        var options = DriverOptions()
        options.maxLength = 5
        let harness = draft.openHarness(options: options)
        harness.parse([0x00] + Bytes.text("12345") + [0xFF])
        #expect(harness.events == [.message(.text("12345"))])
        // Over the limit before the end of the frame has arrived.
        harness.parse([0x00] + Bytes.text("123456"))
        #expect(harness.events == [.message(.text("12345")), .close(1009, "")])
        #expect(harness.written == (draft == .draft76 ? [0xFF, 0x00] : []))
        #expect(harness.driver.readyState == .closed)
    }

    @Test(arguments: LegacyDraft.allCases) func absurdLengthClosesWith1009(_ draft: LegacyDraft) {
        let harness = draft.openHarness()
        harness.parse([0x80] + [UInt8](repeating: 0xFF, count: 12))
        #expect(harness.events == [.close(1009, "")])
    }

    @Test(arguments: LegacyDraft.allCases) func inputBeforeStartIsHeld(_ draft: LegacyDraft) {
        let harness = draft.harness()
        harness.parse([0x00] + Bytes.text("early") + [0xFF])
        #expect(harness.events.isEmpty)
        harness.driver.start()
        #expect(harness.events == [.open, .message(.text("early"))])
    }

    @Test(arguments: LegacyDraft.allCases) func customHeadersFollowTheLocation(_ draft: LegacyDraft) throws {
        let harness = draft.harness()
        try harness.driver.setHeader("X-Custom", "1")
        harness.driver.start()
        let location = draft == .draft75 ? "WebSocket-Location" : "Sec-WebSocket-Location"
        #expect(harness.writtenText.contains("\(location): ws://www.example.com/socket\r\nX-Custom: 1\r\n\r\n"))
        #expect(throws: HeaderError.handshakeAlreadySent) { try harness.driver.setHeader("X-Late", "1") }
        #expect(throws: HeaderError.managedByDriver(draft == .draft75 ? "WebSocket-Origin" : "Sec-WebSocket-Origin")) {
            try LegacyDraft.draft75.harness().driver.setHeader(
                draft == .draft75 ? "WebSocket-Origin" : "Sec-WebSocket-Origin", "x")
        }
    }

    @Test(arguments: LegacyDraft.allCases) func handshakeRefusals(_ draft: LegacyDraft) {
        let cases: [(IncomingRequest, String)] = [
            (
                IncomingRequest(
                    method: "POST", target: "/socket", headers: draft.request().headers, body: LegacyDraft.key3),
                "Not a WebSocket request: the method is POST, not GET"
            ),
            (
                draft.request(removing: ["Upgrade"]),
                "Not a WebSocket request: missing Upgrade: WebSocket and Connection: Upgrade"
            ),
            (
                draft.request(removing: ["Connection"]),
                "Not a WebSocket request: missing Upgrade: WebSocket and Connection: Upgrade"
            ),
            (draft.request(removing: ["Host"]), "Missing handshake request header: Host"),
        ]
        for (request, message) in cases {
            let harness = draft.harness(request)
            #expect(harness.driver.start() == false)
            #expect(harness.writtenText == ServerHandshakeTests.refusal("400 Bad Request", message), "\(message)")
            #expect(harness.events == [.error(message), .close(1002, message)])
            #expect(harness.driver.readyState == .closed)
            #expect(harness.driver.text("x") == false)
        }
    }
}

/// draft-75 specifics (Ruby `draft75_spec.rb`).
@Suite struct Draft75Tests {
    let draft = LegacyDraft.draft75

    @Test func startsConnecting() {
        let harness = draft.harness()
        #expect(harness.driver.readyState == .connecting)
        #expect(harness.driver.version == "hixie-75")
    }

    @Test func startWritesTheResponseAndOpens() {
        let harness = draft.harness()
        #expect(harness.driver.start())
        #expect(harness.written == draft.response)
        #expect(harness.writes.count == 1)
        #expect(harness.events == [.open])
        #expect(harness.driver.readyState == .open)
        #expect(harness.driver.start() == false)
    }

    @Test func noOriginNoOriginHeader() {
        let harness = draft.harness(draft.request(origin: false))
        harness.driver.start()
        #expect(
            harness.writtenText
                == "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                + "WebSocket-Location: ws://www.example.com/socket\r\n\r\n")
    }

    @Test func textBeforeStartIsQueued() {
        let harness = draft.harness()
        #expect(harness.driver.text("Hi"))
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.written == draft.response + [0x00, 0x48, 0x69, 0xFF])
    }

    @Test func ffZeroIsNotACloseInDraft75() {
        let harness = draft.openHarness()
        harness.parse([0xFF, 0x00, 0x00, 0x41, 0xFF])
        #expect(harness.events == [.message(.text("A"))])
        #expect(harness.written.isEmpty)
        #expect(harness.driver.readyState == .open)
    }

    @Test func skippedFrameCannotEndTextEarly() {
        // B-D75-FF: FF bytes inside a skipped frame are payload, not a text terminator.
        let harness = draft.openHarness()
        harness.parse([0x80, 0x03, 0xFF, 0xFF, 0xFF, 0x00] + Bytes.text("Hi") + [0xFF])
        #expect(harness.events == [.message(.text("Hi"))])
    }
}
