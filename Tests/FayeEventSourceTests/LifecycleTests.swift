import FayeEventSource
import FayeTestSupport
import Testing

/// The lifecycle EventSource shares with WebSocket: cancellable waits, listeners registered on
/// the event loop with their backlog, removal that wins over a pending registration.
@Suite("EventSource lifecycle")
struct LifecycleTests {
    @Test("cancelling closed() throws CancellationError at once and leaves the stream open")
    func cancelClosed() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source(0)
            let waiter = Task { try await source.closed() }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(source.readyState == .open)
            #expect(try await source.closeAndWait().reason == .closedLocally)
            await client.close()
        }
    }

    @Test("a listener removed before its registration ran is never called; the close reaches the others")
    func removeBeforeRegistration() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source(0)
            let calls = Locked<[String]>([])
            let removed = source.onClose { _ in calls.withLock { $0.append("removed") } }
            source.removeListener(removed)
            source.onClose { _ in calls.withLock { $0.append("kept") } }
            _ = try await source.closeAndWait()
            try await source.eventLoop.submit {}.get()
            #expect(calls.current == ["kept"])
            await client.close()
        }
    }

    @Test("an async send from a cancelled task throws cancelled and writes nothing")
    func cancelledSend() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source(0)
            let sender = Task { () -> EventSourceError? in
                withUnsafeCurrentTask { $0?.cancel() }
                do {
                    try await source.send("never")
                    return nil
                } catch {
                    return error as? EventSourceError
                }
            }
            #expect(await sender.value == .cancelled)
            try await source.send("after")
            #expect(try await client.events(atLeast: 1).map(\.data) == ["after"])
            await client.close()
        }
    }
}
