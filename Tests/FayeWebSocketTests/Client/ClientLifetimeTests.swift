import FayeTestSupport
import FayeWebSocket
import PermessageDeflate
import Testing
import WebSocketDriver

/// A closed client socket is freed: nothing (listeners, the message sequence, the channel
/// handler, the driver) keeps it alive once the caller lets go of it.
@Suite("Client lifetime")
struct ClientLifetimeTests {
    final class WeakBox: @unchecked Sendable {
        weak var socket: WebSocket?
    }

    @Test("a client socket that opened, exchanged messages and closed is deallocated")
    func freedAfterClose() async throws {
        var serverOptions = WebSocketOptions()
        serverOptions.extensions = [PermessageDeflate()]
        try await withLoopback(options: serverOptions) { loopback in
            let box = WeakBox()
            do {
                var options = WebSocketOptions()
                options.extensions = [PermessageDeflate()]
                var clientOptions = WebSocketClientOptions()
                clientOptions.eventLoopGroup = loopback.group
                let socket = WebSocket(
                    url: "ws://127.0.0.1:\(loopback.port)/", options: options, clientOptions: clientOptions)
                box.socket = socket
                let client = RecordedSocket(socket)
                let messages = socket.messages
                try await client.expectOpen()
                try await socket.send(.text("hello"))
                var iterator = messages.makeAsyncIterator()
                #expect(try await iterator.next() == .text("hello"))
                _ = try await withTimeout("the close") { try await socket.closeAndWait() }
            }
            try await eventually("the client socket to be freed") { box.socket == nil }
        }
    }

    @Test("sockets whose listeners capture them are deallocated after the close, on both sides")
    func freedWithCapturingListeners() async throws {
        let server = WeakBox()
        let client = WeakBox()
        // A responder of its own: the default one keeps every server socket for the test.
        let responder: FayeHTTPHandler.Responder = { _ in
            .webSocket(options: WebSocketOptions()) { socket in
                server.socket = socket
                socket.onMessage { socket.send($0) }
                socket.onClose { _ in _ = socket.readyState }
            }
        }
        try await withLoopback(responder: responder) { loopback in
            do {
                var clientOptions = WebSocketClientOptions()
                clientOptions.eventLoopGroup = loopback.group
                let socket = WebSocket(url: "ws://127.0.0.1:\(loopback.port)/", clientOptions: clientOptions)
                client.socket = socket
                let replies = Inbox<WebSocketMessage>()
                socket.onOpen { socket.send("ping me") }
                socket.onMessage { message in
                    replies.append(message)
                    _ = try? socket.close()
                }
                #expect(try await replies.next(timeout: .seconds(5), "the echo") == .text("ping me"))
                _ = try await withTimeout("the close") { await socket.finalCloseEvent() }
            }
            try await eventually("the client socket to be freed") { client.socket == nil }
            try await eventually("the server socket to be freed") { server.socket == nil }
        }
    }

    @Test("a client socket whose connection failed is deallocated", arguments: ["ws://", "refused"])
    func freedAfterFailure(url: String) async throws {
        let box = WeakBox()
        try await withRefusingPort { port in
            let socket = WebSocket(url: url == "refused" ? "ws://127.0.0.1:\(port)/" : url)
            box.socket = socket
            let client = RecordedSocket(socket)
            _ = try await client.expectFailure()
        }
        try await eventually("the client socket to be freed") { box.socket == nil }
    }
}
