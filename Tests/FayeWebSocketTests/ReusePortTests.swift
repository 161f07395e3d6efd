import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Logging
import Testing

/// `reusePort`: several servers (processes, here two in one) on one port.
@Suite("FayeServer: SO_REUSEPORT")
struct ReusePortTests {
    static func server(port: Int, reusePort: Bool) -> FayeServer {
        var configuration = FayeServer.Configuration.loopbackForTests()
        configuration.port = port
        configuration.threads = 1
        configuration.reusePort = reusePort
        var logger = Logger(label: "test.reuse-port")
        logger.logLevel = .warning
        return FayeServer(configuration: configuration, logger: logger) { _ in ServerResponse(text: "hi\n") }
    }

    @Test("with reusePort two servers bind the same port; without it the second fails")
    func sharedPort() async throws {
        let first = Self.server(port: 0, reusePort: true)
        try await first.start()
        let port = try #require(first.localAddress?.port)
        let second = Self.server(port: port, reusePort: true)
        do {
            try await second.start()
            #expect(second.localAddress?.port == port)
            try await second.shutdown()
            let third = Self.server(port: port, reusePort: false)
            await #expect(throws: (any Error).self) { try await third.start() }
            try await third.shutdown()
        } catch {
            try? await first.shutdown()
            throw error
        }
        try await first.shutdown()
    }
}
