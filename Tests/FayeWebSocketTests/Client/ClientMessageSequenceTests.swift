import FayeTestSupport
import FayeWebSocket
import NIOConcurrencyHelpers
import NIOPosix
import Testing
import WebSocketDriver

/// The `messages` sequence of a client that received before the sequence was made: found by
/// the interoperability suite (scripts/interop.sh), where a peer server that sends right after
/// the handshake sometimes beat the caller's `socket.messages` and the message was lost.
@Suite("Client message sequence")
struct ClientMessageSequenceTests {
    @Test("a message received before `messages` is made is its first element, and only the sequence gets it")
    func messageBeforeSequence() async throws {
        // The 101 and a text frame in one write: the client opens and receives in one read.
        let server = try await CannedServer.start(group: MultiThreadedEventLoopGroup.singleton) { request in
            CannedServer.switching(request) + [0x81, 0x05] + Array("early".utf8)
        }
        let socket = WebSocket(url: server.url)
        let opened = NIOLockedValueBox(false)
        socket.onOpen { opened.withLockedValue { $0 = true } }
        try await eventually("the open event") { opened.withLockedValue { $0 } }
        // The open listener ran inside the read that carried the message: one more turn of the
        // event loop and the message has been dispatched, with no message listener and no sequence.
        try await socket.eventLoop.submit {}.get()

        let messages = socket.messages
        let first = try await withTimeout("the early message") { () async throws -> WebSocketMessage? in
            for try await message in messages { return message }
            return nil
        }
        #expect(first == .text("early"))

        // The sequence consumed it: a listener added later does not get it a second time (a
        // backlog would be delivered by a task on the event loop; one round trip there runs it).
        let late = NIOLockedValueBox<[WebSocketMessage]>([])
        socket.onMessage { message in late.withLockedValue { $0.append(message) } }
        try await socket.eventLoop.submit {}.get()
        #expect(late.withLockedValue { $0 }.isEmpty)

        socket.terminate()
        _ = await socket.finalCloseEvent()
        await server.stop()
    }
}
