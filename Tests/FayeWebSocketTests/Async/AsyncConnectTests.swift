import FayeLoopbackSupport
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

/// `try await WebSocket.connect(to:)`: an open socket, or one structured error with the cause.
@Suite("Async connect")
struct AsyncConnectTests {
    /// The error `connect` throws (a test failure if it returns or throws something else).
    func connectError(
        _ url: String,
        clientOptions: WebSocketClientOptions = WebSocketClientOptions()
    ) async -> WebSocketError? {
        do {
            let socket = try await WebSocket.connect(to: url, clientOptions: clientOptions)
            Issue.record("connected to \(url)")
            socket.terminate()
            return nil
        } catch let error as WebSocketError {
            return error
        } catch {
            Issue.record("not a WebSocketError: \(error)")
            return nil
        }
    }

    static let notFound: @Sendable (String) -> [UInt8]? = { _ in
        Array("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope".utf8)
    }

    @Test("an open server: connect returns the socket OPEN, and it echoes")
    func opens() async throws {
        try await withLoopback { loopback in
            var clientOptions = WebSocketClientOptions()
            clientOptions.eventLoopGroup = loopback.group
            let socket = try await WebSocket.connect(
                to: "ws://127.0.0.1:\(loopback.port)/", clientOptions: clientOptions)
            #expect(socket.readyState == .open)
            try await socket.send(.text("hello"))
            var messages = socket.messages.makeAsyncIterator()
            #expect(try await messages.next() == .text("hello"))
            #expect(try await socket.closeAndWait(code: 4000, reason: "done") == CloseEvent(code: 4000, reason: "done"))
        }
    }

    @Test("a 404 answer: handshakeRejected with the status and headers")
    func rejected() async throws {
        try await withCanned(answer: Self.notFound) { server, clientOptions in
            let error = try #require(await connectError(server.url, clientOptions: clientOptions))
            guard case .handshakeRejected(let response) = error.kind else {
                Issue.record("kind \(error.kind)")
                return
            }
            #expect(response.status == 404)
            #expect(response.headers["Content-Type"] == "text/plain")
            #expect(error.message.contains("Unexpected response code: 404"))
        }
    }

