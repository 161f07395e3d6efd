import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// The W3C-style surface on the server side: event order, readyState, listener buffering.
@Suite("Events and readyState")
struct EventTests {
    @Test("open, then messages, then close: readyState follows and close fires once")
    func orderAndStates() async throws {
        let log = Locked<[String]>([])
        var server = LoopbackServer(echo: false)
        server.setup = { socket in
            log.append("setup \(socket.readyState)")
            socket.onOpen { log.append("open \(socket.readyState) \(socket.version)") }
            socket.onMessage { message in
                if case .text(let text) = message { log.append("message \(text) \(socket.readyState)") }
            }
            socket.onError { log.append("error \($0.message)") }
            socket.onClose { log.append("close \($0.code) \(socket.readyState)") }
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.client()
            try await client.send("one")
            try await client.send("two")
            try await eventually("two messages") { log.current.count >= 4 }
            #expect(try await client.close(code: 3003, reason: ""))
            try await client.waitDisconnected()
            let socket = try await loopback.nextServerSocket()
            _ = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            try await settle(socket)
            #expect(
                log.current == [
                    "setup CONNECTING",
                    "open OPEN hybi-13",
                    "message one OPEN",
                    "message two OPEN",
                    "close 3003 CLOSED",
                ])
        }
    }

    @Test("a protocol error: error once, then close with the failure code; nothing after")
    func protocolError() async throws {
        let log = Locked<[String]>([])
        var server = LoopbackServer()
        server.setup = { socket in
            socket.onMessage { _ in log.append("message") }
            socket.onError { log.append("error \($0.protocolError != nil)") }
            socket.onClose { log.append("close \($0.code)") }
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(WebSocketHandshakes.request())
            #expect(try await client.readResponse().status == 101)
            // An unmasked frame from a client, then more garbage and a valid frame.
            try await client.writeRaw([0x81, 0x02, 0x68, 0x69] + [0xFF, 0xFF] + WebSocketHandshakes.maskedText("x"))
            try await client.waitDisconnected()
            let socket = try await loopback.nextServerSocket()
            let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(event.code == .protocolError)
            try await settle(socket)
            #expect(log.current == ["error true", "close 1002"])
            let frames = WebSocketHandshakes.serverFrames(client.state.raw.current)
            #expect(frames.map(\.opcode) == [0x8])
            #expect(frames.first.map { Array($0.payload.prefix(2)) } == [0x03, 0xEA])
        }
    }

    @Test("messages that arrive after close() started are not delivered")
    func noMessagesWhileClosing() async throws {
        let messages = Locked<[String]>([])
        var server = LoopbackServer(echo: false)
        server.setup = { socket in
            socket.onMessage { message in
                if case .text(let text) = message { messages.append(text) }
            }
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(WebSocketHandshakes.request())
            #expect(try await client.readResponse().status == 101)
            let socket = try await loopback.nextServerSocket()
            try await client.writeRaw(WebSocketHandshakes.maskedText("before"))
            try await eventually("the first message") { messages.current == ["before"] }
            #expect(try socket.close(code: 4000, reason: ""))
            #expect(socket.send("nope") == false)
            // The client keeps sending before it answers the close.
            try await client.writeRaw(WebSocketHandshakes.maskedText("after"))
            try await client.writeRaw(WebSocketHandshakes.maskedFrame(opcode: 0x8, payload: [0x0F, 0xA0]))
            let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(event.code == CloseCode(4000))
            #expect(messages.current == ["before"])
        }
    }

    @Test("events with no listener go to the first listener added later, and only to it")
    func listenerBuffering() async throws {
        try await withLoopback(echo: false) { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            try await client.send("early 1")
            try await client.send("early 2")
            // The pong comes after the server read both messages (it parses in order).
            #expect(try await client.ping("read"))
            while try await client.nextEventIncludingControl() != .pong(Array("read".utf8)) {}

            let first = Locked<[String]>([])
            let second = Locked<[String]>([])
            let opens = Locked(0)
            socket.onMessage { if case .text(let text) = $0 { first.append(text) } }
            socket.onMessage { if case .text(let text) = $0 { second.append(text) } }
            socket.onOpen { opens.withLock { $0 += 1 } }
            try await eventually("the buffered messages") { first.current.count == 2 }
            #expect(first.current == ["early 1", "early 2"])
            #expect(second.current == [])
            try await eventually("the buffered open") { opens.current == 1 }

            try await client.send("late")
            try await eventually("the late message") { second.current == ["late"] }
            #expect(first.current == ["early 1", "early 2", "late"])

            // The close event too: a listener added after the close still gets it.
            #expect(try await client.close())
            _ = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            let closes = Locked<[CloseEvent]>([])
            socket.onClose { closes.append($0) }
            socket.onClose { _ in closes.append(CloseEvent(code: CloseCode(1), reason: "second listener")) }
            try await eventually("the buffered close") { closes.current.count == 1 }
            try await settle(socket)
            #expect(closes.current == [CloseEvent(code: .normalClosure)])
        }
    }

    @Test("messages sent in the setup closure, before the handshake, follow the 101")
    func sendBeforeOpen() async throws {
        var server = LoopbackServer()
        server.setup = { socket in
            #expect(socket.readyState == .connecting)
            #expect(socket.send("welcome"))
            #expect(socket.send([1]))
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.client()
            #expect(try await client.nextMessage() == .text("welcome"))
            #expect(try await client.nextMessage() == .binary([1]))
        }
    }

    @Test("a removed listener is no longer called")
    func removeListener() async throws {
        let calls = Locked<[String]>([])
        let tokens = Locked<[ListenerToken]>([])
        var server = LoopbackServer()
        server.setup = { socket in
            tokens.append(socket.onMessage { _ in calls.append("removed") })
            socket.onMessage { _ in calls.append("kept") }
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            for token in tokens.current { socket.removeListener(token) }
            try await client.send("x")
            _ = try await client.nextMessage()
            try await eventually("the kept listener") { calls.current == ["kept"] }
        }
    }

    @Test("send and ping return false once closing; the async send throws")
    func sendAfterClose() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            try await withTimeout("async send") { try await socket.send(.text("awaited")) }
            #expect(try await client.nextMessage() == .text("awaited"))
            #expect(socket.ping(Array(repeating: 0, count: 126)) == false)
            let pongs = Locked(0)
            #expect(socket.ping(Array("p".utf8)) { pongs.withLock { $0 += 1 } })
            try await eventually("the pong") { pongs.current == 1 }
            #expect(try socket.close())
            #expect(socket.send("late") == false)
            #expect(socket.send([1, 2]) == false)
            #expect(socket.ping() == false)
            await #expect(throws: WebSocketError.self) { try await socket.send(.text("late")) }
        }
    }

    @Test("the message sequence yields messages and ends at close")
    func messageSequence() async throws {
        var server = LoopbackServer(echo: false)
        server.setup = { _ = $0.messages }
        try await withLoopback(server) { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            for index in 0..<10 { try await client.send("m\(index)") }
            try await client.send([9, 9])
            try await client.close()
            let received = try await withTimeout("the sequence") {
                var received: [WebSocketMessage] = []
                for try await message in socket.messages { received.append(message) }
                return received
            }
            #expect(received == (0..<10).map { .text("m\($0)") } + [.binary([9, 9])])
        }
    }

    @Test("a sequence first asked for after the close gets the messages nobody consumed; a later listener none")
    func lateSequence() async throws {
        try await withLoopback(echo: false) { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            try await client.send("before the sequence")
            try await client.close()
            _ = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            let received = try await withTimeout("the sequence") {
                var received: [WebSocketMessage] = []
                for try await message in socket.messages { received.append(message) }
                return received
            }
            #expect(received == [.text("before the sequence")])
            let buffered = Locked<[WebSocketMessage]>([])
            socket.onMessage { buffered.append($0) }
            try await socket.eventLoop.submit {}.get()  // a backlog would be delivered by now
            #expect(buffered.current.isEmpty)
        }
    }
}
