import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// Periodic pings and the pong timeout.
@Suite("Ping interval and pong timeout")
struct KeepAliveTests {
    @Test("the server pings every interval with payloads 1, 2, 3")
    func pingInterval() async throws {
        var options = WebSocketOptions()
        options.pingInterval = .milliseconds(100)
        options.pongTimeout = .milliseconds(500)
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.client()
            var pings: [String] = []
            while pings.count < 3 {
                let event = try await client.nextEventIncludingControl(timeout: .seconds(3))
                if case .ping(let payload) = event { pings.append(String(decoding: payload, as: UTF8.self)) }
            }
            #expect(pings == ["1", "2", "3"])
            // The driver client answers every ping, so the connection stays open.
            try await Task.sleep(for: .milliseconds(700))
            let socket = try await loopback.nextServerSocket()
            #expect(socket.readyState == .open)
            try await client.send("alive")
            #expect(try await client.nextMessage() == .text("alive"))
        }
    }

    @Test("a client that never answers pings: the server closes, close event 1006")
    func pongTimeout() async throws {
        var options = WebSocketOptions()
        options.pingInterval = .milliseconds(100)
        options.pongTimeout = .milliseconds(200)
        let errors = Locked<[String]>([])
        var server = LoopbackServer(options: options)
        server.setup = { socket in socket.onError { errors.append($0.message) } }
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(WebSocketHandshakes.request())
            #expect(try await client.readResponse().status == 101)
            let socket = try await loopback.nextServerSocket()
            let event = try await withTimeout("the server's close") { await socket.closed() }
            #expect(event.code == .abnormalClosure)
            try await client.waitDisconnected()
            let frames = WebSocketHandshakes.serverFrames(client.state.raw.current)
            #expect(frames.first?.opcode == 0x9)
            #expect(frames.first.map { String(decoding: $0.payload, as: UTF8.self) } == "1")
            #expect(errors.current.count == 1)
        }
    }

    @Test("no pings without a ping interval")
    func noPings() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            try await Task.sleep(for: .milliseconds(300))
            #expect(client.state.events.pending.isEmpty)
        }
    }
}
