import FayeEventSource
import FayeTestSupport
import NIOCore
import NIOPosix
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// The body writes a host gets: every buffer, in order.
private final class BodyRecorder: Sendable {
    let bytes = Locked<[UInt8]>([])
    let writes = Locked(0)
    var text: String { String(decoding: bytes.current, as: UTF8.self) }

    func write(_ buffer: ByteBuffer) {
        bytes.withLock { $0 += buffer.readableBytesView }
        writes.withLock { $0 += 1 }
    }
}

/// A request for `/events` with the given headers.
private func eventRequest(_ headers: HeaderFields = [:]) -> ServerRequest {
    var fields: HeaderFields = ["Host": "example.com", "Accept": "text/event-stream"]
    for field in headers { fields.append(name: field.name, value: field.value) }
    return ServerRequest(request: IncomingRequest(method: "GET", target: "/events", headers: fields))
}

@Suite("HostedEventStream: an EventSource through a host's response body")
struct HostedEventStreamTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test("the prelude, the events in order, then the end when the stream closes; headers without Connection")
    func writesAndEnds() async throws {
        var options = EventSourceOptions()
        options.headers = ["Access-Control-Allow-Origin": "*", "Connection": "keep-alive"]
        let closes = Inbox<EventSourceCloseEvent>()
        let stream = HostedEventStream(
            request: eventRequest(["Last-Event-ID": "41"]), options: options, eventLoop: group.any()
        ) { source in
            source.onClose { closes.append($0) }
            try? source.send("a", id: "42")
            try? source.send("b\nc", event: "tick")
            source.close()
        }
        #expect(stream.status == 200)
        #expect(
            stream.headers.map { "\($0.name): \($0.value)" } == [
                "Content-Type: text/event-stream", "Cache-Control: no-cache, no-store",
                "Access-Control-Allow-Origin: *",
            ])
        #expect(stream.source.lastEventId == "41")
        #expect(stream.source.url == "http://example.com/events")
        let body = BodyRecorder()
        await stream.run { body.write($0) }
        #expect(body.text == "retry: 5000\r\n\r\nid: 42\r\ndata: a\r\n\r\nevent: tick\r\ndata: b\r\ndata: c\r\n\r\n")
        #expect(try await closes.next(timeout: .seconds(5), "the close event").reason == .closedLocally)
        #expect(stream.source.readyState == .closed)
    }

    @Test("the host's writer is the pace: an async send resumes once its bytes are written; nothing is lost")
    func backpressure() async throws {
        let gate = AsyncStream<Void>.makeStream()
        let opened = Inbox<Void>()
        let stream = HostedEventStream(request: eventRequest(), eventLoop: group.any()) { source in
            source.onOpen { opened.append(()) }
        }
        let body = BodyRecorder()
        let writer = Task {
            var first = true
            await stream.run { buffer in
                if first {
                    first = false
                    // The host's writer is stuck until the gate opens.
                    for await _ in gate.stream { break }
                }
                body.write(buffer)
            }
        }
        try await opened.next(timeout: .seconds(5), "the open event")
        let source = stream.source
        let payload = String(repeating: "x", count: 16 * 1024)
        // Synchronous sends queue beyond the high-water mark, counted in bufferedAmount.
        for index in 0..<5 { try sendWithoutWaiting(source, payload, id: String(index)) }
        #expect(source.bufferedAmount > HostedEventStream.highWaterMark)
        let sent = Locked(false)
        let sender = Task {
            try await source.send("last", id: "5")
            sent.withLock { $0 = true }
        }
        try await eventually("the async send to be queued") {
            source.bufferedAmount > 5 * 16 * 1024 + 4
        }
        #expect(!sent.current)
        gate.continuation.yield()
        try await sender.value
        #expect(sent.current)
        source.close()
        await writer.value
        let ids = body.text.split(separator: "\r\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
        #expect(ids == (0...5).map(String.init))
        #expect(source.bufferedAmount == 0)
    }

    @Test("a write that throws (the client left) closes the stream: connection lost, sends refused")
    func writerFailure() async throws {
        struct Gone: Error {}
        let closes = Inbox<EventSourceCloseEvent>()
        let stream = HostedEventStream(request: eventRequest(), eventLoop: group.any()) { source in
            source.onClose { closes.append($0) }
        }
        await stream.run { _ in throw Gone() }
        let event = try await closes.next(timeout: .seconds(5), "the close event")
        #expect(event.reason == .error("Gone()"))
        #expect(stream.source.readyState == .closed)
        #expect(throws: EventSourceError.notOpen) { try stream.source.send("late") }
    }

    @Test("a stream has one body: a second run writes nothing and returns at once")
    func runsOnce() async throws {
        let stream = HostedEventStream(request: eventRequest(), eventLoop: group.any()) { source in
            try? source.send("only", id: "1")
            source.close()
        }
        let body = BodyRecorder()
        await stream.run { body.write($0) }
        let second = BodyRecorder()
        try await withTimeout("the second run to return") { await stream.run { second.write($0) } }
        #expect(body.text.hasSuffix("id: 1\r\ndata: only\r\n\r\n"))
        #expect(second.bytes.current.isEmpty)
    }

    @Test("cancelling the host's task ends the stream at once")
    func cancellation() async throws {
        let opened = Inbox<Void>()
        let stream = HostedEventStream(request: eventRequest(), eventLoop: group.any()) { source in
            source.onOpen { opened.append(()) }
        }
        let task = Task { await stream.run { _ in } }
        try await opened.next(timeout: .seconds(5), "the open event")
        task.cancel()
        await task.value
        let source = stream.source
        try await eventually("the stream to close") { source.readyState == .closed }
    }

    @Test("a graceful shutdown of the host's service group ends the stream after what was sent")
    func gracefulShutdown() async throws {
        let opened = Inbox<Void>()
        let stream = HostedEventStream(request: eventRequest(), eventLoop: group.any()) { source in
            source.onOpen { opened.append(()) }
        }
        let body = BodyRecorder()
        try await testGracefulShutdown { trigger in
            let task = Task { await stream.run { body.write($0) } }
            try await opened.next(timeout: .seconds(5), "the open event")
            try await stream.source.send("bye", id: "9")
            trigger.triggerGracefulShutdown()
            await task.value
        }
        #expect(body.text.hasSuffix("id: 9\r\ndata: bye\r\n\r\n"))
        #expect(stream.source.readyState == .closed)
    }
}
