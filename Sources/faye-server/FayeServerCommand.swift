import ArgumentParser
import Dispatch
import FayeWebSocket
import Logging
import NIOConcurrencyHelpers
import PermessageDeflate
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-server`: the echo (and, with the EventSource issue, event stream) server of DESIGN §3.
@main
struct FayeServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-server",
        abstract: "WebSocket echo server (permessage-deflate, subprotocols) on the embedded server."
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 9292

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (TLS arrives with the TLS issue).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key (TLS arrives with the TLS issue).")
    var tlsKey: String?

    @Flag(name: .customLong("no-deflate"), help: "Do not negotiate permessage-deflate.")
    var noDeflate = false

    @Option(help: "Comma-separated subprotocols to accept, in preference order of the client.")
    var protocols: String?

    @Option(name: .customLong("max-length"), help: "Largest message accepted, in bytes.")
    var maxLength: Int = DriverOptions.defaultMaxLength

    @Option(help: "Send a ping every SECONDS seconds.")
    var ping: Double?

    @Option(name: .customLong("sse-interval"), help: "EventSource tick interval in milliseconds.")
    var sseInterval: Int = 1000

    @Option(name: .customLong("sse-retry"), help: "EventSource retry advice in seconds.")
    var sseRetry: Double = 5

    func validate() throws {
        if tlsCert != nil || tlsKey != nil {
            throw ValidationError(
                "--tls-cert/--tls-key are not supported yet: TLS for the embedded server is still to come")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
        if let ping, !(ping > 0) { throw ValidationError("--ping must be positive") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "faye-server")
        logger.logLevel = .info

        var options = WebSocketOptions()
        options.maxLength = maxLength
        options.protocols = (protocols ?? "").split(separator: ",").map {
            String($0).trimmingCharacters(in: " ")
        }.filter { !$0.isEmpty }
        if !noDeflate { options.extensions = [PermessageDeflate()] }
        if let ping { options.pingInterval = .milliseconds(Int64(ping * 1000)) }

        var configuration = FayeServer.Configuration(host: host, port: port)
        configuration.maxBodySize = 1024 * 1024
        let server = FayeServer(configuration: configuration, logger: logger) { [options] request in
            if request.isWebSocket {
                return .webSocket(options: options) { socket in
                    socket.onMessage { message in socket.send(message) }
                }
            }
            if request.request.method == "GET" && request.request.path == "/" {
                return ServerResponse(
                    headers: ["Content-Type": "text/html; charset=utf-8"],
                    body: Array(DemoPage.html.utf8)
                )
            }
            return ServerResponse(status: 404, text: "Not found\n")
        }
        try await server.start()
        guard let address = server.localAddress, let boundPort = address.port else {
            throw ValidationError("the server did not bind")
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        FileHandleOutput.standardError("faye-server listening on ws://\(shownHost):\(boundPort)\n")
        await SignalWaiter.waitForTermination()
        logger.info("shutting down")
        try await server.shutdown()
    }
}

/// The page served at `/` until the EventSource issue adds the full demo.
enum DemoPage {
    static let html = """
        <!doctype html>
        <meta charset="utf-8">
        <title>faye-server</title>
        <h1>faye-server</h1>
        <p>WebSocket echo on this address: <code id="url"></code></p>
        <p id="result">connecting…</p>
        <script>
        const url = location.href.replace(/^http/, "ws");
        document.getElementById("url").textContent = url;
        const ws = new WebSocket(url);
        ws.onopen = () => ws.send("hello from the browser");
        ws.onmessage = (event) => {
          document.getElementById("result").textContent = "echo: " + event.data + " (extensions: " + ws.extensions + ")";
        };
        </script>
        """
}

/// Writes to standard error without buffering.
enum FileHandleOutput {
    static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = write(2, bytes.baseAddress, bytes.count)
        }
    }
}

/// Waits for SIGINT or SIGTERM.
enum SignalWaiter {
    private struct Waiting {
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    static func waitForTermination() async {
        let waiting = NIOLockedValueBox(Waiting())
        let queue = DispatchQueue(label: "faye-server.signals")
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                waiting.withLockedValue { state in
                    state.fired = true
                    state.continuation?.resume()
                    state.continuation = nil
                }
            }
            source.resume()
            sources.append(source)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiting.withLockedValue { state in
                if state.fired {
                    continuation.resume()
                } else {
                    state.continuation = continuation
                }
            }
        }
        for source in sources { source.cancel() }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var slice = self[...]
        while slice.first == set { slice = slice.dropFirst() }
        while slice.last == set { slice = slice.dropLast() }
        return String(slice)
    }
}
