import ArgumentParser
import ClientAddress
import FayeDemoSupport
import FayeWebSocket

/// `faye-fanout-demo`: a chat whose instances share their messages through PostgreSQL, the
/// table as the ordered log and `LISTEN`/`NOTIFY` as the doorbell (Docs/Deployment.md, "Fan-out
/// across instances"). Built without the PostgresFanOut trait it only says how to build it.
@main
struct FanOutDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-fanout-demo",
        abstract:
            "A chat (WebSocket /chat, EventSource /events, POST /messages) whose instances share messages through PostgreSQL LISTEN/NOTIFY."
    )

    /// `--host`: the address to bind.
    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    /// `--port`: the port to bind; 0 picks a free one.
    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 7100

    /// `--postgres`: where PostgreSQL is (see ``PostgresLocation``).
    @Option(
        help: ArgumentHelp(
            "PostgreSQL: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE, or ?host=/socket/dir for a Unix socket.",
            valueName: "url"))
    var postgres = "postgres://postgres@127.0.0.1:5432/postgres"

    /// `--instance`: this instance's name, in the `X-Faye-Instance` header and the log.
    @Option(help: "This instance's name: sent in the X-Faye-Instance header and shown in the log.")
    var instance = "faye-fanout-demo"

    /// `--drain-delay`: seconds of serving with `/healthz` at 503 after SIGTERM.
    @Option(
        name: .customLong("drain-delay"),
        help: "On SIGTERM, keep serving this many seconds with GET /healthz answering 503 before closing.")
    var drainDelay: Double = 0

    /// `--trust-proxy`: the proxies whose forwarded fields name the client.
    @Option(
        name: .customLong("trust-proxy"),
        help:
            "Trusted proxies (addresses or CIDR ranges, comma-separated): only their Forwarded/X-Forwarded-* headers count."
    )
    var trustProxy: String?

    /// `--proxy-protocol`: every connection from a trusted proxy starts with a PROXY header.
    @Flag(
        name: .customLong("proxy-protocol"),
        help: "Every connection from a trusted proxy starts with a PROXY v1/v2 header (HAProxy send-proxy[-v2]).")
    var proxyProtocol = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        do {
            _ = try PostgresLocation(parsing: postgres)
        } catch {
            throw ValidationError("--postgres: \(error)")
        }
        guard !instance.isEmpty, instance.utf8.count <= 64, HeaderFields.isValidValue(instance) else {
            throw ValidationError("--instance must be 1 to 64 characters that can go in a header")
        }
        guard drainDelay >= 0, drainDelay.isFinite, drainDelay <= 3600 else {
            throw ValidationError("--drain-delay must be 0 to 3600 seconds")
        }
        if let trustProxy {
            do {
                _ = try TrustedProxies(parsing: trustProxy)
            } catch {
                throw ValidationError("--trust-proxy: \(error)")
            }
        }
        if proxyProtocol && trustProxy == nil {
            throw ValidationError("--proxy-protocol needs --trust-proxy (the proxies that send the header)")
        }
    }

    /// The embedded server's configuration: the options above, `/healthz`, bodies up to
    /// ``FanOutLimits/maxMessageBytes``, and a final `retry:` of
    /// ``FanOutLimits/retryMilliseconds`` when a graceful shutdown ends the streams.
    func serverConfiguration() throws -> FayeServer.Configuration {
        var configuration = FayeServer.Configuration(host: host, port: port)
        configuration.maxBodySize = FanOutLimits.maxMessageBytes
        configuration.healthCheckPath = "/healthz"
        configuration.drainDelay = .milliseconds(Int64(drainDelay * 1000))
        configuration.shutdownRetryHint = .milliseconds(FanOutLimits.retryMilliseconds)
        if let trustProxy { configuration.trustedProxies = try TrustedProxies(parsing: trustProxy) }
        configuration.expectsProxyProtocol = proxyProtocol
        return configuration
    }

    func run() async throws {
        #if PostgresFanOut
            try await FanOutDemo(
                location: PostgresLocation(parsing: postgres), instance: instance, server: serverConfiguration()
            ).run()
        #else
            throw FileHandleOutput.missingTrait("PostgresFanOut", executable: "faye-fanout-demo")
        #endif
    }
}
