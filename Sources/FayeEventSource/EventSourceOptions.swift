/// How an ``EventSource`` answers and keeps its stream alive.
///
/// ```swift
/// var options = EventSourceOptions()
/// options.headers = ["Access-Control-Allow-Origin": "*"]
/// options.retry = .seconds(2)
/// options.pingInterval = .seconds(15)
/// ```
public struct EventSourceOptions: Sendable {
    /// Extra response headers, written after the fixed ones.
    ///
    /// They cannot replace `Content-Type`, `Cache-Control` or `Connection`, nor add
    /// `Content-Length` or `Transfer-Encoding` (the body is delimited by the connection's close):
    /// fields with those names are left out, as are fields whose name is not a token or whose
    /// value contains CR, LF or another control character. Default: none.
    public var headers: HeaderFields = HeaderFields()

    /// The reconnection time advised to the client with the initial `retry:` field, in whole
    /// milliseconds (rounded down); `nil` writes no `retry:` field. Default 5 seconds
    /// (`retry: 5000`).
    public var retry: Duration? = .seconds(5)

    /// When set, a comment (`:` and a blank line) is written every interval while the stream is
    /// open, so that proxies and clients do not time an idle stream out. Default `nil`.
    public var pingInterval: Duration?

    /// How long ``EventSource/close()`` waits for the pending bytes to be written (to a client
    /// that does not read) before dropping the connection. Default 30 seconds.
    public var closeTimeout: Duration = .seconds(30)

    /// Creates the default options.
    public init() {}

    /// Creates options.
    public init(
        headers: HeaderFields = HeaderFields(),
        retry: Duration? = .seconds(5),
        pingInterval: Duration? = nil,
        closeTimeout: Duration = .seconds(30)
    ) {
        self.headers = headers
        self.retry = retry
        self.pingInterval = pingInterval
        self.closeTimeout = closeTimeout
    }

    /// The fixed fields of the response head.
    static let fixedHeaders: [(String, String)] = [
        ("Content-Type", "text/event-stream"),
        ("Cache-Control", "no-cache, no-store"),
        ("Connection", "close"),
    ]

    private static let reservedNames = [
        "content-type", "cache-control", "connection", "content-length", "transfer-encoding",
    ]

    /// The response's header fields: the fixed ones, then the valid custom ones. A host server
    /// that frames the body itself (chunked, or HTTP/2) gets no `Connection: close`.
    func responseHeaders(hosted: Bool) -> HeaderFields {
        var fields = HeaderFields(Self.fixedHeaders.filter { !hosted || $0.0 != "Connection" })
        for field in headers {
            let value = field.value.trimmingHTTPWhitespace()
            guard HeaderFields.isValidName(field.name), HeaderFields.isValidValue(value),
                !Self.reservedNames.contains(field.name.lowercased())
            else { continue }
            fields.append(name: field.name, value: value)
        }
        return fields
    }

    /// The first bytes of the body: the `retry:` field, if any.
    func bodyPrelude() -> [UInt8] {
        retry.map(ServerSentEvent.retryField) ?? []
    }

    /// The response head and the initial `retry:` field, for a taken-over connection.
    func responsePrelude() -> [UInt8] {
        var head = "HTTP/1.1 200 OK\r\n"
        for field in responseHeaders(hosted: false) { head += "\(field.name): \(field.value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + bodyPrelude()
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingHTTPWhitespace() -> String {
        var slice = utf8[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
