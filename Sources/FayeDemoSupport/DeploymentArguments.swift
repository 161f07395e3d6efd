public import ArgumentParser
import ClientAddress
public import FayeWebSocket

/// The options of a server that runs behind a load balancer (Docs/Deployment.md), shared by
/// `faye-server` and `faye-fanout-demo`: how long to drain on SIGTERM and which proxies to
/// believe about the client.
public struct DeploymentArguments: ParsableArguments {
    /// `--drain-delay`: seconds of serving with `/healthz` at 503 after SIGTERM.
    @Option(
        name: .customLong("drain-delay"),
        help: "On SIGTERM, keep serving this many seconds with GET /healthz answering 503 before closing.")
    public var drainDelay: Double = 0

    /// `--trust-proxy`: the proxies whose forwarded fields name the client.
    @Option(
        name: .customLong("trust-proxy"),
        help:
            "Trusted proxies (addresses or CIDR ranges, comma-separated): only their Forwarded/X-Forwarded-* headers count."
    )
    public var trustProxy: String?

    /// `--proxy-protocol`: every connection from a trusted proxy starts with a PROXY header.
    @Flag(
        name: .customLong("proxy-protocol"),
        help: "Every connection from a trusted proxy starts with a PROXY v1/v2 header (HAProxy send-proxy[-v2]).")
    public var proxyProtocol = false

    /// The options at their defaults (ArgumentParser sets them from the command line).
    public init() {}

    /// Refuses an unparsable `--trust-proxy`, `--proxy-protocol` without it, and a drain delay
    /// outside 0–3600 seconds.
    public func validate() throws {
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
        guard drainDelay >= 0, drainDelay.isFinite, drainDelay <= 3600 else {
            throw ValidationError("--drain-delay must be 0 to 3600 seconds")
        }
    }

    /// Sets the drain delay, the trusted proxies and the PROXY header expectation, and answers
    /// `GET /healthz` (200 while serving, 503 from the start of a graceful shutdown).
    public func apply(to configuration: inout FayeServer.Configuration) throws {
        configuration.healthCheckPath = "/healthz"
        configuration.drainDelay = .milliseconds(Int64(drainDelay * 1000))
        if let trustProxy { configuration.trustedProxies = try TrustedProxies(parsing: trustProxy) }
        configuration.expectsProxyProtocol = proxyProtocol
    }
}
