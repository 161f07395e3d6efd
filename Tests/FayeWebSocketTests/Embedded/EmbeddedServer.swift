import FayeTestSupport
import Logging
import NIOCore
import NIOEmbedded
import WebSocketDriver

@testable import FayeWebSocket

/// The transport under an embedded server pipeline (its first handler): it records the bytes
/// flushed, counts the reads that reach it, notes the virtual time the connection closed, and
/// can stall: then flushed writes stay pending (a peer that does not read) until released.
final class WireTap: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Bytes flushed to the "kernel" and not yet taken by the test.
    let written = Locked<[UInt8]>([])
    /// `read()` calls that reached the transport.
    let reads = Locked(0)
    /// The virtual time the connection closed.
    let closedAt = Locked<NIODeadline?>(nil)
    /// Whether flushed writes stay pending.
    let stalled = Locked(false)

    // Event loop state.
    private var isClosed = false
    private var unflushed: [(bytes: [UInt8], promise: EventLoopPromise<Void>?)] = []
    private var held: [(bytes: [UInt8], promise: EventLoopPromise<Void>?)] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A socket that is closed writes nothing (NIO's HTTP decoder answers a head cut short
        // by the close with a 400 that never reaches the wire).
        guard !isClosed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            promise?.fail(ChannelError.operationUnsupported)
            return
        }
        unflushed.append((Array(buffer.readableBytesView), promise))
    }

    func flush(context: ChannelHandlerContext) {
        let flushed = unflushed
        unflushed = []
        if stalled.current {
            held += flushed
        } else {
            complete(flushed)
        }
    }

    func read(context: ChannelHandlerContext) {
        reads.withLock { $0 += 1 }
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        closedAt.withLock { $0 = context.eventLoop.now }
        let pending = unflushed + held
        unflushed = []
        held = []
        for write in pending { write.promise?.fail(ChannelError.ioOnClosedChannel) }
        context.fireChannelInactive()
    }

    /// Lets the writes held while stalled go out (call on the event loop).
    func release() {
        stalled.withLock { $0 = false }
        let pending = held
        held = []
        complete(pending)
    }

    private func complete(_ writes: [(bytes: [UInt8], promise: EventLoopPromise<Void>?)]) {
        written.withLock { bytes in for write in writes { bytes += write.bytes } }
        for write in writes { write.promise?.succeed() }
    }
}

/// One server connection on a `NIOAsyncTestingChannel`: the pipeline ``FayeServer`` builds for an
/// accepted connection, over a ``WireTap``, with a virtual clock the test advances.
struct EmbeddedServer {
    let channel: NIOAsyncTestingChannel
    let tap: WireTap
    /// Every WebSocket the default responder accepted, in order.
    let sockets: Inbox<WebSocket>
    /// The virtual time the connection became active.
    let start: NIODeadline

    var loop: NIOAsyncTestingEventLoop { channel.testingEventLoop }

    /// A connection, active at virtual time ``start``. The default responder is the loopback
    /// one: an `Upgrade` request becomes a WebSocket (echoing unless `echo` is off, handed to
    /// `setup` before its handshake), anything else gets `200 plain <METHOD> <target>` and its body.
    static func connect(
        configuration: FayeServer.Configuration = FayeServer.Configuration(),
        options: WebSocketOptions = WebSocketOptions(),
        echo: Bool = true,
        setup: @escaping @Sendable (WebSocket) -> Void = { _ in },
        responder: FayeHTTPHandler.Responder? = nil
    ) async throws -> EmbeddedServer {
        let sockets = Inbox<WebSocket>()
        let responder =
            responder ?? echoResponder(options: options, echo: echo, setup: setup, sockets: sockets)
        var logger = Logger(label: "test.embedded")
        logger.logLevel = .warning
        let channel = NIOAsyncTestingChannel()
        let tap = WireTap()
        try await channel.testingEventLoop.executeInContext { [logger] in
            try channel.pipeline.syncOperations.addHandler(tap)
            try FayeServer.configure(
                channel, configuration: configuration, tls: nil, responder: responder, logger: logger)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        return EmbeddedServer(channel: channel, tap: tap, sockets: sockets, start: channel.testingEventLoop.now)
    }

    // MARK: - Time

    /// Moves the virtual clock on, running the timers that come due.
    func advance(by amount: TimeAmount) async {
        await loop.advanceTime(by: amount)
    }

    /// Virtual time since ``start``.
    var elapsed: TimeAmount { loop.now - start }

    /// The virtual time the connection closed, from ``start``.
    var closedAfter: TimeAmount? { tap.closedAt.current.map { $0 - start } }

    // MARK: - Bytes

    var isActive: Bool { channel.isActive }

    /// Delivers `bytes` from the peer as one read.
    func receive(_ bytes: [UInt8]) async throws {
        try await channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    func receive(_ text: String) async throws {
        try await receive(Array(text.utf8))
    }

    /// Takes the bytes written so far.
    func takeOutput() -> [UInt8] {
        tap.written.withLock { bytes in
            defer { bytes = [] }
            return bytes
        }
    }

    /// Takes the server frames written so far (all bytes must be whole frames).
    func takeFrames() -> [(opcode: UInt8, payload: [UInt8])] {
        WebSocketHandshakes.serverFrames(takeOutput())
    }

    /// Waits for a whole HTTP response (answers come from a responder task) and takes its bytes.
    func response() async throws -> RawHTTPResponse {
        let tap = self.tap
        return try await eventuallyValue("an HTTP response") { () -> RawHTTPResponse? in
            tap.written.withLock { bytes in
                guard let (response, length) = RawHTTPResponse.parse(bytes) else { return nil }
                bytes.removeFirst(length)
                return response
            }
        }
    }

    /// Sends the default upgrade request and waits for the 101 and the server's socket.
    func upgrade(path: String = "/") async throws -> WebSocket {
        try await receive(WebSocketHandshakes.request(path: path))
        let response = try await response()
        guard response.status == 101 else { throw TestTimeout(what: "a 101, got \(response.status)", after: .zero) }
        return try await sockets.next(timeout: .seconds(5), "the server's WebSocket")
    }

    /// Runs `body` on the event loop.
    func onLoop<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await loop.executeInContext(body)
    }

    /// Asks the pipeline for a read, as a socket channel does after each read batch; whether it
    /// reaches the transport shows in ``WireTap/reads``.
    func requestRead() async throws {
        let channel = self.channel
        try await onLoop { channel.read() }
    }

    /// Closes the connection from the peer's side (end of stream).
    func peerCloses() async throws {
        try await channel.close()
    }

    /// Ends the test's connection: closes the channel if it is still open (which closes its
    /// sockets and streams, and breaks the pipeline's reference cycle) and runs what is due.
    /// Every test calls it last, or the channel and all it holds leak (LeakSanitizer says so).
    func finish() async {
        if channel.isActive { try? await channel.close() }
        await loop.run()
    }
}
