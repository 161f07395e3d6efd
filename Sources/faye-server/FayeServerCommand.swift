import ArgumentParser
import FayeDemoSupport
import FayeEventSource
import FayeWebSocket
import Logging
import ServiceLifecycle

/// `faye-server`: the WebSocket echo and EventSource tick server of DESIGN §3.
@main
struct FayeServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-server",
        abstract:
            "WebSocket echo and EventSource tick server (permessage-deflate, subprotocols, TLS, HTTP/2) on the embedded server."
    )

    @OptionGroup var arguments: DemoServerArguments

    @Flag(
        name: .customLong("h2c"),
        help: "Also accept cleartext HTTP/2 with prior knowledge (HTTP/1.1 stays available on the port).")
    var h2c = false

    @Flag(
        name: .customLong("reuse-port"),
        help: "Set SO_REUSEPORT: several faye-server processes share the port (the kernel spreads connections).")
    var reusePort = false

    @OptionGroup var deployment: DeploymentArguments

    @Option(
        name: .customLong("metrics-port"),
        help: "Serve the metrics in the Prometheus text format at GET /metrics on this port (same host).")
    var metricsPort: Int?

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be 0 to 65535")
        }
    }

    func run() async throws {
        let logger = FileHandleOutput.serverLogger(label: "faye-server")
        // Before the first connection: the library decides at first use whether to report.
        let metricsServer = metricsPort.map {
            PrometheusEndpoint.server(host: arguments.host, port: $0, logger: logger)
        }

        let options = arguments.webSocketOptions
        var configuration = FayeServer.Configuration(host: arguments.host, port: arguments.port)
        configuration.maxBodySize = 1024 * 1024
        // With --tls-cert, h2 and http/1.1 are offered by ALPN (the default).
        configuration.http2.acceptsPriorKnowledge = h2c
        configuration.reusePort = reusePort
        try deployment.apply(to: &configuration)
        if let tlsCert = arguments.tlsCert, let tlsKey = arguments.tlsKey {
            configuration.tls = TLSServerConfiguration(certificateChainFile: tlsCert, privateKeyFile: tlsKey)
        }
        let sseOptions = arguments.eventSourceOptions
        let tickInterval = arguments.sseInterval
        let server = FayeServer(configuration: configuration, logger: logger) { [options] request in
            if request.isWebSocket {
                return .webSocket(options: options) { socket in
                    socket.echoMessages()
                }
            }
            if request.isEventSource {
                return .eventSource(options: sseOptions) { source in
                    TickStream.run(source, intervalMilliseconds: tickInterval)
                }
            }
            let plain = DemoRoutes.plainResponse(for: request.request)
            return ServerResponse(
                status: plain.status, headers: ["Content-Type": plain.contentType], body: Array(plain.body.utf8))
        }
        do {
            try await server.start()
            try await metricsServer?.start()
        } catch let error as TLSError {
            FileHandleOutput.standardError("faye-server: \(error)\n")
            throw ExitCode(1)
        }
        if let metricsServer, let port = metricsServer.localAddress?.port {
            FileHandleOutput.standardError("faye-server metrics on http://\(arguments.host):\(port)/metrics\n")
        }
        guard let address = server.localAddress, let boundPort = address.port else {
            throw ValidationError("the server did not bind")
        }
        FileHandleOutput.standardError(arguments.readyLine(boundPort))
        // SIGTERM and SIGINT shut the server down gracefully: every WebSocket closed with 1001.
        let services = ServiceGroup(
            configuration: .init(
                services: [.init(service: server)] + (metricsServer.map { [.init(service: $0)] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await services.run()
    }
}
