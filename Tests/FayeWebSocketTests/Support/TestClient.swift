import FayeTestSupport
import NIOCore
import NIOPosix
import WebSocketDriver

/// What a ``TestClient`` observed, in order.
enum ClientEvent: Hashable, Sendable, CustomStringConvertible {
    case open
    case message(WebSocketMessage)
    case ping([UInt8])
    case pong([UInt8])
    case error(String)
    /// The client driver's close event.
    case close(UInt16, String)
    /// The TCP connection is gone.
    case disconnected

    var description: String {
        switch self {
        case .open: return "open"
        case .message(.text(let text)): return "text(\(text.utf8.count > 64 ? "\(text.utf8.count) bytes" : text))"
        case .message(.binary(let bytes)): return "binary(\(bytes.count) bytes)"
        case .ping(let payload): return "ping(\(String(decoding: payload, as: UTF8.self)))"
        case .pong(let payload): return "pong(\(String(decoding: payload, as: UTF8.self)))"
        case .error(let message): return "error(\(message))"
        case .close(let code, let reason): return "close(\(code), \(reason))"
        case .disconnected: return "disconnected"
        }
    }

    var isControl: Bool {
        switch self {
        case .ping, .pong: return true
        default: return false
        }
    }
}

/// A test expected one event and got another.
struct UnexpectedClientEvent: Error, CustomStringConvertible {
    var expected: String
    var got: ClientEvent

    var description: String { "expected \(expected), got \(got)" }
}

/// The state a ``ClientHandler`` shares with its ``TestClient``.
final class ClientState: Sendable {
    let events = Inbox<ClientEvent>()
    /// Bytes received in raw mode.
    let raw = Locked<[UInt8]>([])
    let isDisconnected = Locked(false)
    /// Bytes written and not yet handed to the kernel (the client's `bufferedAmount`).
    let bufferedAmount = Locked(0)
    /// The handshake response status, once received.
    let status = Locked<Int?>(nil)
}

/// A loopback client for the server tests: either a ``Driver`` client (the WebSocket mode) or a
/// plain byte pipe (the raw mode, for HTTP requests and hand-made frames), switchable from raw to
/// WebSocket on the same connection.
final class TestClient: Sendable {
    let channel: any Channel
    let state: ClientState
    let host: String
    let port: Int

    private init(channel: any Channel, state: ClientState, host: String, port: Int) {
        self.channel = channel
        self.state = state
        self.host = host
        self.port = port
    }

    /// Connects; in WebSocket mode sends the upgrade request for `path` at once (followed, in the
    /// same write, by `earlyBytes`).
    static func connect(
        group: any EventLoopGroup,
        host: String = "127.0.0.1",
        port: Int,
        webSocketPath path: String? = "/",
        options: DriverOptions = DriverOptions(),
        earlyBytes: [UInt8] = [],
        configure: @escaping @Sendable (any Channel) throws -> Void = { _ in }
    ) async throws -> TestClient {
        let state = ClientState()
        let url = path.map { WebSocketHandshakes.url(host: host, port: port, path: $0) }
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(channel)
                    let handler = ClientHandler(state: state)
                    if let url { handler.webSocket = (url, options, earlyBytes) }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .get()
        return TestClient(channel: channel, state: state, host: host, port: port)
    }

    /// Connects in raw mode.
    static func connectRaw(group: any EventLoopGroup, host: String = "127.0.0.1", port: Int) async throws -> TestClient
    {
        try await connect(group: group, host: host, port: port, webSocketPath: nil)
    }

    private func onHandler<Result: Sendable>(_ body: @escaping @Sendable (ClientHandler) -> Result) async throws
        -> Result
    {
        let channel = self.channel
        return try await channel.eventLoop.submit {
            body(try channel.pipeline.syncOperations.handler(type: ClientHandler.self))
        }.get()
    }

    // MARK: WebSocket mode

    /// Switches a raw connection to WebSocket mode: sends the upgrade request for `path`.
    func upgrade(path: String = "/", options: DriverOptions = DriverOptions()) async throws {
        let url = WebSocketHandshakes.url(host: host, port: port, path: path)
        try await onHandler { $0.startWebSocket(url: url, options: options, earlyBytes: []) }
    }

    @discardableResult
    func send(_ text: String) async throws -> Bool {
        try await onHandler { $0.driver?.text(text) ?? false }
    }

    @discardableResult
    func send(_ bytes: [UInt8]) async throws -> Bool {
        try await onHandler { $0.driver?.binary(bytes) ?? false }
    }

    @discardableResult
    func ping(_ text: String) async throws -> Bool {
        try await onHandler { $0.driver?.ping(text) ?? false }
    }

    @discardableResult
    func close(code: UInt16 = 1000, reason: String = "") async throws -> Bool {
        try await onHandler { $0.driver?.close(code: CloseCode(code), reason: reason) ?? false }
    }

    /// The driver's handshake response headers.
    func responseHeaders() async throws -> HeaderFields? {
        try await onHandler { $0.driver?.headers }
    }

    /// The next event that is not a ping or pong.
    func nextEvent(timeout: Duration = .seconds(5)) async throws -> ClientEvent {
        try await state.events.next(timeout: timeout, "a client event") { !$0.isControl }
    }

