import FayeTestSupport
import NIOCore
import Testing
import WebSocketDriver

@testable import FayeWebSocket

/// bufferedAmount, its high-water mark and limit, and the message sequence's backpressure on an
/// embedded server connection whose transport the test stalls and releases.
@Suite("Flow control on an embedded connection", .allocatesMemory)
struct FlowControlEmbeddedTests {
    /// A masked binary frame carrying ``FlowControlTests/chunk(_:size:)``.
    static func frame(_ index: Int, size: Int = 1024) -> [UInt8] {
        WebSocketHandshakes.maskedFrame(opcode: 0x2, payload: FlowControlTests.chunk(index, size: size))
    }

    /// The bytes of a server frame of 4 KiB: a 4-byte header (16-bit length) and the payload.
    /// (Small: the process-wide memory measurements of other suites run alongside.)
    static let chunkFrameSize = 4 + 4 * 1024

    @Test("a peer that stops reading: bufferedAmount counts every frame not yet written, then drains in order")
    func slowReader() async throws {
        let server = try await EmbeddedServer.connect(echo: false)
        let socket = try await server.upgrade()
        #expect(socket.bufferedAmount == 0)
        server.tap.stalled.withLock { $0 = true }
        for index in 0..<128 { #expect(socket.send(FlowControlTests.chunk(index, size: 4 * 1024))) }
        await server.loop.run()
        #expect(socket.bufferedAmount == 128 * Self.chunkFrameSize)
        for index in 128..<256 { #expect(socket.send(FlowControlTests.chunk(index, size: 4 * 1024))) }
        await server.loop.run()
        #expect(socket.bufferedAmount == 256 * Self.chunkFrameSize)
        #expect(server.takeOutput().isEmpty)

        let tap = server.tap
        try await server.onLoop { tap.release() }
        #expect(socket.bufferedAmount == 0)
        let frames = server.takeFrames()
        #expect(frames.map { FlowControlTests.index(of: .binary($0.payload)) } == Array(0..<256))
        await server.finish()
    }

    @Test("past the bufferedAmount high-water mark the connection stops reading, and reads again once drained")
    func highWaterMark() async throws {
        var options = WebSocketOptions()
        options.bufferedAmountHighWaterMark = 64 * 1024
        let server = try await EmbeddedServer.connect(options: options)
        let socket = try await server.upgrade()
        server.tap.stalled.withLock { $0 = true }
        let reads = server.tap.reads.current

        // Three echoes stay under the mark: reading goes on.
        try await server.receive((0..<3).flatMap { Self.frame($0, size: 16 * 1024) })
        #expect(socket.bufferedAmount == 3 * (4 + 16 * 1024))
        try await server.requestRead()
        #expect(server.tap.reads.current == reads + 1)

        // Two more pass it: the next read is held back.
        try await server.receive((3..<5).flatMap { Self.frame($0, size: 16 * 1024) })
        #expect(socket.bufferedAmount == 5 * (4 + 16 * 1024))
        try await server.requestRead()
        #expect(server.tap.reads.current == reads + 1)

        // The peer reads: the held read goes out, once.
        let tap = server.tap
        try await server.onLoop { tap.release() }
        #expect(socket.bufferedAmount == 0)
        #expect(server.tap.reads.current == reads + 2)
        let frames = server.takeFrames()
        #expect(frames.map { FlowControlTests.index(of: .binary($0.payload)) } == Array(0..<5))
        #expect(socket.readyState == .open)
        await server.finish()
    }

    @Test("sending to a peer that never reads: past maxBufferedAmount the connection is dropped with 1008")
    func maxBufferedAmount() async throws {
        var options = WebSocketOptions()
        options.maxBufferedAmount = 1 << 20
        let errors = Locked<[String]>([])
        let server = try await EmbeddedServer.connect(options: options, echo: false) { socket in
            socket.onError { errors.append($0.message) }
        }
        let socket = try await server.upgrade()
        server.tap.stalled.withLock { $0 = true }
        let chunk = patternBytes(64 * 1024)
        let (accepted, peak) = try await server.onLoop { () -> (Int, Int) in
            var accepted = 0
            var peak = 0
            for _ in 0..<4096 {
                guard socket.send(chunk) else { break }
                accepted += 1
                peak = max(peak, socket.bufferedAmount)
            }
            return (accepted, peak)
        }
        // 16 frames of 65,546 bytes are the first to pass 1 MiB: the 16th is the last accepted.
        #expect(accepted == 16)
        #expect(peak <= 1 << 20)
        #expect(!server.isActive)
        let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
        #expect(event == CloseEvent(code: .policyViolation, reason: "bufferedAmount exceeded 1048576 bytes"))
        #expect(errors.current == ["The peer does not read: bufferedAmount exceeded 1048576 bytes"])
        #expect(!socket.send(chunk))
        #expect(socket.bufferedAmount == 0)
        await server.finish()
    }

    @Test("a slow async consumer stops the server reading; everything arrives in order afterwards")
    func consumerBackpressure() async throws {
        var options = WebSocketOptions()
        options.messageBufferLimit = 4
        let received = Locked(0)
        let server = try await EmbeddedServer.connect(options: options, echo: false) { socket in
            _ = socket.messages
            socket.onMessage { _ in received.withLock { $0 += 1 } }
        }
        let socket = try await server.upgrade()
        let reads = server.tap.reads.current

        // Eight messages in one read: the sequence keeps them all, and past four the connection
        // asks for no more reads.
        try await server.receive((0..<8).flatMap { Self.frame($0) })
        #expect(received.current == 8)
        try await server.requestRead()
        try await server.requestRead()
        #expect(server.tap.reads.current == reads)

        var iterator = socket.messages.makeAsyncIterator()
        var indices: [Int] = []
        for _ in 0..<8 { indices.append(try await iterator.next().flatMap(FlowControlTests.index(of:)) ?? -1) }
        await server.loop.run()
        // Caught up: the held read goes out, once.
        #expect(server.tap.reads.current == reads + 1)

        try await server.receive((8..<16).flatMap { Self.frame($0) })
        try await server.requestRead()
        #expect(server.tap.reads.current == reads + 1)
        for _ in 8..<16 { indices.append(try await iterator.next().flatMap(FlowControlTests.index(of:)) ?? -1) }
        await server.loop.run()
        #expect(server.tap.reads.current == reads + 2)
        #expect(indices == Array(0..<16))
        #expect(received.current == 16)
        await server.finish()
    }

    @Test("a consumer that stops iterating releases the backpressure")
    func consumerGoesAway() async throws {
        var options = WebSocketOptions()
        options.messageBufferLimit = 2
        let received = Locked(0)
        let server = try await EmbeddedServer.connect(options: options, echo: false) { socket in
            _ = socket.messages
            socket.onMessage { _ in received.withLock { $0 += 1 } }
        }
        let socket = try await server.upgrade()
        try await server.receive((0..<4).flatMap { Self.frame($0) })
        let reads = server.tap.reads.current
        try await server.requestRead()
        #expect(server.tap.reads.current == reads)

        let first = try await { () async throws -> WebSocketMessage? in
            for try await message in socket.messages { return message }
            return nil
        }()
        #expect(first.flatMap(FlowControlTests.index(of:)) == 0)
        // The iterator is gone: the held read goes out, and nothing holds reads back any more.
        await server.loop.run()
        #expect(server.tap.reads.current == reads + 1)
        for index in 4..<200 {
            try await server.receive(Self.frame(index))
            try await server.requestRead()
        }
        #expect(server.tap.reads.current == reads + 1 + 196)
        #expect(received.current == 200)
        await server.finish()
    }
}
