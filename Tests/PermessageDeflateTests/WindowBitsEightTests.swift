import CZlib
import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// zlib cannot deflate with an 8-bit window (it refuses raw 8 and would use 9). When 8 is
/// negotiated for our direction the compressor runs with 9 bits and run-length matching, whose
/// matches are one byte back at most; these tests inflate its output with a 256-byte window.
@Suite("Window bits 8")
struct WindowBitsEightTests {
    /// Text with repeats far beyond 256 bytes, so that any longer match would show.
    private static let messages: [[UInt8]] = {
        var generator = SplitMix64(seed: 8)
        return (0..<300).map { index in
            let size = [40, 300, 700, 2000, 9000][index % 5]
            return Payloads.text(count: size, using: &generator) + Payloads.runs(count: size / 4, using: &generator)
        }
    }()

    @Test("zlib refuses a raw 8-bit deflate window, so 8 must be emulated")
    func zlibRefusesEight() throws {
        #expect(throws: PermessageDeflate.ProcessingError.self) {
            try Deflater(settings: .init(level: 6, windowBits: 8, memoryLevel: 8, strategy: .default))
        }
    }

    @Test(
        "With 8 negotiated, every message inflates with an 8-bit window, with context takeover",
        arguments: PermessageDeflate.Strategy.allCases
    )
    func clientOutputFitsEightBits(strategy: PermessageDeflate.Strategy) throws {
        let configuration = try PermessageDeflate(strategy: strategy, maxWindowBits: 8, compressionThreshold: 0)
        let session = try activatedClient(configuration, response: "client_max_window_bits=8")
        #expect(session.codec.deflaterSettings.windowBits == 9)
        #expect(session.codec.deflaterSettings.strategy.keepsMatchesWithinOneByte)
        let reference = try ReferenceInflater(windowBits: 8)
        for message in Self.messages {
            let wire = try session.processOutgoingMessage(Message(opcode: .binary, payload: message))
            #expect(reference.inflate(wire.payload) == message)
        }
        #expect(session.codec.deflateStreamsCreated == 1)
    }

    @Test("A server asked for server_max_window_bits=8 answers 8 and stays within it")
    func serverOutputFitsEightBits() throws {
        let client = try PermessageDeflate(requestMaxWindowBits: 8, compressionThreshold: 0)
        let server = try PermessageDeflate(compressionThreshold: 0)
        let connection = try Connection(client: client, server: server)
        defer { connection.close() }
        #expect(connection.responseHeader == "permessage-deflate; server_max_window_bits=8")
        let reference = try ReferenceInflater(windowBits: 8)
        for message in Self.messages.prefix(100) {
            let (wire, received) = try connection.serverSends(Message(opcode: .binary, payload: message))
            #expect(received.payload == message)
            #expect(reference.inflate(wire.payload) == message)
        }
    }

    @Test("A server limited to 8 bits by its own option stays within them without announcing it")
    func serverSilentLimit() throws {
        let server = try PermessageDeflate(maxWindowBits: 8, compressionThreshold: 0)
        let connection = try Connection(client: PermessageDeflate(), server: server)
        defer { connection.close() }
        #expect(connection.responseHeader == "permessage-deflate")
        let reference = try ReferenceInflater(windowBits: 8)
        for message in Self.messages.prefix(60) {
            let (wire, received) = try connection.serverSends(Message(opcode: .text, payload: message))
            #expect(received.payload == message)
            #expect(reference.inflate(wire.payload) == message)
        }
    }

    @Test("Control: output of a 15-bit window does not inflate with 8 bits, so the check has teeth")
    func controlWideWindowFails() throws {
        let session = try activatedClient(try PermessageDeflate(compressionThreshold: 0))
        let reference = try ReferenceInflater(windowBits: 8)
        var failures = 0
        for message in Self.messages.prefix(20) {
            let wire = try session.processOutgoingMessage(Message(opcode: .binary, payload: message))
            if reference.inflate(wire.payload) != message { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test("Inflating with 8 negotiated uses a 9-bit window, which accepts what 8-bit peers send")
    func inflateWithEight() throws {
        let session = try activatedClient(response: "server_max_window_bits=8")
        #expect(session.codec.inflateWindowBits == 9)
        let peer = try ReferenceDeflater(windowBits: 9, level: 9, strategy: Z_RLE)
        for message in Self.messages.prefix(100) {
            let received = try session.processIncomingMessage(
                compressedMessage(peer.message(message)), maxLength: Int.max)
            #expect(received.payload == message)
        }
    }
}
