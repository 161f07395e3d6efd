#if Hummingbird
    import FayeHummingbird
    import FayeLoopbackSupport
    import FayeTestSupport
    import Hummingbird
    import Logging
    import NIOCore
    import ServiceLifecycle
    import Testing

    /// Runs a Hummingbird application with our upgrade on a free loopback port; gives its port to
    /// `body`, then shuts it down gracefully.
    private func withHummingbird(
        router: Router<BasicRequestContext>,
        route: @escaping @Sendable (ServerRequest) -> WebSocketRoute?,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test.hummingbird")
        logger.logLevel = .warning
        let port = Locked<Int?>(nil)
        let app = Application(
            router: router,
            server: .fayeWebSocketUpgrade(route: route),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
            group.addTask { try await services.run() }
            do {
                try await eventually("Hummingbird to listen", timeout: .seconds(30)) { port.current != nil }
                try await body(port.current ?? 0)
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    @Suite("FayeHummingbird routes")
    struct FayeHummingbirdRouteTests {
        @Test("plain requests go to the router; an upgrade the route declines gets 404; one it claims is a socket")
        func declinedRequestsReachTheRouter() async throws {
            let router = Router()
            router.get("plain") { _, _ in "plain" }
            try await withHummingbird(router: router) { request in
                request.request.path == "/echo" ? WebSocketRoute { socket in _ = socket.echoMessages() } : nil
            } _: { port in
                let plain = try await DemoServerChecks.rawRequest(
                    port: port, "GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(plain.status == 200 && plain.body == "plain")
                let declined = try await DemoServerChecks.rawRequest(
                    port: port,
                    "GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                #expect(declined.status == 404)
                try await WebSocket.withConnection(to: "ws://127.0.0.1:\(port)/echo") { socket in
                    try await socket.send(.text("hi"))
                    var messages = socket.messages.makeAsyncIterator()
                    #expect(try await messages.next() == .text("hi"))
                }
            }
        }

        @Test("a graceful shutdown closes open sockets with 1001")
        func gracefulShutdown() async throws {
            let router = Router()
            let port = Locked<Int?>(nil)
            var logger = Logger(label: "test.hummingbird")
            logger.logLevel = .warning
            let app = Application(
                router: router,
                server: .fayeWebSocketUpgrade { _ in WebSocketRoute { _ in } },
                configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
                logger: logger
            )
            let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
            let running = Task { try await services.run() }
            try await eventually("Hummingbird to listen", timeout: .seconds(30)) { port.current != nil }
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port.current ?? 0)/")
            await services.triggerGracefulShutdown()
            #expect(await socket.finalCloseEvent().code == .goingAway)
            try await running.value
        }
    }
#endif
