import FayeEventSource
import FayeLoopbackSupport
import FayeTestSupport
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Testing

/// The client over real loopback sockets: against a hostile scripted server and against
/// faye-server's ticks across a restart.
@Suite("The EventSource client on loopback")
struct EventSourceClientLoopbackTests {
    private static let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"

    /// Options for quick tests: reconnection after 50 ms, no jitter.
    private static func quickOptions() -> EventSourceClientOptions {
        var options = EventSourceClientOptions()
        options.reconnection.initialDelay = .milliseconds(50)
        options.reconnection.jitter = 0
        options.connection.connectTimeout = .seconds(5)
        return options
    }

    @Test(
        "BOM, CR-only lines, NUL in an id, retry with letters, a drop mid-event: resumed with Last-Event-ID, then 204")
    func hostileResume() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let first: [UInt8] =
            Array(Self.head.utf8) + [0xEF, 0xBB, 0xBF]
            + Array(
                "retry: 1x\rretry: 40\r: comment\rid: 1\rdata: one\r\rid: bad\0id\rdata: two\r\rdata: half-an-ev".utf8)
        let server = try await ScriptedServer.start(
            [
                .init(chunks: [Array(first.prefix(60)), Array(first.dropFirst(60))]),
                .init(Self.head + "id: 3\r\ndata: three\r\n\r\n"),
                .init("HTTP/1.1 204 No Content\r\n\r\n"),
            ], group: group)
        var options = Self.quickOptions()
        options.connection.eventLoopGroup = group
        let source = EventSourceClient(url: "http://127.0.0.1:\(server.port)/feed", options: options)
        let errors = NIOLockedValueBox<[String]>([])
        source.onError { error in errors.withLockedValue { $0.append(error.message) } }
        let events = source.events
        let received = try await withTimeout("the events and the 204") {
            var received: [MessageEvent] = []
            for try await event in events { received.append(event) }
            return received
        }
        #expect(
            received == [
                MessageEvent(data: "one", lastEventID: "1"), MessageEvent(data: "two", lastEventID: "1"),
                MessageEvent(data: "three", lastEventID: "3"),
            ], "errors: \(errors.withLockedValue { $0 }); requests: \(server.requests)")
        #expect(source.readyState == .closed)
        #expect(try await source.closed() == nil)
        #expect(source.reconnectionTime == .milliseconds(40))
        let requests = server.requests
        #expect(requests.count == 3)
        #expect(requests.count == 3 && requests[1].contains("Last-Event-ID: 1\r\n"))
        #expect(requests.count == 3 && requests[2].contains("Last-Event-ID: 3\r\n"))
        try await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("events dispatched before the sequence is first read are kept for it")
    func earlyEventsKept() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedServer.start(
            [.init(Self.head + "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n", thenClose: false)],
            group: group)
        var options = Self.quickOptions()
        options.connection.eventLoopGroup = group
        let source = EventSourceClient(url: "http://127.0.0.1:\(server.port)/", options: options)
        try await eventually("the three events to be dispatched") { source.lastEventID == "3" }
        let received = try await withTimeout("the kept events") {
            var received: [String] = []
            for try await event in source.events {
                received.append(event.data)
                if received.count == 3 { break }
            }
            return received
        }
        #expect(received == ["a", "b", "c"])
        source.close()
        try await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("a slow consumer with a small buffer, taken late, gets every event of a burst, in order")
    func slowConsumer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let burst = (1...2000).map { "id: \($0)\ndata: event \($0) \(String(repeating: "x", count: 100))\n\n" }
        let server = try await ScriptedServer.start([.init(Self.head + burst.joined(), thenClose: false)], group: group)
        var options = Self.quickOptions()
        options.connection.eventLoopGroup = group
        options.eventBufferLimit = 4
        let source = EventSourceClient(url: "http://127.0.0.1:\(server.port)/", options: options)
        // The sequence is taken only once events flow: those before it wait for it (reading
        // stops at the limit), none is dropped.
        try await eventually("the first events") { !source.lastEventID.isEmpty }
        let events = source.events
        let ids = try await withTimeout("2,000 events", timeout: .seconds(20)) {
            var ids: [String] = []
            for try await event in events {
                ids.append(event.lastEventID)
                if ids.count % 50 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                if ids.count == 2000 { break }
            }
            return ids
        }
        #expect(ids == (1...2000).map(String.init))
        source.close()
        try await server.stop()
        try await group.shutdownGracefully()
    }

    @Test(
        "a 500, a wrong content type: the source fails with the status, no reconnection",
        arguments: [
            ("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops", 500, nil),
            ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", 200, "application/json"),
        ] as [(String, Int, String?)])
    func refused(answer: String, status: Int, contentType: String?) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedServer.start([.init(answer)], group: group)
        var options = Self.quickOptions()
        options.connection.eventLoopGroup = group
        let source = EventSourceClient(url: "http://127.0.0.1:\(server.port)/", options: options)
        let error = try await withTimeout("the failure") { try await source.closed() }
        #expect(error?.kind == .badResponse(status: status, contentType: contentType))
        do {
            for try await _ in source.events { Issue.record("no event expected") }
            Issue.record("the sequence should throw")
        } catch let error as EventSourceClientError {
            #expect(error.kind == .badResponse(status: status, contentType: contentType))
        }
        #expect(server.requests.count == 1)
        try await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("an endless line fails the source at the bound; the server could not make it buffer more")
    func endlessLine() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let server = try await ScriptedServer.start(
            [.init(chunks: [Array((Self.head + "data: ").utf8)] + Array(repeating: chunk, count: 64))], group: group)
        var options = Self.quickOptions()
        options.connection.eventLoopGroup = group
        options.limits = EventStreamParser.Limits(maxLineLength: 256 * 1024, maxEventLength: 256 * 1024)
        let source = EventSourceClient(url: "http://127.0.0.1:\(server.port)/", options: options)
        let error = try await withTimeout("the failure") { try await source.closed() }
        #expect(error?.kind == .stream(.lineTooLong(limit: 256 * 1024)))
        #expect(server.requests.count == 1)
        try await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("a first connection refused: an error event while CONNECTING, then retries")
    func refusedConnection() async throws {
        // A port bound but not listening: refused, and no other test can take it meanwhile.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let reserved = try ReservedPort()
        defer { reserved.release() }
        let port = reserved.port
        var options = Self.quickOptions()
        options.connection.eventLoopGroup = group
        options.reconnection.maxAttempts = 2
        let source = EventSourceClient(url: "http://127.0.0.1:\(port)/", options: options)
        let errors = NIOLockedValueBox<[EventSourceClientError.Kind]>([])
        source.onError { error in errors.withLockedValue { $0.append(error.kind) } }
        let final = try await withTimeout("giving up") { try await source.closed() }
        #expect(final?.kind == .gaveUp(attempts: 2))
        let kinds = errors.withLockedValue { $0 }
        #expect(kinds.count == 3)
        #expect(kinds.prefix(2).allSatisfy { if case .connectionFailed = $0 { true } else { false } })
        try await group.shutdownGracefully()
    }

    @Test("faye-server's ticks resume across a server restart without a gap or a duplicate")
    func resumeAcrossRestart() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let arguments = ["--sse-interval", "20", "--sse-retry", "0.05"]
        try await withFayeServerProcess(arguments) { port, first in
            var options = Self.quickOptions()
            options.connection.eventLoopGroup = group
            let source = EventSourceClient(url: "http://127.0.0.1:\(port)/ticks", options: options)
            let events = source.events
            let second = NIOLockedValueBox<ChildProcess?>(nil)
            defer {
                source.close()
                second.withLockedValue { $0 }?.stop()
            }
            let ids = try await withTimeout("40 ticks across the restart", timeout: .seconds(30)) {
                var ids: [String] = []
                for try await event in events {
                    ids.append(event.lastEventID)
                    if ids.count == 15 {
                        first.stop()
                        let restarted = try ChildProcess(
                            try packageExecutable("faye-server"), ["--port", "\(port)"] + arguments)
                        second.withLockedValue { $0 = restarted }
                    }
                    if ids.count == 40 { break }
                }
                return ids
            }
            #expect(ids == (1...40).map(String.init))
        }
        try await group.shutdownGracefully()
    }
}

/// A loopback TCP port bound without listening: connections to it are refused, and while it is
/// held nobody else can listen on it.
private struct ReservedPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw SetupError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw SetupError("could not bind a loopback port")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() {
        close(descriptor)
    }
}
