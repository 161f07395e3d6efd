public import ArgumentParser
public import FayeEventSource
public import FayeWebSocket
import PermessageDeflate
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The command line of `faye-server` (DESIGN §3), shared by `faye-vapor-demo` and
/// `faye-hummingbird-demo` so that every check written against one runs against the others.
public struct DemoServerArguments: ParsableArguments {
    @Option(help: "Address to bind.")
    public var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    public var port = 9292

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve wss:// and https:// (needs --tls-key).")
    public var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    public var tlsKey: String?

    @Flag(name: .customLong("no-deflate"), help: "Do not negotiate permessage-deflate.")
    public var noDeflate = false

    @Option(help: "Comma-separated subprotocols to accept, in preference order of the client.")
    public var protocols: String?

    @Option(name: .customLong("max-length"), help: "Largest message accepted, in bytes.")
    public var maxLength: Int = DriverOptions.defaultMaxLength

    @Option(help: "Send a ping every SECONDS seconds.")
    public var ping: Double?

    @Option(name: .customLong("sse-interval"), help: "EventSource tick interval in milliseconds.")
    public var sseInterval: Int = 1000

    @Option(name: .customLong("sse-retry"), help: "EventSource retry advice in seconds.")
    public var sseRetry: Double = 5

    public func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key must be given together")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
        if let ping, !(ping > 0) { throw ValidationError("--ping must be positive") }
        guard sseInterval > 0 else { throw ValidationError("--sse-interval must be a positive number of milliseconds") }
        guard sseRetry >= 0, sseRetry.isFinite, sseRetry <= 86_400 else {
            throw ValidationError("--sse-retry must be 0 to 86400 seconds")
        }
    }

    public init() {}

    /// The WebSocket options of the echo: `--max-length`, `--protocols`, permessage-deflate
    /// unless `--no-deflate`, `--ping`.
    public var webSocketOptions: WebSocketOptions {
        var options = WebSocketOptions()
        options.maxLength = maxLength
        options.protocols = (protocols ?? "").split(separator: ",").map {
            String($0).trimmingCharacters(in: " ")
        }.filter { !$0.isEmpty }
        if !noDeflate { options.extensions = [PermessageDeflate()] }
        if let ping { options.pingInterval = .milliseconds(Int64(ping * 1000)) }
        return options
    }

    /// The EventSource options of the tick stream (`--sse-retry`).
    public var eventSourceOptions: EventSourceOptions { TickStream.options(retrySeconds: sseRetry) }

    /// The ready line for the bound port: `faye-server listening on ws://HOST:PORT` (`wss://`
    /// with TLS), the same for the three servers.
    public var readyLine: @Sendable (Int) -> String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let scheme = tlsCert == nil ? "ws" : "wss"
        return { port in "faye-server listening on \(scheme)://\(shownHost):\(port)\n" }
    }
}

/// What the demo servers answer a request that is neither a WebSocket nor an EventSource.
public enum DemoRoutes {
    /// `GET /`: the demo page; anything else: 404.
    public static func plainResponse(for request: IncomingRequest) -> (status: Int, contentType: String, body: String) {
        if request.method == "GET" && request.path == "/" {
            return (200, "text/html; charset=utf-8", DemoPage.html)
        }
        return (404, "text/plain; charset=utf-8", "Not found\n")
    }
}

/// The EventSource of `faye-server`: a `tick` event every interval whose id and data are both
/// the next integer, continuing after the client's Last-Event-ID.
public enum TickStream {
    /// `Access-Control-Allow-Origin: *` and the `retry` advice (`--sse-retry` seconds).
    public static func options(retrySeconds: Double) -> EventSourceOptions {
        var options = EventSourceOptions()
        options.headers = ["Access-Control-Allow-Origin": "*"]
        let milliseconds = retrySeconds.isFinite ? min(max(retrySeconds * 1000, 0), 1e12) : 5000
        options.retry = .milliseconds(Int64(milliseconds))
        return options
    }

    /// Sends the ticks until the stream closes; each send waits for the previous one to be
    /// written, so a client that does not read holds up its own stream only.
    public static func run(_ source: EventSource, intervalMilliseconds: Int) {
        let interval = Duration.milliseconds(max(1, intervalMilliseconds))
        let first = firstID(after: source.lastEventId)
        let task = Task {
            var next = first
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try await source.send(String(next), event: "tick", id: String(next))
                } catch {
                    return
                }
                next += 1
            }
        }
        source.onClose { _ in task.cancel() }
    }

    /// Last-Event-ID + 1, or 1 when there is none (or it is not a non-negative integer).
    public static func firstID(after lastEventID: String) -> Int {
        guard let last = Int(lastEventID), last >= 0, last < Int.max else { return 1 }
        return last + 1
    }
}

