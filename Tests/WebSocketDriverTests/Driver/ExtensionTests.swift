import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// Negotiated extensions inside the driver: reserved bits, the message pipeline and its errors,
/// and releasing sessions (Ruby P-PARSE 1.1 and 5.1, P-EXT-NEG, B-EXTCLOSE).
@Suite struct ExtensionTests {
    static func server(
        _ extensions: [TestExtension] = [TestExtension()],
        offer: String = "x-test"
    ) throws -> DriverHarness {
        var options = DriverOptions()
        for ext in extensions { try options.extensions.add(ext) }
        return DriverHarness.openServer(options: options, extraHeaders: ["Sec-WebSocket-Extensions: \(offer)"])
    }

    @Test func reservedBitOfAnActiveExtensionIsAllowedOnTheFirstFrame() throws {
        let server = try Self.server()
        server.parse(Bytes.masked(0xC1, Bytes.text("olleh")))
        server.parse(Bytes.masked(0xC2, [3, 2, 1]))
        // Fragmented: the bit is on the first frame only.
        server.parse(Bytes.masked(0x41, Bytes.text("ba")) + Bytes.masked(0x80, Bytes.text("c")))
        #expect(server.messages == [.text("hello"), .binary([1, 2, 3]), .text("cab")])
    }

    @Test func messagesWithoutTheBitPassUntouched() throws {
        let server = try Self.server()
        server.parse(Bytes.masked(0x81, Bytes.text("plain")))
        #expect(server.messages == [.text("plain")])
    }

    @Test func reservedBitsNoExtensionAllows() throws {
        let message = "One or more reserved bits are on: reserved1 = 0, reserved2 = 1, reserved3 = 0"
        let server = try Self.server()
        server.parse(Bytes.masked(0xA1, []))
        #expect(server.events == [.error(message), .close(1002, message)])
    }

    @Test func reservedBitOnAContinuationFrame() throws {
        let message = "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0"
        let server = try Self.server()
        server.parse(Bytes.masked(0x41, Bytes.text("a")) + Bytes.masked(0xC0, Bytes.text("b")))
        #expect(server.events == [.error(message), .close(1002, message)])
    }

    @Test func reservedBitOnAControlFrame() throws {
        let message = "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0"
        let server = try Self.server()
        server.parse(Bytes.masked(0xC9, []))
        #expect(server.events == [.error(message), .close(1002, message)])
    }

    @Test func incomingFailureIs1010() throws {
        let log = ExtensionLog()
        let server = try Self.server([TestExtension(log: log)])
        server.parse(Bytes.masked(0xC1, Array(Bytes.text("boom").reversed())))
        let message = "x-test: boom"
        #expect(server.events == [.error(message), .close(1010, message)])
        #expect(server.errors.first?.closeCode == .mandatoryExtension)
        #expect(server.takeFrames() == [.close(1010, message)])
        #expect(log.entries == ["x-test close"])
    }

    @Test func outgoingFailureIs1010() throws {
        let server = try Self.server()
        #expect(server.driver.text("boom") == false)
        let message = "x-test: cannot send boom"
        #expect(server.events == [.error(message), .close(1010, message)])
        #expect(server.takeFrames() == [.close(1010, message)])
        #expect(server.driver.readyState == .closed)
    }

