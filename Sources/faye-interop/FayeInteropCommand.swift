import ArgumentParser
import FayeWebSocket
import PermessageDeflate
import WebSocketDriver

/// `faye-interop`: runs the interoperability battery of our client against a peer server and
/// prints one JSON line per check (see ``Report``). Driven by `scripts/interop.sh`.
@main
struct FayeInteropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-interop",
        abstract: "Runs the FayeWebSocket client's interoperability checks against a peer server.",
        discussion: """
            The server must echo on every path and implement /fragmented, /ping and /invalid-utf8 \
            as scripts/interop/peer_server.py does. Exits 0 when every check passed.
            """
    )

    @Option(help: "The server's base URL, ws://HOST:PORT or wss://HOST:PORT.")
    var url: String

    @Option(name: .customLong("relay-url"), help: "The same server through a byte-counting relay.")
    var relayURL: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of the CA certificates to trust for wss:.")
    var caFile: String?

    @Option(help: "An HTTP CONNECT proxy, http://host:port.")
    var proxy: String?

    @Option(
        name: .customLong("expect-extension"),
        help: "A substring the Sec-WebSocket-Extensions response must contain; repeatable.")
    var expectedExtensionParameters: [String] = []

    @Option(help: "Comma-separated check-name prefixes to run (default: every check).")
    var only: String?

    @Option(
        name: .customLong("expect-refusal"),
        help: "Run one check of this name instead: the connection must fail before it opens.")
    var refusalCheck: String?

    func validate() throws {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("ws://") || lowered.hasPrefix("wss://") else {
            throw ValidationError("--url must be a ws:// or wss:// URL")
        }
    }

    func run() async throws {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        options.closeTimeout = .seconds(10)
        var tls = TLSClientConfiguration()
        if let caFile { tls.rootCertificateFiles = [caFile] }
        var clientOptions = WebSocketClientOptions()
        clientOptions.tls = tls
        clientOptions.connectTimeout = .seconds(10)
        if let proxy { clientOptions.proxy = ProxySettings(url: proxy) }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url

        if let refusalCheck {
            guard
                await Self.expectRefusal(name: refusalCheck, url: base, options: options, clientOptions: clientOptions)
            else { throw ExitCode(1) }
            return
        }
        let battery = Battery(
            baseURL: base,
            relayURL: relayURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            options: options,
            clientOptions: clientOptions,
            expectedExtensionParameters: expectedExtensionParameters
        )
        let prefixes = (only ?? "").split(separator: ",").map(String.init)
        guard await battery.run(prefixes: prefixes) else { throw ExitCode(1) }
    }

    /// Passes when the connection fails before opening, with an error event.
    static func expectRefusal(
        name: String,
        url: String,
        options: WebSocketOptions,
        clientOptions: WebSocketClientOptions
    ) async -> Bool {
        let started = ContinuousClock.now
        let outcome: (Bool, String)
        do {
            let session = try await Session.open(
                url: url + "/echo", options: options, clientOptions: clientOptions, timeout: .seconds(15))
            await session.finish()
            outcome = (false, "the connection opened; it should have been refused")
        } catch {
            outcome = (!error.message.hasSuffix("timed out"), error.message)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Report.line(check: name, ok: outcome.0, detail: outcome.1, seconds: seconds)
        return outcome.0
    }
}
