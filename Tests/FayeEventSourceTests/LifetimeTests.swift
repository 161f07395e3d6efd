import FayeEventSource
import FayeTestSupport
import FayeWebSocket
import Testing

/// A closed stream is freed, and the server's shutdown ends open streams.
@Suite("EventSource lifetime", .serialized)
struct LifetimeTests {
    /// A weak reference behind a lock.
    struct WeakSource {
        weak var source: EventSource?
    }

    @Test("a closed stream whose listeners capture it is freed once the client has gone")
    func freedAfterClose() async throws {
        let weak = Locked(WeakSource())
        let closed = Locked(false)
        let responder: FayeHTTPHandler.Responder = { request in
            .eventSource { source in
                // The usual shape: a listener that uses its own stream.
                source.onOpen { _ = source.url }
                source.onClose { _ in
                    _ = source.url
                    closed.withLock { $0 = true }
                }
                weak.withLock { $0.source = source }
            }
        }
        try await withLoopback(responder: responder) { loopback in
            let client = try await loopback.connect()
            _ = try await client.head()
            #expect(weak.current.source != nil)
            await client.close()
            try await eventually("the close listener") { closed.current }
            try await eventually("the stream to be freed") { weak.current.source == nil }
        }
    }

    @Test("server shutdown closes an open stream; its close listener has run when shutdown returns")
    func shutdownClosesStreams() async throws {
        let reason = Locked<EventSourceCloseEvent?>(nil)
        try await withLoopback(setup: { source in source.onClose { event in reason.withLock { $0 = event } } }) {
            loopback in
            let client = try await loopback.connect()
            _ = try await client.head()
            try await loopback.server.shutdown()
            #expect(reason.current != nil)
            try await client.waitDisconnected()
        }
    }
}
