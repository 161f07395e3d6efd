import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// `releaseIdleState()`: the zlib streams of an idle session end and only their windows stay;
/// the next message restores them, so context takeover loses nothing, with the bytes on the wire
/// as the proof (a repeated message is still a back-reference a fresh peer could not inflate).
@Suite("Idle release of zlib state")
struct IdleReleaseTests {
    /// A 1 KiB chat-like message, compressible but not trivially.
    private static func chat(_ seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return Payloads.text(count: 1024, using: &generator)
    }

    @Test("Compressing the same message after a release gives a back-reference, as without a release")
    func deflateSideBackReference() throws {
        let message = Self.chat(1)
        let released = try activatedClient()
        let kept = try activatedClient()
        let first = try released.processOutgoingMessage(Message(opcode: .text, payload: message))
        _ = try kept.processOutgoingMessage(Message(opcode: .text, payload: message))
        released.releaseIdleState()
        #expect(!released.codec.hasDeflateStream)
        // Exactly the bytes compressed so far: the window is not padded to 32 KiB.
        #expect(released.codec.savedWindowBytes == message.count)
        let second = try released.processOutgoingMessage(Message(opcode: .text, payload: message))
        let secondKept = try kept.processOutgoingMessage(Message(opcode: .text, payload: message))
        #expect(released.codec.hasDeflateStream && released.codec.savedWindowBytes == 0)
        // A repeated 1 KiB message is one match (a few bytes), against hundreds the first time.
        #expect(first.payload.count > 300)
        #expect(second.payload.count < 16, "\(second.payload.count) bytes")
        #expect(second.payload.count == secondKept.payload.count)

        // A peer that saw the first message inflates the second; a fresh one cannot (the
        // second refers back into the first).
        let peer = try ReferenceInflater(windowBits: 15)
        #expect(peer.inflate(first.payload) == message)
        #expect(peer.inflate(second.payload) == message)
        let fresh = try ReferenceInflater(windowBits: 15)
        #expect(fresh.inflate(second.payload) != message)
    }

    @Test("Inflating a back-reference after a release works: the window came back")
    func inflateSideBackReference() throws {
        let message = Self.chat(2)
        let deflater = try ReferenceDeflater(level: 6)
        let first = deflater.message(message)
        let second = deflater.message(message)
        #expect(second.count < 16)
        let session = try activatedClient()
        #expect(try session.processIncomingMessage(compressedMessage(first), maxLength: 1 << 20).payload == message)
        session.releaseIdleState()
        #expect(!session.codec.hasInflateStream)
        #expect(session.codec.savedWindowBytes == message.count)
        #expect(try session.processIncomingMessage(compressedMessage(second), maxLength: 1 << 20).payload == message)
        #expect(session.codec.hasInflateStream && session.codec.savedWindowBytes == 0)
        #expect(session.codec.inflateStreamsCreated == 2)
    }

    @Test("Released and restored sessions talk to a peer that never releases, over many rounds")
    func interopWithFreshPeer() throws {
        let connection = try Connection(client: PermessageDeflate(), server: PermessageDeflate())
        defer { connection.close() }
        let messages = Payloads.mixed(seed: 3, messages: 40, maximumSize: 40_000)
        for (index, payload) in messages.enumerated() {
            let message = Message(opcode: .binary, payload: payload)
            #expect(try connection.clientSends(message).received.payload == payload)
            #expect(try connection.serverSends(message).received.payload == payload)
            // The server releases after every other message; the client never does.
            if index.isMultiple(of: 2) { connection.server.releaseIdleState() }
        }
    }

    @Test("The saved windows never exceed 2^windowBits each")
    func windowBound() throws {
        let session = try activatedClient()
        let kept = try activatedClient()
        var generator = SplitMix64(seed: 4)
        let large = Payloads.text(count: 100_000, using: &generator)
        _ = try session.processOutgoingMessage(Message(opcode: .binary, payload: large))
        _ = try kept.processOutgoingMessage(Message(opcode: .binary, payload: large))
        let deflater = try ReferenceDeflater(level: 6)
        _ = try session.processIncomingMessage(compressedMessage(deflater.message(large)), maxLength: 1 << 20)
        session.releaseIdleState()
        #expect(session.codec.savedWindowBytes <= 2 << 15)
        #expect(session.codec.savedWindowBytes > 2 * 30_000)
        // The last 20,000 bytes again: within the window, so mostly matches, as without a release.
        let tail = Message(opcode: .binary, payload: Array(large.suffix(20_000)))
        let again = try session.processOutgoingMessage(tail)
        let keptAgain = try kept.processOutgoingMessage(tail)
        let fresh = try activatedClient().processOutgoingMessage(tail)
        #expect(again.payload.count < fresh.payload.count / 2, "\(again.payload.count) vs \(fresh.payload.count)")
        #expect(abs(again.payload.count - keptAgain.payload.count) <= 16)
    }

    @Test("A large message inflates with no limit at all (Int.max): the output keeps doubling")
    func unlimitedInflate() throws {
        var generator = SplitMix64(seed: 7)
        let large = Payloads.text(count: 3 << 20, using: &generator)
        let inflater = try Inflater(windowBits: 15)
        let compressed = try ReferenceDeflater(level: 6).message(large)
        #expect(try inflater.inflate(compressed, limit: Int.max) == large)
        #expect(inflater.largestOutputCapacity < 2 * large.count + 4096)
    }

    @Test("Releasing a session with no stream, twice, or after close changes nothing")
    func harmlessCalls() throws {
        let session = try activatedClient()
        session.releaseIdleState()
        #expect(session.codec.savedWindowBytes == 0 && session.codec.deflateStreamsCreated == 0)
        let message = Self.chat(5)
        _ = try session.processOutgoingMessage(Message(opcode: .text, payload: message))
        session.releaseIdleState()
        session.releaseIdleState()
        #expect(session.codec.savedWindowBytes == message.count)
        session.close()
        session.releaseIdleState()
        #expect(session.codec.savedWindowBytes == 0)
        #expect(!session.codec.hasDeflateStream && !session.codec.hasInflateStream)
    }

    @Test("Without context takeover there is nothing to keep")
    func noContextTakeover() throws {
        let session = try activatedClient(
            try PermessageDeflate(noContextTakeover: true, requestNoContextTakeover: true),
            response: "server_no_context_takeover")
        _ = try session.processOutgoingMessage(Message(opcode: .text, payload: Self.chat(6)))
        session.releaseIdleState()
        #expect(session.codec.savedWindowBytes == 0)
    }

    @Test(
        "zlib versions that can hand a window over",
        arguments: [
            ("1.2.8", false), ("1.2.9", true), ("1.2.13", true), ("1.3", true), ("1.3.1.1-motley", true),
            ("1.2", false), ("0.9.9", false), ("2.0.0", true), ("", false),
        ])
    func versionCheck(version: String, supported: Bool) {
        #expect(ZlibStream.isAtLeastWindowExportVersion(version) == supported)
    }

    @Test("The zlib this runs with can hand a window over")
    func runtimeZlib() {
        #expect(ZlibStream.supportsWindowExport)
    }
}
