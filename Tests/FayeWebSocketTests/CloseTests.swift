import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// The closing handshake from each side, vanishing peers, close timeouts and server shutdown.
@Suite("Closing")
struct CloseTests {
    @Test("the server closes with 4001 \"bye\": both sides see 4001 and \"bye\"")
    func serverCloses() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            let closes = Locked<[CloseEvent]>([])
            socket.onClose { closes.append($0) }
            #expect(try socket.close(code: 4001, reason: "bye"))
            // CLOSING at once (CLOSED already if the whole closing handshake beat this line).
            #expect([.closing, .closed].contains(socket.readyState))
            #expect(try socket.close(code: 4002, reason: "again") == false)
            let clientClose = try await client.closeEvent()
            #expect(clientClose.code == 4001)
            #expect(clientClose.reason == "bye")
            let serverClose = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(serverClose == CloseEvent(code: CloseCode(4001), reason: "bye"))
            #expect(socket.readyState == .closed)
            try await client.waitDisconnected()
            try await eventually("the close listener") { closes.current.count == 1 }
            try await settle(socket)
            #expect(closes.current == [CloseEvent(code: CloseCode(4001), reason: "bye")])
        }
    }

    @Test("closeAndWait resumes with the close event")
    func closeAndWait() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            let event = try await withTimeout("closeAndWait") { try await socket.closeAndWait(code: 1000) }
            #expect(event.code == .normalClosure)
            #expect(try await client.closeEvent().code == 1000)
        }
    }

    @Test("the client closes: the server's close event carries the client's code and reason")
    func clientCloses() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            #expect(try await client.close(code: 4321, reason: "client done"))
            let serverClose = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(serverClose == CloseEvent(code: CloseCode(4321), reason: "client done"))
            let clientClose = try await client.closeEvent()
            #expect(clientClose.code == 4321)
            // The server closes the TCP connection after echoing the close frame.
            try await client.waitDisconnected()
            #expect(socket.readyState == .closed)
        }
    }

    @Test("a peer that vanishes without a close frame: close event 1006, once")
    func peerVanishes() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            let closes = Locked<[CloseEvent]>([])
            let errors = Locked<[WebSocketError]>([])
            socket.onClose { closes.append($0) }
            socket.onError { errors.append($0) }
            await client.disconnect()
            let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(event.code == .abnormalClosure)
            #expect(event.reason == "")
            try await settle(socket)
            #expect(closes.current.map(\.code) == [.abnormalClosure])
            #expect(errors.current.count <= 1)
            #expect(socket.readyState == .closed)
            #expect(socket.send("too late") == false)
            #expect(socket.ping() == false)
        }
    }

    @Test("terminate drops the connection at once: close event 1006")
    func terminate() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            socket.terminate()
            let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(event.code == .abnormalClosure)
            try await client.waitDisconnected()
            #expect(try await client.closeEvent().code == 1006)
        }
    }

    @Test("close refuses codes a page may not use, even once closed")
    func closeCodeRule() async throws {
        try await withLoopback { loopback in
            _ = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            #expect(throws: WebSocketCloseError.invalidCode(1001)) { try socket.close(code: 1001) }
            #expect(throws: WebSocketCloseError.invalidCode(2999)) { try socket.close(code: 2999) }
            #expect(throws: WebSocketCloseError.invalidCode(5000)) { try socket.close(code: 5000) }
            #expect(socket.readyState == .open)
            _ = try await withTimeout("closeAndWait") { try await socket.closeAndWait() }
            #expect(throws: WebSocketCloseError.invalidCode(1006)) { try socket.close(code: 1006) }
            #expect(try socket.close() == false)
        }
    }

    @Test("server shutdown closes open WebSockets with 1001 and the clients see 1001")
    func gracefulShutdown() async throws {
        var server = LoopbackServer()
        // A grace period far longer than the bound on the shutdown below: shutdown returning
        // within that bound shows it did not wait for it once both clients had answered.
        server.configuration.shutdownGracePeriod = .seconds(120)
        try await withLoopback(server) { loopback in
            let first = try await loopback.client()
            let second = try await loopback.client()
            let sockets = [try await loopback.nextServerSocket(), try await loopback.nextServerSocket()]
            try await withTimeout("shutdown", timeout: .seconds(30)) { try await loopback.server.shutdown() }
            for client in [first, second] {
                let event = try await client.closeEvent()
                #expect(event.code == 1001)
                try await client.waitDisconnected()
            }
            for socket in sockets {
                let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
                #expect(event.code == .goingAway)
            }
            // No longer listening.
            #expect(loopback.server.localAddress == nil)
        }
    }

    @Test("shutdown with a client that never answers: the grace period ends it")
    func shutdownGracePeriod() async throws {
        var server = LoopbackServer()
        server.configuration.shutdownGracePeriod = .milliseconds(300)
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(WebSocketHandshakes.request())
            #expect(try await client.readResponse().status == 101)
            let socket = try await loopback.nextServerSocket()
            try await withTimeout("shutdown") { try await loopback.server.shutdown() }
            #expect(try await withTimeout("the server's close") { await socket.finalCloseEvent() }.code == .abnormalClosure)
            try await client.waitDisconnected()
        }
    }
}