/// The page served at `/`: a WebSocket echo and an EventSource, both to this origin.
public enum DemoPage {
    public static let html = """
        <!doctype html>
        <html lang="en">
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>faye-server</title>
        <style>
          body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 48em; padding: 0 1em; }
          section { border: 1px solid #ccc; border-radius: 6px; padding: 0 1em 1em; margin-bottom: 1.5em; }
          code, pre { font: 13px ui-monospace, monospace; }
          pre { background: #f6f6f6; padding: .5em; height: 12em; overflow-y: auto; margin: .5em 0 0; }
        </style>
        <h1>faye-server</h1>

        <section>
          <h2>WebSocket echo</h2>
          <p><code id="ws-url"></code> — state <b id="ws-state">connecting</b>,
             extensions <code id="ws-extensions">?</code>, protocol <code id="ws-protocol">?</code></p>
          <form id="ws-form">
            <input id="ws-text" value="hello from the browser" size="40">
            <button>Send text</button>
            <button type="button" id="ws-binary">Send 8 binary bytes</button>
          </form>
          <pre id="ws-log"></pre>
        </section>

        <section>
          <h2>EventSource</h2>
          <p><code id="es-url"></code> — state <b id="es-state">connecting</b>,
             last tick <b id="es-last">none</b>
             <button type="button" id="es-toggle">Disconnect</button></p>
          <pre id="es-log"></pre>
        </section>

        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        function log(id, text) {
          const pre = $(id);
          pre.textContent += new Date().toLocaleTimeString() + "  " + text + "\\n";
          pre.scrollTop = pre.scrollHeight;
        }

        // WebSocket echo: text comes back as text, an ArrayBuffer as binary.
        const wsURL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/echo";
        $("ws-url").textContent = wsURL;
        const ws = new WebSocket(wsURL);
        ws.binaryType = "arraybuffer";
        ws.onopen = () => {
          $("ws-state").textContent = "open";
          $("ws-extensions").textContent = ws.extensions || "(none)";
          $("ws-protocol").textContent = ws.protocol || "(none)";
          log("ws-log", "open");
          ws.send("hello from the browser");
        };
        ws.onmessage = (event) => {
          if (typeof event.data === "string") {
            log("ws-log", "text: " + event.data);
          } else {
            const bytes = Array.from(new Uint8Array(event.data));
            log("ws-log", "binary " + bytes.length + " bytes: [" + bytes.join(", ") + "]");
          }
        };
        ws.onerror = () => log("ws-log", "error");
        ws.onclose = (event) => {
          $("ws-state").textContent = "closed";
          log("ws-log", "close " + event.code + (event.reason ? " " + event.reason : ""));
        };
        $("ws-form").onsubmit = (event) => {
          event.preventDefault();
          if (ws.readyState === WebSocket.OPEN) ws.send($("ws-text").value);
        };
        $("ws-binary").onclick = () => {
          const buffer = new ArrayBuffer(8);
          new Uint8Array(buffer).forEach((_, i, bytes) => { bytes[i] = i * 31 + 1; });
          if (ws.readyState === WebSocket.OPEN) ws.send(buffer);
        };

        // EventSource: `tick` events; a reconnecting browser sends Last-Event-ID and the count
        // goes on where it stopped.
        const esURL = location.origin + "/events";
        $("es-url").textContent = esURL;
        let es = null;
        function connect() {
          es = new EventSource(esURL);
          $("es-state").textContent = "connecting";
          es.onopen = () => { $("es-state").textContent = "open"; log("es-log", "open"); };
          es.addEventListener("tick", (event) => {
            $("es-last").textContent = event.data;
            log("es-log", "tick " + event.data + " (id " + event.lastEventId + ")");
          });
          es.onerror = () => {
            $("es-state").textContent = es.readyState === EventSource.CLOSED ? "closed" : "reconnecting";
            log("es-log", "error (" + $("es-state").textContent + ")");
          };
        }
        connect();
        $("es-toggle").onclick = () => {
          if (es) {
            es.close();
            es = null;
            $("es-state").textContent = "closed";
            $("es-toggle").textContent = "Connect";
          } else {
            connect();
            $("es-toggle").textContent = "Disconnect";
          }
        };
        </script>
        """
}

/// Writes to standard error without buffering.
public enum FileHandleOutput {
    public static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = write(2, bytes.baseAddress, bytes.count)
        }
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
