import FayeLoopbackSupport
import Testing

/// The checks the host demos must pass too (their tests run the same ones), against
/// `faye-server` itself.
@Suite("faye-server: the checks every server with its command line passes")
struct FayeServerBatteryTests {
    static let executable = "faye-server"

    @Test func echoWithDeflateAndSubprotocol() async throws { try await DemoServerChecks.echo(Self.executable) }
    @Test func refusalsAsTheEmbeddedServer() async throws { try await DemoServerChecks.refusals(Self.executable) }
    @Test func tickStreamAndPage() async throws { try await DemoServerChecks.eventSourceAndPage(Self.executable) }
    @Test func maxLength() async throws { try await DemoServerChecks.maxLength(Self.executable) }
    @Test func sigtermClosesWith1001() async throws { try await DemoServerChecks.sigterm(Self.executable) }
}
