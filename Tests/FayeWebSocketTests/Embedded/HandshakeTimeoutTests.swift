import FayeTestSupport
import NIOCore
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// The handshake timeout (slowloris) on an embedded server connection, in virtual time: the
/// close happens exactly when the timer is due, never before.
@Suite("Handshake timeout in virtual time")
struct HandshakeTimeoutTests {
    static func configuration(timeout: Duration) -> FayeServer.Configuration {
        var configuration = FayeServer.Configuration()
        configuration.handshakeTimeout = timeout
        return configuration
    }

    /// Advances the clock by `amount` one millisecond at a time, stopping early when the
    /// connection closes.
    static func advance(_ server: EmbeddedServer, by amount: Int) async {
        for _ in 0..<amount where server.isActive { await server.advance(by: .milliseconds(1)) }
    }

    @Test("slowloris: a request head sent one byte per second is cut off at the handshake timeout")
    func slowloris() async throws {
        let server = try await EmbeddedServer.connect(configuration: Self.configuration(timeout: .milliseconds(1500)))
        var sent = 0
        for byte in Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8) {
            guard server.isActive else { break }
            try await server.receive([byte])
            sent += 1
            // One second between bytes, watching for the server's close meanwhile.
            await Self.advance(server, by: 1000)
        }
        #expect(sent == 2)
        #expect(server.closedAfter == .milliseconds(1500))
        #expect(server.takeOutput().isEmpty, "the server sent bytes")
        await server.finish()
    }

    @Test("a request head that does not complete in time: the connection is closed")
    func slowHead() async throws {
        let server = try await EmbeddedServer.connect(configuration: Self.configuration(timeout: .milliseconds(300)))
        try await server.receive("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await server.advance(by: .milliseconds(299))
        #expect(server.isActive)
        await server.advance(by: .milliseconds(1))
        #expect(!server.isActive)
        #expect(server.closedAfter == .milliseconds(300))
        #expect(server.takeOutput().isEmpty)
        await server.finish()
    }

    @Test("an idle connection that never sends anything is closed after the handshake timeout")
    func idleConnection() async throws {
        let server = try await EmbeddedServer.connect(configuration: Self.configuration(timeout: .milliseconds(300)))
        await server.advance(by: .milliseconds(299))
        #expect(server.isActive)
        await server.advance(by: .milliseconds(1))
        #expect(server.closedAfter == .milliseconds(300))
        #expect(server.takeOutput().isEmpty)
        await server.finish()
    }

    @Test("a kept-alive connection gets the timeout again after a response, not while a WebSocket is open")
    func timeoutAfterResponseButNotForWebSockets() async throws {
        let http = try await EmbeddedServer.connect(configuration: Self.configuration(timeout: .milliseconds(300)))
        try await http.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await http.response().status == 200)
        // A next request within the timeout is served, and re-arms the timer once answered.
        await http.advance(by: .milliseconds(299))
        #expect(http.isActive)
        try await http.receive("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await http.response().text == "plain GET /again\n")
        await http.advance(by: .milliseconds(299))
        #expect(http.isActive)
        await http.advance(by: .milliseconds(1))
        #expect(!http.isActive)
        #expect(http.closedAfter == .milliseconds(599))

        let webSocket = try await EmbeddedServer.connect(configuration: Self.configuration(timeout: .milliseconds(300)))
        let socket = try await webSocket.upgrade()
        await webSocket.advance(by: .seconds(3600))
        #expect(webSocket.isActive)
        #expect(socket.readyState == .open)
        try await webSocket.receive(WebSocketHandshakes.maskedText("still here"))
        let frames = webSocket.takeFrames()
        #expect(frames.map(\.opcode) == [0x1])
        #expect(frames.first?.payload == Array("still here".utf8))
        await http.finish()
        await webSocket.finish()
    }

    @Test("a slow answer to a pipelined request is not cut by the handshake timeout")
    func slowPipelinedAnswer() async throws {
        let gate = Inbox<Bool>()
        let responder: FayeHTTPHandler.Responder = { request in
            if request.request.path == "/slow" { _ = try? await gate.next(timeout: .seconds(30), "the gate") }
            return ServerResponse(text: "\(request.request.path)\n")
        }
        let server = try await EmbeddedServer.connect(
            configuration: Self.configuration(timeout: .milliseconds(300)), responder: responder)
        try await server.receive("GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await server.response().text == "/fast\n")
        // The answer to /slow takes ten seconds: no timer runs while a request is answered.
        await server.advance(by: .seconds(10))
        #expect(server.isActive)
        #expect(server.takeOutput().isEmpty)
        gate.append(true)
        #expect(try await server.response().text == "/slow\n")
        // Answered: the timer runs again for the next request.
        await server.advance(by: .milliseconds(299))
        #expect(server.isActive)
        await server.advance(by: .milliseconds(1))
        #expect(server.closedAfter == .milliseconds(10_300))
        await server.finish()
    }
}
