import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Logging
import ServiceLifecycle
import Testing
import WebSocketDriver

/// `FayeServer` as a swift-service-lifecycle `Service`.
@Suite("FayeServer as a Service")
struct ServiceTests {
    static func echoServer(_ configuration: FayeServer.Configuration) -> FayeServer {
        var logger = Logger(label: "test.service")
        logger.logLevel = .warning
        return FayeServer(configuration: configuration, logger: logger) { request in
            .webSocket { socket in socket.onMessage { socket.send($0) } }
        }
    }

    @Test("a ServiceGroup's graceful shutdown closes open WebSockets with 1001 and run() returns")
    func gracefulShutdown() async throws {
        var logger = Logger(label: "test.group")
        logger.logLevel = .warning
        let server = Self.echoServer(.loopbackForTests())
        try await server.start()
        let port = try #require(server.localAddress?.port)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        let running = Task { try await group.run() }
        let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
        try await socket.send(.text("hello"))
        var messages = socket.messages.makeAsyncIterator()
        #expect(try await messages.next() == .text("hello"))
        await group.triggerGracefulShutdown()
        #expect(try await socket.closed().code == .goingAway)
        try await running.value
        #expect(server.localAddress == nil)
    }

    @Test("cancelling the task that runs the service shuts the server down")
    func cancellation() async throws {
        let server = Self.echoServer(.loopbackForTests())
        let running = Task { try await server.run() }
        let port = try await eventuallyValue("the server to listen") { server.localAddress?.port }
        let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
        running.cancel()
        #expect(try await socket.closed().code == .goingAway)
        try await running.value
    }
}
