import FayeEventSource
import FayeTestSupport
import NIOPosix
import Testing

/// Runs the chat server of Docs/Guides/Embedded-Server.md on loopback.
@Suite("Guide: WebSockets and EventSource from the embedded server", .allocatesMemory)
struct ChatServerTests {
    /// Runs `body` with a chat server on a free port and a client event loop group; shuts both
    /// down afterwards, also when `body` throws.
    func withChatServer(_ body: (Int, MultiThreadedEventLoopGroup) async throws -> Void) async throws {
        let server = makeChatServer(port: 0, room: ChatRoom())
        try await server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(try #require(server.localAddress?.port), group)
        } catch {
            try? await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        try await server.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("a WebSocket post reaches an EventSource listener; / and unknown paths answer")
    func postAndListen() async throws {
        try await withChatServer { port, group in
            let listener = try await StreamClient.connect(group: group, port: port, path: "/events")
            #expect(
                try await listener.events(atLeast: 1) == [ParsedEvent(type: "joined", data: "welcome", lastEventID: "")]
            )

            let replies = Locked<[WebSocketMessage]>([])
            let socket = WebSocket(url: "ws://127.0.0.1:\(port)/chat")
            socket.onMessage { message in replies.withLock { $0.append(message) } }
            #expect(socket.send("hello, listeners"))
            try await eventually("the reply") { replies.withLock { $0 } == [.text("ok 1")] }
            let events = try await listener.events(atLeast: 2)
            #expect(events.last == ParsedEvent(type: "chat", data: "hello, listeners", lastEventID: "1"))
            _ = try await socket.closeAndWait()

            let page = try await StreamClient.connect(group: group, port: port, path: "/", accept: nil)
            #expect(try await page.head().statusLine == "HTTP/1.1 200 OK")
            let missing = try await StreamClient.connect(group: group, port: port, path: "/nowhere", accept: nil)
            #expect(try await missing.head().statusLine == "HTTP/1.1 404 Not Found")
            await listener.close()
            await page.close()
            await missing.close()
        }
    }

    @Test("2,000 posts from one WebSocket are broadcast and acknowledged in the order they were sent")
    func order() async throws {
        let count = 2_000
        try await withChatServer { port, group in
            let listener = try await StreamClient.connect(group: group, port: port, path: "/events")
            _ = try await listener.events(atLeast: 1)  // joined: every later post reaches it
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/chat")
            // Sent without waiting, back to back, as a fast client would.
            for index in 0..<count { #expect(socket.send("m\(index)")) }
            var replies: [WebSocketMessage] = []
            for try await message in socket.messages {
                replies.append(message)
                if replies.count == count { break }
            }
            // The first position out of order, if any (comparing whole arrays prints 2,000 items).
            func firstDifference<T: Equatable>(_ seen: [T], _ expected: [T]) -> Int? {
                seen.indices.first { $0 >= expected.count || seen[$0] != expected[$0] }
                    ?? (seen.count == expected.count ? nil : seen.count)
            }
            #expect(firstDifference(replies, (1...count).map { .text("ok \($0)") }) == nil)
            let events = Array(try await listener.events(atLeast: count + 1, timeout: .seconds(30)).dropFirst())
            #expect(firstDifference(events.map(\.data), (0..<count).map { "m\($0)" }) == nil)
            #expect(firstDifference(events.map(\.lastEventID), (1...count).map { "\($0)" }) == nil)
            _ = try await socket.closeAndWait()
            await listener.close()
        }
    }

    @Test("runChatServer stops when its task is cancelled")
    func runAndCancel() async throws {
        let task = Task { try await runChatServer(port: 0) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await task.value }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw TestTimeout(what: "runChatServer to return", after: .seconds(10))
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
