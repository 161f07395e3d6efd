public import NIOCore
public import WebSocketDriver

/// How a client reaches its server: timeouts, proxy, event loops.
public struct WebSocketClientOptions: Sendable {
    /// How long the TCP connection (to the server or the proxy) may take, and then again how long
    /// the rest of the opening (proxy tunnel, TLS, WebSocket handshake) may take. Default 30 seconds.
    public var connectTimeout: Duration = .seconds(30)

    /// An HTTP CONNECT proxy to tunnel through, or `nil`.
    public var proxy: ProxySettings?

    /// When no ``proxy`` is set, take one from the conventional environment variables:
    /// `https_proxy`/`HTTPS_PROXY` for `wss:`, `http_proxy`/`HTTP_PROXY` for `ws:`, unless the host
    /// matches `no_proxy`/`NO_PROXY`. Off by default.
    public var proxyFromEnvironment = false

    /// TLS for `wss:` URLs: peer verification against the system trust store by default
    /// (see ``TLSClientConfiguration``).
    public var tls = TLSClientConfiguration()

    /// The event loops to use; `nil` uses NIO's shared singleton group.
    public var eventLoopGroup: (any EventLoopGroup)?

    /// Open `wss:` sockets as HTTP/2 streams (RFC 8441 extended CONNECT) when the server offers
    /// `h2` by ALPN and advertises `SETTINGS_ENABLE_CONNECT_PROTOCOL`; otherwise (or through a
    /// proxy, or for `ws:`) over HTTP/1.1 as usual. Sockets to the same host and port with the
    /// same TLS settings, on the same event loop, share one HTTP/2 connection. Off by default.
    public var prefersHTTP2 = false

    /// Creates the default options.
    public init() {}
}

/// An HTTP CONNECT proxy.
public struct ProxySettings: Sendable {
    /// `http://[user[:password]@]host[:port]` or `https://…` (TLS to the proxy, then TLS to a
    /// `wss:` origin inside the tunnel); credentials become `Proxy-Authorization: Basic`.
    public var url: String
    /// Extra headers for the CONNECT request.
    public var headers: HeaderFields
    /// TLS to an `https:` proxy (verified like the origin by default).
    public var tls = TLSClientConfiguration()

    /// Creates proxy settings.
    public init(url: String, headers: HeaderFields = HeaderFields()) {
        self.url = url
        self.headers = headers
    }

    /// The proxy the environment names for `url`, honouring `no_proxy`; `nil` for none.
    /// - Parameters:
    ///   - url: the WebSocket URL to reach; a `ws:` URL reads `http_proxy`, a `wss:` URL `https_proxy`.
    ///   - environment: the variables to read (usually the process environment).
    public static func fromEnvironment(for url: WebSocketURL, environment: [String: String]) -> ProxySettings? {
        func variable(_ name: String) -> String? {
            let value = environment[name] ?? environment[name.uppercased()]
            return value?.isEmpty == false ? value : nil
        }
        guard let proxyURL = variable(url.isSecure ? "https_proxy" : "http_proxy") else { return nil }
        if let exclusions = variable("no_proxy"), NoProxy.matches(host: url.host, port: url.port, list: exclusions) {
            return nil
        }
        return ProxySettings(url: proxyURL.contains("://") ? proxyURL : "http://" + proxyURL)
    }
}

/// `no_proxy` matching: `*` matches everything; each comma-separated entry matches the host
/// itself or, as a domain suffix, any subdomain (a leading `.` is optional); an entry with
/// `:port` matches only that port.
enum NoProxy {
    static func matches(host: String, port: Int, list: String) -> Bool {
        let host = host.lowercased()
        for rawEntry in list.split(separator: ",") {
            var entry = rawEntry.trimmingWhitespace().lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            // `host:port` or `[v6]:port`; a bare IPv6 address has several colons and no port.
            if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]"),
                entry.hasPrefix("[") || entry.filter({ $0 == ":" }).count == 1
            {
                guard Int(entry[entry.index(after: colon)...]) == port else { continue }
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        var slice = self
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
