#if Vapor
    import FayeLoopbackSupport
    import Testing

    /// `faye-vapor-demo` passes the checks `faye-server` passes: the same command line and
    /// behaviour, served by Vapor through FayeVapor.
    @Suite("faye-vapor-demo behaves as faye-server")
    struct FayeVaporDemoTests {
        static let executable = "faye-vapor-demo"

        @Test func echoWithDeflateAndSubprotocol() async throws { try await DemoServerChecks.echo(Self.executable) }
        @Test func refusalsAsTheEmbeddedServer() async throws { try await DemoServerChecks.refusals(Self.executable) }
        @Test func tickStreamAndPage() async throws { try await DemoServerChecks.eventSourceAndPage(Self.executable) }
        @Test func maxLength() async throws { try await DemoServerChecks.maxLength(Self.executable) }
        @Test func sigtermClosesWith1001() async throws { try await DemoServerChecks.sigterm(Self.executable) }
    }
#endif
