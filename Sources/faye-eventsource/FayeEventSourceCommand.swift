import ArgumentParser
import FayeDemoSupport
import FayeEventSource
import NIOConcurrencyHelpers

/// `faye-eventsource`: the EventSource client of DESIGN §3.
///
/// Prints each event as one JSON object per line on stdout, `{"type":…,"data":…,"id":…}` (`id`
/// is the last event ID in force), reconnecting after the stream ends or a network error as a
/// browser does (backoff with jitter, `Last-Event-ID`). Exits 0 after `--max-events` events or
/// when the server answers 204; on a failure prints one line to stderr and exits 1.
@main
struct FayeEventSourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-eventsource",
        abstract: "Prints the events of a Server-Sent Events stream as JSON lines.",
        discussion: """
            Each network error before a reconnection is reported on stderr; when the first \
            connection fails, the tool exits 1 instead of retrying. A request with a body and no \
            --method is a POST; a POST stream is not sent again after a disconnection.
            """
    )

    @Argument(help: "The http:// or https:// URL of the stream.")
    var url: String

    @Option(name: .customLong("header"), help: "An extra request header, 'Name: value'; repeatable.")
    var headers: [String] = []

    @Option(help: "The request method (default GET, or POST with --data).")
    var method: String?

    @Option(help: "The request body (e.g. JSON; set its Content-Type with --header).")
    var data: String?

    @Option(name: .customLong("last-event-id"), help: "Resume after this event ID (sent as Last-Event-ID).")
    var lastEventID: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of the CA certificates to trust instead of the system's.")
    var caFile: String?

    @Flag(help: "Do not verify the server's (or an https proxy's) certificate. Unsafe.")
    var insecure = false

    @Option(help: "An HTTP CONNECT proxy, http://[user:pass@]host:port (or https://).")
    var proxy: String?

    @Option(name: .customLong("max-events"), help: "Exit 0 after this many events.")
    var maxEvents: Int?

    func validate() throws {
        if let maxEvents, maxEvents < 1 { throw ValidationError("--max-events must be at least 1") }
        for header in headers where HeaderLine.parse(header) == nil {
            throw ValidationError("--header must look like 'Name: value', got '\(header)'")
        }
    }

    func run() async throws {
        var options = EventSourceClientOptions()
        options.method = method ?? (data == nil ? "GET" : "POST")
        options.body = data.map { Array($0.utf8) }
        options.lastEventID = lastEventID ?? ""
        for header in headers {
            if let (name, value) = HeaderLine.parse(header) { options.headers.append(name: name, value: value) }
        }
        // The trust settings apply to an https: server and to an https: proxy alike.
        var tls = TLSClientConfiguration()
        tls.verifyPeer = !insecure
        if let caFile { tls.rootCertificateFiles = [caFile] }
        options.connection.tls = tls
        if let proxy {
            var settings = ProxySettings(url: proxy)
            settings.tls = tls
            options.connection.proxy = settings
        }

        let source = EventSourceClient(url: url, options: options)
        let events = source.events
        let opened = NIOLockedValueBox(false)
        let firstFailure = NIOLockedValueBox<EventSourceClientError?>(nil)
        source.onOpen { opened.withLockedValue { $0 = true } }
        source.onError { error in
            guard source.readyState == .connecting else { return }
            if opened.withLockedValue({ $0 }) {
                StandardStream.write(2, "faye-eventsource: \(error.message); reconnecting\n")
            } else {
                // The first connection failed: a wrong URL or port is reported, not retried forever.
                firstFailure.withLockedValue { $0 = error }
                source.close()
            }
        }
        var count = 0
        do {
            for try await event in events {
                StandardStream.write(1, JSONLine.event(event) + "\n")
                count += 1
                if let maxEvents, count >= maxEvents {
                    source.close()
                    return
                }
            }
        } catch {
            StandardStream.write(2, "faye-eventsource: \(error)\n")
            throw ExitCode(1)
        }
        if let failure = firstFailure.withLockedValue({ $0 }) {
            StandardStream.write(2, "faye-eventsource: \(failure)\n")
            throw ExitCode(1)
        }
    }
}

/// One event as a JSON object, without Foundation.
enum JSONLine {
    static func event(_ event: MessageEvent) -> String {
        "{\"type\":\(JSONText.quoted(event.type)),\"data\":\(JSONText.quoted(event.data)),\"id\":\(JSONText.quoted(event.lastEventID))}"
    }
}
