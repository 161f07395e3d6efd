import WebSocketDriver

/// Where PostgreSQL is and whom to connect as, from a libpq-style URL:
///
///     postgres://[USER[:PASSWORD]@][HOST][:PORT][/DATABASE][?PARAMETER=VALUE&...]
///
/// (`postgresql://` too). HOST is a name, an IPv4 address or a bracketed IPv6 one. The
/// parameters `host`, `port`, `user`, `password` and `dbname` override the parts before them; a
/// `host` that starts with `/` is the directory of the server's Unix socket
/// (`DIR/.s.PGSQL.PORT`), and with no host at all the socket is in `/var/run/postgresql`, as with
/// libpq on Debian. USER defaults to `postgres`, PORT to 5432, DATABASE to the user's name (the
/// server's default). `sslmode` may only be `disable`: the demo does not configure TLS to
/// PostgreSQL (run it on loopback or a Unix socket). Percent-escapes are decoded.
struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How to reach the server.
    enum Endpoint: Sendable, Hashable {
        /// TCP to a host and port.
        case tcp(host: String, port: Int)
        /// The Unix socket at this path.
        case unixSocket(path: String)
    }

    /// Why a URL was refused.
    struct ParseError: Error, CustomStringConvertible {
        /// What is wrong, for the command line.
        let description: String
    }

    /// How to reach the server.
    var endpoint: Endpoint
    /// The role to connect as.
    var username: String
    /// Its password, if the server asks for one.
    var password: String?
    /// The database; `nil`: the server's default (the user's name).
    var database: String?

    /// The directory of the server's Unix socket when the URL names no host (Debian's).
    static let defaultSocketDirectory = "/var/run/postgresql"

    /// Parses `url`.
    /// - Throws: a ``ParseError`` naming the part that is wrong.
    init(parsing url: String) throws(ParseError) {
        let rest: Substring
        if url.hasPrefix("postgres://") {
            rest = url.dropFirst("postgres://".count)
        } else if url.hasPrefix("postgresql://") {
            rest = url.dropFirst("postgresql://".count)
        } else {
            throw ParseError(description: "the URL must start with postgres:// or postgresql://")
        }
        let (main, query) = Self.split(rest, at: "?")
        let (authority, path) = Self.split(main, at: "/")
        var username = "postgres"
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let (user, secret) = Self.split(authority[..<at], at: ":")
            if !user.isEmpty { username = try Self.decoded(user) }
            password = try secret.map { secret throws(ParseError) in try Self.decoded(secret) }
            hostPort = authority[authority.index(after: at)...]
        }
        var (host, port) = try Self.hostAndPort(hostPort)
        var database = try path.map { path throws(ParseError) in try Self.decoded(path) }
        for parameter in (query ?? "").split(separator: "&") where !parameter.isEmpty {
            let (name, rawValue) = Self.split(parameter, at: "=")
            let value = try Self.decoded(rawValue ?? "")
            switch name {
            case "host": host = value
            case "port": port = try Self.port(Substring(value))
            case "user": username = value
            case "password": password = value
            case "dbname": database = value
            case "sslmode":
                guard value == "disable" else {
                    throw ParseError(
                        description: "sslmode=\(value): the demo does not configure TLS to PostgreSQL (only disable)")
                }
            default:
                throw ParseError(description: "unknown parameter \(name) (host, port, user, password, dbname, sslmode)")
            }
        }
        guard !username.isEmpty else { throw ParseError(description: "the user name is empty") }
        if host.isEmpty || host.hasPrefix("/") {
            let directory = host.isEmpty ? Self.defaultSocketDirectory : host
            endpoint = .unixSocket(path: "\(directory)/.s.PGSQL.\(port ?? 5432)")
        } else {
            endpoint = .tcp(host: host, port: port ?? 5432)
        }
        self.username = username
        self.password = password
        self.database = (database?.isEmpty ?? true) ? nil : database
    }

    /// The location without its password, for logs.
    var description: String {
        let place =
            switch endpoint {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unixSocket(let path): path
            }
        return "\(username)@\(place)/\(database ?? username)"
    }

    /// The text before and after the first `separator`; `nil` after when there is none.
    private static func split(_ text: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<index], text[text.index(after: index)...])
    }

    /// `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT`, `:PORT` or nothing.
    private static func hostAndPort(_ text: Substring) throws(ParseError) -> (String, Int?) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(description: "an IPv6 address without its closing ]")
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            guard !after.isEmpty else { return (host, nil) }
            guard after.hasPrefix(":") else { throw ParseError(description: "unexpected text after ]: \(after)") }
            return (host, try port(after.dropFirst()))
        }
        let (host, port) = split(text, at: ":")
        return (try decoded(host), try port.map { port throws(ParseError) in try Self.port(port) })
    }

    private static func port(_ text: Substring) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ParseError(description: "the port must be 1 to 65535, not \(text)")
        }
        return port
    }

    /// `text` with its `%XX` escapes decoded; the result must be UTF-8.
    private static func decoded(_ text: Substring) throws(ParseError) -> String {
        guard let decoded = PercentDecoding.decode(text) else {
            throw ParseError(description: "a bad percent-escape, or escapes that are not UTF-8, in \(text)")
        }
        return decoded
    }
}
