import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Foundation
import NIOCore
import NIOPosix
import WebSocketDriver

/// What a client ``WebSocket`` reported, in order.
enum SocketEvent: Hashable, Sendable, CustomStringConvertible {
    case open
    case message(WebSocketMessage)
    case error(String)
    case close(UInt16, String)

    var description: String {
        switch self {
        case .open: return "open"
        case .message(.text(let text)): return "text(\(text.utf8.count > 64 ? "\(text.utf8.count) bytes" : text))"
        case .message(.binary(let bytes)): return "binary(\(bytes.count) bytes)"
        case .error(let message): return "error(\(message))"
        case .close(let code, let reason): return "close(\(code), \(reason))"
        }
    }

    var isMessage: Bool {
        if case .message = self { return true }
        return false
    }
}

/// A client ``WebSocket`` with every event recorded into an inbox (listeners added at once, so
/// buffered events are recorded too).
struct RecordedSocket: Sendable {
    let socket: WebSocket
    let events: Inbox<SocketEvent>
    /// Every event, also the ones already taken from ``events``.
    let log: Locked<[SocketEvent]>

    init(_ socket: WebSocket) {
        let events = Inbox<SocketEvent>()
        let log = Locked<[SocketEvent]>([])
        let record: @Sendable (SocketEvent) -> Void = { event in
            log.append(event)
            events.append(event)
        }
        socket.onOpen { record(.open) }
        socket.onMessage { record(.message($0)) }
        socket.onError { record(.error($0.message)) }
        socket.onClose { record(.close($0.code.rawValue, $0.reason)) }
        self.socket = socket
        self.events = events
        self.log = log
    }

    static func connect(
        _ url: String,
        options: WebSocketOptions = WebSocketOptions(),
        clientOptions: WebSocketClientOptions = WebSocketClientOptions()
    ) -> RecordedSocket {
        RecordedSocket(WebSocket(url: url, options: options, clientOptions: clientOptions))
    }

    func expectOpen(timeout: Duration = .seconds(5)) async throws {
        let event = try await events.next(timeout: timeout, "the open event") { !$0.isMessage }
        guard event == .open else { throw UnexpectedEvent(expected: "open", got: event, log: log.current) }
    }

    func nextMessage(timeout: Duration = .seconds(5)) async throws -> WebSocketMessage {
        let event = try await events.next(timeout: timeout, "a message") { _ in true }
        guard case .message(let message) = event else {
            throw UnexpectedEvent(expected: "a message", got: event, log: log.current)
        }
        return message
    }

    /// The error event's message, then the close event (the next two non-message events).
    func expectFailure(timeout: Duration = .seconds(5)) async throws -> (error: String, close: SocketEvent) {
        let first = try await events.next(timeout: timeout, "the error event") { !$0.isMessage }
        guard case .error(let message) = first else {
            throw UnexpectedEvent(expected: "an error event", got: first, log: log.current)
        }
        let close = try await events.next(timeout: timeout, "the close event") { !$0.isMessage }
        return (message, close)
    }

    func expectClose(timeout: Duration = .seconds(5)) async throws -> SocketEvent {
        try await events.next(timeout: timeout, "the close event") {
            if case .close = $0 { return true }
            return false
        }
    }

    /// Closes if needed and waits for the close (so a test leaves nothing running).
    func shutdown() async {
        _ = try? socket.close()
        _ = try? await withTimeout("the client's close", timeout: .seconds(5)) { await socket.finalCloseEvent() }
    }
}

struct UnexpectedEvent: Error, CustomStringConvertible {
    var expected: String
    var got: SocketEvent
    var log: [SocketEvent]

    var description: String { "expected \(expected), got \(got) (all events: \(log))" }
}

// MARK: - Canned servers

/// A tiny raw TCP server on a free loopback port: for each connection it collects the request
/// head, then writes what `answer` returns for it (nothing: the connection stays silent).
final class CannedServer: Sendable {
    let channel: any Channel
    /// The request heads received, in order.
    let requests: Inbox<String>
    private let connections: Locked<[any Channel]>

    var port: Int { channel.localAddress?.port ?? 0 }
    var url: String { "ws://127.0.0.1:\(port)/" }

    private init(channel: any Channel, requests: Inbox<String>, connections: Locked<[any Channel]>) {
        self.channel = channel
        self.requests = requests
        self.connections = connections
    }

    static func start(
        group: any EventLoopGroup,
        answer: @escaping @Sendable (String) -> [UInt8]?
    ) async throws -> CannedServer {
        let requests = Inbox<String>()
        let connections = Locked<[any Channel]>([])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.append(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        CannedHandler(answer: answer, requests: requests))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedServer(channel: channel, requests: requests, connections: connections)
    }

    /// Closes the listener and every connection it accepted.
    func stop() async {
        try? await channel.close()
        for connection in connections.current { try? await connection.close() }
    }

    /// The value of `name` in a request head.
    static func header(_ name: String, in request: String) -> String? {
        for line in request.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// A 101 response to `request` with the right accept value, plus `extra` header lines.
    static func switching(_ request: String, extra: [String] = [], accept: String? = nil) -> [UInt8] {
        let key = header("Sec-WebSocket-Key", in: request) ?? ""
        var head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Accept: \(accept ?? Driver.acceptValue(forKey: key))\r\n"
        for line in extra { head += line + "\r\n" }
        return Array((head + "\r\n").utf8)
    }
}

private final class CannedHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let answer: @Sendable (String) -> [UInt8]?
    private let requests: Inbox<String>
    private var received: [UInt8] = []
    private var answered = false

