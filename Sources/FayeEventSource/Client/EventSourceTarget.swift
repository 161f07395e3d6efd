import WebSocketDriver

/// An `http:` or `https:` URL an EventSource client connects to, parsed by the WebSocket URL
/// rules (IPv6 literals, ports, userinfo as Basic credentials).
struct EventSourceTarget: Sendable, Hashable, CustomStringConvertible {
    /// The URL in its `ws:`/`wss:` form, what the transport takes.
    let transport: WebSocketURL

    /// Parses an `http:` or `https:` URL.
    init(_ text: String) throws(EventSourceClientError) {
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw EventSourceClientError(.invalidURL, message: "\(text) is not a valid EventSource URL: missing scheme")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let transportScheme: String
        switch scheme {
        case "http": transportScheme = "ws"
        case "https": transportScheme = "wss"
        default:
            throw EventSourceClientError(
                .invalidURL, message: "\(text) is not a valid EventSource URL: the scheme must be http or https")
        }
        do {
            transport = try WebSocketURL(transportScheme + text[schemeEnd.lowerBound...])
        } catch {
            let why: String
            switch error {
            case .invalid(_, let reason): why = reason
            }
            throw EventSourceClientError(.invalidURL, message: "\(text) is not a valid EventSource URL: \(why)")
        }
    }

    var isSecure: Bool { transport.isSecure }

    /// The origin: scheme, host and port.
    var origin: String {
        let host = transport.isIPv6Literal ? "[\(transport.host)]" : transport.host
        return "\(isSecure ? "https" : "http")://\(host):\(transport.port)"
    }

    /// The URL without credentials, for messages and ``EventSourceClient/url``.
    var description: String {
        (isSecure ? "https" : "http") + transport.description.dropFirst(transport.scheme.count)
    }

    /// The target of a redirect's `Location`: absolute, scheme-relative (`//host/path`),
    /// absolute-path (`/path`) or relative to this URL's path (RFC 3986 §5.2, without dot
    /// segments).
    func resolving(_ location: String) throws(EventSourceClientError) -> EventSourceTarget {
        if location.contains("://") { return try EventSourceTarget(location) }
        if location.hasPrefix("//") { return try EventSourceTarget((isSecure ? "https:" : "http:") + location) }
        let base = origin
        if location.hasPrefix("/") { return try EventSourceTarget(base + location) }
        var path = transport.requestTarget
        if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
        if location.hasPrefix("?") { return try EventSourceTarget(base + path + location) }
        return try EventSourceTarget(base + directory + location)
    }
}
