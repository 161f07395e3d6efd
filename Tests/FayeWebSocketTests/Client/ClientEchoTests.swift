import FayeTestSupport
import FayeWebSocket
import PermessageDeflate
import Testing
import WebSocketDriver

/// Our client against our embedded server's echo, over real loopback connections.
@Suite("Client against the embedded server", .allocatesMemory)
struct ClientEchoTests {
    static let sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20]

    static func url(_ loopback: Loopback, path: String = "/") -> String {
        "ws://127.0.0.1:\(loopback.port)\(path)"
    }

    static func clientOptions(_ loopback: Loopback) -> WebSocketClientOptions {
        var options = WebSocketClientOptions()
        options.eventLoopGroup = loopback.group
        return options
    }

    static var largeOptions: WebSocketOptions {
        var options = WebSocketOptions()
        options.maxLength = 32 << 20
        return options
    }

    @Test("binary messages of every length class are echoed byte for byte", arguments: sizes)
    func binaryEcho(size: Int) async throws {
        try await withLoopback(options: Self.largeOptions) { loopback in
            let client = RecordedSocket.connect(
                Self.url(loopback), options: Self.largeOptions, clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            let payload = patternBytes(size, seed: size)
            try await client.socket.send(.binary(payload))
            #expect(try await client.nextMessage(timeout: .seconds(20)) == .binary(payload))
            await client.shutdown()
        }
    }

    @Test("text messages of every length class are echoed as text", arguments: sizes)
    func textEcho(size: Int) async throws {
        try await withLoopback(options: Self.largeOptions) { loopback in
            let client = RecordedSocket.connect(
                Self.url(loopback), options: Self.largeOptions, clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            let text = patternText(size)
            try await client.socket.send(.text(text))
            #expect(try await client.nextMessage(timeout: .seconds(20)) == .text(text))
            await client.shutdown()
        }
    }

    @Test("open: readyState, version, URL and the 101 response are visible")
    func openState() async throws {
        try await withLoopback { loopback in
            let socket = WebSocket(
                url: Self.url(loopback, path: "/chat?room=1"), clientOptions: Self.clientOptions(loopback))
            #expect(socket.readyState == .connecting)
            #expect(socket.url == "ws://127.0.0.1:\(loopback.port)/chat?room=1")
            let client = RecordedSocket(socket)
            try await client.expectOpen()
            #expect(socket.readyState == .open)
            #expect(socket.version == "hybi-13")
            #expect(socket.protocol == "")
            #expect(socket.extensions == [])
            let response = try #require(socket.handshakeResponse)
            #expect(response.status == 101)
            #expect(response.headers["Upgrade"]?.lowercased() == "websocket")
            #expect(response.headers["Sec-WebSocket-Accept"] != nil)
            let server = try await loopback.nextServerSocket()
            #expect(server.request?.target == "/chat?room=1")
            await client.shutdown()
        }
    }

    @Test("the server picks the first offered subprotocol it supports")
    func subprotocols() async throws {
        var serverOptions = WebSocketOptions()
        serverOptions.protocols = ["echo", "chat"]
        try await withLoopback(options: serverOptions) { loopback in
            var options = WebSocketOptions()
            options.protocols = ["foo", "chat", "echo"]
            let client = RecordedSocket.connect(
                Self.url(loopback), options: options, clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            #expect(client.socket.protocol == "chat")
            #expect(client.socket.handshakeResponse?.headers["Sec-WebSocket-Protocol"] == "chat")
            await client.shutdown()

            options.protocols = ["foo"]
            let other = RecordedSocket.connect(
                Self.url(loopback), options: options, clientOptions: Self.clientOptions(loopback))
            try await other.expectOpen()
            #expect(other.socket.protocol == "")
            await other.shutdown()
        }
    }

    @Test("permessage-deflate is negotiated when both sides have it, and messages survive it")
    func deflate() async throws {
        var serverOptions = Self.largeOptions
        serverOptions.extensions = [PermessageDeflate()]
        try await withLoopback(options: serverOptions) { loopback in
            var options = Self.largeOptions
            options.extensions = [PermessageDeflate()]
            let client = RecordedSocket.connect(
                Self.url(loopback), options: options, clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            #expect(client.socket.extensions == ["permessage-deflate"])
            let server = try await loopback.nextServerSocket()
            #expect(server.extensions == ["permessage-deflate"])
            let text = String(repeating: "compress me please ", count: 60_000)
            try await client.socket.send(.text(text))
            #expect(try await client.nextMessage(timeout: .seconds(20)) == .text(text))
            let bytes = patternBytes(300_000)
            try await client.socket.send(.binary(bytes))
            #expect(try await client.nextMessage(timeout: .seconds(20)) == .binary(bytes))
            try await client.socket.send(.text(""))
            #expect(try await client.nextMessage() == .text(""))
            await client.shutdown()

            let plain = RecordedSocket.connect(Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            try await plain.expectOpen()
            #expect(plain.socket.extensions == [])
            await plain.shutdown()
        }
    }

    @Test("the client closes with a code and reason: both sides see them")
    func clientCloses() async throws {
        try await withLoopback { loopback in
            let client = RecordedSocket.connect(Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            let server = try await loopback.nextServerSocket()
            let event = try await withTimeout("closeAndWait") {
                try await client.socket.closeAndWait(code: 4000, reason: "client bye")
            }
            #expect(event == CloseEvent(code: CloseCode(4000), reason: "client bye"))
            #expect(client.socket.readyState == .closed)
            #expect(try await client.expectClose() == .close(4000, "client bye"))
            let serverEvent = try await withTimeout("the server's close") { await server.finalCloseEvent() }
            #expect(serverEvent == CloseEvent(code: CloseCode(4000), reason: "client bye"))
            #expect(client.socket.send("late") == false)
            #expect(client.socket.ping() == false)
            #expect(!client.log.current.contains { if case .error = $0 { true } else { false } })
        }
    }

    @Test("the server closes with a code and reason: the client gets them")
    func serverCloses() async throws {
        try await withLoopback { loopback in
            let client = RecordedSocket.connect(Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            let server = try await loopback.nextServerSocket()
            #expect(try server.close(code: 4001, reason: "server bye"))
            #expect(try await client.expectClose() == .close(4001, "server bye"))
            #expect(client.socket.readyState == .closed)
            #expect(await client.socket.finalCloseEvent() == CloseEvent(code: CloseCode(4001), reason: "server bye"))
            #expect(client.log.current == [.open, .close(4001, "server bye")])
        }
    }

    @Test("a ping is answered: onPong runs")
    func pingPong() async throws {
        try await withLoopback { loopback in
            let client = RecordedSocket.connect(Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            let pongs = Inbox<String>()
            #expect(client.socket.ping(Array("one".utf8)) { pongs.append("one") })
            #expect(client.socket.ping(Array("two".utf8)) { pongs.append("two") })
            #expect(try await pongs.next(timeout: .seconds(5), "the first pong") == "one")
            #expect(try await pongs.next(timeout: .seconds(5), "the second pong") == "two")
            #expect(client.socket.ping(Array(repeating: 0, count: 126)) == false)
            await client.shutdown()
        }
    }

    @Test("sends made while connecting are queued and arrive in order")
    func queuedBeforeOpen() async throws {
        try await withLoopback { loopback in
            let socket = WebSocket(url: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            for index in 0..<100 { #expect(socket.send("queued \(index)")) }
            #expect(socket.send([UInt8]([1, 2, 3])))
            let client = RecordedSocket(socket)
            // An async send made while connecting resumes once written, after the open.
            try await withTimeout("an async send made while connecting") {
                try await socket.send(.text("async"))
            }
            try await client.expectOpen()
            for index in 0..<100 {
                #expect(try await client.nextMessage() == .text("queued \(index)"))
            }
            #expect(try await client.nextMessage() == .binary([1, 2, 3]))
            #expect(try await client.nextMessage() == .text("async"))
            await client.shutdown()
        }
    }

    @Test("the message sequence yields what the server sends, then ends at the close")
    func asyncMessages() async throws {
        let setup: @Sendable (WebSocket) -> Void = { socket in
            socket.onOpen {
                for index in 0..<300 { socket.send("server \(index)") }
                _ = try? socket.close(code: 4002, reason: "done")
            }
        }
        try await withLoopback(setup: setup) { loopback in
            var options = WebSocketOptions()
            options.messageBufferLimit = 8
            let socket = WebSocket(
                url: Self.url(loopback), options: options, clientOptions: Self.clientOptions(loopback))
            let messages = socket.messages
            let received = try await withTimeout("the message sequence", timeout: .seconds(10)) {
                var received: [WebSocketMessage] = []
                for try await message in messages {
                    received.append(message)
                    if received.count % 50 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                }
                return received
            }
            #expect(received == (0..<300).map { .text("server \($0)") })
            #expect(await socket.finalCloseEvent() == CloseEvent(code: CloseCode(4002), reason: "done"))
        }
    }

    @Test("an async echo loop ends when the server closes in the middle of it (autobahn's pattern)")
    func echoLoopEndsOnServerClose() async throws {
        let setup: @Sendable (WebSocket) -> Void = { socket in
            socket.onOpen {
                for index in 0..<50 { socket.send("m\(index)") }
                _ = try? socket.close(code: 4003, reason: "")
            }
        }
        try await withLoopback(echo: false, setup: setup) { loopback in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        let socket = WebSocket(
                            url: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
                        let messages = socket.messages
                        try await withTimeout("the echo loop to end", timeout: .seconds(10)) {
                            for try await message in messages {
                                do {
                                    try await socket.send(message)
                                } catch {
                                    break
                                }
                            }
                            _ = await socket.finalCloseEvent()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("close before connecting: close 1000 without open, and nothing reaches the server")
    func closeBeforeConnect() async throws {
        try await withLoopback { loopback in
            let socket = WebSocket(url: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            #expect(try socket.close())
            #expect(socket.readyState == .closing)
            let client = RecordedSocket(socket)
            #expect(try await client.expectClose() == .close(1000, ""))
            #expect(socket.readyState == .closed)
            #expect(try socket.close() == false)
            #expect(socket.send("x") == false)
            try await Task.sleep(for: .milliseconds(100))
            #expect(client.log.current == [.close(1000, "")])
            #expect(loopback.sockets.pending.isEmpty)
        }
    }

    @Test("an invalid close code is refused, even before connecting")
    func invalidCloseCode() async throws {
        try await withLoopback { loopback in
            let client = RecordedSocket.connect(Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            #expect(throws: WebSocketCloseError.invalidCode(1001)) { try client.socket.close(code: 1001) }
            try await client.expectOpen()
            await client.shutdown()
        }
    }

    @Test("URL credentials become Basic authorization and custom headers are sent")
    func credentialsAndHeaders() async throws {
        try await withLoopback { loopback in
            var options = WebSocketOptions()
            options.headers.append(name: "Origin", value: "http://example.test")
            options.headers.append(name: "X-Custom", value: "yes")
            let client = RecordedSocket.connect(
                "ws://alice:s%40cret@127.0.0.1:\(loopback.port)/", options: options,
                clientOptions: Self.clientOptions(loopback))
            try await client.expectOpen()
            #expect(client.socket.url == "ws://127.0.0.1:\(loopback.port)/")
            let server = try await loopback.nextServerSocket()
            let headers = try #require(server.request?.headers)
            #expect(headers["Authorization"] == "Basic YWxpY2U6c0BjcmV0")
            #expect(headers["Origin"] == "http://example.test")
            #expect(headers["X-Custom"] == "yes")
            await client.shutdown()
        }
    }
}
