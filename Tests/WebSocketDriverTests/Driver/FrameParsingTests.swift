import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// Incoming hybi frames (RFC 6455 §5; Ruby `hybi_spec.rb` "in the :open state: parse").
@Suite struct FrameParsingTests {
    static let hello = Bytes.text("Hello")
    /// The RFC 6455 §5.7 masking key.
    static let rfcKey: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    /// Feeds `input` to an open driver (a server unless `client`) and checks it failed with
    /// `code` and `message`: a close frame written (masked by a client), error then close
    /// emitted, closed, and later input ignored.
    func expectFailure(
        _ input: [UInt8],
        code: UInt16,
        message: String,
        client: Bool = false,
        options: DriverOptions = DriverOptions(),
        after earlier: [DriverHarness.Event] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let harness =
            client ? try DriverHarness.openClient(options: options) : DriverHarness.openServer(options: options)
        harness.parse(input)
        #expect(harness.events == earlier + [.error(message), .close(code, message)], sourceLocation: sourceLocation)
        #expect(harness.errors.first?.closeCode.rawValue == code, sourceLocation: sourceLocation)
        #expect(harness.errors.first?.httpStatus == nil, sourceLocation: sourceLocation)
        let frames = harness.takeFrames()
        #expect(frames?.count == 1, sourceLocation: sourceLocation)
        #expect(
            frames?.first?.sameContent(as: .close(code, message, masked: client)) == true,
            "\(frames ?? [])", sourceLocation: sourceLocation)
        #expect(harness.driver.readyState == .closed, sourceLocation: sourceLocation)
        harness.parse(client ? Bytes.unmasked(0x81, Self.hello) : Bytes.masked(0x81, Self.hello))
        harness.parse(client ? Bytes.unmasked(0x89, []) : Bytes.masked(0x89, []))
        #expect(harness.events.count == earlier.count + 2, sourceLocation: sourceLocation)
        #expect(harness.written.isEmpty, sourceLocation: sourceLocation)
        #expect(harness.driver.text("x") == false, sourceLocation: sourceLocation)
    }

    // MARK: Data frames

    @Test func rfcSingleFrameUnmaskedText() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("81 05 48 65 6c 6c 6f"))
        #expect(client.events == [.message(.text("Hello"))])
    }

    @Test func rfcSingleFrameMaskedText() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
        #expect(server.events == [.message(.text("Hello"))])
        #expect(Bytes.masked(0x81, Self.hello, key: Self.rfcKey) == Bytes.hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
    }

    @Test func rfcFragmentedUnmaskedText() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("01 03 48 65 6c"))
        #expect(client.events.isEmpty)
        client.parse(Bytes.hex("80 02 6c 6f"))
        #expect(client.events == [.message(.text("Hello"))])
    }

    @Test func binaryFrame() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.unmasked(0x82, Self.hello))
        #expect(client.events == [.message(.binary(Self.hello))])
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x82, [0, 0xFF, 0x80, 0xC0]))
        #expect(server.events == [.message(.binary([0, 0xFF, 0x80, 0xC0]))])
    }

    @Test func twoFramesInOneChunk() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.unmasked(0x81, Self.hello) + Bytes.unmasked(0x81, Self.hello))
        #expect(client.events == [.message(.text("Hello")), .message(.text("Hello"))])
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x81, Self.hello) + Bytes.masked(0x82, Self.hello, key: [9, 8, 7, 6]))
        #expect(server.events == [.message(.text("Hello")), .message(.binary(Self.hello))])
    }

    @Test func emptyFrames() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("81 00 82 00"))
        #expect(client.events == [.message(.text("")), .message(.binary([]))])
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x81, []))
        server.parse(Bytes.hex("82 80 01 02 03 04"))
        #expect(server.events == [.message(.text("")), .message(.binary([]))])
    }

    @Test func emptyFragments() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("01 00 00 00 00 02 48 69 00 00 80 00"))
        #expect(client.events == [.message(.text("Hi"))])
    }

    @Test func maskedFragmentedText() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x01, Bytes.text("Hel"), key: Self.rfcKey))
        server.parse(Bytes.masked(0x00, Bytes.text("l"), key: [1, 2, 3, 4]))
        server.parse(Bytes.masked(0x80, Bytes.text("o"), key: [5, 6, 7, 8]))
        #expect(server.events == [.message(.text("Hello"))])
    }

    @Test func fragmentedBinary() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.unmasked(0x02, [1, 2]) + Bytes.unmasked(0x00, [3]) + Bytes.unmasked(0x80, [4, 5]))
        #expect(client.events == [.message(.binary([1, 2, 3, 4, 5]))])
    }

    @Test func multibyteText() throws {
        let text = "Apple = \u{F8FF}"
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("81 0b 41 70 70 6c 65 20 3d 20 ef a3 bf"))
        #expect(client.events == [.message(.text(text))])
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x81, Bytes.text(text)))
        #expect(server.events == [.message(.text(text))])
    }

    @Test func frameSplitOverTwoChunks() throws {
        let client = try DriverHarness.openClient()
        let frame = Bytes.unmasked(0x81, Self.hello)
        client.parse(Array(frame[0..<3]))
        #expect(client.events.isEmpty)
        client.parse(Array(frame[3...]))
        #expect(client.events == [.message(.text("Hello"))])
    }

    @Test func fragmentsSplitInsideAMultibyteCharacter() throws {
        // "Apple = " + U+F8FF (ef a3 bf), cut between a3 and bf across two fragments.
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("01 0a 41 70 70 6c 65 20 3d 20 ef a3"))
        client.parse(Bytes.hex("80 01 bf"))
        #expect(client.events == [.message(.text("Apple = \u{F8FF}"))])
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x01, Bytes.hex("41 70 70 6c 65 20 3d 20 ef")))
        server.parse(Bytes.masked(0x80, Bytes.hex("a3 bf"), key: Self.rfcKey))
        #expect(server.events == [.message(.text("Apple = \u{F8FF}"))])
    }

    @Test func mediumLength() throws {
        let text = String(repeating: "Hello", count: 40)
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("81 7e 00 c8") + Bytes.text(text))
        #expect(client.events == [.message(.text(text))])
        let server = DriverHarness.openServer()
        let frame = Bytes.masked(0x81, Bytes.text(text))
        #expect(Array(frame[0..<4]) == Bytes.hex("81 fe 00 c8"))
        server.parse(frame)
        #expect(server.events == [.message(.text(text))])
    }

    @Test func rfc256ByteBinary() throws {
        let payload = (0..<256).map { UInt8($0) }
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("82 7e 01 00") + payload)
        #expect(client.events == [.message(.binary(payload))])
        let server = DriverHarness.openServer()
        server.parse(Bytes.hex("82 fe 01 00") + Self.rfcKey + payload.enumerated().map { $1 ^ Self.rfcKey[$0 % 4] })
        #expect(server.events == [.message(.binary(payload))])
    }

    @Test func rfc64KiBBinary() throws {
        var random = SplitMix64(seed: 64)
        let payload = random.bytes(65536)
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("82 7f 00 00 00 00 00 01 00 00") + payload)
        #expect(client.events == [.message(.binary(payload))])
        let server = DriverHarness.openServer()
        let frame = Bytes.masked(0x82, payload, key: Self.rfcKey)
        #expect(Array(frame[0..<14]) == Bytes.hex("82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d"))
        server.parse(frame)
        #expect(server.events == [.message(.binary(payload))])
    }

    @Test func nonMinimalLengthsAreAccepted() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("81 7e 00 05") + Self.hello)
        client.parse(Bytes.hex("81 7f 00 00 00 00 00 00 00 05") + Self.hello)
        client.parse(Bytes.hex("89 7e 00 02 4f 4b"))
        #expect(client.events == [.message(.text("Hello")), .message(.text("Hello")), .ping(Bytes.text("OK"))])
    }

    @Test func everyMaskingKeyOffsetUnmasks() {
        // Payload lengths around the 8- and 32-byte unmasking strides, masked with a key whose
        // bytes are all different, fed in pieces so that every key offset starts a piece.
        var random = SplitMix64(seed: 7)
        for length in [1, 3, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129] {
            let payload = random.bytes(length)
            let frame = Bytes.masked(0x82, payload, key: [0xA1, 0xB2, 0xC3, 0xD4])
            for split in 1...4 {
                let server = DriverHarness.openServer()
                var index = 0
                while index < frame.count {
                    let size = min(split + index % 3, frame.count - index)
                    server.parse(Array(frame[index..<(index + size)]))
                    index += size
                }
                #expect(server.events == [.message(.binary(payload))], "length \(length), split \(split)")
            }
        }
    }

    @Test func anySequenceOfBytesCanBeParsed() {
        let server = DriverHarness.openServer()
        // Not contiguous storage: the driver copies it.
        server.driver.parse(Bytes.masked(0x81, Self.hello).lazy.map { $0 })
        server.driver.parse(Bytes.masked(0x81, Self.hello)[...])
        #expect(server.events == [.message(.text("Hello")), .message(.text("Hello"))])
        server.driver.parse([UInt8]())
        #expect(server.events.count == 2)
    }

    @Test func largeMaskedMessageInOneChunk() {
        var random = SplitMix64(seed: 99)
        let payload = random.bytes(200_000)
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x82, payload, key: [0xFF, 0x00, 0x55, 0xAA]))
        #expect(server.events == [.message(.binary(payload))])
    }

    // MARK: Control frames between fragments

    @Test func pingBetweenFragments() throws {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x01, Bytes.text("Hel")))
        server.parse(Bytes.masked(0x89, Bytes.text("ping")))
        // Answered at once, before the message is complete.
        #expect(server.takeFrames() == [WireFrame(opcode: 10, payload: Bytes.text("ping"))])
        #expect(server.events == [.ping(Bytes.text("ping"))])
        server.parse(Bytes.masked(0x8A, Bytes.text("pong")) + Bytes.masked(0x80, Bytes.text("lo")))
        #expect(server.events == [.ping(Bytes.text("ping")), .pong(Bytes.text("pong")), .message(.text("Hello"))])
    }

    @Test func closeBetweenFragmentsDropsTheMessage() throws {
        let client = try DriverHarness.openClient()
        client.parse(
            Bytes.unmasked(0x01, Bytes.text("Hel")) + Bytes.hex("88 02 03 e8") + Bytes.unmasked(0x80, Bytes.text("lo")))
        #expect(client.events == [.close(1000, "")])
        #expect(client.takeFrames()?.map { $0.sameContent(as: .close(1000, masked: true)) } == [true])
    }

    // MARK: Errors, in header order

    @Test func reservedBits() throws {
        for (first, bits) in [
            (0xC1, "1, reserved2 = 0, reserved3 = 0"), (0xA1, "0, reserved2 = 1, reserved3 = 0"),
            (0x91, "0, reserved2 = 0, reserved3 = 1"), (0xF2, "1, reserved2 = 1, reserved3 = 1"),
            (0xC9, "1, reserved2 = 0, reserved3 = 0"),
        ] as [(UInt8, String)] {
            try expectFailure(
                Bytes.masked(first, Self.hello), code: 1002,
                message: "One or more reserved bits are on: reserved1 = \(bits)")
            try expectFailure(
                Bytes.unmasked(first, Self.hello), code: 1002,
                message: "One or more reserved bits are on: reserved1 = \(bits)", client: true)
        }
    }

    @Test func reservedBitsAreCheckedBeforeTheOpcode() throws {
        try expectFailure(
            [0xC3], code: 1002, message: "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0"
        )
    }

    @Test func unknownOpcodes() throws {
        for opcode in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] as [UInt8] {
            try expectFailure(
                Bytes.masked(0x80 | opcode, Self.hello), code: 1002, message: "Unrecognized frame opcode: \(opcode)")
        }
        try expectFailure(
            Bytes.hex("83 05") + Self.hello, code: 1002, message: "Unrecognized frame opcode: 3", client: true)
    }

    @Test func unknownOpcodeWritesTheRubyBytes() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x83, Self.hello))
        #expect(server.written == Bytes.hex("88 1e 03 ea") + Bytes.text("Unrecognized frame opcode: 3"))
    }

    @Test func errorsFireAsSoonAsTheByteArrives() {
        // Only the first byte of the header has arrived.
        let server = DriverHarness.openServer()
        server.parse([0x83])
        #expect(server.events.count == 2)
        let rsv = DriverHarness.openServer()
        rsv.parse([0xC1])
        #expect(rsv.events.count == 2)
        // The second byte decides masking.
        let unmasked = DriverHarness.openServer()
        unmasked.parse([0x81])
        #expect(unmasked.events.isEmpty)
        unmasked.parse([0x05])
        #expect(unmasked.events.count == 2)
    }

    @Test func unknownOpcodeIsCheckedBeforeFragmentation() throws {
        try expectFailure([0x03], code: 1002, message: "Unrecognized frame opcode: 3")
    }

    @Test func fragmentedControlFrames() throws {
        for opcode in [8, 9, 10] as [UInt8] {
            try expectFailure(
                Bytes.masked(opcode, []), code: 1002, message: "Received fragmented control frame: opcode = \(opcode)")
        }
        // Also in the middle of a fragmented message.
        try expectFailure(
            Bytes.masked(0x01, Self.hello) + Bytes.masked(0x09, []), code: 1002,
            message: "Received fragmented control frame: opcode = 9")
    }

    @Test func newDataFrameInsideAFragmentedMessage() throws {
        let message = "Received new data frame but previous continuous frame is unfinished"
        try expectFailure(Bytes.masked(0x01, Self.hello) + Bytes.masked(0x81, Self.hello), code: 1002, message: message)
        try expectFailure(Bytes.masked(0x02, Self.hello) + Bytes.masked(0x01, Self.hello), code: 1002, message: message)
        try expectFailure(
            Bytes.unmasked(0x01, Self.hello) + Bytes.unmasked(0x82, Self.hello), code: 1002, message: message,
            client: true)
    }

    @Test func continuationWithoutAMessage() throws {
        let message = "Received unexpected continuation frame"
        try expectFailure(Bytes.masked(0x80, Self.hello), code: 1002, message: message)
        try expectFailure(Bytes.masked(0x00, Self.hello), code: 1002, message: message)
        // After a complete message.
        try expectFailure(
            Bytes.masked(0x81, Self.hello) + Bytes.masked(0x80, Self.hello), code: 1002, message: message,
            after: [.message(.text("Hello"))])
        try expectFailure(
            Bytes.masked(0x01, Self.hello) + Bytes.masked(0x80, Self.hello) + Bytes.masked(0x00, Self.hello),
            code: 1002, message: message, after: [.message(.text("HelloHello"))])
        // Found from the first byte, before the payload arrives.
        let server = DriverHarness.openServer()
        server.parse([0x80])
        #expect(server.events == [.error(message), .close(1002, message)])
    }

    @Test func unmaskedFrameAtAServer() throws {
        let message = "Received unmasked frame but masking is required"
        try expectFailure(Bytes.unmasked(0x81, Self.hello), code: 1002, message: message)
        try expectFailure(Bytes.unmasked(0x89, []), code: 1002, message: message)
        try expectFailure(Bytes.hex("88 00"), code: 1002, message: message)
        // Masking is checked before the length.
        try expectFailure(Bytes.hex("82 7f 80 00 00 00 00 00 00 00"), code: 1002, message: message)
        var options = DriverOptions()
        options.maxLength = 2
        try expectFailure(Bytes.unmasked(0x81, Self.hello), code: 1002, message: message, options: options)
        try expectFailure(Bytes.hex("89 7e 00 7e"), code: 1002, message: message)
    }

    @Test func unmaskedFrameEmitsNoMessage() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.unmasked(0x81, Self.hello))
        #expect(server.messages.isEmpty)
    }

    @Test func maskedFrameAtAClient() throws {
        let message = "Received masked frame but masking is forbidden from a server"
        try expectFailure(Bytes.masked(0x81, Self.hello), code: 1002, message: message, client: true)
        try expectFailure(Bytes.masked(0x8A, []), code: 1002, message: message, client: true)
    }

    @Test func controlFrameTooLong() throws {
        try expectFailure(
            Bytes.masked(0x89, [UInt8](repeating: 0x41, count: 126)), code: 1002,
            message: "Received control frame having too long payload: 126")
        try expectFailure(
            Bytes.hex("88 ff 00 00 00 00 00 01 00 00"), code: 1002,
            message: "Received control frame having too long payload: 65536")
        try expectFailure(
            Bytes.hex("8a 7e 00 7e"), code: 1002, message: "Received control frame having too long payload: 126",
            client: true)
        // 125 is fine.
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x89, [UInt8](repeating: 0x41, count: 125)))
        #expect(server.events == [.ping([UInt8](repeating: 0x41, count: 125))])
    }

    @Test func controlFrameLengthIsCheckedBeforeMaxLength() throws {
        var options = DriverOptions()
        options.maxLength = 10
        try expectFailure(
            Bytes.masked(0x89, [UInt8](repeating: 0x41, count: 126)), code: 1002,
            message: "Received control frame having too long payload: 126", options: options)
    }

    @Test func lengthWithTheMostSignificantBitSet() throws {
        let message = "Received frame length with the most significant bit set"
        try expectFailure(Bytes.hex("82 ff 80 00 00 00 00 00 00 00"), code: 1002, message: message)
        try expectFailure(Bytes.hex("82 7f ff ff ff ff ff ff ff ff"), code: 1002, message: message, client: true)
        // On a control frame too: the length's MSB is checked first.
        try expectFailure(Bytes.hex("89 ff 80 00 00 00 00 00 00 05"), code: 1002, message: message)
    }

    @Test func hugeLengthIsTooLarge() throws {
        // Ruby's 2^30 example: over the default maxLength.
        try expectFailure(
            Bytes.hex("81 7f 00 00 00 00 40 00 00 00"), code: 1009, message: "WebSocket frame length too large",
            client: true)
        try expectFailure(
            Bytes.hex("81 ff 7f ff ff ff ff ff ff ff"), code: 1009, message: "WebSocket frame length too large")
    }

    @Test func invalidUTF8Text() throws {
        try expectFailure(
            Bytes.masked(0x81, [0x48, 0xFF]), code: 1007, message: "Could not decode a text frame as UTF-8")
        try expectFailure(
            Bytes.unmasked(0x81, [0xED, 0xA0, 0x80]), code: 1007, message: "Could not decode a text frame as UTF-8",
            client: true)
    }

    // MARK: After failing or closing

    @Test func failureWhileClosingWritesNothing() throws {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        server.parse(Bytes.masked(0x83, []))
        let message = "Unrecognized frame opcode: 3"
        #expect(server.events == [.error(message), .close(1002, message)])
        #expect(server.written.isEmpty)
        #expect(server.driver.readyState == .closed)
    }

    @Test func messagesStillArriveWhileClosing() throws {
        let client = try DriverHarness.openClient()
        client.driver.close()
        _ = client.takeWritten()
        client.parse(Bytes.unmasked(0x81, Self.hello) + Bytes.unmasked(0x82, [1]))
        #expect(client.events == [.message(.text("Hello")), .message(.binary([1]))])
        #expect(client.driver.readyState == .closing)
    }

    @Test func longFailureReasonsAreTruncatedInTheCloseFrame() throws {
        // An extension error's text can exceed what a close frame holds.
        var options = DriverOptions()
        let log = ExtensionLog()
        try options.extensions.add(TestExtension(name: "x-" + String(repeating: "n", count: 150), log: log))
        let server = DriverHarness { Driver.server(options: options, output: $0) }
        server.driver.start()
        server.parse(
            upgradeRequest(extraHeaders: ["Sec-WebSocket-Extensions: x-" + String(repeating: "n", count: 150)]))
        _ = server.takeWritten()
        _ = server.takeEvents()
        server.parse(Bytes.masked(0xC1, Array("boom".utf8.reversed())))
        let message = "x-" + String(repeating: "n", count: 150) + ": boom"
        #expect(server.events == [.error(message), .close(1010, message)])
        let frames = try #require(server.takeFrames())
        #expect(frames.count == 1)
        #expect(frames.first?.payload == [0x03, 0xF2] + Array(message.utf8.prefix(123)))
    }
}
