import ArgumentParser
import FayeDemoSupport

#if Hummingbird
    import FayeHummingbird
    import Hummingbird
    import Logging
    import ServiceLifecycle
#endif

/// `faye-hummingbird-demo`: `faye-server`'s echo, tick stream and demo page, served from inside a
/// Hummingbird 2 application through FayeHummingbird (DESIGN §3: the same command line and
/// behaviour).
@main
struct FayeHummingbirdDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-hummingbird-demo",
        abstract:
            "faye-server's WebSocket echo and EventSource tick stream, served by Hummingbird through FayeHummingbird."
    )

    @OptionGroup var arguments: DemoServerArguments

    func run() async throws {
        #if Hummingbird
            try await HummingbirdDemo(arguments: arguments).run()
        #else
            throw FileHandleOutput.missingTrait("Hummingbird", executable: "faye-hummingbird-demo")
        #endif
    }
}

#if Hummingbird
    /// The Hummingbird application of the demo.
    struct HummingbirdDemo {
        let arguments: DemoServerArguments

        func run() async throws {
            let logger = FileHandleOutput.serverLogger(label: "faye-hummingbird-demo")
            let options = arguments.webSocketOptions
            var channel = FayeHTTP1Channel.Configuration()
            if let certificate = arguments.tlsCert, let key = arguments.tlsKey {
                // Our OpenSSL TLS inside Hummingbird's child channel.
                channel.tls = TLSServerConfiguration(certificateChainFile: certificate, privateKeyFile: key)
            }
            let isTLS = channel.tls != nil
            let socketLogger = logger
            let readyLine = arguments.readyLine
            let app = Application(
                responder: DemoResponder(
                    eventSourceOptions: arguments.eventSourceOptions,
                    tickInterval: arguments.sseInterval,
                    isTLS: isTLS,
                    logger: logger
                ),
                server: .fayeWebSocketUpgrade(configuration: channel) { _ in
                    // A WebSocket upgrade on any path is an echo; one log line per socket.
                    WebSocketRoute(options: options) { socket in
                        socketLogger.info("WebSocket \(socket.url)")
                        _ = socket.echoMessages()
                    }
                },
                configuration: ApplicationConfiguration(
                    address: .hostname(arguments.host, port: arguments.port),
                    serverName: nil
                ),
                onServerRunning: { channel in
                    if let port = channel.localAddress?.port {
                        FileHandleOutput.standardError(readyLine(port))
                    }
                },
                logger: logger
            )
            // SIGTERM and SIGINT shut down gracefully: Hummingbird quiesces its connections (our
            // sockets close with 1001, event streams end after what was sent).
            let services = ServiceGroup(
                configuration: .init(
                    services: [.init(service: app)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            do {
                try await services.run()
            } catch {
                FileHandleOutput.standardError("faye-hummingbird-demo: \(error)\n")
                throw ExitCode(1)
            }
        }
    }

    /// Answers every request that is not a WebSocket upgrade as `faye-server` does: an
    /// EventSource request gets the tick stream, `GET /` the demo page, anything else 404.
    struct DemoResponder: HTTPResponder {
        let eventSourceOptions: EventSourceOptions
        let tickInterval: Int
        let isTLS: Bool
        let logger: Logger

        func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
            logger.info("\(request.method) \(request.uri)")
            if request.isFayeEventSourceRequest {
                let tickInterval = self.tickInterval
                return Response.fayeEventSource(request: request, isTLS: isTLS, options: eventSourceOptions) { source in
                    TickStream.run(source, intervalMilliseconds: tickInterval)
                }
            }
            let plain = DemoRoutes.plainResponse(for: request.fayeServerRequest().request)
            return Response(
                status: .init(code: plain.status),
                headers: [.contentType: plain.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: plain.body))
            )
        }
    }
#endif
