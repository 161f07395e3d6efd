/// A parsed `ws:` or `wss:` URL (RFC 6455 §3).
public struct WebSocketURL: Hashable, Sendable, CustomStringConvertible {
    /// `ws` or `wss`, lower-cased.
    public let scheme: String
    /// The host as written, without brackets for an IPv6 literal.
    public let host: String
    /// The port given, or `nil` for the scheme's default.
    public let explicitPort: Int?
    /// The path and query to request: `/` when the URL has no path; the fragment is dropped.
    public let requestTarget: String
    /// The user name from the userinfo, percent-decoded.
    public let user: String?
    /// The password from the userinfo, percent-decoded.
    public let password: String?

    /// Whether the scheme is `wss` (TLS).
    public var isSecure: Bool { scheme == "wss" }

    /// The port to connect to: the explicit one, else 80 for `ws` and 443 for `wss`.
    public var port: Int { explicitPort ?? (isSecure ? 443 : 80) }

    /// Whether the host is an IPv6 literal.
    public var isIPv6Literal: Bool { host.contains(":") }

    /// The `Host` header value: the host (bracketed for IPv6), plus `:port` only when the port
    /// differs from the scheme's default.
    public var hostHeader: String {
        let name = isIPv6Literal ? "[\(host)]" : host
        if let explicitPort, explicitPort != (isSecure ? 443 : 80) { return "\(name):\(explicitPort)" }
        return name
    }

    /// The URL without credentials, for messages and logs.
    public var description: String {
        let name = isIPv6Literal ? "[\(host)]" : host
        let portText = explicitPort.map { ":\($0)" } ?? ""
        return "\(scheme)://\(name)\(portText)\(requestTarget)"
    }

    /// Parses a URL.
    /// - Throws: ``WebSocketURLError`` naming what is wrong.
    public init(_ text: String) throws(WebSocketURLError) {
        guard let schemeEnd = text.firstRange(of: "://") else { throw .invalid(text, "missing scheme") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "ws" || scheme == "wss" else { throw .invalid(text, "the scheme must be ws or wss") }
        var rest = text[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let target = rest[authorityEnd...]
        guard !target.contains(" "), !target.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw .invalid(text, "the path contains spaces or control characters") }

        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            user = PercentDecoding.decode(parts[0])
            password = parts.count > 1 ? PercentDecoding.decode(parts[1]) : nil
            guard user != nil, parts.count == 1 || password != nil else {
                throw .invalid(text, "the userinfo has a bad percent escape")
            }
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalid(text, "unclosed IPv6 literal") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalid(text, "junk after the IPv6 literal") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" })
            else { throw .invalid(text, "bad IPv6 literal") }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            let allowed = host.unicodeScalars.allSatisfy { scalar in
                scalar.value > 0x7F
                    || (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || "-._~%!$&'()*+,;=".unicodeScalars.contains(scalar))
            }
            guard allowed else { throw .invalid(text, "the host has invalid characters") }
        }
        guard !host.isEmpty else { throw .invalid(text, "missing host") }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ ("0"..."9").contains($0) }),
                let value = Int(portText),
                (1...65535).contains(value)
            else { throw .invalid(text, "the port must be 1 to 65535") }
            port = value
        }
        self.scheme = scheme
        self.host = String(host)
        self.explicitPort = port
        self.user = user
        self.password = password
        self.requestTarget = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : String(target))
    }
}

/// Why a WebSocket URL was refused.
public enum WebSocketURLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL and what is wrong with it.
    case invalid(String, String)

    /// `<url> is not a valid WebSocket URL: <why>`.
    public var description: String {
        switch self {
        case .invalid(let url, let why): return "\(url) is not a valid WebSocket URL: \(why)"
        }
    }
}

/// Percent-decoding of URL components (RFC 3986 §2.1).
package enum PercentDecoding {
    /// The decoded text, or `nil` for a bad escape or a result that is not UTF-8.
    package static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
