import FayeTestSupport
import NIOCore
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// The embedded server's HTTP/2, frame by frame on an async-testing channel with virtual time:
/// the choice of protocol, streams through the responder, WebSockets by extended CONNECT, the
/// stream limits.
@Suite("HTTP/2: the embedded server, frame by frame")
struct HTTP2ServerTests {
    typealias Wire = H2Wire

    // MARK: - Choosing the protocol

    @Test("an HTTP/1.1 request on a prior-knowledge port is served as HTTP/1.1")
    func http1OnPriorKnowledgePort() async throws {
        let server = try await EmbeddedServer.connect(configuration: H2Session.configuration())
        try await server.receive("GET /plain HTTP/1.1\r\nHost: example.com\r\n\r\n")
        let response = try await server.response()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "plain GET /plain\n")
        await server.finish()
    }

    @Test("a preface arriving a byte at a time still selects HTTP/2")
    func prefaceInPieces() async throws {
        let server = try await EmbeddedServer.connect(configuration: H2Session.configuration())
        for byte in Wire.preface { try await server.receive([byte]) }
        try await server.receive(Wire.settings())
        let output = try await eventuallyValue("the server's SETTINGS") { () -> [UInt8]? in
            let bytes = server.tap.written.current
            return bytes.count >= 9 ? bytes : nil
        }
        #expect(output[3] == Wire.FrameType.settings.rawValue)
        await server.finish()
    }

    @Test("a connection that sends nothing is closed after the handshake timeout")
    func silentConnectionTimesOut() async throws {
        let server = try await EmbeddedServer.connect(
            configuration: H2Session.configuration { $0.handshakeTimeout = .seconds(3) })
        try await server.receive(Array("PRI * HT".utf8))
        await server.advance(by: .seconds(2))
        #expect(server.isActive)
        await server.advance(by: .seconds(1))
        #expect(!server.isActive)
        #expect(server.closedAfter == .seconds(3))
        await server.finish()
    }

    @Test("the SETTINGS advertise the stream limit, the header list bound and extended CONNECT")
    func settings() async throws {
        let (session, settings) = try await H2Session.open(
            configuration: H2Session.configuration {
                $0.http2.maxConcurrentStreams = 7
                $0.maxHeadSize = 8192
            })
        var values: [UInt16: UInt32] = [:]
        var index = 0
        while index + 6 <= settings.payload.count {
            let id = UInt16(settings.payload[index]) << 8 | UInt16(settings.payload[index + 1])
            values[id] = settings.payload[index + 2..<index + 6].reduce(0) { $0 << 8 | UInt32($1) }
            index += 6
        }
        #expect(values[0x3] == 7)  // MAX_CONCURRENT_STREAMS: the real limit, not NIO's ceiling
        #expect(values[0x6] == 8192)  // MAX_HEADER_LIST_SIZE
        #expect(values[0x8] == 1)  // ENABLE_CONNECT_PROTOCOL
        await session.server.finish()
    }

    @Test("without WebSockets over HTTP/2 the setting is absent and a :protocol request is a stream error")
    func noWebSocketsWithoutTheSetting() async throws {
        let (session, settings) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.allowsWebSockets = false })
        let ids = stride(from: 0, to: settings.payload.count, by: 6).map {
            UInt16(settings.payload[$0]) << 8 | UInt16(settings.payload[$0 + 1])
        }
        #expect(!ids.contains(0x8))
        try await session.sendWebSocketConnect(stream: 1)
        let reset = try await session.next(.rstStream, stream: 1)
        #expect(reset.errorCode == 0x1)  // PROTOCOL_ERROR
        await session.server.finish()
    }

    // MARK: - Ordinary requests

    @Test("a GET is answered with :status, lowercased fields, no connection-specific fields, and END_STREAM")
    func ordinaryRequest() async throws {
        let (session, _) = try await H2Session.open(responder: { request in
            ServerResponse(
                status: 201,
                headers: [
                    "X-Version": request.request.version, "Connection": "close",
                    "X-Host": request.request.headers["Host"] ?? "",
                ],
                text: "\(request.request.method) \(request.request.target)")
        })
        try await session.sendHeaders(
            stream: 1, [(":method", "GET"), (":scheme", "http"), (":path", "/a?b"), (":authority", "example.com")],
            endStream: true)
        let headers = try await session.next(.headers, stream: 1)
        #expect(headers.status == 201)
        #expect(headers.header("x-version") == "HTTP/2")
        #expect(headers.header("x-host") == "example.com")
        #expect(headers.header("connection") == nil)
        #expect(headers.header("content-length") == "8")
        let data = try await session.next(.data, stream: 1)
        #expect(data.payload == Array("GET /a?b".utf8))
        #expect(data.isEndStream)
        await session.server.finish()
    }

    @Test("a request body over the limit is answered 413 and the stream reset")
    func bodyTooLarge() async throws {
        let (session, _) = try await H2Session.open(configuration: H2Session.configuration { $0.maxBodySize = 10 })
        try await session.sendHeaders(
            stream: 1, [(":method", "POST"), (":scheme", "http"), (":path", "/"), (":authority", "example.com")])
        try await session.send(Wire.data(stream: 1, Array(repeating: 0x61, count: 11)))
        let headers = try await session.next(.headers, stream: 1)
        #expect(headers.status == 413)
        _ = try await session.next(.rstStream, stream: 1)
        await session.server.finish()
    }

    @Test("a plain CONNECT is answered 405; a takeover that needs HTTP/1.1 resets with HTTP_1_1_REQUIRED")
    func refusedKinds() async throws {
        struct RawTakeover: ConnectionTakeover {
            func makeHandler(for request: ServerRequest, channel: any Channel) throws -> (
                handler: any ChannelHandler, start: () -> Void
            ) {
                throw ChannelError.operationUnsupported
            }
        }
        let (session, _) = try await H2Session.open(responder: { _ in .takeOver(RawTakeover()) })
        try await session.sendHeaders(stream: 1, [(":method", "CONNECT"), (":authority", "example.com:443")])
        #expect(try await session.next(.headers, stream: 1).status == 405)
        try await session.sendHeaders(
            stream: 3, [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "example.com")],
            endStream: true)
        #expect(try await session.next(.rstStream, stream: 3).errorCode == 0xD)
        await session.server.finish()
    }

    // MARK: - WebSockets

    @Test("extended CONNECT: 200, echo over DATA, the client's close echoed, then END_STREAM both ways")
    func webSocketEchoAndClose() async throws {
        let (session, _) = try await H2Session.open()
        try await session.sendWebSocketConnect(stream: 1, extra: [("sec-websocket-protocol", "chat")])
        let headers = try await session.next(.headers, stream: 1)
        #expect(headers.status == 200)
        #expect(headers.header("sec-websocket-accept") == nil)
        #expect(!headers.isEndStream)
        let socket = try await session.server.sockets.next(timeout: .seconds(5), "the server's WebSocket")
        #expect(socket.url == "ws://example.com/chat")
        try await session.send(Wire.data(stream: 1, WebSocketHandshakes.maskedText("hello")))
        let echo = try await session.next(.data, stream: 1)
        #expect(WebSocketHandshakes.serverFrames(echo.payload).map(\.payload) == [Array("hello".utf8)])
        try await session.send(
            Wire.data(
                stream: 1, WebSocketHandshakes.maskedFrame(opcode: 0x8, payload: [0x03, 0xE8] + Array("bye".utf8))))
        let closeFrame = try await session.next(.data, stream: 1)
        #expect(WebSocketHandshakes.serverFrames(closeFrame.payload).first?.opcode == 0x8)
        let end = try await session.next("END_STREAM on stream 1") { $0.stream == 1 && $0.isEndStream }
        #expect(end.type == Wire.FrameType.data.rawValue)
        try await session.send(Wire.data(stream: 1, [], endStream: true))
        let event = try await withTimeout("the close event") { await socket.finalCloseEvent() }
        #expect(event == CloseEvent(code: .normalClosure, reason: "bye"))
        // Closed cleanly: no reset.
        #expect(try session.takeFrames(stream: 1).allSatisfy { $0.type != Wire.FrameType.rstStream.rawValue })
        await session.server.finish()
    }

    @Test("a client that never ends its side is reset after the stream close timeout")
    func streamCloseTimeout() async throws {
        let (session, _) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.streamCloseTimeout = .seconds(4) })
        try await session.sendWebSocketConnect(stream: 1)
        _ = try await session.next(.headers, stream: 1)
        let socket = try await session.server.sockets.next(timeout: .seconds(5), "the server's WebSocket")
        try await session.send(
            Wire.data(stream: 1, WebSocketHandshakes.maskedFrame(opcode: 0x8, payload: [0x03, 0xE8])))
        _ = try await session.next("END_STREAM on stream 1") { $0.stream == 1 && $0.isEndStream }
        await session.server.advance(by: .seconds(3))
        #expect(try session.takeFrames(stream: 1).allSatisfy { $0.type != Wire.FrameType.rstStream.rawValue })
        await session.server.advance(by: .seconds(1))
        let reset = try await session.next(.rstStream, stream: 1)
        #expect(reset.errorCode == 0x8)  // CANCEL
        #expect(await socket.finalCloseEvent().code == .normalClosure)
        await session.server.finish()
    }

    @Test("a client's RST_STREAM gives the server socket 1006; its neighbour still echoes")
    func resetIsolation() async throws {
        let (session, _) = try await H2Session.open()
        try await session.sendWebSocketConnect(stream: 1)
        try await session.sendWebSocketConnect(stream: 3)
        _ = try await session.next(.headers, stream: 1)
        _ = try await session.next(.headers, stream: 3)
        let first = try await session.server.sockets.next(timeout: .seconds(5), "the first WebSocket")
        _ = try await session.server.sockets.next(timeout: .seconds(5), "the second WebSocket")
        try await session.send(Wire.rstStream(stream: 1, code: 0x8))
        #expect(await first.finalCloseEvent().code == .abnormalClosure)
        try await session.send(Wire.data(stream: 3, WebSocketHandshakes.maskedText("still")))
        let echo = try await session.next(.data, stream: 3)
        #expect(WebSocketHandshakes.serverFrames(echo.payload).map(\.payload) == [Array("still".utf8)])
        await session.server.finish()
    }

    @Test("maxLength holds per stream: 1009 on the offending stream only")
    func maxLengthPerStream() async throws {
        var options = WebSocketOptions()
        options.maxLength = 16
        let (session, _) = try await H2Session.open(options: options)
        try await session.sendWebSocketConnect(stream: 1)
        try await session.sendWebSocketConnect(stream: 3)
        _ = try await session.next(.headers, stream: 1)
        _ = try await session.next(.headers, stream: 3)
        try await session.send(Wire.data(stream: 1, WebSocketHandshakes.maskedText(String(repeating: "x", count: 17))))
        let close = try await session.next(.data, stream: 1)
        let frame = try #require(WebSocketHandshakes.serverFrames(close.payload).first)
        #expect(frame.opcode == 0x8)
        #expect(Array(frame.payload.prefix(2)) == [0x03, 0xF1])  // 1009
        try await session.send(Wire.data(stream: 3, WebSocketHandshakes.maskedText("short")))
        let echo = try await session.next(.data, stream: 3)
        #expect(WebSocketHandshakes.serverFrames(echo.payload).map(\.payload) == [Array("short".utf8)])
        await session.server.finish()
    }

    @Test("a wrong WebSocket version is answered 426 with sec-websocket-version: 13")
    func wrongVersion() async throws {
        let (session, _) = try await H2Session.open()
        try await session.sendHeaders(
            stream: 1,
            [
                (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/"),
                (":authority", "example.com"), ("sec-websocket-version", "8"),
            ])
        let headers = try await session.next(.headers, stream: 1)
        #expect(headers.status == 426)
        #expect(headers.header("sec-websocket-version") == "13")
        await session.server.finish()
    }

    // MARK: - Limits

    @Test("streams beyond maxConcurrentStreams are refused one by one; a stream that ends makes room")
    func refusedStreams() async throws {
        let (session, _) = try await H2Session.open(
            configuration: H2Session.configuration { $0.http2.maxConcurrentStreams = 2 })
        try await session.sendWebSocketConnect(stream: 1)
        try await session.sendWebSocketConnect(stream: 3)
        _ = try await session.next(.headers, stream: 1)
        _ = try await session.next(.headers, stream: 3)
        try await session.sendWebSocketConnect(stream: 5)
        #expect(try await session.next(.rstStream, stream: 5).errorCode == 0x7)  // REFUSED_STREAM
        // The connection lives on; a reset frees a place at once.
        try await session.send(Wire.rstStream(stream: 1, code: 0x8))
        try await session.sendWebSocketConnect(stream: 7)
        #expect(try await session.next(.headers, stream: 7).status == 200)
        #expect(session.server.isActive)
        await session.server.finish()
    }

    @Test("a header block over maxHeadSize ends the connection with GOAWAY")
    func headerListTooLarge() async throws {
        let (session, _) = try await H2Session.open(configuration: H2Session.configuration { $0.maxHeadSize = 4096 })
        try await session.sendHeaders(
            stream: 1,
            [
                (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "example.com"),
                ("x-big", String(repeating: "b", count: 5000)),
            ], endStream: true)
        _ = try await session.next("GOAWAY") { $0.type == H2Wire.FrameType.goAway.rawValue }
        await session.server.finish()
    }

    @Test("an extended CONNECT without :path is a stream error; the connection goes on")
    func connectWithoutPath() async throws {
        let (session, _) = try await H2Session.open()
        try await session.sendHeaders(
            stream: 1,
            [
                (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":authority", "example.com"),
                ("sec-websocket-version", "13"),
            ])
        #expect(try await session.next(.rstStream, stream: 1).errorCode == 0x1)  // PROTOCOL_ERROR
        try await session.sendWebSocketConnect(stream: 3)
        #expect(try await session.next(.headers, stream: 3).status == 200)
        await session.server.finish()
    }

    @Test("the first SETTINGS frame's stream limit is rewritten; other frames pass untouched")
    func advertisedLimitRewrite() {
        var buffer = ByteBuffer(bytes: Wire.settings([(0x3, 200), (0x4, 65_535), (0x3, 300)]) + [0xAA])
        HTTP2AdvertisedLimitWriter.rewriteMaxConcurrentStreams(in: &buffer, to: 100)
        #expect(Array(buffer.readableBytesView) == Wire.settings([(0x3, 100), (0x4, 65_535), (0x3, 100)]) + [0xAA])
        let others: [[UInt8]] = [
            Wire.frame(.settings, flags: Wire.ack, stream: 0), Wire.data(stream: 1, [0, 3, 0, 0, 0, 9]),
            Array(Wire.settings([(0x3, 200)]).prefix(12)),
        ]
        for bytes in others {
            var untouched = ByteBuffer(bytes: bytes)
            HTTP2AdvertisedLimitWriter.rewriteMaxConcurrentStreams(in: &untouched, to: 100)
            #expect(Array(untouched.readableBytesView) == bytes)
        }
    }
}
