public import EventStream
public import FayeWebSocket
public import WebSocketDriver

/// How an ``EventSourceClient`` asks for its stream and keeps it going.
///
/// ```swift
/// var options = EventSourceClientOptions()
/// options.method = "POST"
/// options.headers.append(name: "Authorization", value: "Bearer \(token)")
/// options.headers.append(name: "Content-Type", value: "application/json")
/// options.body = Array(#"{"prompt": "Hello"}"#.utf8)
/// let source = EventSourceClient(url: "https://llm.example/v1/stream", options: options)
/// ```
public struct EventSourceClientOptions: Sendable {
    /// The request method (default `GET`).
    public var method: String = "GET"
    /// Extra request headers (`Authorization`, `Content-Type`, …). The client sets `Host`,
    /// `Accept: text/event-stream`, `Cache-Control: no-cache`, `Content-Length` for a body and
    /// `Last-Event-ID` when it resumes; a header given here with one of those names replaces it.
    public var headers = HeaderFields()
    /// The request body, sent with every attempt (`nil`: none).
    public var body: [UInt8]?
    /// The ID to resume from on the first request (sent as `Last-Event-ID`; default none).
    public var lastEventID = ""
    /// When and how often to reconnect.
    public var reconnection = ReconnectionPolicy()
    /// Whether a request whose method is not idempotent (`POST`, `PATCH`, any method RFC 9110
    /// does not call idempotent) is sent again on reconnection (default `false`: its stream ends
    /// with the first disconnection, with an error event).
    public var reconnectsNonIdempotentRequests = false
    /// A connection that delivers no byte at all (comments included) for this long counts as a
    /// network error and is replaced (default 60 s; `nil` for never). Servers that send a
    /// comment every few seconds as a heartbeat keep it alive.
    public var idleTimeout: Duration? = .seconds(60)
    /// The bounds on a line and on an event's data (default 1 MiB each).
    public var limits = EventStreamParser.Limits()
    /// How many redirects (`301`, `302`, `303`, `307`, `308`) are followed in a row (default 10).
    public var maxRedirects = 10
    /// How many events the ``EventSourceClient/events`` sequence holds for a slow consumer before
    /// the client stops reading from the network (default 256).
    public var eventBufferLimit = 256
    /// The connection: connect timeout (which also bounds the wait for the response head),
    /// TLS trust, proxy, event loops; the same options as the WebSocket client's.
    public var connection = WebSocketClientOptions()

    /// Default options: `GET`, reconnection with backoff, a 60 s idle timeout, 1 MiB bounds.
    public init() {}

    /// Whether the request is sent again on reconnection.
    var reconnects: Bool {
        guard reconnection.isEnabled else { return false }
        let idempotent = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"].contains(method.uppercased())
        return idempotent || reconnectsNonIdempotentRequests
    }
}
