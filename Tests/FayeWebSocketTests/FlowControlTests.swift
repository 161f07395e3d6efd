import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// bufferedAmount with a slow reader, and backpressure from the async message consumer.
@Suite("Flow control")
struct FlowControlTests {
    /// A 64 KiB message that carries its index in its first four bytes.
    static func chunk(_ index: Int, size: Int = 64 * 1024) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
        for shift in 0..<4 { bytes[shift] = UInt8(truncatingIfNeeded: index >> (8 * (3 - shift))) }
        return bytes
    }

    static func index(of message: WebSocketMessage) -> Int? {
        guard case .binary(let bytes) = message, bytes.count >= 4 else { return nil }
        return bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }

    @Test("a client that stops reading: bufferedAmount grows while the server keeps sending")
    func slowReader() async throws {
        try await withLoopback(echo: false) { loopback in
            let client = try await TestClient.connect(group: loopback.group, port: loopback.port) {
                try $0.syncOptions?.setOption(.socketOption(.so_rcvbuf), value: 64 * 1024)
            }
            try await client.expectOpen()
            let socket = try await loopback.nextServerSocket()
            try await client.setAutoRead(false)
            try await Task.sleep(for: .milliseconds(50))
            #expect(socket.bufferedAmount == 0)

            for index in 0..<128 { #expect(socket.send(Self.chunk(index))) }
            try await eventually("the kernel buffers to fill") { socket.bufferedAmount > 2 << 20 }
            try await Task.sleep(for: .milliseconds(100))
            let afterFirst = socket.bufferedAmount
            for index in 128..<256 { #expect(socket.send(Self.chunk(index))) }
            try await eventually("bufferedAmount to grow") { socket.bufferedAmount >= afterFirst + (7 << 20) }
            try await Task.sleep(for: .milliseconds(100))
            #expect(socket.bufferedAmount >= afterFirst + (7 << 20))

            try await client.setAutoRead(true)
            for index in 0..<256 {
                let message = try await client.nextMessage(timeout: .seconds(8))
                #expect(Self.index(of: message) == index)
            }
            try await eventually("bufferedAmount to drain") { socket.bufferedAmount == 0 }
        }
    }

    @Test("a slow async consumer stops the server reading; everything arrives in order afterwards")
    func consumerBackpressure() async throws {
        var options = WebSocketOptions()
        options.messageBufferLimit = 4
        let received = Locked(0)
        var server = LoopbackServer(options: options, echo: false)
        server.setup = { socket in
            _ = socket.messages
            socket.onMessage { _ in received.withLock { $0 += 1 } }
        }
        try await withLoopback(server) { loopback in
            let client = try await TestClient.connect(group: loopback.group, port: loopback.port) {
                try $0.syncOptions?.setOption(.socketOption(.so_sndbuf), value: 64 * 1024)
            }
            try await client.expectOpen()
            let socket = try await loopback.nextServerSocket()
            let total = 512
            for index in 0..<total { try await client.send(Self.chunk(index)) }

            // The server reads a little, then stops: the client's writes back up.
            try await eventually("the client's writes to back up") { client.bufferedAmount > 16 << 20 }
            let seen = received.current
            try await Task.sleep(for: .milliseconds(200))
            #expect(received.current == seen)
            #expect(seen < 128)
            #expect(client.bufferedAmount > 16 << 20)

            // Now consume: every message arrives, in order, and the client's backlog drains.
            let indices = try await withTimeout("the messages", timeout: .seconds(8)) {
                var indices: [Int] = []
                for await message in socket.messages {
                    indices.append(Self.index(of: message) ?? -1)
                    if indices.count == total { break }
                }
                return indices
            }
            #expect(indices == Array(0..<total))
            #expect(received.current == total)
            try await eventually("the client's backlog to drain") { client.bufferedAmount == 0 }
        }
    }

    @Test("a consumer that stops iterating releases the backpressure")
    func consumerGoesAway() async throws {
        var options = WebSocketOptions()
        options.messageBufferLimit = 2
        let received = Locked(0)
        var server = LoopbackServer(options: options, echo: false)
        server.setup = { socket in
            _ = socket.messages
            socket.onMessage { _ in received.withLock { $0 += 1 } }
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            try await client.send(Self.chunk(0, size: 1024))
            let first = try await withTimeout("one message") { () -> WebSocketMessage? in
                for await message in socket.messages { return message }
                return nil
            }
            #expect(first.flatMap(Self.index(of:)) == 0)
            // The iterator is gone: nothing holds the reads back any more.
            for index in 1..<200 { try await client.send(Self.chunk(index, size: 1024)) }
            try await eventually("reading to go on without a consumer") { received.current == 200 }
        }
    }
}