    init(answer: @escaping @Sendable (String) -> [UInt8]?, requests: Inbox<String>) {
        self.answer = answer
        self.requests = requests
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !answered else { return }
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        let text = String(decoding: received, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return }
        answered = true
        let request = String(text[..<end.lowerBound])
        requests.append(request)
        guard let bytes = answer(request) else { return }
        var out = context.channel.allocator.buffer(capacity: bytes.count)
        out.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}

// MARK: - tinyproxy

/// A `tinyproxy` process on a free loopback port with Basic authentication, configured by a
/// generated file in a temporary directory. Fails (never skips) when tinyproxy is missing.
final class TinyProxy: Sendable {
    static let user = "user"
    static let password = "pass"

    let port: Int
    private let process: ChildProcess
    private let directory: URL

    private init(port: Int, process: ChildProcess, directory: URL) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    /// `http://user:pass@127.0.0.1:PORT` (or other credentials, or none).
    func url(user: String? = TinyProxy.user, password: String? = TinyProxy.password) -> String {
        guard let user else { return "http://127.0.0.1:\(port)" }
        return "http://\(user)\(password.map { ":" + $0 } ?? "")@127.0.0.1:\(port)"
    }

    static func executable() throws -> String {
        for candidate in ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw SetupError(
            "tinyproxy is not installed: the proxy tests need it (Debian/Ubuntu: apt-get install -y tinyproxy)")
    }

    static func start() async throws -> TinyProxy {
        let executable = try executable()
        // tinyproxy cannot bind port 0 and report it, so a free port is picked first, below
        // the kernel's ephemeral range (32768 and up on Linux) so that no connection or port-0
        // bind of a concurrently running test takes it meanwhile; if another program does, the
        // readiness wait below fails and we retry with another port.
        var lastError: (any Error)?
        for _ in 0..<5 {
            let temporary = processEnvironmentLock.withLock { NSTemporaryDirectory() }
            let directory = URL(fileURLWithPath: temporary).appendingPathComponent(
                "faye-tinyproxy-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let port = try await freePortOutsideEphemeralRange()
            // No `ConnectPort` line: tinyproxy then allows CONNECT to any port (`ConnectPort 0`
            // would forbid CONNECT altogether).
            let config = """
                Port \(port)
                Listen 127.0.0.1
                Timeout 30
                MaxClients 50
                LogLevel Info
                LogFile "\(directory.path)/tinyproxy.log"
                BasicAuth \(user) \(password)

                """
            let configPath = directory.appendingPathComponent("tinyproxy.conf")
            try config.write(to: configPath, atomically: true, encoding: .utf8)
            let process = try ChildProcess(URL(fileURLWithPath: executable), ["-d", "-c", configPath.path])
            let proxy = TinyProxy(port: port, process: process, directory: directory)
            do {
                try await proxy.waitUntilListening()
                return proxy
            } catch {
                lastError = error
                proxy.stop()
            }
        }
        throw lastError ?? SetupError("tinyproxy did not start")
    }

    private func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw SetupError("tinyproxy on port \(port) exited: \(process.errorText) log: \(logText())")
            }
            if logText().contains("Starting main loop"),
                let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SetupError("tinyproxy did not listen on port \(port) within 10 s; log: \(logText())")
    }

    func logText() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("tinyproxy.log"), encoding: .utf8)) ?? ""
    }

    /// Stops tinyproxy (SIGTERM, then SIGKILL) and removes its directory.
    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A loopback port in 20000..<32768 that could be bound just now.
private func freePortOutsideEphemeralRange() async throws -> Int {
    for _ in 0..<50 {
        let candidate = Int.random(in: 20000..<32768)
        if let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: candidate).get()
        {
            try? await channel.close()
            return candidate
        }
    }
    throw SetupError("no free loopback port found in 20000..<32768")
}

/// Runs `body` with a started tinyproxy, stopping it afterwards (also when `body` throws).
func withTinyProxy(_ body: (TinyProxy) async throws -> Void) async throws {
    let proxy = try await TinyProxy.start()
    do {
        try await body(proxy)
    } catch {
        proxy.stop()
        throw error
    }
    proxy.stop()
}

/// Runs `body` with a loopback port that refuses connections: bound (so no other test gets it,
/// and no connection can use it as its own source port and connect to itself) but not
/// listening.
func withRefusingPort(_ body: (Int) async throws -> Void) async throws {
    #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw SetupError("socket() failed: errno \(errno)") }
    defer { _ = close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw SetupError("bind failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    try await body(Int(UInt16(bigEndian: address.sin_port)))
}

/// Runs `body` against a canned server that answers each request with `answer` (`nil`: no
/// answer), with client options on the same one-thread group; stops both afterwards.
func withCanned(
    answer: @escaping @Sendable (String) -> [UInt8]?,
    _ body: (CannedServer, WebSocketClientOptions) async throws -> Void
) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var clientOptions = WebSocketClientOptions()
    clientOptions.eventLoopGroup = group
    let server = try await CannedServer.start(group: group, answer: answer)
    do {
        try await body(server, clientOptions)
    } catch {
        await server.stop()
        try? await group.shutdownGracefully()
        throw error
    }
    await server.stop()
    try await group.shutdownGracefully()
}
