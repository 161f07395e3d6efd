/// The head of an HTTP response as a WebSocket client receives it: the status line and the
/// header fields (RFC 7230 §3.1.2).
public struct HandshakeResponse: Sendable, Hashable {
    /// The HTTP version of the status line, e.g. `HTTP/1.1`.
    public var version: String
    /// The three-digit status code, e.g. `101`.
    public var status: Int
    /// The reason phrase, e.g. `Switching Protocols`; empty when the server sent none.
    public var reason: String
    /// The header fields, in order, with their original case and duplicates.
    public var headers: HeaderFields

    /// Creates a response head.
    ///
    /// - Parameters:
    ///   - version: The HTTP version; defaults to `HTTP/1.1`.
    ///   - status: The status code, e.g. `101`.
    ///   - reason: The reason phrase, e.g. `Switching Protocols`.
    ///   - headers: The header fields.
    public init(version: String = "HTTP/1.1", status: Int, reason: String, headers: HeaderFields) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }
}
