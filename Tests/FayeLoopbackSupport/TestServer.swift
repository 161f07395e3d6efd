import FayeTestSupport
public import FayeWebSocket
import Logging
public import NIOPosix

/// A running ``FayeServer`` on a free loopback port and a client event loop group, for one test.
public struct TestServer: Sendable {
    public let server: FayeServer
    public let host: String
    public let port: Int
    /// One thread for the test's clients.
    public let group: MultiThreadedEventLoopGroup
}

extension FayeServer.Configuration {
    /// Port 0 on `host`, two event loops and a one-second shutdown grace period.
    public static func loopbackForTests(host: String = "127.0.0.1") -> Self {
        var configuration = Self(host: host, port: 0)
        configuration.threads = 2
        configuration.shutdownGracePeriod = .seconds(1)
        return configuration
    }
}

/// Starts a server for `responder` with `configuration` (logging warnings only), runs `body`,
/// then shuts the server and the client group down, also when `body` throws: a test stops what
/// it starts.
public func withTestServer(
    configuration: FayeServer.Configuration = .loopbackForTests(),
    responder: @escaping FayeHTTPHandler.Responder,
    _ body: (TestServer) async throws -> Void
) async throws {
    var logger = Logger(label: "test.server")
    logger.logLevel = .warning
    let server = FayeServer(configuration: configuration, logger: logger, responder: responder)
    try await server.start()
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
        guard let port = server.localAddress?.port else { throw TestTimeout(what: "a bound port", after: .zero) }
        try await body(TestServer(server: server, host: configuration.host, port: port, group: group))
    } catch {
        try? await server.shutdown()
        try? await group.shutdownGracefully()
        throw error
    }
    try await server.shutdown()
    try await group.shutdownGracefully()
}
