/// An HTTP request as a WebSocket server sees it: the request line, the header fields and any
/// body bytes.
///
/// A host server that has parsed the request itself builds one to hand to the driver; the
/// driver's own HTTP parser produces one with an empty `body`.
public struct IncomingRequest: Sendable, Hashable {
    /// The request method, e.g. `GET` (a case-sensitive token, RFC 7230 §3.1.1).
    public var method: String
    /// The request-target exactly as sent, e.g. `/chat?room=1` (RFC 7230 §5.3).
    public var target: String
    /// The HTTP version, e.g. `HTTP/1.1`.
    public var version: String
    /// The header fields, in order, with their original case and duplicates.
    public var headers: HeaderFields
    /// The body bytes received with the request (for a draft-76 handshake, the 8-byte key).
    public var body: [UInt8]
    /// The HTTP/2 `:protocol` pseudo-header of an extended CONNECT request (RFC 8441 §4), e.g.
    /// `websocket`; `nil` for every other request. A host speaking HTTP/2 sets it, with
    /// ``method`` `CONNECT`, ``target`` from `:path`, ``version`` `HTTP/2` and a `Host` field
    /// from `:authority`.
    public var extendedConnectProtocol: String?

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - method: The request method, e.g. `GET`.
    ///   - target: The request-target as sent, e.g. `/chat?room=1`.
    ///   - version: The HTTP version; defaults to `HTTP/1.1`.
    ///   - headers: The header fields.
    ///   - body: The body bytes; defaults to none.
    ///   - extendedConnectProtocol: HTTP/2's `:protocol` on an extended CONNECT; defaults to none.
    public init(
        method: String,
        target: String,
        version: String = "HTTP/1.1",
        headers: HeaderFields,
        body: [UInt8] = [],
        extendedConnectProtocol: String? = nil
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.extendedConnectProtocol = extendedConnectProtocol
    }

    /// The part of ``target`` before the first `?` (the whole target if there is none).
    public var path: String {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<mark])
    }

    /// The part of ``target`` after the first `?` (possibly empty), or `nil` if there is no `?`.
    public var query: String? {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return String(target[target.utf8.index(after: mark)...])
    }
}
