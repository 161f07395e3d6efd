import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// Sending before the connection opens (Ruby P-QUEUE): everything is queued in order and written
/// right after the handshake, before `onOpen`.
@Suite struct QueueTests {
    /// Queues one of everything on `driver`.
    static func queueEverything(_ driver: Driver) {
        #expect(driver.text("a"))
        #expect(driver.ping([1]))
        #expect(driver.binary([2]))
        #expect(driver.pong([3]))
        #expect(driver.sendFrame(Frame(opcode: .binary, payload: [4])))
        #expect(driver.send(.text("b")))
    }

    static let queuedFrames = [
        WireFrame(opcode: 1, payload: Bytes.text("a")), WireFrame(opcode: 9, payload: [1]),
        WireFrame(opcode: 2, payload: [2]), WireFrame(opcode: 10, payload: [3]), WireFrame(opcode: 2, payload: [4]),
        WireFrame(opcode: 1, payload: Bytes.text("b")),
    ]

    /// Records, at `onOpen`, the frames written after the handshake head.
    static func framesAtOpen(_ harness: DriverHarness, headEnd: @escaping ([UInt8]) -> Int) -> () -> [WireFrame]? {
        var atOpen: [WireFrame]?
        harness.driver.onOpen = { [unowned harness] in
            harness.events.append(.open)
            let bytes = harness.written
            atOpen = WireFrame.decode(Array(bytes[headEnd(bytes)...]))
        }
        return { atOpen }
    }

    /// The index after the first blank line of an HTTP head.
    static func afterHead(_ bytes: [UInt8]) -> Int {
        var index = 3
        while index < bytes.count {
            if bytes[(index - 3)...index].elementsEqual(Bytes.text("\r\n\r\n")) { return index + 1 }
            index += 1
        }
        return bytes.count
    }

    @Test func forRequestDriverFlushesBeforeOpen() {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        Self.queueEverything(harness.driver)
        #expect(harness.written.isEmpty)
        let atOpen = Self.framesAtOpen(harness, headEnd: Self.afterHead)
        harness.driver.start()
        #expect(atOpen() == Self.queuedFrames)
        #expect(harness.events == [.open])
    }

    @Test func serverDriverFlushesBeforeOpenWhenStartedInOnConnect() {
        let harness = DriverHarness { Driver.server(output: $0) }
        Self.queueEverything(harness.driver)
        let atOpen = Self.framesAtOpen(harness, headEnd: Self.afterHead)
        harness.driver.onConnect = { [unowned harness] _ in
            harness.events.append(.connect(""))
            harness.driver.start()
        }
        harness.parse(upgradeRequest())
        #expect(atOpen() == Self.queuedFrames)
        #expect(harness.events == [.connect(""), .open])
    }

    @Test func serverDriverFlushesBeforeOpenWhenStartedEarly() {
        for startFirst in [true, false] {
            let harness = DriverHarness { Driver.server(output: $0) }
            if startFirst { #expect(harness.driver.start()) }
            Self.queueEverything(harness.driver)
            if !startFirst { #expect(harness.driver.start()) }
            #expect(harness.driver.start() == false)
            let atOpen = Self.framesAtOpen(harness, headEnd: Self.afterHead)
            harness.parse(upgradeRequest())
            #expect(atOpen() == Self.queuedFrames, "start first: \(startFirst)")
            #expect(harness.events == [.connect("/chat"), .open])
        }
    }

    @Test func clientFlushesBeforeOpen() throws {
        for queueAfterStart in [false, true] {
            let harness = try ClientHandshakeTests.harness()
            if queueAfterStart { harness.driver.start() }
            Self.queueEverything(harness.driver)
            if !queueAfterStart { harness.driver.start() }
            let atOpen = Self.framesAtOpen(harness, headEnd: Self.afterHead)
            harness.parse(harness.handshakeResponse())
            let frames = try #require(atOpen())
            #expect(frames.count == Self.queuedFrames.count)
            for (frame, expected) in zip(frames, Self.queuedFrames) {
                var masked = expected
                masked.masked = true
                #expect(frame.sameContent(as: masked))
            }
        }
    }

    @Test func inputBeforeStartIsHeldUntilOpen() {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        harness.parse(Bytes.masked(0x81, Bytes.text("early")) + Bytes.masked(0x89, [5]))
        #expect(harness.events.isEmpty)
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.events == [.open, .message(.text("early")), .ping([5])])
        #expect(harness.written.suffix(3) == [0x8A, 0x01, 0x05])
    }

    @Test func heldInputIsDroppedWhenClosedBeforeOpen() {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        harness.parse(Bytes.masked(0x81, Bytes.text("early")))
        harness.driver.close()
        harness.driver.start()
        #expect(harness.events == [.close(1000, "")])
    }

    // MARK: Configuration after queueing

    @Test func setHeaderKeepsWhatWasQueuedAndHeld() throws {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        var calls = 0
        harness.driver.text("queued")
        harness.driver.ping("p") { calls += 1 }
        harness.parse(Bytes.masked(0x81, Bytes.text("held")))
        try harness.driver.setHeader("X-Late", "1")
        harness.driver.start()
        #expect(harness.writtenText.contains("X-Late: 1\r\n\r\n"))
        let frames = WireFrame.decode(Array(harness.written[Self.afterHead(harness.written)...]))
        #expect(
            frames == [
                WireFrame(opcode: 1, payload: Bytes.text("queued")), WireFrame(opcode: 9, payload: Bytes.text("p")),
            ])
        #expect(harness.events == [.open, .message(.text("held"))])
        harness.parse(Bytes.masked(0x8A, Bytes.text("p")))
        #expect(calls == 1)
    }