    /// The next event of any kind.
    func nextEventIncludingControl(timeout: Duration = .seconds(5)) async throws -> ClientEvent {
        try await state.events.next(timeout: timeout, "a client event")
    }

    func expectOpen(timeout: Duration = .seconds(5)) async throws {
        let event = try await nextEvent(timeout: timeout)
        guard event == .open else { throw UnexpectedClientEvent(expected: "open", got: event) }
    }

    func nextMessage(timeout: Duration = .seconds(5)) async throws -> WebSocketMessage {
        let event = try await nextEvent(timeout: timeout)
        guard case .message(let message) = event else { throw UnexpectedClientEvent(expected: "a message", got: event) }
        return message
    }

    /// Waits for the driver's close event, skipping messages and errors.
    func closeEvent(timeout: Duration = .seconds(5)) async throws -> (code: UInt16, reason: String) {
        let event = try await state.events.next(timeout: timeout, "the client's close event") {
            if case .close = $0 { return true }
            return false
        }
        guard case .close(let code, let reason) = event else {
            throw UnexpectedClientEvent(expected: "close", got: event)
        }
        return (code, reason)
    }

    /// Waits until the TCP connection is gone.
    func waitDisconnected(timeout: Duration = .seconds(5)) async throws {
        try await eventually("the connection to close", timeout: timeout) { state.isDisconnected.current }
    }

    // MARK: Raw mode

    /// Writes bytes as they are, in one write.
    func writeRaw(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    func writeRaw(_ text: String) async throws {
        try await writeRaw(Array(text.utf8))
    }

    /// Waits for a complete HTTP response in the raw bytes and takes it off.
    func readResponse(timeout: Duration = .seconds(5)) async throws -> RawHTTPResponse {
        let state = self.state
        let found = Locked<RawHTTPResponse?>(nil)
        try await eventually("an HTTP response", timeout: timeout) {
            state.raw.withLock { bytes in
                guard let (response, length) = RawHTTPResponse.parse(bytes) else { return false }
                bytes.removeFirst(length)
                found.withLock { $0 = response }
                return true
            }
        }
        guard let response = found.current else { throw TestTimeout(what: "an HTTP response", after: timeout) }
        return response
    }

    /// Waits until the raw bytes satisfy `condition` and returns them (leaving them in place).
    func rawBytes(
        timeout: Duration = .seconds(5),
        until condition: @escaping @Sendable ([UInt8]) -> Bool
    ) async throws -> [UInt8] {
        let state = self.state
        try await eventually("raw bytes", timeout: timeout) { condition(state.raw.current) }
        return state.raw.current
    }

    // MARK: Connection

    /// Stops or resumes reading from the socket.
    func setAutoRead(_ enabled: Bool) async throws {
        try await channel.setOption(.autoRead, value: enabled).get()
    }

    /// Closes the TCP connection without a closing handshake.
    func disconnect() async {
        try? await channel.close()
    }

    var bufferedAmount: Int { state.bufferedAmount.current }
}

/// The client's channel handler: runs a ``Driver`` client, or collects raw bytes.
final class ClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let state: ClientState
    var webSocket: (url: String, options: DriverOptions, earlyBytes: [UInt8])?
    private(set) var driver: Driver?
    private var context: ChannelHandlerContext?
    private var earlyBytes: [UInt8] = []

    init(state: ClientState) {
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Lets the context go: it keeps this handler, which would otherwise keep it (a cycle that
    /// leaks the channel and its event loop).
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if let webSocket {
            startWebSocket(url: webSocket.url, options: webSocket.options, earlyBytes: webSocket.earlyBytes)
        }
        context.fireChannelActive()
    }

    func startWebSocket(url: String, options: DriverOptions, earlyBytes: [UInt8]) {
        self.earlyBytes = earlyBytes
        do {
            let driver = try Driver.client(url: url, options: options) { [unowned self] bytes in self.output(bytes) }
            let events = state.events
            let status = state.status
            driver.onOpen = { [unowned driver] in
                status.withLock { $0 = driver.status }
                events.append(.open)
            }
            driver.onMessage = { events.append(.message($0)) }
            driver.onPing = { events.append(.ping($0)) }
            driver.onPong = { events.append(.pong($0)) }
            driver.onError = { [unowned driver] error in
                status.withLock { $0 = driver.status }
                events.append(.error(error.description))
            }
            driver.onClose = { events.append(.close($0.code.rawValue, $0.reason)) }
            self.driver = driver
            driver.start()
        } catch {
            state.events.append(.error("bad URL \(url): \(error)"))
        }
    }

    private func output(_ bytes: UnsafeRawBufferPointer) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: bytes.count + earlyBytes.count)
        buffer.writeBytes(bytes)
        if !earlyBytes.isEmpty {
            buffer.writeBytes(earlyBytes)
            earlyBytes = []
        }
        let count = buffer.readableBytes
        let buffered = state.bufferedAmount
        buffered.withLock { $0 += count }
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            buffered.withLock { $0 -= count }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let driver {
            buffer.withUnsafeReadableBytes { driver.parse($0) }
        } else {
            state.raw.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver?.transportClosed()
        state.isDisconnected.withLock { $0 = true }
        state.events.append(.disconnected)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
