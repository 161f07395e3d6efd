import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOPosix
import WebSocketDriver

/// A running ``FayeServer`` on a free loopback port plus a client event loop group, for one test.
struct Loopback: Sendable {
    let server: FayeServer
    let host: String
    let port: Int
    let group: MultiThreadedEventLoopGroup
    /// Every WebSocket the echo responder accepted, in order.
    let sockets: Inbox<WebSocket>

    /// A WebSocket client, open (the open event consumed).
    func client(
        path: String = "/",
        options: DriverOptions = DriverOptions(),
        earlyBytes: [UInt8] = []
    ) async throws -> TestClient {
        let client = try await TestClient.connect(
            group: group,
            host: host,
            port: port,
            webSocketPath: path,
            options: options,
            earlyBytes: earlyBytes
        )
        try await client.expectOpen()
        return client
    }

    /// A raw client.
    func rawClient() async throws -> TestClient {
        try await TestClient.connectRaw(group: group, host: host, port: port)
    }

    /// The next WebSocket the server accepted.
    func nextServerSocket() async throws -> WebSocket {
        try await sockets.next(timeout: .seconds(5), "a server-side WebSocket")
    }
}

/// What ``withLoopback(_:_:)`` starts.
///
/// The default responder: a request with an `Upgrade` header becomes a WebSocket (the driver
/// validates it and refuses anything that is not a valid hybi-13, draft-76 or draft-75
/// handshake) that echoes every message (unless `echo` is off) and is handed to `setup` before
/// its handshake; any other request gets `200 plain <METHOD> <target>` and its body.
struct LoopbackServer {
    var configuration: FayeServer.Configuration
    var options = WebSocketOptions()
    var echo = true
    var setup: @Sendable (WebSocket) -> Void = { _ in }
    /// Replaces the default responder.
    var responder: FayeHTTPHandler.Responder?

    init(host: String = "127.0.0.1", options: WebSocketOptions = WebSocketOptions(), echo: Bool = true) {
        configuration = .loopbackForTests(host: host)
        self.options = options
        self.echo = echo
    }
}

/// Starts a server on port 0, runs `body`, then shuts the server and the client group down
/// (also when `body` throws).
func withLoopback(_ spec: LoopbackServer, _ body: (Loopback) async throws -> Void) async throws {
    let sockets = Inbox<WebSocket>()
    let (options, echo, setup) = (spec.options, spec.echo, spec.setup)
    let responder =
        spec.responder ?? echoResponder(options: options, echo: echo, setup: setup, sockets: sockets)
    try await withTestServer(configuration: spec.configuration, responder: responder) { server in
        try await body(
            Loopback(server: server.server, host: server.host, port: server.port, group: server.group, sockets: sockets)
        )
    }
}

/// ``withLoopback(_:_:)`` with the default echo server.
func withLoopback(
    host: String = "127.0.0.1",
    options: WebSocketOptions = WebSocketOptions(),
    echo: Bool = true,
    setup: @escaping @Sendable (WebSocket) -> Void = { _ in },
    responder: FayeHTTPHandler.Responder? = nil,
    _ body: (Loopback) async throws -> Void
) async throws {
    var server = LoopbackServer(host: host, options: options, echo: echo)
    server.setup = setup
    server.responder = responder
    try await withLoopback(server, body)
}

/// Waits until `socket`'s event loop has run everything queued on it so far: an event still to
/// come (a second close, a late message) would have been queued before this returns. It
/// replaces "sleep, then check that nothing more happened", which proves nothing on a slow host.
func settle(_ socket: WebSocket) async throws {
    try await socket.eventLoop.submit {}.get()
}

/// The tests' default responder: a request with an `Upgrade` header (or an HTTP/2 extended
/// CONNECT) becomes a WebSocket (the
/// driver refuses anything that is not a valid handshake) that echoes every message unless
/// `echo` is off, is handed to `setup` before its handshake and then to `sockets`; any other
/// request gets `200 plain <METHOD> <target>` and its body.
func echoResponder(
    options: WebSocketOptions,
    echo: Bool,
    setup: @escaping @Sendable (WebSocket) -> Void,
    sockets: Inbox<WebSocket>
) -> FayeHTTPHandler.Responder {
    { request in
        guard request.request.headers.contains("Upgrade") || request.request.extendedConnectProtocol != nil else {
            let text = "plain \(request.request.method) \(request.request.target)\n"
            return ServerResponse(body: Array(text.utf8) + request.request.body)
        }
        return .webSocket(options: options) { socket in
            if echo { socket.onMessage { socket.send($0) } }
            setup(socket)
            sockets.append(socket)
        }
    }
}
