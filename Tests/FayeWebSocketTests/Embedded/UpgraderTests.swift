import FayeTestSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PermessageDeflate
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// Records what reaches the end of an HTTP pipeline: request heads and errors.
private final class HTTPRecorder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    let heads = Locked<[HTTPRequestHead]>([])
    let errors = Locked<[any Error]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { heads.withLock { $0.append(head) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        errors.withLock { $0.append(error) }
    }
}

/// One connection through NIO's own HTTP/1.1 upgrade machinery with our upgrader.
private struct UpgradedConnection {
    let channel: NIOAsyncTestingChannel
    let tap: WireTap
    let recorder: HTTPRecorder
    let sockets: Inbox<WebSocket>
    /// The typed machinery's result.
    let typedResult: EventLoopFuture<WebSocket?>?

    static func connect(typed: Bool, options: WebSocketOptions = WebSocketOptions()) async throws -> Self {
        let channel = NIOAsyncTestingChannel()
        let tap = WireTap()
        let recorder = HTTPRecorder()
        let sockets = Inbox<WebSocket>()
        let upgrader = WebSocketUpgrader(options: options) { socket in
            _ = socket.echoMessages()
            sockets.append(socket)
        }
        let result = try await channel.testingEventLoop.executeInContext { () -> EventLoopFuture<WebSocket?>? in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(tap)
            if typed {
                let configuration = NIOUpgradableHTTPServerPipelineConfiguration(
                    upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration<WebSocket?>(
                        upgraders: [upgrader.mapUpgradeResult { Optional($0) }],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(recorder)
                                return nil
                            }
                        }
                    ))
                return try pipeline.configureUpgradableHTTPServerPipeline(configuration: configuration)
            }
            try pipeline.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            try pipeline.addHandler(recorder)
            return nil
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        return Self(channel: channel, tap: tap, recorder: recorder, sockets: sockets, typedResult: result)
    }

    /// Delivers bytes from the peer, then runs what NIO's upgrade handler scheduled.
    func receive(_ bytes: [UInt8]) async throws {
        try await channel.writeInbound(ByteBuffer(bytes: bytes))
        await channel.testingEventLoop.run()
    }

    func response() async throws -> (RawHTTPResponse, rest: [UInt8]) {
        let tap = self.tap
        return try await eventuallyValue("an HTTP response") { () -> (RawHTTPResponse, rest: [UInt8])? in
            tap.written.withLock { bytes in
                guard let (response, length) = RawHTTPResponse.parse(bytes) else { return nil }
                defer { bytes = [] }
                return (response, Array(bytes[length...]))
            }
        }
    }

    func finish() async {
        if channel.isActive { try? await channel.close() }
        await channel.testingEventLoop.run()
    }
}

@Suite("WebSocketUpgrader in NIO's upgrade machinery")
struct UpgraderTests {
    @Test(
        "the 101 has the accept key and the chosen subprotocol; frames sent with the request are not lost",
        arguments: [false, true])
    func upgradesAndReplaysEarlyBytes(typed: Bool) async throws {
        var options = WebSocketOptions()
        options.protocols = ["chat"]
        let connection = try await UpgradedConnection.connect(typed: typed, options: options)
        let request = WebSocketHandshakes.request(extra: [("Sec-WebSocket-Protocol", "other, chat")])
        try await connection.receive(Array(request.utf8) + WebSocketHandshakes.maskedText("early"))
        let (response, rest) = try await connection.response()
        #expect(response.status == 101)
        #expect(response.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.header("Sec-WebSocket-Protocol") == "chat")
        #expect(response.header("Upgrade")?.lowercased() == "websocket")
        let socket = try await connection.sockets.next(timeout: .seconds(5), "the socket")
        #expect(socket.protocol == "chat")
        let tap = connection.tap
        let echoed = try await eventuallyValue("the echo of the early frame") { () -> [UInt8]? in
            let bytes = rest + tap.written.current
            let frames = WebSocketHandshakes.serverFrames(bytes)
            return frames.first.map { $0.payload }
        }
        #expect(echoed == Array("early".utf8))
        if let typedResult = connection.typedResult {
            #expect(try await typedResult.get() === socket)
        }
        #expect(connection.recorder.heads.current.isEmpty)
        await connection.finish()
    }

    @Test("permessage-deflate is negotiated as on the embedded server")
    func negotiatesDeflate() async throws {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        let connection = try await UpgradedConnection.connect(typed: false, options: options)
        let request = WebSocketHandshakes.request(extra: [("Sec-WebSocket-Extensions", "permessage-deflate")])
        try await connection.receive(Array(request.utf8))
        let (response, _) = try await connection.response()
        #expect(response.status == 101)
        #expect(response.header("Sec-WebSocket-Extensions") == "permessage-deflate")
        let socket = try await connection.sockets.next(timeout: .seconds(5), "the socket")
        #expect(socket.extensions == ["permessage-deflate"])
        await connection.finish()
    }

    @Test(
        "a refused handshake is fired as a HandshakeRefusal and the request reaches the HTTP handler",
        arguments: [false, true])
    func refusalReachesTheHTTPHandler(typed: Bool) async throws {
        let connection = try await UpgradedConnection.connect(typed: typed)
        let request = WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Version", "8")])
        do {
            try await connection.receive(Array(request.utf8))
        } catch let refusal as HandshakeRefusal {
            // The typed machinery fires the refusal before the HTTP handler is in the pipeline:
            // the testing channel rethrows what reaches its end.
            #expect(typed)
            #expect(refusal.status == 426)
            await connection.channel.testingEventLoop.run()
        }
        let recorder = connection.recorder
        if let typedResult = connection.typedResult {
            // Not upgraded: the no-upgrade path ran and put the HTTP handler in place.
            #expect(try await typedResult.get() == nil)
            #expect(try await connection.channel.pipeline.handler(type: HTTPRecorder.self).get() === recorder)
        } else {
            try await eventually("the request at the HTTP handler") { !recorder.heads.current.isEmpty }
            #expect(recorder.heads.current.first?.uri == "/")
            let refusal = try #require(recorder.errors.current.first as? HandshakeRefusal)
            #expect(refusal.status == 426)
            #expect(refusal.headers.first("Sec-WebSocket-Version") == "13")
        }
        #expect(connection.sockets.pending.isEmpty)
        await connection.finish()
    }

    @Test("ChannelShouldQuiesceEvent closes an open socket with 1001, after what was sent")
    func quiesceClosesWith1001() async throws {
        let connection = try await UpgradedConnection.connect(typed: false)
        try await connection.receive(Array(WebSocketHandshakes.request().utf8))
        _ = try await connection.response()
        let socket = try await connection.sockets.next(timeout: .seconds(5), "the socket")
        let channel = connection.channel
        try await channel.testingEventLoop.executeInContext {
            _ = socket.send("last words")
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        await channel.testingEventLoop.run()
        let tap = connection.tap
        let frames = try await eventuallyValue("the close frame") { () -> [(opcode: UInt8, payload: [UInt8])]? in
            let frames = WebSocketHandshakes.serverFrames(tap.written.current)
            return frames.contains { $0.opcode == 0x8 } ? frames : nil
        }
        #expect(frames.map(\.opcode) == [0x1, 0x8])
        #expect(frames[0].payload == Array("last words".utf8))
        #expect(Array(frames[1].payload.prefix(2)) == [0x03, 0xE9])
        #expect(socket.readyState == .closing)
        await connection.finish()
    }
}
