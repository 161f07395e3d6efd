import FayeTestSupport
import NIOCore
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// What an open server connection carries while idle: its handler allocates the timers' box only
/// when a timer is needed (keep-alive pings, the extensions' idle release, the close timeout).
@Suite("Idle handler state")
struct IdleHandlerStateTests {
    /// Whether the socket's handler has its timers' box, read on the event loop.
    static func hasTimers(_ socket: WebSocket, on server: EmbeddedServer) async throws -> Bool? {
        try await server.loop.executeInContext { socket.state.withLockedValue { $0.handler }?.value.hasTimers }
    }

    @Test("an open connection without pings or extensions has no timers")
    func noTimersWhenIdle() async throws {
        let server = try await EmbeddedServer.connect(options: WebSocketOptions())
        let socket = try await server.upgrade()
        #expect(socket.readyState == .open)
        #expect(try await Self.hasTimers(socket, on: server) == false)
        // A message keeps it so (no extension to release), and the echo still works.
        try await server.receive(WebSocketHandshakes.maskedText("hello"))
        #expect(try await Self.hasTimers(socket, on: server) == false)
        await server.finish()
    }

    @Test("keep-alive pings make the timers")
    func timersWithPings() async throws {
        var options = WebSocketOptions()
        options.pingInterval = .milliseconds(100)
        let server = try await EmbeddedServer.connect(options: options)
        let socket = try await server.upgrade()
        #expect(try await Self.hasTimers(socket, on: server) == true)
        await server.finish()
    }

    @Test("closing makes the close timer, which still ends an unanswered close with 1006")
    func closeTimer() async throws {
        var options = WebSocketOptions()
        options.closeTimeout = .milliseconds(200)
        let server = try await EmbeddedServer.connect(options: options)
        let socket = try await server.upgrade()
        #expect(try await Self.hasTimers(socket, on: server) == false)
        #expect(try socket.close())
        await server.loop.run()
        #expect(try await Self.hasTimers(socket, on: server) == true)
        await server.advance(by: .milliseconds(200))
        let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
        #expect(event.code == .abnormalClosure)
        await server.finish()
    }
}
