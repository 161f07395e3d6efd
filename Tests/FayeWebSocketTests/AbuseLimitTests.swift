import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import NIOCore
import PermessageDeflate
import Testing
import WebSocketDriver

/// Hostile clients against a live embedded server over loopback, with plain sockets (bytes in,
/// bytes out): every limit of Docs/Robustness.md holds and says what it documents.
@Suite("Abuse limits", .serialized, .allocatesMemory)
struct AbuseLimitTests {
    /// A raw socket that has completed a WebSocket handshake (the 101 read, nothing after it).
    static func handshake(port: Int, receiveBuffer: Int? = nil) async throws -> RawSocket {
        let socket = try RawSocket(port: port, receiveBuffer: receiveBuffer)
        try await socket.write(WebSocketHandshakes.request())
        let head = await socket.read(for: .seconds(5)) { RawHTTPResponse.parse($0) != nil }
        guard let (response, length) = RawHTTPResponse.parse(head.bytes), response.status == 101,
            length == head.bytes.count
        else { throw TestTimeout(what: "a bare 101 response", after: .seconds(5)) }
        return socket
    }

    @Test("an oversized request head gets 431 and a close")
    func oversizedHead() async throws {
        // The default limit (16 KiB); a 20 KiB header field.
        try await withLoopback { loopback in
            let socket = try RawSocket(port: loopback.port)
            let padding = String(repeating: "x", count: 20 * 1024)
            try await socket.write(WebSocketHandshakes.request(extra: [("X-Padding", padding)]))
            let answer = await socket.read(for: .seconds(5))
            let response = try #require(RawHTTPResponse.parse(answer.bytes))
            #expect(response.0.status == 431)
            #expect(response.0.header("Connection") == "close")
            #expect(answer.closed)
        }
    }

    @Test("a frame header announcing 2^63 - 1 bytes is refused with 1009 before any payload arrives")
    func hugeFrameHeader() async throws {
        try await withLoopback { loopback in
            let socket = try await Self.handshake(port: loopback.port)
            let server = try await loopback.nextServerSocket()
            // FIN + binary, masked, 64-bit length 0x7FFF_FFFF_FFFF_FFFF, the mask, and no payload.
            try await socket.write([0x82, 0xFF, 0x7F] + [UInt8](repeating: 0xFF, count: 7) + [1, 2, 3, 4])
            let answer = await socket.read(for: .seconds(5))
            let frames = WebSocketHandshakes.serverFrames(answer.bytes)
            #expect(frames.first?.opcode == 0x8)
            #expect(frames.first.map { Array($0.payload.prefix(2)) } == [0x03, 0xF1])  // 1009
            #expect(answer.closed)
            let event = try await withTimeout("the server's close") { await server.finalCloseEvent() }
            #expect(event.code == .messageTooBig)
        }
    }

    @Test("a decompression bomb on a live deflate connection is refused with 1009")
    func decompressionBomb() async throws {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        options.maxLength = 1 << 20
        try await withLoopback(options: options) { loopback in
            var clientOptions = DriverOptions()
            try clientOptions.extensions.add(PermessageDeflate())
            clientOptions.maxLength = 1 << 30
            let client = try await loopback.client(options: clientOptions)
            let server = try await loopback.nextServerSocket()
            #expect(server.extensions == ["permessage-deflate"])
            // 64 MiB of zeros deflate to about 64 KiB: the frame passes the header check, the
            // inflated size does not.
            #expect(try await client.send([UInt8](repeating: 0, count: 64 << 20)))
            #expect(try await client.closeEvent(timeout: .seconds(10)).code == 1009)
            let event = try await withTimeout("the server's close") { await server.finalCloseEvent() }
            #expect(event.code == .messageTooBig)
        }
    }

