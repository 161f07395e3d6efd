import FayeLoopbackSupport
import FayeTestSupport
import NIOCore
import NIOPosix
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

    /// No GOAWAY after `quiet` more of virtual time, then, one second later, the idle close:
    /// GOAWAY and PING, acknowledged, and the connection gone.
    static func expectIdleClose(_ session: H2Session, quietFor quiet: TimeAmount) async throws {
        await session.server.advance(by: quiet)
        #expect(try session.takeFrames(stream: 0).allSatisfy { !isGoAway($0) })
        #expect(session.server.isActive)
        await session.server.advance(by: .seconds(1))
        try await acknowledgeFirstGoAway(session)
        // With no stream open the connection closes at the PING's ACK (NIO's handler closes before
        // its second GOAWAY is flushed: the first, naming every stream, already said all).
        try await eventually("the idle connection closes") { !session.server.isActive }
    }

    @Test("a connection without streams is ended after the idle timeout: GOAWAY and PING, then the close")
    func idleConnection() async throws {
        let (session, _) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.idleTimeout = .seconds(10) })
        try await Self.expectIdleClose(session, quietFor: .seconds(9))
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
        try await Self.expectIdleClose(session, quietFor: .seconds(9))
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

    @Test("FayeServer.shutdown() sends an h2c connection GOAWAY before it closes it (a real server on loopback)")
    func shutdownSendsGoAway() async throws {
        var configuration = FayeServer.Configuration.loopbackForTests()
        configuration.http2.acceptsPriorKnowledge = true
        try await withTestServer(configuration: configuration, responder: { _ in ServerResponse(status: 204) }) {
            server in
            let received = ReceivedBytes()
            let channel = try await ClientBootstrap(group: server.group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(received) }
                }
                .connect(host: "127.0.0.1", port: server.port).get()
            try await channel.writeAndFlush(ByteBuffer(bytes: Wire.preface + Wire.settings()))
            try await eventually("the server's SETTINGS") {
                received.frameTypes().contains(Wire.FrameType.settings.rawValue)
            }
            try await server.server.shutdown()
            #expect(received.frameTypes().contains(Wire.FrameType.goAway.rawValue))
            try await withTimeout("the connection's close") { try await channel.closeFuture.get() }
        }
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

/// What a raw loopback client received, as bytes.
private final class ReceivedBytes: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let bytes = Locked<[UInt8]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0 += buffer.readableBytesView }
    }

    /// The types of the whole HTTP/2 frames received so far, in order.
    func frameTypes() -> [UInt8] {
        let received = bytes.withLock { $0 }
        var types: [UInt8] = []
        var offset = 0
        while received.count - offset >= 9 {
            let length = Int(received[offset]) << 16 | Int(received[offset + 1]) << 8 | Int(received[offset + 2])
            guard received.count - offset >= 9 + length else { break }
            types.append(received[offset + 3])
            offset += 9 + length
        }
        return types
    }
}
