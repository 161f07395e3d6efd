import FayeEventSource
import FayeTestSupport
import NIOCore
import NIOPosix
import Testing

private let defaultPrelude =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n"
    + "Connection: close\r\n\r\nretry: 5000\r\n\r\n"

@Suite("EventSource streams over loopback")
struct StreamTests {
    @Test("the response, then events exactly as sent, opening with an open event")
    func wireOverLoopback() async throws {
        let opened = Locked(0)
        let setup: @Sendable (EventSource) -> Void = { source in source.onOpen { opened.withLock { $0 += 1 } } }
        try await withLoopback(setup: setup) { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source()
            try await eventually("the response head") { client.received == Array(defaultPrelude.utf8) }
            // Open (and the open event dispatched) before the first byte went out.
            #expect(opened.current == 1)
            #expect(source.readyState == .open)

            try sendWithoutWaiting(source, "line1\nline2\r\nline3\rline4", event: "upd", id: "7")
            try await source.send("")
            try await source.send("héllo ✓ 🎉")
            #expect(source.ping())
            try await client.expectBody(
                "retry: 5000\r\n\r\nevent: upd\r\nid: 7\r\ndata: line1\r\ndata: line2\r\ndata: line3\r\ndata: line4\r\n\r\n"
                    + "data: \r\n\r\ndata: héllo ✓ 🎉\r\n\r\n:\r\n\r\n"
            )
            let parsed = ReferenceStreamReader.parse(client.body)
            #expect(parsed.retry == 5000)
            #expect(parsed.comments == 1)
            #expect(
                parsed.events == [
                    ParsedEvent(type: "upd", data: "line1\nline2\nline3\nline4", lastEventID: "7"),
                    ParsedEvent(type: "message", data: "", lastEventID: "7"),
                    ParsedEvent(type: "message", data: "héllo ✓ 🎉", lastEventID: "7"),
                ]
            )
            await client.close()
        }
    }

    @Test("the stream knows its URL, request, address and last event ID")
    func requestFacts() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect(path: "/feed?x=1", headers: ["Last-Event-ID: 41"])
            let source = try await loopback.source()
            #expect(source.url == "http://127.0.0.1:\(loopback.port)/feed?x=1")
            #expect(source.lastEventId == "41")
            #expect(source.request.path == "/feed")
            #expect(source.remoteAddress?.ipAddress == "127.0.0.1")
            #expect(source.options.retry == .seconds(5))

            let secure = try await loopback.connect(headers: ["X-Forwarded-Proto: https"])
            let secureSource = try await loopback.source(1)
            #expect(secureSource.url == "https://127.0.0.1:\(loopback.port)/events")
            #expect(secureSource.lastEventId == "")
            await client.close()
            await secure.close()
        }
    }

    @Test("custom headers and retry in the response; a request that is no EventSource is not taken over")
    func optionsInTheHead() async throws {
        var options = EventSourceOptions()
        options.headers = ["Access-Control-Allow-Origin": "*", "Connection": "keep-alive"]
        options.retry = .milliseconds(1500)
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.connect()
            let head = try await client.head()
            #expect(head.statusLine == "HTTP/1.1 200 OK")
            #expect(head.header("Access-Control-Allow-Origin") == "*")
            #expect(head.header("Connection") == "close")
            #expect(head.headers.count(where: { $0.name.lowercased() == "connection" }) == 1)
            try await client.expectBody("retry: 1500\r\n\r\n")

            let plain = try await loopback.connect(accept: "text/html")
            let plainHead = try await plain.head()
            #expect(plainHead.statusLine == "HTTP/1.1 404 Not Found")
            await client.close()
            await plain.close()
        }
    }

    @Test("events sent in the setup closure follow the head; close() there ends the stream after them")
    func sendAndCloseInSetup() async throws {
        let setup: @Sendable (EventSource) -> Void = { source in
            #expect(source.readyState == .connecting)
            #expect(throws: Never.self) { try sendWithoutWaiting(source, "replayed", id: "1") }
            if source.request.path == "/once" { source.close() }
        }
        try await withLoopback(setup: setup) { loopback in
            let client = try await loopback.connect()
            try await client.expectBody("retry: 5000\r\n\r\nid: 1\r\ndata: replayed\r\n\r\n")
            let once = try await loopback.connect(path: "/once")
            try await once.waitDisconnected()
            #expect(once.body == Array("retry: 5000\r\n\r\nid: 1\r\ndata: replayed\r\n\r\n".utf8))
            let source = try await loopback.source(1)
            #expect(try await source.closed() == EventSourceCloseEvent(reason: .closedLocally))
            await client.close()
        }
    }

    @Test("pings are written every pingInterval while open")
    func periodicPing() async throws {
        var options = EventSourceOptions()
        options.pingInterval = .milliseconds(30)
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.connect()
            try await eventually("three pings") { ReferenceStreamReader.parse(client.body).comments >= 3 }
            let source = try await loopback.source()
            await client.close()
            #expect(try await source.closed().reason == .connectionLost)
        }
    }

    @Test("close() writes what was sent, closes the connection and fires close once; sending then fails")
    func serverClose() async throws {
        let closes = Locked<[EventSourceCloseEvent]>([])
        let setup: @Sendable (EventSource) -> Void = { source in
            source.onClose { event in closes.withLock { $0.append(event) } }
        }
        try await withLoopback(setup: setup) { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source()
            _ = try await client.head()
            for number in 1...50 {
                try sendWithoutWaiting(source, String(repeating: "x", count: 1000), id: "\(number)")
            }
            source.close()
            #expect([.closing, .closed].contains(source.readyState))  // CLOSED if the close already finished
            #expect(throws: EventSourceError.notOpen) { try sendWithoutWaiting(source, "late") }
            #expect(source.ping() == false)
            await #expect(throws: EventSourceError.notOpen) { try await source.send("late") }
            source.close()
            try await client.waitDisconnected()
            #expect(try await client.events(atLeast: 50).count == 50)
            #expect(try await source.closed() == EventSourceCloseEvent(reason: .closedLocally))
            #expect(source.readyState == .closed)
            #expect(source.bufferedAmount == 0)
            // Everything queued on the stream's event loop has run: a second close would have.
            try await source.eventLoop.submit {}.get()
            #expect(closes.current == [EventSourceCloseEvent(reason: .closedLocally)])
            // Invalid fields are refused even when closed.
            #expect(throws: EventSourceError.invalidID("a\nb")) { try sendWithoutWaiting(source, "x", id: "a\nb") }
        }
    }

    @Test("a client that goes away fires close once (end of input, and a reset)", arguments: [false, true])
    func clientDisconnect(reset: Bool) async throws {
        let closes = Locked<[EventSourceCloseEvent]>([])
        let setup: @Sendable (EventSource) -> Void = { source in
            source.onClose { event in closes.withLock { $0.append(event) } }
        }
        try await withLoopback(setup: setup) { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source()
            _ = try await client.head()
            if reset {
                // SO_LINGER 0: the close sends a RST.
                try await client.resetOnClose()
            }
            await client.close()
            let event = try await withThrowingTaskGroup(of: EventSourceCloseEvent.self) { group in
                group.addTask { try await source.closed() }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw TestTimeout(what: "the close event", after: .seconds(10))
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            #expect(event.reason == .connectionLost)
            #expect(source.readyState == .closed)
            #expect(throws: EventSourceError.notOpen) { try sendWithoutWaiting(source, "after") }
            await #expect(throws: EventSourceError.notOpen) { try await source.send("after") }
            try await source.eventLoop.submit {}.get()
            #expect(closes.current.count == 1)
        }
    }

    @Test("a client that stops reading and leaves is noticed by a failing write")
    func failedWrite() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect(discard: true)
            let source = try await loopback.source()
            _ = try await eventuallyValue("the head") { client.handler.byteCount.current > 0 ? true : nil }
            let writer = Task {
                let chunk = String(repeating: "y", count: 16 * 1024)
                while true {
                    do {
                        try await source.send(chunk)
                    } catch {
                        return error
                    }
                }
            }
            try await eventually("some events out") { client.handler.byteCount.current > 100_000 }
            try await client.resetOnClose()
            await client.close()
            let error = await writer.value
            #expect(error as? EventSourceError == .connectionClosed || error as? EventSourceError == .notOpen)
            #expect(try await source.closed().reason == .connectionLost)
        }
    }

    @Test("a reconnecting client sends Last-Event-ID and receives the continuation")
    func reconnectWithLastEventID() async throws {
        try await withLoopback(setup: tickStream) { loopback in
            let first = try await loopback.connect()
            let firstEvents = try await first.events(atLeast: 3)
            await first.close()
            let seen = Array(firstEvents.prefix(3))
            #expect(seen.map(\.data) == ["1", "2", "3"])
            #expect(seen.allSatisfy { $0.type == "tick" && $0.lastEventID == $0.data })
            #expect(ReferenceStreamReader.parse(first.body).retry == 5000)

            // As a browser does: the last ID it saw goes back in Last-Event-ID.
            let lastID = seen.last!.lastEventID
            let second = try await loopback.connect(headers: ["Last-Event-ID: \(lastID)"])
            let secondEvents = try await second.events(atLeast: 3)
            #expect(secondEvents.prefix(3).map(\.data) == ["4", "5", "6"])
            #expect(try await loopback.source(1).lastEventId == "3")
            await second.close()

            // A polyfill's query parameter works the same way.
            let third = try await loopback.connect(path: "/events?lastEventId=10")
            #expect(try await third.events(atLeast: 2).prefix(2).map(\.data) == ["11", "12"])
            await third.close()
        }
    }

    @Test("100 concurrent streams each get their own events and their own close")
    func manyStreams() async throws {
        let count = 100
        let setup: @Sendable (EventSource) -> Void = { source in
            let name = String(source.request.path.dropFirst())
            for index in 1...5 { try? source.send("\(name) \(index)", event: "n", id: "\(index)") }
        }
        try await withLoopback(setup: setup) { loopback in
            let clients = try await withThrowingTaskGroup(of: (Int, StreamClient).self) { group in
                for index in 0..<count {
                    group.addTask { (index, try await loopback.connect(path: "/s\(index)")) }
                }
                var clients = [StreamClient?](repeating: nil, count: count)
                for try await (index, client) in group { clients[index] = client }
                return clients.map { $0! }
            }
            for (index, client) in clients.enumerated() {
                let events = try await client.events(atLeast: 5)
                #expect(events.map(\.data) == (1...5).map { "s\(index) \($0)" })
            }
            try await eventually("\(count) streams") { loopback.sources.current.count == count }
            let sources = loopback.sources.current
            #expect(sources.allSatisfy { $0.readyState == .open })
            for source in sources { try sendWithoutWaiting(source, "bye", event: "end") }
            for client in clients {
                _ = try await client.events(atLeast: 6)
                await client.close()
            }
            for source in sources {
                #expect(try await source.closed().reason == .connectionLost)
            }
        }
    }

    @Test("async send waits while the client does not read, so data does not pile up")
    func backpressure() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect(discard: true, autoRead: false)
            let source = try await loopback.source()
            let sent = Locked(0)
            let chunkSize = 64 * 1024
            let total = 400  // 25 MiB: far more than the socket buffers hold
            let writer = Task {
                let chunk = String(repeating: "z", count: chunkSize)
                for _ in 0..<total {
                    try await source.send(chunk)
                    sent.withLock { $0 += 1 }
                }
            }
            // Stalled: no progress for a while, with less than the whole lot sent.
            var last = -1
            while true {
                try await Task.sleep(for: .milliseconds(300))
                let now = sent.current
                if now == last { break }
                last = now
                #expect(now < total, "the writer never stalled")
                if now >= total { break }
            }
            #expect(sent.current < total)
            // What is queued in NIO stays within about one chunk over its high watermark.
            #expect(source.bufferedAmount <= 64 * 1024 + 2 * (chunkSize + 16))
            // Reading again lets the writer finish.
            client.channel.setOption(.autoRead, value: true).whenComplete { _ in }
            client.channel.read()
            try await writer.value
            #expect(sent.current == total)
            try await eventually("every byte at the client", timeout: .seconds(30)) {
                client.handler.byteCount.current >= total * (chunkSize + 10)
            }
            await client.close()
        }
    }

    @Test("an open event dispatched before any listener goes to the first listener added later; removeListener")
    func listenerBuffering() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source()
            _ = try await client.head()
            // The open event is dispatched in the same event loop task that wrote the head.
            try await source.eventLoop.submit {}.get()
            let first = Locked(0)
            let second = Locked(0)
            source.onOpen { first.withLock { $0 += 1 } }
            source.onOpen { second.withLock { $0 += 1 } }
            try await eventually("the buffered open event") { first.current == 1 }
            let removed = Locked(0)
            let token = source.onClose { _ in removed.withLock { $0 += 1 } }
            source.removeListener(token)
            let kept = Locked<EventSourceCloseEvent?>(nil)
            source.onClose { event in kept.withLock { $0 = event } }
            #expect(try await source.closeAndWait().reason == .closedLocally)
            try await eventually("the close listener") { kept.current != nil }
            #expect(second.current == 0)
            #expect(removed.current == 0)
            try await client.waitDisconnected()
        }
    }

    @Test("terminate() drops the connection at once")
    func terminate() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source()
            _ = try await client.head()
            source.terminate()
            try await client.waitDisconnected()
            #expect(try await source.closed().reason == .closedLocally)
        }
    }

    @Test("sends from many tasks at once all arrive, each event whole")
    func concurrentSenders() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.connect()
            let source = try await loopback.source()
            await withTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for index in 0..<50 {
                            if index.isMultiple(of: 2) {
                                try? sendWithoutWaiting(source, "t\(task)\nn\(index)")
                            } else {
                                try? await source.send("t\(task)\nn\(index)")
                            }
                        }
                    }
                }
            }
            let events = try await client.events(atLeast: 400)
            #expect(Set(events.map(\.data)).count == 400)
            for task in 0..<8 {
                // One task's events keep their order.
                let mine = events.map(\.data).filter { $0.hasPrefix("t\(task)\n") }
                #expect(mine == (0..<50).map { "t\(task)\nn\($0)" })
            }
            await client.close()
        }
    }
}