    /// Floods the server with `frame` from a client that does not read, until the kernel stops
    /// taking bytes (the server stopped reading) or `cap` bytes went out; then reads everything
    /// back. Returns the largest `bufferedAmount` seen, how many frames were sent, and how many
    /// frames of `replyOpcode` came back.
    static func floodWithoutReading(
        socket: RawSocket,
        server: WebSocket,
        frame: [UInt8],
        replyOpcode: UInt8,
        cap: Int = 256 << 20
    ) async throws -> (peak: Int, sent: Int, replies: Int) {
        let batch = Array([[UInt8]](repeating: frame, count: max(1, 32 * 1024 / frame.count)).joined())
        var accepted = 0
        var remainder: [UInt8] = []
        var peak = 0
        var stalledSince: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .seconds(20)
        while accepted < cap, ContinuousClock.now < deadline {
            let written: Int
            if remainder.isEmpty {
                written = try socket.writeNow(batch)
                if written < batch.count { remainder = Array(batch[written...]) }
            } else {
                written = try socket.writeNow(remainder)
                remainder.removeFirst(written)
            }
            accepted += written
            peak = max(peak, server.bufferedAmount)
            if written > 0 {
                stalledSince = nil
                continue
            }
            // The kernel takes nothing: stalled for half a second means the server stopped reading.
            let since = stalledSince ?? .now
            stalledSince = since
            if ContinuousClock.now - since > .milliseconds(500) { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        // Hold on for a moment: the server must stay bounded while nothing moves.
        for _ in 0..<20 {
            peak = max(peak, server.bufferedAmount)
            try await Task.sleep(for: .milliseconds(10))
        }
        let sent = (accepted + remainder.count) / frame.count

        // Now read: every reply arrives, and the remainder goes out as the server reads again.
        var counter = FrameCounter()
        let drainDeadline = ContinuousClock.now + .seconds(30)
        while counter.count(of: replyOpcode) < sent, ContinuousClock.now < drainDeadline {
            if !remainder.isEmpty {
                let more = try socket.writeNow(remainder)
                remainder.removeFirst(more)
            }
            switch await socket.read(timeout: 50) {
            case .bytes(let bytes): counter.feed(bytes)
            case .closed: return (peak, sent, counter.count(of: replyOpcode))
            case .timedOut: break
            }
        }
        return (peak, sent, counter.count(of: replyOpcode))
    }

    @Test("a ping flood from a client that never reads: the pongs stop at the high-water mark, none is lost")
    func pingFlood() async throws {
        var options = WebSocketOptions()
        options.bufferedAmountHighWaterMark = 256 << 10
        try await withLoopback(options: options) { loopback in
            let socket = try await Self.handshake(port: loopback.port, receiveBuffer: 4096)
            let server = try await loopback.nextServerSocket()
            let ping = WebSocketHandshakes.maskedFrame(opcode: 0x9, payload: patternBytes(125))
            let result = try await Self.floodWithoutReading(
                socket: socket, server: server, frame: ping, replyOpcode: 0xA)
            // The mark plus at most one read batch's replies (16 reads of up to 64 KiB).
            #expect(result.peak <= (256 << 10) + (2 << 20), "bufferedAmount peaked at \(result.peak)")
            #expect(result.sent < (256 << 20) / ping.count, "the server never stopped reading")
            #expect(result.replies == result.sent)
            #expect(server.readyState == .open)
        }
    }

    @Test("a client that sends and never reads: the echoes stop at the high-water mark, none is lost")
    func echoWithoutReading() async throws {
        var options = WebSocketOptions()
        options.bufferedAmountHighWaterMark = 1 << 20
        try await withLoopback(options: options) { loopback in
            let socket = try await Self.handshake(port: loopback.port, receiveBuffer: 4096)
            let server = try await loopback.nextServerSocket()
            let message = WebSocketHandshakes.maskedFrame(opcode: 0x2, payload: patternBytes(16 * 1024))
            let result = try await Self.floodWithoutReading(
                socket: socket, server: server, frame: message, replyOpcode: 0x2)
            #expect(result.peak <= (1 << 20) + (2 << 20), "bufferedAmount peaked at \(result.peak)")
            #expect(result.sent < (256 << 20) / message.count, "the server never stopped reading")
            #expect(result.replies == result.sent)
            #expect(server.readyState == .open)
        }
    }

    @Test("over maxConnections a client gets 503 and a close; a freed place is reused")
    func maxConnections() async throws {
        var server = LoopbackServer()
        server.configuration.maxConnections = 2
        try await withLoopback(server) { loopback in
            let first = try await loopback.client()
            let second = try await loopback.client()
            #expect(loopback.server.connectionCount == 2)

            let refused = try RawSocket(port: loopback.port)
            try await refused.write(WebSocketHandshakes.request())
            let answer = await refused.read(for: .seconds(5))
            let response = try #require(RawHTTPResponse.parse(answer.bytes))
            #expect(response.0.status == 503)
            #expect(response.0.header("Connection") == "close")
            #expect(response.0.header("Retry-After") == "1")
            #expect(answer.closed)
            #expect(loopback.server.connectionCount == 2)
            // The accepted connections are untouched.
            try await first.send("still here")
            #expect(try await first.nextMessage() == .text("still here"))

            _ = try await second.close()
            try await second.waitDisconnected()
            try await eventually("the place to be freed") { loopback.server.connectionCount == 1 }
            let third = try await loopback.client()
            try await third.send("in")
            #expect(try await third.nextMessage() == .text("in"))
        }
    }

    @Test("a refused connection that never sends anything is closed after a second")
    func refusedIdleConnection() async throws {
        var server = LoopbackServer()
        server.configuration.maxConnections = 1
        try await withLoopback(server) { loopback in
            let first = try await loopback.client()
            let start = ContinuousClock.now
            let refused = try RawSocket(port: loopback.port)
            let answer = await refused.read(for: .seconds(5))
            #expect(RawHTTPResponse.parse(answer.bytes)?.0.status == 503)
            #expect(answer.closed)
            #expect(ContinuousClock.now - start < .seconds(3))
            try await first.send("ok")
            #expect(try await first.nextMessage() == .text("ok"))
        }
    }
}

/// Counts the server-to-client frames in a byte stream fed in pieces, by opcode (it skips
/// payloads without copying them).
struct FrameCounter {
    private var pending: [UInt8] = []
    private var skip = 0
    private var counts: [UInt8: Int] = [:]

    func count(of opcode: UInt8) -> Int { counts[opcode, default: 0] }

    mutating func feed(_ bytes: [UInt8]) {
        var bytes = bytes[...]
        while !bytes.isEmpty {
            if skip > 0 {
                let taken = min(skip, bytes.count)
                skip -= taken
                bytes = bytes.dropFirst(taken)
                continue
            }
            pending.append(bytes.removeFirst())
            guard pending.count >= 2 else { continue }
            let short = Int(pending[1] & 0x7F)
            let headerLength = short == 126 ? 4 : short == 127 ? 10 : 2
            guard pending.count == headerLength else { continue }
            let length =
                headerLength == 2 ? short : pending[2..<headerLength].reduce(0) { $0 << 8 | Int($1) }
            counts[pending[0] & 0x0F, default: 0] += 1
            skip = length
            pending = []
        }
    }
}
