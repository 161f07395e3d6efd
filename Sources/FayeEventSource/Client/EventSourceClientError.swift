public import EventStream
public import FayeWebSocket
public import WebSocketDriver

/// Why an ``EventSourceClient`` failed: the value of its error events, and what its ``EventSourceClient/events``
/// sequence throws. The ``kind`` is the cause, for code; the ``message`` says it for people.
///
/// The transport kinds are the WebSocket client's (see `WebSocketError`): the same DNS,
/// connection, timeout, TLS and proxy causes.
public struct EventSourceClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The cause.
    public enum Kind: Sendable, Hashable {
        /// The URL is not an `http:` or `https:` URL we can reach, or a redirect named such a URL.
        case invalidURL
        /// The host name did not resolve.
        case dnsLookupFailed(host: String)
        /// The TCP connection failed (refused, unreachable); `errno` when the system gave one.
        case connectionFailed(host: String, port: Int, errno: Int32?)
        /// The connection, or the response head, did not come within the connect timeout.
        case connectTimeout(Duration)
        /// TLS failed: the server's certificate did not verify, or the handshake broke. The
        /// source does not reconnect.
        case tls(TLSError)
        /// The proxy refused the tunnel. The source does not reconnect.
        case proxy(ProxyError)
        /// The response was not `200` with `Content-Type: text/event-stream` (nor `204`, nor a
        /// redirect): the source fails without reconnecting, as browsers do.
        case badResponse(status: Int, contentType: String?)
        /// More redirects than ``EventSourceClientOptions/maxRedirects`` in a row.
        case tooManyRedirects(Int)
        /// No byte (comments included) arrived for ``EventSourceClientOptions/idleTimeout``: a
        /// network error (the source reconnects).
        case idleTimeout(Duration)
        /// A line or an event exceeded its bound: the source fails without reconnecting.
        case stream(EventStreamError)
        /// The connection closed or the stream ended (the source reconnects unless that is off).
        case connectionLost
        /// ``ReconnectionPolicy/maxAttempts`` consecutive attempts failed.
        case gaveUp(attempts: Int)
        /// ``EventSourceClient/events`` was iterated a second time.
        case eventsAlreadyIterated
    }

    /// The cause.
    public var kind: Kind
    /// A sentence for people, naming the URL.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The error of the WebSocket client's transport (DNS, TCP, TLS, proxy), as an EventSource error.
    init(transport error: WebSocketError) {
        let kind: Kind
        switch error.kind {
        case .invalidURL: kind = .invalidURL
        case .dnsLookupFailed(let host): kind = .dnsLookupFailed(host: host)
        case .connectionFailed(let host, let port, let errno):
            kind = .connectionFailed(host: host, port: port, errno: errno)
        case .connectTimeout(let duration): kind = .connectTimeout(duration)
        case .tls(let tls): kind = .tls(tls)
        case .proxy(let proxy): kind = .proxy(proxy)
        default: kind = .connectionLost
        }
        self.init(kind, message: error.message)
    }

    /// Whether the source may try again after this error: network errors yes; a bad response,
    /// a stream over its bounds, TLS and proxy refusals (configuration, not luck) no.
    public var isRetryable: Bool {
        switch kind {
        case .dnsLookupFailed, .connectionFailed, .connectTimeout, .idleTimeout, .connectionLost: return true
        case .invalidURL, .tls, .proxy, .badResponse, .tooManyRedirects, .stream, .gaveUp, .eventsAlreadyIterated:
            return false
        }
    }

    /// The message.
    public var description: String { message }
}
