/// How ``FayeServer`` speaks HTTP/2 (RFC 9113): when it is used, and its limits.
///
/// Over TLS the server offers `h2` and `http/1.1` by ALPN (unless
/// ``TLSServerConfiguration/applicationProtocols`` names its own list) and a client that picks
/// `h2` gets HTTP/2; over cleartext, HTTP/2 is spoken only with ``acceptsPriorKnowledge`` (a
/// connection that starts with the HTTP/2 preface; any other connection is HTTP/1.1).
///
/// On an HTTP/2 connection every request is a stream: ordinary requests reach the responder as
/// over HTTP/1.1, EventSource streams are h2 streams (many on one connection), and WebSockets
/// arrive by extended CONNECT (RFC 8441) when ``allowsWebSockets`` is on.
public struct HTTP2ServerConfiguration: Sendable, Hashable {
    /// Whether TLS connections are offered `h2` by ALPN. Default `true`; `false` keeps every
    /// connection on HTTP/1.1.
    public var isEnabled = true

    /// Whether a cleartext connection that opens with the HTTP/2 connection preface is served
    /// as HTTP/2 ("h2c" with prior knowledge, RFC 9113 §3.3). Other cleartext connections stay
    /// HTTP/1.1. Default `false`.
    public var acceptsPriorKnowledge = false

    /// Whether WebSockets are served over HTTP/2: the server's SETTINGS then carry
    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3), and browsers open `wss:` on the h2
    /// connection. Default `true`. Turn it off when the responder serves no WebSockets, or
    /// answers with a takeover of its own that needs HTTP/1.1: browsers then use HTTP/1.1 for
    /// WebSockets.
    public var allowsWebSockets = true

    /// The most streams a client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`); a
    /// stream beyond it is refused with `RST_STREAM` `REFUSED_STREAM`. Default 100.
    public var maxConcurrentStreams = 100

    /// The HPACK dynamic table size the server's decoder allows (`SETTINGS_HEADER_TABLE_SIZE`).
    /// Default 4096 bytes.
    public var headerTableSize = 4096

    /// The flow-control window of each stream (`SETTINGS_INITIAL_WINDOW_SIZE`), in bytes: how
    /// much a client may send on one stream that the server has not read yet, which bounds what
    /// a stream whose reader lags (a WebSocket consumer behind) holds. Default 1 MiB.
    public var initialWindowSize = 1024 * 1024

    /// The flow-control window of the whole connection, in bytes: how much a client may send on
    /// all its streams together before the server reads it. Default 4 MiB.
    public var connectionWindowSize = 4 * 1024 * 1024

    /// The largest frame payload the server accepts (`SETTINGS_MAX_FRAME_SIZE`, 16 KiB to
    /// 16 MiB − 1). Default 1 MiB: a WebSocket message of a few KiB and up then travels in one or
    /// few DATA frames instead of one per 16 KiB.
    public var maxFrameSize = 1024 * 1024

    /// How long a stream whose WebSocket or EventSource ended cleanly (`END_STREAM` sent) waits
    /// for the client to end its side before it is reset. Default 5 seconds.
    public var streamCloseTimeout: Duration = .seconds(5)

    /// How long a connection may have no open stream before the server ends it gracefully:
    /// `GOAWAY` (`NO_ERROR`), a `PING` to learn which streams the client started meanwhile, a
    /// second `GOAWAY` naming the last stream served, then the close once those streams are done.
    /// `nil` keeps idle connections open until the client closes them. Default 60 seconds,
    /// near what browsers and proxies keep an idle h2 connection for (nginx closes one after
    /// 75 s), so that a server does not hold connections nobody uses.
    public var idleTimeout: Duration? = .seconds(60)

    /// Creates the default configuration.
    public init() {}
}
