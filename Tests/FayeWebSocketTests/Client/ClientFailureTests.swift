import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOPosix
import Testing
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every way a client connection can fail: an error event with a clear message, then close 1006,
/// and never an open event.
@Suite("Client failures")
struct ClientFailureTests {
    /// Connects, expects error then close 1006 and no open, returns the error message.
    func expectHandshakeFailure(
        _ url: String,
        options: WebSocketOptions = WebSocketOptions(),
        clientOptions: WebSocketClientOptions,
        timeout: Duration = .seconds(5)
    ) async throws -> (message: String, socket: WebSocket) {
        let client = RecordedSocket.connect(url, options: options, clientOptions: clientOptions)
        let (message, close) = try await client.expectFailure(timeout: timeout)
        #expect(close == .close(1006, ""))
        #expect(client.socket.readyState == .closed)
        #expect(await client.socket.finalCloseEvent().code == .abnormalClosure)
        #expect(!client.log.current.contains(.open))
        #expect(client.socket.send("x") == false)
        return (message, client.socket)
    }

    @Test("a non-101 answer: error with the status, close 1006; the response stays readable")
    func unexpectedStatus() async throws {
        let answer: @Sendable (String) -> [UInt8]? = { _ in
            Array("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope".utf8)
        }
        try await withCanned(answer: answer) { server, clientOptions in
            let (message, socket) = try await expectHandshakeFailure(server.url, clientOptions: clientOptions)
            #expect(message == "Error during WebSocket handshake: Unexpected response code: 404")
            let response = try #require(socket.handshakeResponse)
            #expect(response.status == 404)
            #expect(response.reason == "Not Found")
            #expect(response.headers["Content-Type"] == "text/plain")
        }
    }

    @Test("a wrong Sec-WebSocket-Accept: error, close 1006")
    func acceptMismatch() async throws {
        let answer: @Sendable (String) -> [UInt8]? = {
            CannedServer.switching($0, accept: "d3JvbmcgYWNjZXB0IHZhbHVlIQ==")
        }
        try await withCanned(answer: answer) {
            server, clientOptions in
            let (message, socket) = try await expectHandshakeFailure(server.url, clientOptions: clientOptions)
            #expect(message == "Error during WebSocket handshake: Sec-WebSocket-Accept mismatch")
            #expect(socket.handshakeResponse?.status == 101)
            #expect(socket.handshakeResponse?.headers["Sec-WebSocket-Accept"] == "d3JvbmcgYWNjZXB0IHZhbHVlIQ==")
        }
    }

    @Test("a subprotocol the client did not offer: error, close 1006")
    func protocolMismatch() async throws {
        let answer: @Sendable (String) -> [UInt8]? = {
            CannedServer.switching($0, extra: ["Sec-WebSocket-Protocol: zzz"])
        }
        try await withCanned(answer: answer) {
            server, clientOptions in
            var options = WebSocketOptions()
            options.protocols = ["a", "b"]
            let (message, socket) = try await expectHandshakeFailure(
                server.url, options: options, clientOptions: clientOptions)
            #expect(message == "Error during WebSocket handshake: Sec-WebSocket-Protocol mismatch")
            #expect(socket.protocol == "")
            let request = try await server.requests.next(timeout: .seconds(5), "the request")
            #expect(CannedServer.header("Sec-WebSocket-Protocol", in: request) == "a, b")
        }
    }

