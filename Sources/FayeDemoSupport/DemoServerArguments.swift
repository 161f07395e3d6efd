public import ArgumentParser
public import FayeEventSource
public import FayeWebSocket
import PermessageDeflate
import WebSocketDriver

/// The command line of `faye-server` (DESIGN §3), shared by `faye-vapor-demo` and
/// `faye-hummingbird-demo` so that every check written against one runs against the others.
public struct DemoServerArguments: ParsableArguments {
    /// `--host`: the address to bind (default 127.0.0.1).
    @Option(help: "Address to bind.")
    public var host = "127.0.0.1"

    /// `--port`: the port to bind (default 9292); 0 picks a free one.
    @Option(help: "Port to bind; 0 picks a free port.")
    public var port = 9292

    /// `--tls-cert`: the PEM certificate chain for TLS, with `--tls-key`.
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve wss:// and https:// (needs --tls-key).")
    public var tlsCert: String?

    /// `--tls-key`: the PEM private key of `--tls-cert`.
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    public var tlsKey: String?

    /// `--no-deflate`: do not negotiate permessage-deflate.
    @Flag(name: .customLong("no-deflate"), help: "Do not negotiate permessage-deflate.")
    public var noDeflate = false

    /// `--protocols`: the subprotocols to accept, comma-separated.
    @Option(help: "Comma-separated subprotocols to accept, in preference order of the client.")
    public var protocols: String?

    /// `--max-length`: the largest message accepted, in bytes.
    @Option(name: .customLong("max-length"), help: "Largest message accepted, in bytes.")
    public var maxLength: Int = DriverOptions.defaultMaxLength

    /// `--ping`: a ping every this many seconds.
    @Option(help: "Send a ping every SECONDS seconds.")
    public var ping: Double?

    /// `--sse-interval`: the tick stream's interval in milliseconds (default 1000).
    @Option(name: .customLong("sse-interval"), help: "EventSource tick interval in milliseconds.")
    public var sseInterval: Int = 1000

    /// `--sse-retry`: the `retry` advice of the tick stream, in seconds (default 5).
    @Option(name: .customLong("sse-retry"), help: "EventSource retry advice in seconds.")
    public var sseRetry: Double = 5

    /// Refuses values the servers cannot use, with the message the command line shows.
    public func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key must be given together")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
        if let ping, !(ping > 0) { throw ValidationError("--ping must be positive") }
        guard sseInterval > 0 else { throw ValidationError("--sse-interval must be a positive number of milliseconds") }
        guard sseRetry >= 0, sseRetry.isFinite, sseRetry <= 86_400 else {
            throw ValidationError("--sse-retry must be 0 to 86400 seconds")
        }
    }

    /// The defaults (ArgumentParser fills the values in).
    public init() {}

    /// The WebSocket options of the echo: `--max-length`, `--protocols`, permessage-deflate
    /// unless `--no-deflate`, `--ping`.
    public var webSocketOptions: WebSocketOptions {
        var options = WebSocketOptions()
        options.maxLength = maxLength
        options.protocols = (protocols ?? "").split(separator: ",").map {
            String($0).trimmingCharacters(in: " ")
        }.filter { !$0.isEmpty }
        if !noDeflate { options.extensions = [PermessageDeflate()] }
        if let ping { options.pingInterval = .milliseconds(Int64(ping * 1000)) }
        return options
    }

    /// The EventSource options of the tick stream (`--sse-retry`).
    public var eventSourceOptions: EventSourceOptions { TickStream.options(retrySeconds: sseRetry) }

    /// The ready line for the bound port: `faye-server listening on ws://HOST:PORT` (`wss://`
    /// with TLS), the same for the three servers.
    public var readyLine: @Sendable (Int) -> String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let scheme = tlsCert == nil ? "ws" : "wss"
        return { port in "faye-server listening on \(scheme)://\(shownHost):\(port)\n" }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var slice = self[...]
        while slice.first == set { slice = slice.dropFirst() }
        while slice.last == set { slice = slice.dropLast() }
        return String(slice)
    }
}