    @Test func outgoingMessagesAreTransformedControlFramesAreNot() throws {
        let server = try Self.server()
        server.driver.text("abc")
        server.driver.binary([1, 2])
        server.driver.ping("ping")
        server.driver.close(code: .normalClosure, reason: "bye")
        #expect(
            server.takeFrames() == [
                WireFrame(rsv: 0x40, opcode: 1, payload: Bytes.text("cba")),
                WireFrame(rsv: 0x40, opcode: 2, payload: [2, 1]),
                WireFrame(opcode: 9, payload: Bytes.text("ping")), .close(1000, "bye"),
            ])
    }

    @Test func rawFramesMayCarryTheActiveBit() throws {
        let server = try Self.server()
        #expect(server.driver.sendFrame(Frame(isFinal: false, reservedBits: .rsv1, opcode: .text, payload: [1])))
        #expect(server.driver.sendFrame(Frame(reservedBits: .rsv1, opcode: .continuation)) == false)
        #expect(server.driver.sendFrame(Frame(opcode: .continuation, payload: [2])))
        #expect(server.driver.sendFrame(Frame(reservedBits: .rsv2, opcode: .binary)) == false)
        #expect(
            server.takeFrames() == [
                WireFrame(fin: false, rsv: 0x40, opcode: 1, payload: [1]), WireFrame(opcode: 0, payload: [2]),
            ])
    }

    @Test func pipelineOrder() throws {
        let log = ExtensionLog()
        let server = try Self.server(
            [
                TestExtension(name: "x-a", reservedBits: .rsv1, log: log),
                TestExtension(name: "x-b", reservedBits: .rsv2, log: log),
            ],
            offer: "x-b, x-a")
        // The response follows the server's registration order.
        #expect(server.driver.extensions == ["x-a", "x-b"])
        server.driver.text("abc")
        // Out in order, each reversing: back to "abc", with both bits.
        #expect(server.takeFrames() == [WireFrame(rsv: 0x60, opcode: 1, payload: Bytes.text("abc"))])
        server.parse(Bytes.masked(0xE1, Bytes.text("xyz")))
        #expect(server.messages == [.text("xyz")])
        #expect(log.entries == ["x-a out", "x-b out", "x-b in", "x-a in"])
    }

    @Test func serverResponseListsAcceptedExtensionsInRegistrationOrder() throws {
        var options = DriverOptions()
        try options.extensions.add(TestExtension(name: "x-a", reservedBits: .rsv1))
        try options.extensions.add(TestExtension(name: "x-conflict", reservedBits: .rsv1))
        try options.extensions.add(TestExtension(name: "x-b", reservedBits: .rsv2))
        let server = DriverHarness { Driver.server(options: options, output: $0) }
        server.driver.start()
        server.parse(upgradeRequest(extraHeaders: ["Sec-WebSocket-Extensions: x-b, x-conflict, x-a"]))
        #expect(server.writtenText.contains("\r\nSec-WebSocket-Extensions: x-a, x-b\r\n"))
        #expect(server.driver.extensions == ["x-a", "x-b"])
    }

    @Test func addExtensionOnADriver() throws {
        let server = DriverHarness { Driver.server(output: $0) }
        try server.driver.addExtension(TestExtension())
        #expect(throws: ExtensionRegistryError.duplicateName("x-test")) {
            try server.driver.addExtension(TestExtension())
        }
        server.driver.start()
        server.parse(upgradeRequest(extraHeaders: ["Sec-WebSocket-Extensions: x-test"]))
        #expect(server.driver.extensions == ["x-test"])
        #expect(throws: HeaderError.handshakeAlreadySent) { try server.driver.addExtension(TestExtension(name: "x-2")) }
    }

    // MARK: Releasing sessions

    @Test func sessionsAreClosedByTheClosingHandshake() throws {
        let log = ExtensionLog()
        let server = try Self.server([TestExtension(log: log)])
        server.parse(Bytes.masked(0x88, []))
        #expect(log.entries == ["x-test close"])
    }

    @Test func sessionsAreClosedWhenTheTransportCloses() throws {
        let log = ExtensionLog()
        let server = try Self.server([TestExtension(log: log)])
        server.driver.transportClosed()
        server.driver.transportClosed()
        #expect(log.entries == ["x-test close"])
    }

    @Test func sessionsAreClosedOnAProtocolError() throws {
        let log = ExtensionLog()
        let server = try Self.server([TestExtension(log: log)])
        server.parse(Bytes.masked(0x83, []))
        #expect(log.entries == ["x-test close"])
    }

    @Test func clientSessionsAreClosedWhenClosingBeforeTheResponse() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        let client = try ClientHandshakeTests.harness(options: options)
        client.driver.start()
        client.driver.close()
        #expect(log.entries == ["x-test close"])
        let dropped = try ClientHandshakeTests.harness(options: options)
        dropped.driver.start()
        dropped.driver.transportClosed()
        #expect(log.entries == ["x-test close", "x-test close"])
    }

    @Test func clientSessionClosedOnceAfterUse() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        let client = try DriverHarness.openClient(
            options: options, responseHeaders: ["Sec-WebSocket-Extensions: x-test"])
        client.driver.close()
        client.parse(Bytes.hex("88 00"))
        client.driver.transportClosed()
        #expect(log.entries == ["x-test activate", "x-test close"])
    }
}
