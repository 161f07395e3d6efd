import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOPosix
import Testing
import WebSocketDriver

/// The `messages` sequence, cancellation and scopes: one consumer, nothing kept twice, nothing
/// kept beyond its bound, no trap on misuse.
@Suite("Async messages, cancellation and scopes", .allocatesMemory)
struct AsyncMessagesTests {
    static func clientOptions(_ loopback: Loopback) -> WebSocketClientOptions {
        var options = WebSocketClientOptions()
        options.eventLoopGroup = loopback.group
        return options
    }

    static func url(_ loopback: Loopback) -> String { "ws://127.0.0.1:\(loopback.port)/" }

    @Test("a second iteration of messages throws messagesAlreadyIterated instead of trapping")
    func secondIteration() async throws {
        try await withLoopback { loopback in
            let socket = try await WebSocket.connect(
                to: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            var first = socket.messages.makeAsyncIterator()
            var second = socket.messages.makeAsyncIterator()
            let error = await #expect(throws: WebSocketError.self) { try await second.next() }
            #expect(error?.kind == .messagesAlreadyIterated)
            #expect(try await second.next() == nil)
            try await socket.send(.text("still works"))
            #expect(try await first.next() == .text("still works"))
            _ = try await socket.closeAndWait()
        }
    }

    @Test("1,000 messages read only through the sequence, in order; none is kept for a late listener")
    func consumedOnce() async throws {
        let count = 1_000
        try await withLoopback(echo: false) { loopback in
            let client = try await WebSocket.connect(
                to: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            let server = try await loopback.nextServerSocket()
            let reader = Task {
                var received: [String] = []
                for try await message in server.messages {
                    if case .text(let text) = message { received.append(text) }
                    if received.count == count { break }
                }
                return received
            }
            for index in 0..<count { try await client.send(.text("\(index)")) }
            #expect(try await reader.value == (0..<count).map { "\($0)" })
            let late = Locked<[WebSocketMessage]>([])
            server.onMessage { late.append($0) }
            try await server.eventLoop.submit {}.get()  // a backlog would be delivered by now
            #expect(late.current.isEmpty)
            _ = try await client.closeAndWait()
        }
    }

    @Test("with no consumer, messages are kept up to the bound (reading pauses) and none is lost")
    func boundedWithoutConsumer() async throws {
        var options = WebSocketOptions()
        options.messageBufferLimit = 4
        let count = 100
        let payload = patternBytes(64 * 1024)
        try await withLoopback(options: options, echo: false) { loopback in
            let client = try await WebSocket.connect(
                to: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            let server = try await loopback.nextServerSocket()
            // Sent without waiting: the client's own buffer holds what the server does not read.
            for index in 0..<count { let _: Bool = client.send(.binary([UInt8(index)] + payload)) }
            // Let the server read what it will (it stops at the bound): wait until the client's
            // send buffer stops draining. Checking early only makes the backlog smaller, so the
            // bound below cannot fail for a slow machine.
            let received = Locked<[UInt8]>([])
            var last = -1
            for _ in 0..<50 where client.bufferedAmount != last {
                last = client.bufferedAmount
                try await Task.sleep(for: .milliseconds(100))
            }
            // Added on the event loop, the listener gets the kept messages at once, before any
            // new read: what it holds right after is exactly the backlog. It is bounded: the
            // limit plus at most one read batch, far below the 100 sent.
            let backlog = try await server.eventLoop.submit {
                server.onMessage { message in
                    if case .binary(let bytes) = message, let first = bytes.first { received.append(first) }
                }
                return received.current.count
            }.get()
            #expect(backlog > 0 && backlog < count / 2, "backlog \(backlog)")
            try await eventually("every message, in order") { received.current.count == count }
            #expect(received.current == (0..<count).map { UInt8($0) })
            _ = try await client.closeAndWait()
        }
    }

    @Test("the sequence throws the connection's error at its end")
    func sequenceThrowsFailure() async throws {
        try await withLoopback(echo: false) { loopback in
            let client = try await loopback.client()
            let server = try await loopback.nextServerSocket()
            let iteration = Task { () async throws -> [WebSocketMessage] in
                var received: [WebSocketMessage] = []
                for try await message in server.messages { received.append(message) }
                return received
            }
            #expect(try await client.send("one"))
            // An unmasked text frame from a client: a protocol violation (1002).
            try await client.writeRaw([0x81, 0x03] + Array("bad".utf8))
            let result = await iteration.result
            guard case .failure(let failure as WebSocketError) = result,
                case .protocolViolation(.unmaskedFrame) = failure.kind
            else {
                Issue.record("the iteration ended with \(result)")
                return
            }
            #expect(await server.finalCloseEvent().code == .protocolError)
            await client.disconnect()
        }
    }

    @Test("cancelling closed() throws CancellationError at once and leaves the socket open")
    func cancelClosed() async throws {
        try await withLoopback { loopback in
            let socket = try await WebSocket.connect(
                to: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            let waiter = Task { try await socket.closed() }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(socket.readyState == .open)
            _ = try await socket.closeAndWait()
        }
    }

    @Test("cancelling connect ends the attempt: CancellationError, nothing left open")
    func cancelConnect() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await CannedServer.start(group: group) { _ in nil }
        var clientOptions = WebSocketClientOptions()
        clientOptions.eventLoopGroup = group
        let attempt = Task { try await WebSocket.connect(to: server.url, clientOptions: clientOptions) }
        _ = try await server.requests.next(timeout: .seconds(5), "the handshake request")
        attempt.cancel()
        await #expect(throws: CancellationError.self) { try await attempt.value }
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("a send from a cancelled task throws CancellationError and sends nothing")
    func cancelSend() async throws {
        try await withLoopback(echo: false) { loopback in
            let client = try await WebSocket.connect(
                to: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
            let server = try await loopback.nextServerSocket()
            let received = Locked<[WebSocketMessage]>([])
            server.onMessage { received.append($0) }
            let sender = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await client.send(.text("never"))
            }
            await #expect(throws: CancellationError.self) { try await sender.value }
            try await client.send(.text("after"))
            try await eventually("the next message") { !received.current.isEmpty }
            #expect(received.current == [.text("after")])
            _ = try await client.closeAndWait()
        }
    }

    @Test("withConnection closes with 1000 when the body returns, 1011 when it throws")
    func scoped() async throws {
        struct Oops: Error {}
        try await withLoopback { loopback in
            let answer = try await WebSocket.withConnection(
                to: Self.url(loopback), clientOptions: Self.clientOptions(loopback)
            ) { socket -> WebSocketMessage? in
                try await socket.send(.text("ping"))
                for try await message in socket.messages { return message }
                return nil
            }
            #expect(answer == .text("ping"))
            let first = try await loopback.nextServerSocket()
            #expect(await first.finalCloseEvent().code == .normalClosure)

            await #expect(throws: Oops.self) {
                try await WebSocket.withConnection(to: Self.url(loopback), clientOptions: Self.clientOptions(loopback))
                {
                    _ in throw Oops()
                }
            }
            let second = try await loopback.nextServerSocket()
            #expect(await second.finalCloseEvent().code == .internalError)
        }
    }
}
