import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import FayeEventSource

@Suite("The EventSource client on embedded channels, with virtual time")
struct EventSourceClientTests {
    @Test("the request: GET with Accept, Cache-Control, Host, the caller's headers; Basic from userinfo")
    func getRequest() throws {
        var options = EventSourceClientOptions()
        options.headers.append(name: "X-Trace", value: "abc")
        let source = EmbeddedEventSource(url: "http://user:pa%20ss@example.com:8080/feed?x=1", options: options)
        let request = try source.request()
        #expect(request.hasPrefix("GET /feed?x=1 HTTP/1.1\r\n"))
        #expect(request.contains("Host: example.com:8080\r\n"))
        #expect(request.contains("Accept: text/event-stream\r\n"))
        #expect(request.contains("Cache-Control: no-cache\r\n"))
        #expect(request.contains("X-Trace: abc\r\n"))
        #expect(request.contains("Authorization: Basic dXNlcjpwYSBzcw==\r\n"))
        #expect(!request.contains("Last-Event-ID"))
        #expect(source.client.url == "http://example.com:8080/feed?x=1")
        try source.finish()
    }

    @Test("a POST carries its body and Content-Length; a resumed stream sends Last-Event-ID")
    func postRequest() throws {
        var options = EventSourceClientOptions()
        options.method = "POST"
        options.body = Array(#"{"prompt":"hi"}"#.utf8)
        options.headers.append(name: "Content-Type", value: "application/json")
        options.lastEventID = "41"
        let source = EmbeddedEventSource(options: options)
        let request = try source.request()
        #expect(request.hasPrefix("POST /stream HTTP/1.1\r\n"))
        #expect(request.contains("Content-Length: 15\r\n"))
        #expect(request.contains("Last-Event-ID: 41\r\n"))
        #expect(request.hasSuffix("\r\n\r\n{\"prompt\":\"hi\"}"))
        try source.finish()
    }

    @Test("open, typed listeners, message listeners; events of types nobody listens to are dropped")
    func listeners() throws {
        let source = EmbeddedEventSource()
        source.listen("message")
        source.listen("tick")
        #expect(source.client.readyState == .connecting)
        try source.accept()
        #expect(source.client.readyState == .open)
        #expect(source.opens == 1)
        try source.respond("data: a\n\nevent: tick\nid: 1\ndata: b\n\nevent: other\ndata: c\n\n")
        #expect(source.events == [MessageEvent(data: "a"), MessageEvent(type: "tick", data: "b", lastEventID: "1")])
        #expect(source.client.lastEventID == "1")
        try source.finish()
    }

    @Test("after the stream ends: an error event while CONNECTING, then a reconnection after 3 s with Last-Event-ID")
    func reconnectsAfterEOF() throws {
        let source = EmbeddedEventSource()
        source.listen("message")
        _ = try source.request()
        try source.accept()
        try source.respond("id: 7\ndata: x\n\n")
        try source.drop()
        #expect(source.errors.map(\.kind) == [.connectionLost])
        #expect(source.statesAtErrors == [.connecting])
        source.advance(by: .milliseconds(2999))
        #expect(source.channels.count == 1)
        source.advance(by: .milliseconds(1))
        #expect(source.channels.count == 2)
        #expect(try source.request().contains("Last-Event-ID: 7\r\n"))
        try source.accept()
        #expect(source.opens == 2)
        try source.respond("data: y\n\n")
        #expect(source.events.map(\.lastEventID) == ["7", "7"])
        try source.finish()
    }

    @Test("retry sets the reconnection time; repeated failures back off exponentially up to the cap")
    func backoff() throws {
        var options = EventSourceClientOptions()
        options.reconnection.maxDelay = .seconds(2)
        let source = EmbeddedEventSource(options: options)
        try source.accept()
        try source.respond("retry: 500\n\n")
        #expect(source.client.reconnectionTime == .milliseconds(500))
        source.connector.refusals = 4
        try source.drop()
        // Waits: 500 ms, then refused: 1 s, refused: 2 s (the cap), refused: 2 s, refused: 2 s.
        var expected = 1
        for wait in [500, 1000, 2000, 2000, 2000] {
            source.advance(by: .milliseconds(Int64(wait - 1)))
            #expect(source.errors.count == expected, "before the \(wait) ms wait ended")
            source.advance(by: .milliseconds(1))
            expected += 1
        }
        // The fifth attempt connected.
        #expect(source.channels.count == 2)
        #expect(source.errors.count == 5)
        #expect(source.errors.dropFirst().allSatisfy { if case .connectionFailed = $0.kind { true } else { false } })
        try source.finish()
    }

    @Test("a connection that stayed open past stableAfter resets the backoff")
    func stableConnectionResets() throws {
        var options = EventSourceClientOptions()
        options.reconnection.initialDelay = .seconds(1)
        options.reconnection.stableAfter = .seconds(10)
        let source = EmbeddedEventSource(options: options)
        try source.accept()
        source.connector.refusals = 1
        try source.drop()
        source.advance(by: .seconds(1))  // refused
        source.advance(by: .seconds(2))  // connected after a 2 s wait
        #expect(source.channels.count == 2)
        try source.accept()
        source.advance(by: .seconds(10))
        try source.drop()
        source.advance(by: .milliseconds(999))
        #expect(source.channels.count == 2)
        source.advance(by: .milliseconds(1))
        #expect(source.channels.count == 3, "the wait went back to 1 s")
        try source.finish()
    }

    @Test("a stream that delivered an event resets the backoff: a server ending short streams is not a failure")
    func deliveringStreamResets() throws {
        var options = EventSourceClientOptions()
        options.reconnection.initialDelay = .seconds(1)
        let source = EmbeddedEventSource(options: options)
        for attempt in 1...4 {
            #expect(source.channels.count == attempt)
            try source.accept()
            try source.respond("data: \(attempt)\n\n")
            try source.drop()
            source.advance(by: .milliseconds(999))
            #expect(source.channels.count == attempt, "no attempt before the reconnection time")
            source.advance(by: .milliseconds(1))
        }
        #expect(source.channels.count == 5)
        try source.finish()
    }

    @Test("a consumer of the sequence that falls behind stops the reads; events are not dropped meanwhile")
    func backpressurePausesReading() throws {
        var options = EventSourceClientOptions()
        options.eventBufferLimit = 4
        let source = EmbeddedEventSource(options: options)
        let events = source.client.events
        try source.accept()
        let channel = try source.channel
        let before = source.connector.readCounter.reads
        channel.read()
        #expect(source.connector.readCounter.reads == before + 1, "reads flow while the consumer keeps up")
        try source.respond((1...6).map { "data: \($0)\n\n" }.joined())
        channel.read()
        #expect(source.connector.readCounter.reads == before + 1, "no read once 4 events wait")
        _ = events
        try source.finish()
    }

    @Test("before the sequence is first read: with no listener reading stops at the limit; with one it never does")
    func eventsBeforeTheSequence() throws {
        var options = EventSourceClientOptions()
        options.eventBufferLimit = 4
        let unread = EmbeddedEventSource(options: options)
        try unread.accept()
        let before = unread.connector.readCounter.reads
        try unread.respond((1...6).map { "data: \($0)\n\n" }.joined())
        try unread.channel.read()
        #expect(unread.connector.readCounter.reads == before, "nobody consumes: wait rather than drop")
        _ = unread.client.events
        unread.loop.run()
        try unread.channel.read()
        #expect(unread.connector.readCounter.reads == before, "six events handed over, above the limit: still waiting")
        try unread.finish()

        let listened = EmbeddedEventSource(options: options)
        listened.listen("message")
        try listened.accept()
        let start = listened.connector.readCounter.reads
        try listened.respond((1...6).map { "data: \($0)\n\n" }.joined())
        try listened.channel.read()
        #expect(listened.connector.readCounter.reads == start + 1, "a listener consumes: reads go on")
        #expect(listened.events.count == 6)
        // Kept for the sequence: between the limit and twice it, trimmed in batches.
        try listened.respond((7...20).map { "data: \($0)\n\n" }.joined())
        let kept = listened.client.state.withLockedValue { $0.earlyEvents.map(\.data) }
        #expect((4..<8).contains(kept.count))
        #expect(kept.last == "20")
        #expect(kept == (21 - kept.count...20).map(String.init), "the latest, in order")
        try listened.finish()
    }

    @Test("204 closes the source without an error and without reconnecting")
    func noContent() throws {
        let source = EmbeddedEventSource()
        try source.respond("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(source.client.readyState == .closed)
        #expect(source.errors.isEmpty)
        source.advance(by: .seconds(60))
        #expect(source.channels.count == 1)
        try source.finish()
    }

    @Test(
        "a response that is not 200 with text/event-stream fails the source, no reconnection",
        arguments: [
            ("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", 500, nil),
            ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", 200, "text/plain"),
            ("HTTP/1.1 200 OK\r\n\r\n", 200, nil),
            ("HTTP/1.1 404 Not Found\r\nContent-Type: text/event-stream\r\n\r\n", 404, "text/event-stream"),
        ] as [(String, Int, String?)])
    func badResponses(response: String, status: Int, contentType: String?) throws {
        let source = EmbeddedEventSource()
        try source.respond(response)
        #expect(source.client.readyState == .closed)
        #expect(source.errors.map(\.kind) == [.badResponse(status: status, contentType: contentType)])
        #expect(source.statesAtErrors == [.closed])
        source.advance(by: .seconds(60))
        #expect(source.channels.count == 1)
        try source.finish()
    }

    @Test("Content-Type parameters and case are allowed")
    func contentTypeParameters() throws {
        let source = EmbeddedEventSource()
        try source.respond("HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\r\n")
        #expect(source.client.readyState == .open)
        try source.finish()
    }

    @Test("a 307 keeps the method and body; a 303 turns a POST into a GET; a new origin loses Authorization")
    func redirects() throws {
        var options = EventSourceClientOptions()
        options.method = "POST"
        options.body = Array("q".utf8)
        options.headers.append(name: "Authorization", value: "Bearer t")
        let source = EmbeddedEventSource(url: "http://example.com/a/b", options: options)
        try source.respond("HTTP/1.1 307 Temporary Redirect\r\nLocation: c?d=1\r\nContent-Length: 0\r\n\r\n")
        #expect(source.channels.count == 2)
        let second = try source.request()
        #expect(second.hasPrefix("POST /a/c?d=1 HTTP/1.1\r\n"))
        #expect(second.contains("Authorization: Bearer t\r\n"))
        #expect(second.hasSuffix("\r\n\r\nq"))
        try source.respond("HTTP/1.1 303 See Other\r\nLocation: http://other.example/s\r\nContent-Length: 0\r\n\r\n")
        let third = try source.request()
        #expect(third.hasPrefix("GET /s HTTP/1.1\r\n"))
        #expect(third.contains("Host: other.example\r\n"))
        #expect(!third.contains("Authorization"))
        #expect(!third.contains("Content-Length"))
        try source.accept()
        #expect(source.client.currentURL == "http://other.example/s")
        try source.finish()
    }

    @Test("more redirects than maxRedirects fail the source")
    func redirectLoop() throws {
        var options = EventSourceClientOptions()
        options.maxRedirects = 2
        let source = EmbeddedEventSource(options: options)
        for _ in 0..<3 {
            try source.respond("HTTP/1.1 302 Found\r\nLocation: /stream\r\nContent-Length: 0\r\n\r\n")
        }
        #expect(source.client.readyState == .closed)
        #expect(source.errors.map(\.kind) == [.tooManyRedirects(2)])
        #expect(source.channels.count == 3)
        try source.finish()
    }

    @Test("no byte for the idle timeout is a network error: the source reconnects; comments keep it alive")
    func idleTimeout() throws {
        var options = EventSourceClientOptions()
        options.idleTimeout = .seconds(5)
        options.reconnection.initialDelay = .seconds(1)
        let source = EmbeddedEventSource(options: options)
        try source.accept()
        source.advance(by: .seconds(4))
        try source.respond(": heartbeat\n")
        source.advance(by: .seconds(4))
        #expect(source.errors.isEmpty)
        source.advance(by: .seconds(1))
        #expect(source.errors.map(\.kind) == [.idleTimeout(.seconds(5))])
        #expect(!source.channels[0].isActive)
        source.advance(by: .seconds(1))
        #expect(source.channels.count == 2)
        try source.finish()
    }

    @Test("a line beyond the bound fails the source without reconnecting")
    func lineBound() throws {
        var options = EventSourceClientOptions()
        options.limits = EventStreamParser.Limits(maxLineLength: 64, maxEventLength: 64)
        let source = EmbeddedEventSource(options: options)
        source.listen("message")
        try source.accept()
        try source.respond("data: ok\n\n" + String(repeating: "x", count: 65))
        #expect(source.events == [MessageEvent(data: "ok")])
        #expect(source.errors.map(\.kind) == [.stream(.lineTooLong(limit: 64))])
        #expect(source.client.readyState == .closed)
        source.advance(by: .seconds(60))
        #expect(source.channels.count == 1)
        try source.finish()
    }

    @Test("a POST is not sent again unless reconnection of non-idempotent requests is on")
    func postReconnection() throws {
        var options = EventSourceClientOptions()
        options.method = "POST"
        let once = EmbeddedEventSource(options: options)
        try once.accept()
        try once.drop()
        #expect(once.client.readyState == .closed)
        #expect(once.errors.map(\.kind) == [.connectionLost])
        try once.finish()

        options.reconnectsNonIdempotentRequests = true
        let again = EmbeddedEventSource(options: options)
        try again.accept()
        try again.drop()
        #expect(again.client.readyState == .connecting)
        again.advance(by: .seconds(3))
        #expect(again.channels.count == 2)
        try again.finish()
    }

    @Test("maxAttempts consecutive failures give up")
    func givesUp() throws {
        var options = EventSourceClientOptions()
        options.reconnection.maxAttempts = 2
        options.reconnection.initialDelay = .seconds(1)
        let source = EmbeddedEventSource(options: options)
        try source.accept()
        source.connector.refusals = 10
        try source.drop()
        source.advance(by: .seconds(1))
        source.advance(by: .seconds(2))
        #expect(source.client.readyState == .closed)
        #expect(source.errors.last?.kind == .gaveUp(attempts: 2))
        try source.finish()
    }

    @Test("close() stops a pending reconnection")
    func closeCancelsReconnection() throws {
        let source = EmbeddedEventSource()
        try source.accept()
        try source.drop()
        source.client.close()
        #expect(source.client.readyState == .closed, "CLOSED at once, as in a browser")
        source.loop.run()
        source.advance(by: .seconds(60))
        #expect(source.channels.count == 1)
        #expect(source.client.readyState == .closed)
        try source.finish()
    }

    @Test("open and error events before the first listener are kept for it (the first 16)")
    func keptForFirstListener() throws {
        let loop = EmbeddedEventLoop()
        let connector = EmbeddedEventSource.Connector(loop: loop)
        connector.refusals = 30
        var options = EventSourceClientOptions()
        options.reconnection.initialDelay = .seconds(1)
        options.reconnection.multiplier = 1
        let client = EventSourceClient(
            url: "http://example.com/", options: options, eventLoop: loop, connector: connector, random: { 0 })
        loop.run()
        for _ in 0..<19 { loop.advanceTime(by: .seconds(1)) }
        let errors = NIOLockedValueBox<[EventSourceClientError]>([])
        client.onError { error in errors.withLockedValue { $0.append(error) } }
        loop.run()
        #expect(errors.withLockedValue { $0.count } == 16)
        loop.advanceTime(by: .seconds(1))
        #expect(errors.withLockedValue { $0.count } == 17, "a listener in place gets each new error at once")
        client.close()
        loop.run()
        try loop.syncShutdownGracefully()
    }

    @Test("an invalid URL is an error event and a closed source")
    func invalidURL() throws {
        let source = EmbeddedEventSource(url: "ws://example.com/")
        #expect(source.client.readyState == .closed)
        #expect(source.errors.map(\.kind) == [.invalidURL])
        #expect(source.channels.isEmpty)
        try source.finish()
    }
}

@Suite("Reconnection delays")
struct ReconnectionPolicyTests {
    @Test("doubling from the reconnection time, capped; the server's retry above the cap is honoured")
    func delays() {
        let policy = ReconnectionPolicy(multiplier: 2, maxDelay: .seconds(10), jitter: 0)
        let waits = (1...6).map { policy.delay(reconnectionTime: .seconds(3), failures: $0, random: 0.5) }
        #expect(waits == [.seconds(3), .seconds(6), .seconds(10), .seconds(10), .seconds(10), .seconds(10)])
        #expect(policy.delay(reconnectionTime: .seconds(30), failures: 1, random: 0) == .seconds(30))
    }

    @Test("jitter takes at most its fraction off")
    func jitter() {
        let policy = ReconnectionPolicy(jitter: 0.25)
        #expect(policy.delay(reconnectionTime: .seconds(4), failures: 1, random: 0) == .seconds(4))
        #expect(policy.delay(reconnectionTime: .seconds(4), failures: 1, random: 1) == .seconds(3))
        #expect(policy.delay(reconnectionTime: .seconds(4), failures: 1, random: 0.5) == .milliseconds(3500))
    }
}
