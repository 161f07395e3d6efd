import FayeTestSupport
import NIOCore
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// The WebSocket's timers on an embedded server connection, in virtual time: keep-alive pings,
/// the pong timeout, the close timeout, and the going-away close of a server shutdown.
@Suite("WebSocket timers in virtual time")
struct WebSocketTimerTests {
    static func pong(_ payload: String) -> [UInt8] {
        WebSocketHandshakes.maskedFrame(opcode: 0xA, payload: Array(payload.utf8))
    }

    @Test("the server pings every interval with payloads 1, 2, 3…; answered, the connection stays open")
    func pingInterval() async throws {
        var options = WebSocketOptions()
        options.pingInterval = .milliseconds(100)
        options.pongTimeout = .milliseconds(500)
        let server = try await EmbeddedServer.connect(options: options)
        let socket = try await server.upgrade()
        for number in 1...20 {
            await server.advance(by: .milliseconds(99))
            #expect(server.takeOutput().isEmpty, "ping \(number) came early")
            await server.advance(by: .milliseconds(1))
            let frames = server.takeFrames()
            #expect(frames.map(\.opcode) == [0x9])
            #expect(frames.first.map { String(decoding: $0.payload, as: UTF8.self) } == "\(number)")
            try await server.receive(Self.pong("\(number)"))
        }
        // Every pong came: no timer is left to end the connection.
        #expect(socket.readyState == .open)
        #expect(server.isActive)
        try await server.receive(WebSocketHandshakes.maskedText("alive"))
        #expect(server.takeFrames().map(\.payload) == [Array("alive".utf8)])
        await server.finish()
    }

    @Test("a client that never answers pings: the server closes at the pong timeout, close event 1006")
    func pongTimeout() async throws {
        var options = WebSocketOptions()
        options.pingInterval = .milliseconds(100)
        options.pongTimeout = .milliseconds(200)
        let errors = Locked<[String]>([])
        let server = try await EmbeddedServer.connect(options: options) { socket in
            socket.onError { errors.append($0.message) }
        }
        let socket = try await server.upgrade()
        await server.advance(by: .milliseconds(100))
        let first = server.takeFrames()
        #expect(first.map(\.opcode) == [0x9])
        #expect(first.first.map { String(decoding: $0.payload, as: UTF8.self) } == "1")
        // The first ping's pong is due 200 ms after it.
        await server.advance(by: .milliseconds(199))
        #expect(server.isActive)
        #expect(socket.readyState == .open)
        await server.advance(by: .milliseconds(1))
        #expect(!server.isActive)
        #expect(server.closedAfter == .milliseconds(300))
        let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
        #expect(event.code == .abnormalClosure)
        #expect(errors.current.count == 1)
        await server.finish()
    }

    @Test("no pings without a ping interval")
    func noPings() async throws {
        let server = try await EmbeddedServer.connect()
        let socket = try await server.upgrade()
        await server.advance(by: .seconds(3600))
        #expect(server.takeOutput().isEmpty)
        #expect(socket.readyState == .open)
        await server.finish()
    }

    @Test("a peer that never answers the close frame: the close timeout ends it with 1006")
    func closeTimeout() async throws {
        var options = WebSocketOptions()
        options.closeTimeout = .milliseconds(300)
        let server = try await EmbeddedServer.connect(options: options)
        let socket = try await server.upgrade()
        #expect(try socket.close(code: 1000, reason: "please"))
        await server.loop.run()
        let frames = server.takeFrames()
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames.first?.payload == [0x03, 0xE8] + Array("please".utf8))
        await server.advance(by: .milliseconds(299))
        #expect(server.isActive)
        #expect(socket.readyState == .closing)
        await server.advance(by: .milliseconds(1))
        #expect(server.closedAfter == .milliseconds(300))
        let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
        #expect(event.code == .abnormalClosure)
        await server.finish()
    }

    @Test("a peer that answers the close frame in time: close event with the code, no timeout")
    func closeAnswered() async throws {
        var options = WebSocketOptions()
        options.closeTimeout = .milliseconds(300)
        let server = try await EmbeddedServer.connect(options: options)
        let socket = try await server.upgrade()
        #expect(try socket.close(code: 4001, reason: "bye"))
        await server.advance(by: .milliseconds(299))
        #expect(server.takeFrames().map(\.opcode) == [0x8])
        try await server.receive(
            WebSocketHandshakes.maskedFrame(opcode: 0x8, payload: [0x0F, 0xA1] + Array("bye".utf8)))
        #expect(!server.isActive)
        #expect(server.closedAfter == .milliseconds(299))
        let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
        #expect(event == CloseEvent(code: CloseCode(4001), reason: "bye"))
        await server.finish()
    }

    @Test("server shutdown's going-away close: 1001 on the wire, and close event 1001 once the peer answers")
    func goingAway() async throws {
        let server = try await EmbeddedServer.connect()
        let socket = try await server.upgrade()
        socket.goAway()
        await server.loop.run()
        #expect(socket.readyState == .closing)
        let frames = server.takeFrames()
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames.first?.payload == [0x03, 0xE9] + Array("Server shutting down".utf8))
        // Going away twice sends nothing more.
        socket.goAway()
        await server.loop.run()
        #expect(server.takeOutput().isEmpty)
        try await server.receive(WebSocketHandshakes.maskedFrame(opcode: 0x8, payload: [0x03, 0xE9]))
        let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
        #expect(event.code == .goingAway)
        #expect(!server.isActive)
        await server.finish()
    }
}
