import FayeWebSocket
import Logging
import Metrics
import Prometheus

/// `--metrics-port`: the library's metrics (swift-metrics) in the Prometheus text format, at
/// `GET /metrics` on a server of its own.
enum PrometheusEndpoint {
    /// Bootstraps swift-metrics with a Prometheus registry and returns the server that exposes it.
    static func server(host: String, port: Int, logger: Logger) -> FayeServer {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var configuration = FayeServer.Configuration(host: host, port: port)
        configuration.threads = 1
        configuration.reportsMetrics = false
        var quiet = logger
        quiet.logLevel = .warning
        return FayeServer(configuration: configuration, logger: quiet) { request in
            guard request.request.path == "/metrics", request.request.method == "GET" else {
                return ServerResponse(status: 404, text: "Not found: the metrics are at GET /metrics\n")
            }
            return ServerResponse(
                headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: registry.emitToBuffer())
        }
    }
}
