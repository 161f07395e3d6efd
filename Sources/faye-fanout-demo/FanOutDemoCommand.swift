import ArgumentParser
import FayeDemoSupport
import FayeWebSocket

/// `faye-fanout-demo`: a chat whose instances share their messages through PostgreSQL, the
/// table as the ordered log and `LISTEN`/`NOTIFY` as the doorbell (Docs/Deployment.md, "Fan-out
/// across instances"). Built without the PostgresFanOut trait it only says how to build it.
@main
struct FanOutDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-fanout-demo",
        abstract:
            "A chat (WebSocket /chat, EventSource /events, POST /messages) whose instances share messages through PostgreSQL LISTEN/NOTIFY."
    )

    /// `--host`: the address to bind.
    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    /// `--port`: the port to bind; 0 picks a free one.
    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 7100

    /// `--postgres`: where PostgreSQL is (see ``PostgresLocation``).
    @Option(
        help: ArgumentHelp(
            "PostgreSQL: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE, or ?host=/socket/dir for a Unix socket.",
            valueName: "url"))
    var postgres = "postgres://postgres@127.0.0.1:5432/postgres"

    /// `--instance`: this instance's name, in the `X-Faye-Instance` header and the log.
    @Option(help: "This instance's name: sent in the X-Faye-Instance header and shown in the log.")
    var instance = "faye-fanout-demo"

    @OptionGroup var deployment: DeploymentArguments

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        do {
            _ = try PostgresLocation(parsing: postgres)
        } catch {
            throw ValidationError("--postgres: \(error)")
        }
        guard !instance.isEmpty, instance.utf8.count <= 64, HeaderFields.isValidValue(instance) else {
            throw ValidationError("--instance must be 1 to 64 characters that can go in a header")
        }
    }

    /// The embedded server's configuration: the options above, `/healthz`, bodies up to
    /// ``FanOutLimits/maxMessageBytes``, and a final `retry:` of
    /// ``FanOutLimits/retryMilliseconds`` when a graceful shutdown ends the streams.
    func serverConfiguration() throws -> FayeServer.Configuration {
        var configuration = FayeServer.Configuration(host: host, port: port)
        configuration.maxBodySize = FanOutLimits.maxMessageBytes
        configuration.shutdownRetryHint = .milliseconds(FanOutLimits.retryMilliseconds)
        try deployment.apply(to: &configuration)
        return configuration
    }

    func run() async throws {
        #if PostgresFanOut
            try await FanOutDemo(
                location: PostgresLocation(parsing: postgres), instance: instance, server: serverConfiguration()
            ).run()
        #else
            throw FileHandleOutput.missingTrait("PostgresFanOut", executable: "faye-fanout-demo")
        #endif
    }
}
