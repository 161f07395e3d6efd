import ArgumentParser
import FayeDemoSupport

#if Vapor
    import FayeVapor
    import Logging
    import NIOSSL
    import UnixSignals
    import Vapor

    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Darwin)
        import Darwin
    #endif
#endif

/// `faye-vapor-demo`: `faye-server`'s echo, tick stream and demo page, served from inside a
/// Vapor 4 application through FayeVapor (DESIGN §3: the same command line and behaviour).
@main
struct FayeVaporDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-vapor-demo",
        abstract: "faye-server's WebSocket echo and EventSource tick stream, served by Vapor through FayeVapor."
    )

    @OptionGroup var arguments: DemoServerArguments

    func run() async throws {
        #if Vapor
            try await VaporDemo(arguments: arguments).run()
        #else
            throw FileHandleOutput.missingTrait("Vapor", executable: "faye-vapor-demo")
        #endif
    }
}

#if Vapor
    /// The Vapor application of the demo.
    struct VaporDemo {
        let arguments: DemoServerArguments

        func run() async throws {
            let logger = FileHandleOutput.serverLogger(label: "faye-vapor-demo")
            // Vapor reads its own command line from the environment's arguments: give it none.
            let app = try await Application.make(Environment(name: "production", arguments: ["faye-vapor-demo"]))
            app.logger = logger
            app.http.server.configuration.hostname = arguments.host
            app.http.server.configuration.port = arguments.port
            if let certificate = arguments.tlsCert, let key = arguments.tlsKey {
                // Vapor's own TLS (its swift-nio-ssl): the framework's setup, not ours.
                do {
                    app.http.server.configuration.tlsConfiguration = .makeServerConfiguration(
                        certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                        privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
                    )
                } catch {
                    FileHandleOutput.standardError("faye-vapor-demo: \(error)\n")
                    try? await app.asyncShutdown()
                    throw ExitCode(1)
                }
            }
            app.middleware.use(
                DemoResponder(
                    options: arguments.webSocketOptions,
                    eventSourceOptions: arguments.eventSourceOptions,
                    tickInterval: arguments.sseInterval
                ))
            do {
                try await app.server.start(address: nil)
            } catch {
                FileHandleOutput.standardError("faye-vapor-demo: \(error)\n")
                try? await app.asyncShutdown()
                throw ExitCode(1)
            }
            guard let port = app.http.server.shared.localAddress?.port else {
                try? await app.asyncShutdown()
                throw ValidationError("the server did not bind")
            }
            FileHandleOutput.standardError(arguments.readyLine(port))

            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
            // Graceful: event streams end, Vapor quiesces its connections (our sockets answer
            // that with a 1001 close) and waits for them; a client that does not answer its
            // closing handshake is not waited for beyond the grace period.
            app.fayeEventSources.closeAll()
            let grace = Task {
                try await Task.sleep(for: .milliseconds(1500))
                exit(0)
            }
            await app.server.shutdown()
            grace.cancel()
            // Nothing else to release: the process ends here (Vapor's own shutdown of its thread
            // pool and providers would only add time).
            exit(0)
        }
    }

    /// Answers every request as `faye-server` does: a WebSocket upgrade is an echo, an
    /// EventSource request the tick stream, `GET /` the demo page, anything else 404.
    struct DemoResponder: AsyncMiddleware {
        let options: FayeWebSocket.WebSocketOptions
        let eventSourceOptions: EventSourceOptions
        let tickInterval: Int

        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            if request.isFayeWebSocketRequest {
                return request.fayeWebSocket(options: options) { socket in _ = socket.echoMessages() }
            }
            if request.isFayeEventSourceRequest {
                let tickInterval = self.tickInterval
                return request.fayeEventSource(options: eventSourceOptions) { source in
                    TickStream.run(source, intervalMilliseconds: tickInterval)
                }
            }
            let plain = DemoRoutes.plainResponse(for: request.fayeServerRequest.request)
            return Response(
                status: HTTPResponseStatus(statusCode: plain.status),
                headers: ["Content-Type": plain.contentType],
                body: .init(string: plain.body)
            )
        }
    }
#endif
