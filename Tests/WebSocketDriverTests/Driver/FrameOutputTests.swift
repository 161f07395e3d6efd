import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// Outgoing hybi frames (RFC 6455 §5; Ruby `hybi_spec.rb` "in the :open state: frame").
@Suite struct FrameOutputTests {
    // MARK: Server frames (unmasked)

    @Test func text() {
        let server = DriverHarness.openServer()
        #expect(server.driver.text("Hello"))
        #expect(server.written == Bytes.hex("81 05 48 65 6c 6c 6f"))
        #expect(server.writes.count == 1)
    }

    @Test func binary() {
        let server = DriverHarness.openServer()
        #expect(server.driver.binary([0x48, 0x65, 0x6C]))
        #expect(server.written == Bytes.hex("82 03 48 65 6c"))
        _ = server.takeWritten()
        #expect(server.driver.send(.binary([0xFF, 0x00])))
        #expect(server.written == Bytes.hex("82 02 ff 00"))
    }

    @Test func sendMessage() {
        let server = DriverHarness.openServer()
        #expect(server.driver.send(.text("Hi")))
        #expect(server.written == Bytes.hex("81 02 48 69"))
    }

    @Test func multibyteText() {
        let server = DriverHarness.openServer()
        server.driver.text("Apple = \u{F8FF}")
        #expect(server.written == Bytes.hex("81 0b 41 70 70 6c 65 20 3d 20 ef a3 bf"))
    }

    @Test func emptyMessages() {
        let server = DriverHarness.openServer()
        server.driver.text("")
        server.driver.binary([])
        #expect(server.written == Bytes.hex("81 00 82 00"))
    }

