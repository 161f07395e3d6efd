/// The page served at `/`: a WebSocket echo and an EventSource, both to this origin.
public enum DemoPage {
    /// The whole page: HTML with its script.
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
