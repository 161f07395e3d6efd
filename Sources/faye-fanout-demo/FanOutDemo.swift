#if PostgresFanOut
    import ArgumentParser
    import FayeDemoSupport
    import FayeWebSocket
    import Logging
    import PostgresNIO
    import ServiceLifecycle

    /// One instance of the chat: prepares the table, then runs the PostgreSQL pool, the
    /// doorbell's listener and the server as one service group, until SIGTERM or SIGINT.
    struct FanOutDemo {
        /// Where PostgreSQL is.
        let location: PostgresLocation
        /// This instance's name.
        let instance: String
        /// The embedded server's configuration.
        let server: FayeServer.Configuration

        func run() async throws {
            var logger = FileHandleOutput.serverLogger(label: "faye-fanout-demo")
            logger[metadataKey: "instance"] = "\(instance)"
            let startAfter = try await prepare(logger: logger)

            let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
            let hub = ChatHub()
            let store = PostgresChatStore(client: client, logger: logger)
            let feed = ChatFeed(location: location, hub: hub, startAfter: startAfter, logger: logger)
            let responder = ChatResponder(instance: instance, store: store, hub: hub, logger: logger)
            let server = FayeServer(configuration: self.server, logger: logger, responder: responder.responder)
            do {
                try await server.start()
            } catch {
                FileHandleOutput.standardError("faye-fanout-demo: \(error)\n")
                throw ExitCode(1)
            }
            guard let boundPort = server.localAddress?.port else { throw ValidationError("the server did not bind") }
            let shownHost = self.server.host.contains(":") ? "[\(self.server.host)]" : self.server.host
            FileHandleOutput.standardError(
                "faye-fanout-demo listening on ws://\(shownHost):\(boundPort) as \(instance), PostgreSQL \(location)\n")
            // A graceful shutdown stops the services last to first: the server drains (WebSockets
            // closed with 1001, streams ended after a retry hint) while the pool still serves, then
            // the listener, then the pool.
            let services = ServiceGroup(
                configuration: .init(
                    services: [.init(service: client), .init(service: feed), .init(service: server)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await services.run()
        }

        /// Creates the table if missing and reads where delivery starts (its largest id), on a
        /// connection of its own; exits 1 when PostgreSQL cannot be reached.
        private func prepare(logger: Logger) async throws -> Int64 {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: location.connectionConfiguration, id: 0, logger: logger)
                do {
                    let last = try await PostgresChatStore.prepare(on: connection, logger: logger)
                    try? await connection.close()
                    return last
                } catch {
                    try? await connection.close()
                    throw error
                }
            } catch {
                FileHandleOutput.standardError(
                    "faye-fanout-demo: PostgreSQL at \(location): \(String(reflecting: error))\n")
                throw ExitCode(1)
            }
        }
    }
#endif
