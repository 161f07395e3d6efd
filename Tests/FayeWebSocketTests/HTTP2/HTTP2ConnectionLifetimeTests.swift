import FayeTestSupport
import NIOCore
import Testing

@testable import FayeWebSocket

/// How an HTTP/2 connection of the embedded server ends when nobody uses it, or when the server
/// shuts down (GOAWAY, RFC 9113 §6.8), and the header count bound on its requests; frame by
/// frame on an async-testing channel with virtual time.
@Suite("HTTP/2: idle connections, GOAWAY and header counts")
struct HTTP2ConnectionLifetimeTests {
    typealias Wire = H2Wire

    /// The last stream ID a GOAWAY names.
    static func lastStreamID(_ frame: H2Wire.Frame) -> UInt32? {
        guard frame.type == Wire.FrameType.goAway.rawValue, frame.payload.count >= 8 else { return nil }
        return frame.payload[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
    }

    static func isGoAway(_ frame: H2Wire.Frame) -> Bool { frame.type == Wire.FrameType.goAway.rawValue }

    /// Waits for the first GOAWAY (naming every stream) and the PING behind it, and answers the PING.
    static func acknowledgeFirstGoAway(_ session: H2Session) async throws {
        let first = try await session.next("the first GOAWAY") { isGoAway($0) }
        #expect(lastStreamID(first) == 0x7FFF_FFFF)
        #expect(first.errorCode == 0)  // NO_ERROR
        let ping = try await session.next("the PING after the GOAWAY") {
            $0.type == Wire.FrameType.ping.rawValue && $0.flags & Wire.ack == 0
        }
        try await session.send(Wire.frame(.ping, flags: Wire.ack, stream: 0, ping.payload))
    }

    @Test("a connection without streams is ended after the idle timeout: GOAWAY and PING, then the close")
    func idleConnection() async throws {
        let (session, _) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.idleTimeout = .seconds(10) })
        await session.server.advance(by: .seconds(9))
        #expect(try session.takeFrames(stream: 0).allSatisfy { !Self.isGoAway($0) })
        #expect(session.server.isActive)
        await session.server.advance(by: .seconds(1))
        try await Self.acknowledgeFirstGoAway(session)
        // With no stream open the connection closes at the PING's ACK (NIO's handler closes before
        // its second GOAWAY is flushed: the first, naming every stream, already said all).
        try await eventually("the idle connection closes") { !session.server.isActive }
        #expect(session.server.closedAfter == .seconds(10))
        await session.server.finish()
    }

    @Test("an open stream keeps the connection; the idle time counts from the last stream's end")
    func streamKeepsConnection() async throws {
        let (session, _) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.idleTimeout = .seconds(10) })
        try await session.sendWebSocketConnect(stream: 1)
        _ = try await session.next(.headers, stream: 1)
        let socket = try await session.server.sockets.next(timeout: .seconds(5), "the server's WebSocket")
        await session.server.advance(by: .seconds(30))
        #expect(try session.takeFrames(stream: 0).allSatisfy { !Self.isGoAway($0) })
        try await session.send(Wire.rstStream(stream: 1, code: 0x8))
        #expect(await socket.finalCloseEvent().code == .abnormalClosure)
        await session.server.advance(by: .seconds(9))
        #expect(try session.takeFrames(stream: 0).allSatisfy { !Self.isGoAway($0) })
        await session.server.advance(by: .seconds(1))
        try await Self.acknowledgeFirstGoAway(session)
        try await eventually("the idle connection closes") { !session.server.isActive }
        #expect(session.server.closedAfter == .seconds(40))
        await session.server.finish()
    }

    @Test("without an idle timeout a connection without streams stays open")
    func noIdleTimeout() async throws {
        let (session, _) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.idleTimeout = nil })
        await session.server.advance(by: .hours(1))
        #expect(try session.takeFrames(stream: 0).allSatisfy { !Self.isGoAway($0) })
        #expect(session.server.isActive)
        await session.server.finish()
    }

    @Test("shutting down (ChannelShouldQuiesceEvent): GOAWAY naming the streams served, 1001 on them, then the close")
    func quiesce() async throws {
        let (session, _) = try await H2Session.open()
        try await session.sendWebSocketConnect(stream: 1)
        _ = try await session.next(.headers, stream: 1)
        let socket = try await session.server.sockets.next(timeout: .seconds(5), "the server's WebSocket")
        session.server.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try await Self.acknowledgeFirstGoAway(session)
        let second = try await session.next("the second GOAWAY") { Self.isGoAway($0) }
        #expect(Self.lastStreamID(second) == 1)
        // The WebSocket on the stream served goes away as on any shutdown: a close frame, 1001.
        let closing = try await session.next(.data, stream: 1)
        let frames = WebSocketHandshakes.serverFrames(closing.payload)
        #expect(frames.first?.opcode == 0x8)
        #expect(frames.first.map { Array($0.payload.prefix(2)) } == [0x03, 0xE9])
        #expect(session.server.isActive)
        try await session.send(
            Wire.data(stream: 1, WebSocketHandshakes.maskedFrame(opcode: 0x8, payload: [0x03, 0xE9]), endStream: true))
        #expect(await socket.finalCloseEvent().code == .goingAway)
        try await eventually("the connection closes after its last stream") {
            await session.server.advance(by: .zero)  // NIO closes it on the loop's next tick
            return !session.server.isActive
        }
        await session.server.finish()
    }

    @Test("a request with more header fields than maxHeaderCount is answered 431; the connection goes on")
    func headerCount() async throws {
        let (session, _) = try await H2Session.open(configuration: H2Session.configuration { $0.maxHeaderCount = 3 })
        let pseudo = [(":method", "GET"), (":scheme", "http"), (":path", "/plain"), (":authority", "example.com")]
        try await session.sendHeaders(
            stream: 1, pseudo + [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")], endStream: true)
        #expect(try await session.next(.headers, stream: 1).status == 431)
        try await session.sendHeaders(stream: 3, pseudo + [("a", "1"), ("b", "2"), ("c", "3")], endStream: true)
        #expect(try await session.next(.headers, stream: 3).status == 200)
        await session.server.finish()
    }
}
