import Testing

@testable import WebSocketExtensions

@Suite("Opcode")
struct OpcodeTests {
    @Test("the named opcodes have their RFC 6455 values")
    func values() {
        #expect(Opcode.continuation.rawValue == 0x0)
        #expect(Opcode.text.rawValue == 0x1)
        #expect(Opcode.binary.rawValue == 0x2)
        #expect(Opcode.close.rawValue == 0x8)
        #expect(Opcode.ping.rawValue == 0x9)
        #expect(Opcode.pong.rawValue == 0xA)
    }

    @Test("raw values above 15 are refused")
    func rawValueRange() {
        for value in UInt8(0)...15 { #expect(Opcode(rawValue: value)?.rawValue == value) }
        #expect(Opcode(rawValue: 16) == nil)
        #expect(Opcode(rawValue: 0xFF) == nil)
        #expect(Opcode(rawValue: 1) == .text)
    }

    @Test("a header byte gives its low four bits")
    func headerByte() {
        #expect(Opcode(headerByte: 0x81) == .text)
        #expect(Opcode(headerByte: 0xC2) == .binary)
        #expect(Opcode(headerByte: 0x89) == .ping)
        #expect(Opcode(headerByte: 0x7F).rawValue == 0xF)
        #expect(Opcode(headerByte: 0x00) == .continuation)
    }

    @Test("control, data and reserved classification", arguments: UInt8(0)...15)
    func classification(value: UInt8) throws {
        let opcode = try #require(Opcode(rawValue: value))
        #expect(opcode.isControl == (value >= 8))
        #expect(opcode.isData == (value == 1 || value == 2))
        #expect(opcode.isReserved == ![0, 1, 2, 8, 9, 10].contains(value))
    }

    @Test("descriptions")
    func descriptions() {
        #expect(Opcode.continuation.description == "continuation")
        #expect(Opcode.text.description == "text")
        #expect(Opcode.binary.description == "binary")
        #expect(Opcode.close.description == "close")
        #expect(Opcode.ping.description == "ping")
        #expect(Opcode.pong.description == "pong")
        #expect(Opcode(headerByte: 0x3).description == "reserved(3)")
        #expect(Opcode(headerByte: 0xB).description == "reserved(11)")
    }
}

@Suite("ReservedBits")
struct ReservedBitsTests {
    @Test("the bits sit at their header-byte positions")
    func positions() {
        #expect(ReservedBits.rsv1.rawValue == 0x40)
        #expect(ReservedBits.rsv2.rawValue == 0x20)
        #expect(ReservedBits.rsv3.rawValue == 0x10)
        #expect(ReservedBits.all.rawValue == 0x70)
        #expect(ReservedBits(rawValue: 0xC1 & 0x70) == .rsv1)
        #expect(ReservedBits(rawValue: 0xF2 & 0x70) == .all)
    }

    @Test("set operations")
    func setOperations() {
        var bits: ReservedBits = [.rsv1]
        bits.insert(.rsv3)
        #expect(bits == ReservedBits(rawValue: 0x50))
        #expect(bits.contains(.rsv3))
        #expect(!bits.contains(.rsv2))
        #expect(bits.intersection(.rsv3) == .rsv3)
        #expect(bits.isDisjoint(with: .rsv2))
        #expect(ReservedBits().isEmpty)
    }

    @Test("only RSV1, RSV2 and RSV3 are valid")
    func validity() {
        for raw in UInt8(0)...255 {
            #expect(ReservedBits(rawValue: raw).isValid == (raw & 0x8F == 0))
        }
    }

    @Test("descriptions")
    func descriptions() {
        #expect(ReservedBits().description == "none")
        #expect(ReservedBits.rsv1.description == "RSV1")
        #expect(ReservedBits.rsv2.description == "RSV2")
        #expect(ReservedBits.rsv3.description == "RSV3")
        #expect(ReservedBits([.rsv1, .rsv3]).description == "RSV1+RSV3")
        #expect(ReservedBits.all.description == "RSV1+RSV2+RSV3")
    }
}

@Suite("Frame and Message")
struct FrameAndMessageTests {
    @Test("a frame defaults to final, no bits, empty payload")
    func frameDefaults() {
        let frame = Frame(opcode: .ping)
        #expect(frame.isFinal)
        #expect(frame.reservedBits == [])
        #expect(frame.opcode == .ping)
        #expect(frame.payload == [])
        #expect(Frame(isFinal: false, reservedBits: .rsv1, opcode: .text, payload: [1]) != frame)
    }

    @Test("a message defaults to no bits")
    func messageDefaults() {
        let message = Message(opcode: .text, payload: Array("hi".utf8))
        #expect(message.reservedBits == [])
        #expect(message.opcode == .text)
        #expect(message.text == "hi")
        var changed = message
        changed.reservedBits = .rsv1
        #expect(changed != message)
    }
}

@Suite("Error descriptions")
struct ErrorDescriptionTests {
    @Test(
        "every ExtensionError case has a readable message without the Ruby typos",
        arguments: [
            (
                ExtensionError.malformedHeader(.malformed(excerpt: "a,", position: 2, expected: "x")),
                "Invalid Sec-WebSocket-Extensions header: a, (at byte 2: expected x)"
            ),
            (
                ExtensionError.invalidParameters(extension: "x", .invalidName("a b")),
                #"Extension "x" generated invalid parameters: Invalid Sec-WebSocket-Extensions name: "a b" is not a token"#
            ),
            (
                ExtensionError.unknownExtension("xml"),
                #"Server sent an extension response for unknown extension "xml""#
            ),
            (
                ExtensionError.duplicateResponse("x"),
                #"Server sent more than one extension response for "x""#
            ),
            (
                ExtensionError.reservedBitConflict(.rsv1, first: "a", second: "b"),
                #"Server sent two extension responses that use the RSV1 bit: "a" and "b""#
            ),
            (
                ExtensionError.parametersRejected(extension: "x", parameters: "x; y=1", reason: "no"),
                "Server sent unacceptable extension parameters: x; y=1 (x: no)"
            ),
            (
                ExtensionError.messageTooLarge(extension: "permessage-deflate", limit: 10),
                "permessage-deflate: message exceeds the maximum length of 10 bytes"
            ),
            (
                ExtensionError.processingFailed(extension: "permessage-deflate", reason: "invalid block type"),
                "permessage-deflate: invalid block type"
            ),
            (ExtensionError.pipelineClosed, "The extension pipeline is closed"),
        ]
    )
    func extensionErrors(error: ExtensionError, message: String) {
        #expect(error.description == message)
        #expect(!message.contains("am extension"))
        #expect(!message.contains("Server send "))
        #expect(!message.contains("RSV1bit"))
    }

    @Test("ExtensionMessageTooLarge describes its limit")
    func tooLarge() {
        #expect(ExtensionMessageTooLarge(limit: 5).description == "message exceeds the maximum length of 5 bytes")
        #expect(ExtensionMessageTooLarge(limit: 5) == ExtensionMessageTooLarge(limit: 5))
    }
}
