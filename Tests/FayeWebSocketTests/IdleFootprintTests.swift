import FayeTestSupport
import NIOCore
import PermessageDeflate
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// What the per-connection memory savings must not change: options shared between connections
/// behave as values, a server socket's request keeps the exact bytes received, its URL is the
/// same when built on demand, and shutdown still finds the sockets that are open. Accepted
/// connections start with a small receive buffer, which an idle connection keeps.
@Suite("Idle footprint", .allocatesMemory)
struct IdleFootprintTests {
    @Test("copies of options are independent values")
    func optionsAreValues() {
        var original = WebSocketOptions()
        original.protocols = ["one"]
        original.extensions = [PermessageDeflate()]
        var copy = original
        copy.protocols = ["two"]
        copy.closeTimeout = .seconds(1)
        copy.maxBufferedAmount = nil
        #expect(original.protocols == ["one"])
        #expect(original.closeTimeout == .seconds(30))
        #expect(original.maxBufferedAmount == 256 << 20)
        #expect(original.extensions.count == 1)
        #expect(copy.protocols == ["two"])
        #expect(copy.closeTimeout == .seconds(1))
        #expect(copy.maxBufferedAmount == nil)
        #expect(copy.extensions.count == 1)
    }

    @Test("options changed after a server used them negotiate the new values")
    func optionsChangedAfterUse() async throws {
        var options = WebSocketOptions()
        options.protocols = ["one"]
        var clientOptions = DriverOptions()
        clientOptions.protocols = ["two", "one"]
        try await withLoopback(options: options) { loopback in
            _ = try await loopback.client(options: clientOptions)
            #expect(try await loopback.nextServerSocket().protocol == "one")
        }
        options.protocols = ["two"]
        try await withLoopback(options: options) { loopback in
            _ = try await loopback.client(options: clientOptions)
            #expect(try await loopback.nextServerSocket().protocol == "two")
        }
    }

    @Test("well-known header names and values and their look-alikes reach the server byte for byte")
    func headerBytesKept() async throws {
        // U+212A KELVIN SIGN is canonically equivalent to "K": Swift's == calls this equal to
        // "Sec-WebSocket-Key", but its bytes differ and must stay as sent.
        let lookAlike = "Sec-WebSocket-\u{212A}ey"
        let known = "permessage-deflate; client_max_window_bits"
        var clientOptions = DriverOptions()
        clientOptions.headers = ["X-Look-Alike": lookAlike, "X-Known": known]
        try await withLoopback { loopback in
            _ = try await loopback.client(options: clientOptions)
            let headers = try #require(try await loopback.nextServerSocket().request?.headers)
            #expect(headers.first("X-Look-Alike").map { Array($0.utf8) } == Array(lookAlike.utf8))
            #expect(headers.first("X-Known") == known)
            #expect(headers.first("Sec-WebSocket-Version") == "13")
            #expect(headers.first("Sec-WebSocket-Key")?.utf8.count == 24)
            #expect(headers.map(\.name).contains("Sec-WebSocket-Key"))
        }
    }

    @Test("a server socket's URL follows X-Forwarded-Proto")
    func forwardedURL() async throws {
        var clientOptions = DriverOptions()
        clientOptions.headers = ["X-Forwarded-Proto": "https"]
        try await withLoopback { loopback in
            _ = try await loopback.client(path: "/behind?proxy=1", options: clientOptions)
            let socket = try await loopback.nextServerSocket()
            #expect(socket.url == "wss://127.0.0.1:\(loopback.port)/behind?proxy=1")
        }
    }

    @Test("shutdown closes the sockets still open and skips those already closed")
    func shutdownAfterSomeClosed() async throws {
        try await withLoopback { loopback in
            let first = try await loopback.client()
            let firstSocket = try await loopback.nextServerSocket()
            let second = try await loopback.client()
            let secondSocket = try await loopback.nextServerSocket()
            #expect(try await first.close())
            #expect(try await first.closeEvent().code == 1000)
            let firstEvent = try await withTimeout("the first socket's close") { await firstSocket.finalCloseEvent() }
            #expect(firstEvent.code == .normalClosure)
            let start = ContinuousClock.now
            try await loopback.server.shutdown()
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(try await second.closeEvent().code == 1001)
            let secondEvent = try await withTimeout("the second socket's close") {
                await secondSocket.finalCloseEvent()
            }
            #expect(secondEvent.code == .goingAway)
        }
    }

    @Test("an accepted connection reads into a 512-byte buffer first, growing to 64 KiB")
    func smallInitialReceiveBuffer() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            _ = try await loopback.nextServerSocket()
            let channel = try #require(loopback.server.connections.all().first)
            let allocator = try await channel.getOption(.recvAllocator).get()
            let adaptive = try #require(allocator as? AdaptiveRecvByteBufferAllocator)
            #expect(adaptive.initial == 512)
            #expect(adaptive.minimum == 64)
            #expect(adaptive.maximum == 64 * 1024)
            // Messages larger than the first buffer still arrive whole.
            let message = [UInt8](repeating: 7, count: 100_000)
            try await client.send(message)
            #expect(try await client.nextMessage(timeout: .seconds(8)) == .binary(message))
        }
    }
}
