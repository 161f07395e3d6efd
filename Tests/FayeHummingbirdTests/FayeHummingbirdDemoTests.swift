#if Hummingbird
    import FayeLoopbackSupport
    import Testing

    /// `faye-hummingbird-demo` passes the checks `faye-server` passes: the same command line and
    /// behaviour, served by Hummingbird through FayeHummingbird.
    @Suite("faye-hummingbird-demo behaves as faye-server")
    struct FayeHummingbirdDemoTests {
        static let executable = "faye-hummingbird-demo"

        @Test func echoWithDeflateAndSubprotocol() async throws { try await DemoServerChecks.echo(Self.executable) }
        @Test func refusalsAsTheEmbeddedServer() async throws { try await DemoServerChecks.refusals(Self.executable) }
        @Test func tickStreamAndPage() async throws { try await DemoServerChecks.eventSourceAndPage(Self.executable) }
        @Test func maxLength() async throws { try await DemoServerChecks.maxLength(Self.executable) }
        @Test func sigtermClosesWith1001() async throws { try await DemoServerChecks.sigterm(Self.executable) }
    }
#endif
