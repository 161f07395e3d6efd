/// Why an HTTP CONNECT tunnel through a proxy could not be opened.
public enum ProxyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The proxy URL is not `http://[user[:password]@]host[:port]` (or `https://`).
    case invalidProxyURL(String)
    /// The proxy's response head could not be parsed.
    case invalidResponse(HTTPParseError)
    /// The proxy answered with a status other than 2xx; the response is attached.
    case refused(status: Int, reason: String, headers: HeaderFields)

    /// A message naming the proxy's failure.
    public var description: String {
        switch self {
        case .invalidProxyURL(let url): return "Invalid proxy URL: \(url)"
        case .invalidResponse(let error): return "Invalid HTTP response from the proxy: \(error)"
        case .refused(let status, let reason, _):
            return "The proxy refused the tunnel: \(status)\(reason.isEmpty ? "" : " " + reason)"
        }
    }
}