    @Test("an extension the client did not offer: error, close 1006")
    func extensionMismatch() async throws {
        let answer: @Sendable (String) -> [UInt8]? = {
            CannedServer.switching($0, extra: ["Sec-WebSocket-Extensions: x-webkit-deflate"])
        }
        try await withCanned(answer: answer) {
            server, clientOptions in
            let (message, socket) = try await expectHandshakeFailure(server.url, clientOptions: clientOptions)
            #expect(
                message
                    == "Error during WebSocket handshake: Server sent an extension response for unknown extension \"x-webkit-deflate\""
            )
            #expect(socket.extensions == [])
        }
    }

    @Test("a valid canned 101 opens, and what the server writes after it is a frame")
    func cannedSuccess() async throws {
        let answer: @Sendable (String) -> [UInt8]? = { request in
            CannedServer.switching(request, extra: ["X-Extra: 1"]) + [0x81, 0x02] + Array("hi".utf8)
        }
        try await withCanned(answer: answer) { server, clientOptions in
            let client = RecordedSocket.connect(server.url + "path?q=1", clientOptions: clientOptions)
            try await client.expectOpen()
            #expect(try await client.nextMessage() == .text("hi"))
            #expect(client.socket.handshakeResponse?.headers["X-Extra"] == "1")
            let request = try await server.requests.next(timeout: .seconds(5), "the request")
            #expect(request.hasPrefix("GET /path?q=1 HTTP/1.1\r\n"))
            #expect(CannedServer.header("Host", in: request) == "127.0.0.1:\(server.port)")
            #expect(CannedServer.header("Sec-WebSocket-Version", in: request) == "13")
            client.socket.terminate()
            #expect(try await client.expectClose() == .close(1006, ""))
        }
    }

    @Test(
        "a bad URL: error naming it, close 1006",
        arguments: ["http://example.test/", "ws://", "not a url", "ws://h:99999/"])
    func badURL(url: String) async throws {
        let (message, _) = try await expectHandshakeFailure(url, clientOptions: WebSocketClientOptions())
        #expect(message.hasPrefix("Network error: \(url): "))
        #expect(message.contains("not a valid WebSocket URL"))
    }

    @Test("a refused connection: error, close 1006")
    func refused() async throws {
        try await withRefusingPort { port in
            let (message, _) = try await expectHandshakeFailure(
                "ws://127.0.0.1:\(port)/", clientOptions: WebSocketClientOptions())
            #expect(message.hasPrefix("Network error: ws://127.0.0.1:\(port)/: "))
            #expect(message.lowercased().contains("refused"))
        }
    }

    @Test("a DNS failure (a name under .invalid): error, close 1006")
    func dnsFailure() async throws {
        var clientOptions = WebSocketClientOptions()
        clientOptions.connectTimeout = .seconds(20)
        let (message, _) = try await expectHandshakeFailure(
            "ws://no-such-host.invalid/", clientOptions: clientOptions, timeout: .seconds(30))
        #expect(message.hasPrefix("Network error: ws://no-such-host.invalid/: "))
        #expect(message.contains("no-such-host.invalid"))
    }

    /// A TCP connect that never completes, without leaving loopback: a listening socket that
    /// never accepts and whose accept queue is already full (backlog 0 plus filler
    /// connections), so Linux drops the client's SYN and the connect hangs until the timeout.
    @Test("a connect timeout: error naming the timeout, close 1006")
    func connectTimeout() async throws {
        let listener = try FullBacklogListener()
        defer { listener.close() }
        var clientOptions = WebSocketClientOptions()
        clientOptions.connectTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        let (message, _) = try await expectHandshakeFailure(
            "ws://127.0.0.1:\(listener.port)/", clientOptions: clientOptions)
        #expect(message == "Network error: ws://127.0.0.1:\(listener.port)/: connection timed out after 300 ms")
        #expect(ContinuousClock.now - started >= .milliseconds(250))
    }

    @Test("a server that accepts but never answers: connecting until close(), which gives close 1000")
    func silentServer() async throws {
        let answer: @Sendable (String) -> [UInt8]? = { _ in nil }
        try await withCanned(answer: answer) { server, clientOptions in
            let client = RecordedSocket.connect(server.url, clientOptions: clientOptions)
            _ = try await server.requests.next(timeout: .seconds(5), "the request")
            try await Task.sleep(for: .milliseconds(100))
            #expect(client.socket.readyState == .connecting)
            #expect(client.log.current.isEmpty)
            #expect(try client.socket.close())
            let close = try await client.expectClose()
            #expect(close == .close(1000, ""))
            #expect(!client.log.current.contains(.open))
        }
    }

    @Test("terminate() while the TCP connection is still being made: close 1006 at once, never open")
    func terminateWhileConnecting() async throws {
        let listener = try FullBacklogListener()
        defer { listener.close() }
        var clientOptions = WebSocketClientOptions()
        clientOptions.connectTimeout = .seconds(20)
        let client = RecordedSocket.connect("ws://127.0.0.1:\(listener.port)/", clientOptions: clientOptions)
        try await Task.sleep(for: .milliseconds(50))
        client.socket.terminate()
        #expect(try await client.expectClose(timeout: .seconds(3)) == .close(1006, ""))
        #expect(client.socket.readyState == .closed)
        #expect(!client.log.current.contains(.open))
    }

    @Test("terminate() while the handshake is under way: close 1006, never open")
    func terminateDuringHandshake() async throws {
        let answer: @Sendable (String) -> [UInt8]? = { _ in nil }
        try await withCanned(answer: answer) { server, clientOptions in
            let client = RecordedSocket.connect(server.url, clientOptions: clientOptions)
            _ = try await server.requests.next(timeout: .seconds(5), "the request")
            client.socket.terminate()
            #expect(try await client.expectClose() == .close(1006, ""))
            #expect(!client.log.current.contains(.open))
        }
    }

    @Test("the server drops the connection mid-handshake: error, close 1006")
    func droppedDuringHandshake() async throws {
        let answer: @Sendable (String) -> [UInt8]? = { _ in Array("HTTP/1.1 101 Switching".utf8) }
        try await withCanned(answer: answer) { server, clientOptions in
            let client = RecordedSocket.connect(server.url, clientOptions: clientOptions)
            _ = try await server.requests.next(timeout: .seconds(5), "the request")
            try await Task.sleep(for: .milliseconds(50))
            await server.stop()
            let close = try await client.expectClose()
            #expect(close == .close(1006, ""))
            #expect(!client.log.current.contains(.open))
        }
    }

    @Test("a message sequence made before the failure ends by throwing it", arguments: ["ws://", "ws://127.0.0.1:1/"])
    func messagesEndOnFailure(url: String) async throws {
        let socket = WebSocket(url: url)
        let messages = socket.messages
        let outcome = try await withTimeout("the message sequence to end") { () -> Result<Int, any Error> in
            var count = 0
            do {
                for try await _ in messages { count += 1 }
            } catch {
                return .failure(error)
            }
            return .success(count)
        }
        guard case .failure(let error as WebSocketError) = outcome else {
            Issue.record("the sequence ended with \(outcome)")
            return
        }
        #expect(error == socket.error)
        #expect(await socket.finalCloseEvent().code == .abnormalClosure)
    }

    @Test("an async send made before a failure throws instead of hanging", arguments: ["ws://", "refused"])
    func asyncSendOnFailure(url: String) async throws {
        try await withRefusingPort { port in
            let socket = WebSocket(url: url == "refused" ? "ws://127.0.0.1:\(port)/" : url)
            let outcome = try await withTimeout("the send to finish") { () -> WebSocketError? in
                do {
                    try await socket.send(.text("never sent"))
                    return nil
                } catch {
                    return error as? WebSocketError
                }
            }
            // The cause itself (a bad URL, a refused connection), not a generic "not open".
            #expect(outcome != nil)
            #expect(outcome == socket.error)
            #expect(await socket.finalCloseEvent().code == .abnormalClosure)
        }
    }

    @Test("error and close reach listeners added long after the failure")
    func bufferedFailureEvents() async throws {
        let socket = WebSocket(url: "ws://")
        _ = await socket.finalCloseEvent()
        let client = RecordedSocket(socket)
        let (message, close) = try await client.expectFailure()
        #expect(message.hasPrefix("Network error: ws://: "))
        #expect(close == .close(1006, ""))
    }
}

/// A loopback listener with backlog 0 that never accepts, with its queue filled, so further
/// connects hang.
final class FullBacklogListener {
    let port: Int
    private let descriptor: Int32
    private var fillers: [Int32] = []

    init() throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        self.descriptor = descriptor
        guard descriptor >= 0 else { throw SetupError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 0) == 0 else {
            _ = Self.systemClose(descriptor)
            throw SetupError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        // Fill the accept queue: non-blocking connects that complete (or stay pending) without
        // anyone accepting them.
        for _ in 0..<4 {
            #if canImport(Glibc)
                let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
                let filler = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
            var target = address
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            fillers.append(filler)
        }
        usleep(50_000)
    }

    func close() {
        for filler in fillers { _ = Self.systemClose(filler) }
        _ = Self.systemClose(descriptor)
    }

    private static func systemClose(_ descriptor: Int32) -> Int32 {
        #if canImport(Glibc)
            Glibc.close(descriptor)
        #else
            Darwin.close(descriptor)
        #endif
    }
}