    @Test func lengthForms() {
        let server = DriverHarness.openServer()
        for (count, header) in [
            (125, "82 7d"), (126, "82 7e 00 7e"), (200, "82 7e 00 c8"), (256, "82 7e 01 00"),
            (65535, "82 7e ff ff"), (65536, "82 7f 00 00 00 00 00 01 00 00"),
            (70000, "82 7f 00 00 00 00 00 01 11 70"),
        ] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
            server.driver.binary(payload)
            let headerBytes = Bytes.hex(header)
            #expect(server.written == headerBytes + payload, "\(count)")
            #expect(server.writes.count == 1)
            _ = server.takeWritten()
        }
    }

    @Test func mediumText() {
        let server = DriverHarness.openServer()
        let text = String(repeating: "Hello", count: 40)
        server.driver.text(text)
        #expect(server.written == Bytes.hex("81 7e 00 c8") + Bytes.text(text))
    }

    @Test func rfcUnmaskedPing() {
        let server = DriverHarness.openServer()
        #expect(server.driver.ping("Hello"))
        #expect(server.written == Bytes.hex("89 05 48 65 6c 6c 6f"))
    }

    @Test func pingAndPongVectors() {
        let server = DriverHarness.openServer()
        #expect(server.driver.ping("mic check"))
        #expect(server.takeWritten() == Bytes.hex("89 09 6d 69 63 20 63 68 65 63 6b"))
        #expect(server.driver.pong(Bytes.text("mic check")))
        #expect(server.takeWritten() == Bytes.hex("8a 09 6d 69 63 20 63 68 65 63 6b"))
        #expect(server.driver.pong())
        #expect(server.takeWritten() == Bytes.hex("8a 00"))
        #expect(server.driver.ping())
        #expect(server.takeWritten() == Bytes.hex("89 00"))
    }

    @Test func closeVectors() {
        let server = DriverHarness.openServer()
        #expect(server.driver.close(code: .protocolError, reason: "Hello"))
        #expect(server.takeWritten() == Bytes.hex("88 07 03 ea 48 65 6c 6c 6f"))
        let other = DriverHarness.openServer()
        other.driver.close(code: .unsupportedData, reason: "<%= reasons %>")
        #expect(other.written == Bytes.hex("88 10 03 eb 3c 25 3d 20 72 65 61 73 6f 6e 73 20 25 3e"))
        let plain = DriverHarness.openServer()
        plain.driver.close()
        #expect(plain.written == Bytes.hex("88 02 03 e8"))
    }

    @Test func controlPayloadsOver125BytesAreRefused() {
        let server = DriverHarness.openServer()
        let big = [UInt8](repeating: 1, count: 126)
        #expect(server.driver.ping(big) == false)
        #expect(server.driver.pong(big) == false)
        #expect(server.written.isEmpty)
        #expect(server.driver.ping([UInt8](repeating: 1, count: 125)))
        #expect(server.written.count == 127)
    }

    // MARK: Client frames (masked)

    @Test func clientFramesAreMasked() throws {
        let client = try DriverHarness.openClient()
        for count in [0, 1, 5, 125, 126, 65535, 65536] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            client.driver.binary(payload)
            #expect(client.writes.count == 1)
            let bytes = client.written
            let lengthBytes = count <= 125 ? 0 : (count <= 65535 ? 2 : 8)
            #expect(bytes.count == 2 + lengthBytes + 4 + count)
            #expect(bytes[0] == 0x82)
            #expect(bytes[1] & 0x80 == 0x80)
            let frames = try #require(client.takeFrames())
            #expect(frames == [WireFrame(opcode: 2, masked: true, maskingKey: frames[0].maskingKey, payload: payload)])
        }
    }

    @Test func rfcMaskedPong() throws {
        let client = try DriverHarness.openClient()
        #expect(client.driver.pong(Bytes.text("Hello")))
        let bytes = client.written
        #expect(bytes.count == 11)
        #expect(Array(bytes[0..<2]) == Bytes.hex("8a 85"))
        let key = Array(bytes[2..<6])
        #expect(Array(bytes[6...]) == Bytes.text("Hello").enumerated().map { $1 ^ key[$0 % 4] })
        // With the RFC's key the frame would be its example.
        #expect(
            Bytes.masked(0x8A, Bytes.text("Hello"), key: [0x37, 0xFA, 0x21, 0x3D])
                == Bytes.hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))
    }

    @Test func freshMaskingKeyForEveryFrame() throws {
        let client = try DriverHarness.openClient()
        client.driver.text("Hello")
        let first = client.takeWritten()
        client.driver.text("Hello")
        let second = client.takeWritten()
        #expect(first != second)
        #expect(Array(first[2..<6]) != Array(second[2..<6]))
        var keys = Set<[UInt8]>()
        for _ in 0..<200 {
            client.driver.ping()
            let frames = try #require(client.takeFrames())
            keys.insert(frames[0].maskingKey)
        }
        #expect(keys.count == 200)
    }

    @Test func clientCloseIsMasked() throws {
        let client = try DriverHarness.openClient()
        client.driver.close(code: .goingAway, reason: "bye")
        let frames = try #require(client.takeFrames())
        #expect(frames.count == 1)
        #expect(frames[0].sameContent(as: .close(1001, "bye", masked: true)))
    }

    // MARK: sendFrame

    @Test func streamingAFragmentedMessage() {
        let server = DriverHarness.openServer()
        #expect(server.driver.sendFrame(Frame(isFinal: false, opcode: .text, payload: Bytes.text("Hel"))))
        #expect(server.driver.sendFrame(Frame(isFinal: false, opcode: .continuation, payload: [])))
        #expect(server.driver.sendFrame(Frame(opcode: .continuation, payload: Bytes.text("lo"))))
        #expect(server.written == Bytes.hex("01 03 48 65 6c 00 00 80 02 6c 6f"))
        #expect(server.writes.count == 3)
    }

    @Test func singleFinalFrame() {
        let server = DriverHarness.openServer()
        #expect(server.driver.sendFrame(Frame(opcode: .binary, payload: [1, 2])))
        #expect(server.driver.sendFrame(Frame(opcode: .ping, payload: [3])))
        #expect(server.driver.sendFrame(Frame(opcode: .pong)))
        #expect(server.written == Bytes.hex("82 02 01 02 89 01 03 8a 00"))
    }

    @Test func messagesWaitForTheStreamedOneButControlFramesDoNot() {
        let server = DriverHarness.openServer()
        server.driver.sendFrame(Frame(isFinal: false, opcode: .binary, payload: [1]))
        #expect(server.driver.text("later"))
        #expect(server.driver.ping([9]))
        server.driver.sendFrame(Frame(opcode: .continuation, payload: [2]))
        #expect(
            server.takeFrames() == [
                WireFrame(fin: false, opcode: 2, payload: [1]), WireFrame(opcode: 9, payload: [9]),
                WireFrame(opcode: 0, payload: [2]), WireFrame(opcode: 1, payload: Bytes.text("later")),
            ])
    }

    @Test func framesThatBreakTheRulesAreRefused() {
        let server = DriverHarness.openServer()
        let reserved = Opcode(rawValue: 3) ?? .text
        #expect(server.driver.sendFrame(Frame(opcode: reserved)) == false)
        #expect(server.driver.sendFrame(Frame(opcode: Opcode(rawValue: 0xB) ?? .text)) == false)
        #expect(server.driver.sendFrame(Frame(opcode: .close, payload: [3, 0xE8])) == false)
        #expect(server.driver.sendFrame(Frame(isFinal: false, opcode: .ping)) == false)
        #expect(server.driver.sendFrame(Frame(opcode: .ping, payload: [UInt8](repeating: 0, count: 126))) == false)
        #expect(server.driver.sendFrame(Frame(reservedBits: .rsv1, opcode: .ping)) == false)
        #expect(server.driver.sendFrame(Frame(opcode: .continuation, payload: [1])) == false)
        #expect(server.driver.sendFrame(Frame(reservedBits: .rsv1, opcode: .text)) == false)
        #expect(server.driver.sendFrame(Frame(reservedBits: ReservedBits(rawValue: 0x01), opcode: .text)) == false)
        #expect(server.written.isEmpty)
        server.driver.sendFrame(Frame(isFinal: false, opcode: .text, payload: [0x41]))
        _ = server.takeWritten()
        #expect(server.driver.sendFrame(Frame(opcode: .text, payload: [0x41])) == false)
        #expect(server.driver.sendFrame(Frame(reservedBits: .rsv1, opcode: .continuation)) == false)
        #expect(server.written.isEmpty)
    }

    @Test func clientStreamIsMaskedFrameByFrame() throws {
        let client = try DriverHarness.openClient()
        client.driver.sendFrame(Frame(isFinal: false, opcode: .text, payload: Bytes.text("Hel")))
        client.driver.sendFrame(Frame(opcode: .continuation, payload: Bytes.text("lo")))
        let frames = try #require(client.takeFrames())
        #expect(frames.map(\.opcode) == [1, 0])
        #expect(frames.map(\.fin) == [false, true])
        #expect(frames.allSatisfy { $0.masked })
        #expect(frames.flatMap(\.payload) == Bytes.text("Hello"))
    }

    // MARK: After closing

    @Test func nothingIsSentOnceClosing() {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        #expect(server.driver.text("x") == false)
        #expect(server.driver.binary([1]) == false)
        #expect(server.driver.ping() == false)
        #expect(server.driver.pong() == false)
        #expect(server.driver.sendFrame(Frame(opcode: .binary)) == false)
        #expect(server.driver.sendFrame(Frame(opcode: .ping)) == false)
        #expect(server.written.isEmpty)
    }
}
