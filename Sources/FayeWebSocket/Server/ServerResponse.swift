public import NIOCore
public import WebSocketDriver

/// What a responder answers a request with: an ordinary HTTP response, or a takeover of the
/// connection (a WebSocket, an EventSource stream, or your own protocol).
public struct ServerResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The response headers (`Content-Length` is added for the body).
    public var headers: HeaderFields
    /// The body.
    public var body: [UInt8]
    /// Set when the connection is taken over instead.
    let takeover: (any ConnectionTakeover)?

    /// An ordinary response.
    public init(status: Int = 200, headers: HeaderFields = HeaderFields(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.takeover = nil
    }

    /// An ordinary response with a UTF-8 text body (`Content-Type: text/plain; charset=utf-8`
    /// unless `headers` names one).
    public init(status: Int = 200, headers: HeaderFields = HeaderFields(), text: String) {
        var headers = headers
        if !headers.contains("Content-Type") {
            headers.append(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }

    private init(takeover: any ConnectionTakeover) {
        self.status = 101
        self.headers = HeaderFields()
        self.body = []
        self.takeover = takeover
    }

    /// Takes the connection over: the HTTP handlers leave the pipeline and `takeover` installs
    /// its own handler, which receives any bytes read past the request head.
    public static func takeOver(_ takeover: any ConnectionTakeover) -> ServerResponse {
        ServerResponse(takeover: takeover)
    }

    /// Accepts a WebSocket: the driver for the request (hybi-13, draft-76 or draft-75) writes the
    /// handshake. `setup` runs on the connection's event loop before the handshake, so listeners
    /// it adds see every event.
    public static func webSocket(
        options: WebSocketOptions = WebSocketOptions(),
        _ setup: @escaping @Sendable (WebSocket) -> Void
    ) -> ServerResponse {
        takeOver(WebSocketTakeover(options: options, setup: setup))
    }

    /// Accepts a WebSocket and runs `session` with it in a task of its own, the way
    /// Hummingbird's handlers do: the socket's life is the task's. When `session` returns the
    /// socket is closed with 1000, when it throws with 1011; when the connection ends first, the
    /// task is cancelled.
    ///
    /// ```swift
    /// return .webSocketSession { socket in
    ///     for try await message in socket.messages {  // in order, with backpressure
    ///         try await socket.send(message)
    ///     }
    /// }
    /// ```
    ///
    /// The message sequence is made before the handshake, so no message comes before it.
    public static func webSocketSession(
        options: WebSocketOptions = WebSocketOptions(),
        _ session: @escaping @Sendable (WebSocket) async throws -> Void
    ) -> ServerResponse {
        webSocket(options: options) { socket in socket.runSession(session) }
    }
}

/// Something that takes over a connection after an HTTP request (see
/// ``ServerResponse/takeOver(_:)``).
public protocol ConnectionTakeover: Sendable {
    /// Called on the channel's event loop once the HTTP handlers are gone.
    ///
    /// Return the handler to put in their place: it receives, as `ByteBuffer`s, every byte read
    /// after the request head (including bytes already read with it). `start` is called on it
    /// once it is in the pipeline and the HTTP handlers are gone.
    func makeHandler(
        for request: ServerRequest,
        channel: any Channel
    ) throws -> (handler: any ChannelHandler, start: () -> Void)

    /// Called instead of ``makeHandler(for:channel:)`` when the request came on an HTTP/2
    /// stream, on the stream channel's event loop.
    ///
    /// Return the status and headers to answer with and the handler that then owns the stream's
    /// body: it receives the request body's `DATA` as `ByteBuffer`s and writes `ByteBuffer`s
    /// that go out as `DATA`. Return `nil` (the default) when the protocol needs HTTP/1.1: the
    /// stream is reset with `HTTP_1_1_REQUIRED`, and clients retry over HTTP/1.1. Throw a
    /// `HandshakeRefusal` to answer with its status, headers and body instead.
    func makeHTTP2Stream(for request: ServerRequest, channel: any Channel) throws -> HTTP2StreamTakeover?
}

extension ConnectionTakeover {
    /// HTTP/1.1 only: `nil`.
    public func makeHTTP2Stream(for request: ServerRequest, channel: any Channel) throws -> HTTP2StreamTakeover? {
        nil
    }
}

/// What a ``ConnectionTakeover`` puts on an HTTP/2 stream: the response head, then a handler
/// that owns the stream's body as bytes.
public struct HTTP2StreamTakeover {
    /// What the stream carries, for the server's log line (`websocket`, `eventsource`).
    public var name: String
    /// The response status (`200` for a WebSocket's extended CONNECT and an EventSource).
    public var status: Int
    /// The response headers (connection-specific ones are not sent over HTTP/2).
    public var headers: HeaderFields
    /// The handler put on the stream once the head is written.
    public var handler: any ChannelHandler
    /// Called once the handler is in the stream's pipeline.
    public var start: () -> Void

    /// Creates the takeover.
    public init(
        name: String,
        status: Int = 200,
        headers: HeaderFields,
        handler: any ChannelHandler,
        start: @escaping () -> Void
    ) {
        self.name = name
        self.status = status
        self.headers = headers
        self.handler = handler
        self.start = start
    }
}

extension WebSocket {
    /// Runs `session` with this socket in a task of its own (see
    /// ``ServerResponse/webSocketSession(options:_:)``): call it from a setup closure, before
    /// the socket opens. The message sequence is made at once, so no message comes before it.
    public func runSession(_ session: @escaping @Sendable (WebSocket) async throws -> Void) {
        _ = messages
        let task = Task { _ = try? await self.closing(after: session) }
        onClose { _ in task.cancel() }
    }
}