    @Test func setHeaderInOnConnectKeepsPipelinedFrames() throws {
        let harness = DriverHarness { Driver.server(output: $0) }
        harness.driver.onConnect = { [unowned harness] _ in
            try? harness.driver.setHeader("X-Served-By", "test")
            harness.driver.start()
        }
        harness.parse(Bytes.text(upgradeRequest()) + Bytes.masked(0x81, Bytes.text("pipelined")))
        #expect(harness.writtenText.contains("X-Served-By: test\r\n\r\n"))
        #expect(harness.events == [.open, .message(.text("pipelined"))])
    }

    @Test func clientSetHeaderKeepsWhatWasQueued() throws {
        let harness = try ClientHandshakeTests.harness()
        var calls = 0
        harness.driver.text("queued")
        harness.driver.ping("p") { calls += 1 }
        try harness.driver.setHeader("Origin", "http://example.com")
        try harness.driver.addExtension(TestExtension(name: "x-unused", reservedBits: []))
        harness.driver.start()
        #expect(harness.writtenText.contains("Origin: http://example.com\r\n"))
        #expect(harness.writtenText.contains("Sec-WebSocket-Extensions: x-unused\r\n"))
        let response = harness.handshakeResponse()
        _ = harness.takeWritten()
        harness.parse(response)
        let frames = try #require(harness.takeFrames())
        #expect(frames.map(\.opcode) == [1, 9])
        #expect(frames.first?.payload == Bytes.text("queued"))
        harness.parse(Bytes.unmasked(0x8A, Bytes.text("p")))
        #expect(calls == 1)
    }

    // MARK: Extensions and streams

    @Test func extensionsApplyWhenTheQueueIsFlushed() throws {
        for accepted in [true, false] {
            var options = DriverOptions()
            try options.extensions.add(TestExtension())
            let harness = try ClientHandshakeTests.harness(options: options)
            harness.driver.text("abc")
            harness.driver.start()
            let response = harness.handshakeResponse(
                extraHeaders: accepted ? ["Sec-WebSocket-Extensions: x-test"] : [])
            _ = harness.takeWritten()
            harness.parse(response)
            let frames = try #require(harness.takeFrames())
            #expect(frames.count == 1)
            #expect(frames.first?.rsv == (accepted ? 0x40 : 0))
            #expect(frames.first?.payload == Bytes.text(accepted ? "cba" : "abc"))
        }
    }

    @Test func queuedStreamIsFlushedWhole() {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        #expect(harness.driver.sendFrame(Frame(isFinal: false, opcode: .text, payload: Bytes.text("Hel"))))
        #expect(harness.driver.text("whole"))
        #expect(harness.driver.ping([1]))
        #expect(harness.driver.sendFrame(Frame(isFinal: false, opcode: .continuation, payload: Bytes.text("l"))))
        #expect(harness.driver.sendFrame(Frame(opcode: .continuation, payload: Bytes.text("o"))))
        #expect(harness.driver.binary([2]))
        harness.driver.start()
        let frames = WireFrame.decode(Array(harness.written[Self.afterHead(harness.written)...]))
        #expect(
            frames == [
                WireFrame(fin: false, opcode: 1, payload: Bytes.text("Hel")), WireFrame(opcode: 9, payload: [1]),
                WireFrame(fin: false, opcode: 0, payload: Bytes.text("l")),
                WireFrame(opcode: 0, payload: Bytes.text("o")),
                WireFrame(opcode: 1, payload: Bytes.text("whole")), WireFrame(opcode: 2, payload: [2]),
            ])
        // The stream is over: a new one may start.
        #expect(harness.driver.sendFrame(Frame(isFinal: false, opcode: .binary, payload: [3])))
    }

    @Test func queuedStreamFinishedAfterOpen() {
        let harness = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        harness.driver.sendFrame(Frame(isFinal: false, opcode: .text, payload: Bytes.text("Hel")))
        harness.driver.text("whole")
        harness.driver.start()
        let head = Self.afterHead(harness.written)
        #expect(
            WireFrame.decode(Array(harness.written[head...])) == [
                WireFrame(fin: false, opcode: 1, payload: Bytes.text("Hel"))
            ])
        _ = harness.takeWritten()
        #expect(harness.driver.sendFrame(Frame(opcode: .continuation, payload: Bytes.text("lo"))))
        #expect(
            harness.takeFrames() == [
                WireFrame(opcode: 0, payload: Bytes.text("lo")), WireFrame(opcode: 1, payload: Bytes.text("whole")),
            ])
    }
}