    @Test("a refused port: connectionFailed with ECONNREFUSED, reported in under a second")
    func refused() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clientOptions = WebSocketClientOptions()
        clientOptions.eventLoopGroup = group
        try await withRefusingPort { port in
            let error = try #require(await connectError("ws://127.0.0.1:\(port)/", clientOptions: clientOptions))
            #expect(error.kind == .connectionFailed(host: "127.0.0.1", port: port, errno: ECONNREFUSED))
            #expect(error.message.contains("Connection refused"))
            // Timed where the failure happens, on the event loop: when the test's own task
            // resumes depends on how busy the parallel test run keeps Swift's thread pool.
            let start = ContinuousClock.now
            let failedAt = Locked<ContinuousClock.Instant?>(nil)
            let socket = WebSocket(url: "ws://127.0.0.1:\(port)/", clientOptions: clientOptions)
            socket.onError { _ in failedAt.withLock { $0 = ContinuousClock.now } }
            _ = await socket.finalCloseEvent()
            try await socket.eventLoop.submit {}.get()
            let elapsed = try #require(failedAt.current) - start
            #expect(elapsed < .seconds(1), "failed after \(elapsed)")
        }
        try await group.shutdownGracefully()
    }

    @Test("a name that does not resolve: dnsLookupFailed")
    func dns() async throws {
        let error = try #require(await connectError("ws://no-such-host.invalid/"))
        #expect(error.kind == .dnsLookupFailed(host: "no-such-host.invalid"))
    }

    @Test("a bad URL: invalidURL")
    func badURL() async throws {
        let error = try #require(await connectError("http://127.0.0.1/"))
        #expect(error.kind == .invalidURL)
    }

    @Test("a server that never answers the handshake: connectTimeout within the connect timeout")
    func silentServer() async throws {
        try await withCanned(answer: { _ in nil }) { server, clientOptions in
            var clientOptions = clientOptions
            clientOptions.connectTimeout = .milliseconds(300)
            let error = try #require(await connectError(server.url, clientOptions: clientOptions))
            #expect(error.kind == .connectTimeout(.milliseconds(300)))
            // Timed on the event loop, where the failure happens (the test task's own resumption
            // depends on how busy the parallel run keeps the thread pool).
            let start = ContinuousClock.now
            let failedAt = Locked<ContinuousClock.Instant?>(nil)
            let socket = WebSocket(url: server.url, clientOptions: clientOptions)
            socket.onError { _ in failedAt.withLock { $0 = ContinuousClock.now } }
            _ = await socket.finalCloseEvent()
            try await socket.eventLoop.submit {}.get()
            let elapsed = try #require(failedAt.current) - start
            #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(2), "failed after \(elapsed)")
        }
    }

    @Test("wss: without the CA: tls, with the certificate-verification kind")
    func untrustedCertificate() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server) { loopback in
            let error = try #require(
                await connectError("wss://127.0.0.1:\(loopback.port)/", clientOptions: .tls(loopback.group)))
            guard case .tls(let tls) = error.kind else {
                Issue.record("kind \(error.kind)")
                return
            }
            #expect(tls.kind == .certificateVerificationFailed)
        }
    }

    @Test("wss: with the CA: open")
    func trustedCertificate() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server) { loopback in
            let socket = try await WebSocket.connect(
                to: "wss://127.0.0.1:\(loopback.port)/", clientOptions: .tls(loopback.group, trusting: pki.caFile))
            #expect(socket.readyState == .open)
            _ = try await socket.closeAndWait()
        }
    }

    @Test("the same error reaches onError, connect, closed() and a pending send")
    func sameError() async throws {
        try await withCanned(answer: Self.notFound) { server, clientOptions in
            let socket = WebSocket(url: server.url, clientOptions: clientOptions)
            let seen = Locked<[WebSocketError]>([])
            socket.onError { seen.append($0) }
            await #expect(throws: WebSocketError.self) { try await socket.send(.text("queued")) }
            let closedError = await #expect(throws: WebSocketError.self) { try await socket.closed() }
            try await socket.eventLoop.submit {}.get()
            #expect(seen.current.count == 1)
            #expect(seen.current.first == closedError)
            #expect(socket.error == closedError)
            #expect(socket.closeEvent?.code == .abnormalClosure)
        }
    }

    @Test("sends while connecting to a 404 server all throw; none reports success")
    func sendsToRejectingServer() async throws {
        try await withCanned(answer: Self.notFound) { server, clientOptions in
            for _ in 0..<40 {
                let socket = WebSocket(url: server.url, clientOptions: clientOptions)
                let error = await #expect(throws: WebSocketError.self) { try await socket.send(.text("x")) }
                guard case .handshakeRejected = error?.kind else {
                    Issue.record("kind \(String(describing: error?.kind))")
                    return
                }
            }
        }
    }

    @Test("sends while connecting to a refused port all throw connectionFailed")
    func sendsToRefusedPort() async throws {
        try await withRefusingPort { port in
            for _ in 0..<40 {
                let socket = WebSocket(url: "ws://127.0.0.1:\(port)/")
                let error = await #expect(throws: WebSocketError.self) { try await socket.send(.text("x")) }
                #expect(error?.kind == .connectionFailed(host: "127.0.0.1", port: port, errno: ECONNREFUSED))
            }
        }
    }

    @Test("a send pending when close() is called before the open throws")
    func closeBeforeOpen() async throws {
        try await withCanned(answer: { _ in nil }) { server, clientOptions in
            let socket = WebSocket(url: server.url, clientOptions: clientOptions)
            let sent = Task { try await socket.send(.text("never")) }
            // The send reaches the event loop first (tasks there run in order).
            _ = try await server.requests.next(timeout: .seconds(5), "the handshake request")
            try socket.close()
            await #expect(throws: WebSocketError.self) { try await sent.value }
            _ = await socket.finalCloseEvent()
            #expect(socket.readyState == .closed)
        }
    }
}
