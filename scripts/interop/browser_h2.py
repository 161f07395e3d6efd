#!/usr/bin/env python3
"""Headless Chromium against faye-server over HTTP/2, driven over the DevTools protocol (CDP) with
the Python `websockets` client (the browser plumbing is browser.py's).

faye-server runs with TLS (the run's localhost certificate, `--sse-interval 100`) and negotiates
`h2` by ALPN. Chromium trusts that certificate through `--ignore-certificate-errors-spki-list`
(the SHA-256 of its public key, computed with openssl), loads `https://localhost:PORT/` and checks:

  - the page itself came over h2 (the navigation entry's `nextHopProtocol`);
  - the demo page's own WebSocket opened and got its echo, and faye-server's log shows it as an
    RFC 8441 WebSocket stream of an h2 connection;
  - a page script's `wss:` WebSocket echoes text, an ArrayBuffer and 1 MiB (text and binary) and
    reports permessage-deflate in `extensions`, then closes with 1000 and a reason: the close
    event reports 1000, the reason, `wasClean`;
  - 8 EventSources at once (more than HTTP/1.1's 6 connections per origin) each get at least 3
    `tick` events, all as streams of one h2 connection;
  - 20 WebSockets at once each get their own message back, all as streams of one h2 connection.

What the log checks count. faye-server writes one line per connection, `connection from ADDRESS
(h2)` or `(http/1.1)`, and one per WebSocket or EventSource stream of an h2 connection, `h2 stream
N from ADDRESS: websocket PATH` or `: eventsource PATH` (see CONNECTION and STREAM below). A
check that needs its streams "on one connection" takes the stream lines logged while it ran and
requires: as many as it opened; all naming the same ADDRESS; exactly one `(h2)` connection line
for that ADDRESS; no new connection line of any kind logged during the check (so nothing was
opened beside the existing connection for these streams). No `(http/1.1)` connection line may
appear anywhere in the log (a WebSocket that fell back to HTTP/1.1 would show up as one). Other
connections Chromium opened before a check are listed in the detail, not failed: at page load it
sometimes races a second h2 connection and closes it at once, unused. `... closed` lines are not
counted.

Any failure saves a screenshot to .build/interop/chromium-h2-failure.png and prints what the
browser said (console, exceptions, network errors).

Standalone: `python scripts/interop/browser_h2.py --bin-dir DIR` makes a CA with interop.make_pki
in a temporary directory and runs only these checks (logs under .build/interop/logs-h2-*).
"""
import asyncio
import base64
import hashlib
import json
import re
import shutil
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (as interop.py)
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import browser  # noqa: E402  (start_chromium, stop_chromium, CDP)

ARTIFACTS = HERE.parent.parent / ".build" / "interop"
SCREENSHOT = ARTIFACTS / "chromium-h2-failure.png"

CHECKS = [
    "page over h2",
    "demo page WebSocket echo over h2",
    "WebSocket echo text, binary, 1 MiB over h2",
    "extensions include permessage-deflate",
    "close code delivered over h2",
    "8 EventSources at once on one connection",
    "many WebSockets on one connection",
]

SERVER_NAME = "faye-server-browser-h2"
SSE_INTERVAL_MS = 100
EVENTSOURCE_COUNT = 8
EVENTSOURCE_TICKS = 3
# Chromium holds back a new WebSocket's handshake while others of the same renderer are pending,
# by a random delay that grows exponentially with their number up to a few seconds (its
# per-process WebSocket throttle, services/network/websocket_throttler.cc): with 20 at once the
# last ones open seconds late whatever the server does (seen: 14 ms to 5 s). Hence 15 s for each.
SOCKET_COUNT = 20
CLOSE_REASON = "h2 bye \u2603"

# The log lines relied on (searched anywhere in a line, so a logger prefix or metadata may surround them).
CONNECTION = re.compile(r"connection from (?P<address>.+?) \((?P<protocol>h2|http/1\.1)\)(?!\s*closed)")
STREAM = re.compile(r"h2 stream (?P<id>\d+) from (?P<address>.+?): (?P<kind>websocket|eventsource)\b\s*(?P<path>\S*)")

NAVIGATION_PROTOCOL = "performance.getEntriesByType('navigation')[0]?.nextHopProtocol ?? null"

DEMO_STATE = ("({state: document.getElementById('ws-state').textContent, "
              "extensions: document.getElementById('ws-extensions').textContent, "
              "log: document.getElementById('ws-log').textContent})")

# Shared by the page scripts: a promise with a deadline that names what it waited for.
DEADLINE = r"""
  const within = (promise, ms, what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(what + ": nothing after " + ms + " ms")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
"""

ECHO_SCRIPT = r"""
(async () => {
""" + DEADLINE + r"""
  const report = { text: "not run", binary: "not run", bigText: "not run", bigBinary: "not run" };
  const socket = new WebSocket("wss://" + location.host + "/interop");
  socket.binaryType = "arraybuffer";
  const unread = [], readers = [];
  socket.onmessage = (event) => readers.length ? readers.shift()(event.data) : unread.push(event.data);
  const closeEvent = new Promise((resolve) => {
    socket.onclose = (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  });
  const receive = (what) => within(
    unread.length ? Promise.resolve(unread.shift()) : new Promise((resolve) => readers.push(resolve)), 20000, what);
  const sameBytes = (a, b) => a.length === b.length && a.every((value, i) => value === b[i]);
  try {
    await within(new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("the WebSocket failed before it opened"));
    }), 10000, "open");
    report.extensions = socket.extensions;

    const text = "gr\u00fc\u00df dich \u2603 \u{1F600} over h2";
    socket.send(text);
    const textBack = await receive("the text echo");
    report.text = textBack === text ? "ok" : "got " + JSON.stringify(textBack);

    const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    socket.send(bytes.buffer);
    const bytesBack = await receive("the binary echo");
    report.binary = bytesBack instanceof ArrayBuffer && sameBytes(new Uint8Array(bytesBack), bytes) ? "ok"
      : "got " + (typeof bytesBack === "string" ? "text" : bytesBack.byteLength + " bytes");

    // 65536 pieces of 16 UTF-8 bytes each (8 hex digits, "é☃", "..\n"): exactly 1 MiB.
    let pieces = [];
    for (let i = 0; i < 65536; i++) pieces.push(((i * 40503) >>> 0).toString(16).padStart(8, "0") + "\u00e9\u2603..\n");
    const bigText = pieces.join("");
    pieces = null;
    const bigTextBytes = new TextEncoder().encode(bigText).length;
    socket.send(bigText);
    const bigTextBack = await receive("the 1 MiB text echo");
    report.bigText = bigTextBack === bigText ? "ok (" + bigTextBytes + " bytes)"
      : "got " + (typeof bigTextBack === "string" ? bigTextBack.length + " characters, not the same" : "binary");

    const big = new Uint8Array(1 << 20);
    for (let at = 0; at < big.length; at += 65536) crypto.getRandomValues(big.subarray(at, at + 65536));
    socket.send(big.buffer);
    const bigBack = await receive("the 1 MiB binary echo");
    report.bigBinary = bigBack instanceof ArrayBuffer && sameBytes(new Uint8Array(bigBack), big)
      ? "ok (" + big.length + " bytes)"
      : "got " + (typeof bigBack === "string" ? "text" : bigBack.byteLength + " bytes, not the same");
  } catch (error) {
    report.error = error.message;
  }
  try {
    socket.close(1000, "h2 bye \u2603");
    report.close = await within(closeEvent, 10000, "the close event");
  } catch (error) {
    report.close = { error: error.message };
  }
  return report;
})()
"""

EVENTSOURCES_SCRIPT = r"""
(() => {
  const state = [];
  window.__h2Sources = [];
  window.__h2SourceState = state;
  for (let n = 0; n < COUNT; n++) {
    const entry = { ids: [], data: [], errors: 0, open: false };
    state.push(entry);
    const source = new EventSource("/events?n=" + n);
    source.onopen = () => { entry.open = true; };
    source.onerror = () => { entry.errors += 1; };
    source.addEventListener("tick", (event) => { entry.ids.push(event.lastEventId); entry.data.push(event.data); });
    window.__h2Sources.push(source);
  }
  return state.length;
})()
"""

EVENTSOURCES_STATE = "JSON.stringify(window.__h2SourceState)"
EVENTSOURCES_CLOSE = "window.__h2Sources.forEach((source) => source.close()), window.__h2Sources.length"

SOCKETS_SCRIPT = r"""
(async () => {
""" + DEADLINE + r"""
  const start = performance.now(), opened = [];
  const one = async (n) => {
    const socket = new WebSocket("wss://" + location.host + "/many?n=" + n);
    const message = "socket " + n + " of COUNT: " + crypto.randomUUID();
    try {
      await within(new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error("failed before it opened"));
      }), 15000, "open");
      opened.push(Math.round(performance.now() - start));
      const echo = within(new Promise((resolve) => { socket.onmessage = (event) => resolve(event.data); }),
                          15000, "echo");
      socket.send(message);
      const back = await echo;
      return back === message ? "ok" : "got " + JSON.stringify(String(back).slice(0, 80));
    } catch (error) {
      return error.message;
    } finally {
      socket.close(1000);
    }
  };
  const results = await Promise.all(Array.from({ length: COUNT }, (_, n) => one(n)));
  return { results, opened };
})()
"""


class ServerLog:
    """faye-server's stderr, parsed into connection and h2 stream lines; marks are line counts."""

    def __init__(self, path: Path):
        self.path = path

    def lines(self):
        return self.path.read_text(errors="replace").splitlines() if self.path.exists() else []

    def mark(self):
        return len(self.lines())

    def connections(self, since=0):
        return [(m["address"], m["protocol"]) for m in map(CONNECTION.search, self.lines()[since:]) if m]

    def streams(self, kind, since=0):
        return [(int(m["id"]), m["address"], m["path"])
                for m in map(STREAM.search, self.lines()[since:]) if m and m["kind"] == kind]

    async def wait_streams(self, kind, since, count, path_prefix, timeout=3.0):
        """The `kind` stream lines from `since` whose path starts with path_prefix, once there are
        `count` of them (the log may trail the browser a little) or the timeout passed."""
        deadline = time.monotonic() + timeout
        while True:
            found = [s for s in self.streams(kind, since) if s[2].startswith(path_prefix)]
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.1)

    def one_connection(self, streams, expected, since):
        """(ok, detail): `expected` streams, all on one h2 connection, no connection opened since `since`."""
        connections = self.connections()
        new = self.connections(since)
        problems = []
        addresses = sorted({address for _, address, _ in streams})
        if len(streams) != expected:
            problems.append(f"{len(streams)} stream lines, not {expected}")
        if len(addresses) > 1:
            problems.append(f"the streams name {len(addresses)} addresses ({', '.join(addresses)})")
        elif addresses:
            lines = [protocol for address, protocol in connections if address == addresses[0]]
            if lines != ["h2"]:
                problems.append(f"{addresses[0]} has connection lines {lines or 'none'}, not one (h2)")
        if new:
            problems.append(f"new connection lines while they opened: {new}")
        http1 = [address for address, protocol in connections if protocol == "http/1.1"]
        if http1:
            problems.append(f"HTTP/1.1 connections in the log from {', '.join(http1)}")
        ids = sorted(stream_id for stream_id, _, _ in streams)
        summary = (f"{len(streams)} h2 stream lines (ids {ids[:3]}{'...' if len(ids) > 3 else ''}) from "
                   f"{', '.join(addresses) or 'no address'}; the log has {len(connections)} connection line(s) in "
                   f"all: {', '.join(f'{a} ({p})' for a, p in connections) or 'none'}")
        return not problems, summary + ("; " + "; ".join(problems) if problems else "")


class ExtraFlags:
    """A Suite seen through browser.start_chromium: its Chromium gets our flags and its own log name."""

    def __init__(self, suite, flags):
        self.suite = suite
        self.flags = list(flags)

    def __getattr__(self, name):
        return getattr(self.suite, name)

    async def spawn(self, name, executable, *arguments, **options):
        return await self.suite.spawn("chromium-h2", executable, *self.flags, *arguments, **options)


async def spki_hash(certificate: Path):
    """base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (DER), as Chromium's
    --ignore-certificate-errors-spki-list wants it."""
    async def openssl(*arguments, data=None):
        process = await asyncio.create_subprocess_exec(
            "openssl", *arguments, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        output, error = await asyncio.wait_for(process.communicate(data), 15)
        if process.returncode != 0 or not output:
            raise RuntimeError(f"openssl {' '.join(arguments)}: {error.decode(errors='replace').strip()}")
        return output

    public_key = await openssl("x509", "-in", str(certificate), "-noout", "-pubkey")
    der = await openssl("pkey", "-pubin", "-outform", "DER", data=public_key)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class BrowserRecord:
    """What Chromium said while the checks ran: console, exceptions, failed loads, WebSocket handshakes."""

    def __init__(self):
        self.loaded = asyncio.get_running_loop().create_future()
        self.urls = {}
        self.notes = []
        self.handshakes = {}

    def __call__(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Page.loadEventFired" and not self.loaded.done():
            self.loaded.set_result(True)
        elif method == "Network.requestWillBeSent":
            self.urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.webSocketCreated":
            self.urls[params["requestId"]] = params["url"]
        elif method == "Network.webSocketHandshakeResponseReceived":
            url = self.urls.get(params["requestId"], "?")
            self.handshakes.setdefault(url, []).append(params["response"].get("status"))
        elif method == "Network.loadingFailed":
            url = self.urls.get(params["requestId"], "?")
            if not params.get("canceled"):
                self.notes.append(f"load failed: {url}: {params.get('errorText')}")
        elif method == "Network.webSocketFrameError":
            self.notes.append(f"WebSocket frame error: {self.urls.get(params['requestId'], '?')}: "
                              f"{params.get('errorMessage')}")
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.notes.append(f"console.{params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.notes.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.notes.append(f"log {entry.get('source')}/{entry.get('level')}: {entry.get('text')} "
                              f"{entry.get('url', '')}".rstrip())


async def run(suite, group, chromium, directory: Path, pki: Path):
    from websockets.asyncio.client import connect

    SCREENSHOT.unlink(missing_ok=True)
    work = directory / "chromium-h2"
    shutil.rmtree(work, ignore_errors=True)  # a stale DevToolsActivePort would point at a dead browser
    work.mkdir(parents=True)
    try:
        flags = [f"--ignore-certificate-errors-spki-list={await spki_hash(pki / 'localhost.pem')}"]
    except Exception as error:
        # Without the key's hash Chromium cannot be told to trust just this certificate: it then
        # accepts any certificate (--ignore-certificate-errors), which still tests h2 but not trust.
        print(f"     [chromium-h2] no SPKI hash ({error}); falling back to --ignore-certificate-errors", flush=True)
        flags = ["--ignore-certificate-errors"]
    flags.append("--no-proxy-server")

    try:
        server, port = await suite.start_faye_server(
            SERVER_NAME, "--tls-cert", str(pki / "localhost.pem"), "--tls-key", str(pki / "localhost.key"),
            "--sse-interval", str(SSE_INTERVAL_MS))
    except RuntimeError as error:
        suite.report(group, "browser h2", False, f"faye-server with TLS did not start: {error}")
        return
    log = ServerLog(suite.log_dir / f"{SERVER_NAME}.stderr")
    process = cdp = record = None
    try:
        process, target = await browser.start_chromium(ExtraFlags(suite, flags), chromium, work)
        async with connect(target, max_size=None, ping_interval=None, proxy=None, compression=None) as ws:
            cdp = browser.CDP(ws)
            record = BrowserRecord()
            cdp.listeners.append(record)
            try:
                await checks(suite, group, cdp, record, log, port)
            except Exception as error:
                suite.report(group, "browser h2", False, f"{type(error).__name__}: {error}")
            if not all(result.ok for result in group.results):
                await evidence(cdp, record, log)
    except Exception as error:
        suite.report(group, "browser h2", False, f"{type(error).__name__}: {error}")
    finally:
        if process is not None:
            await browser.stop_chromium(process)
        await suite.stop(server)


async def evidence(cdp, record, log):
    """On any failure: the screenshot, the page text, what the browser said, the server's log lines."""
    try:
        data = await cdp.call("Page.captureScreenshot", {"format": "png"}, timeout=20)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(base64.b64decode(data["data"]))
        text = await cdp.evaluate("document.body ? document.body.innerText : ''", timeout=10)
        shown = "\n".join(text.splitlines()[:30])  # the tick log grows without end
        print(f"     [chromium-h2] screenshot saved to {SCREENSHOT}; page text (first 30 lines):\n{shown}", flush=True)
    except Exception as error:
        print(f"     [chromium-h2] no screenshot: {error}", flush=True)
    for note in record.notes[-40:]:
        print(f"     [chromium-h2] {note}", flush=True)
    if record.handshakes:
        print(f"     [chromium-h2] WebSocket handshake statuses: {record.handshakes}", flush=True)
    lines = log.lines()
    print(f"     [chromium-h2] {log.path} ({len(lines)} lines), last 30:", flush=True)
    for line in lines[-30:]:
        print(f"       {line}", flush=True)


async def checks(suite, group, cdp, record, log, port):
    for domain in ("Page", "Runtime", "Network", "Log"):
        await cdp.call(f"{domain}.enable")
    url = f"https://localhost:{port}/"
    navigation = await cdp.call("Page.navigate", {"url": url})
    if navigation.get("errorText"):
        raise RuntimeError(f"loading {url} failed: {navigation['errorText']}")
    await asyncio.wait_for(record.loaded, 20)

    # 1. The page itself.
    started = time.monotonic()
    protocol = await cdp.evaluate(NAVIGATION_PROTOCOL)
    suite.report(group, "page over h2", protocol == "h2", f"{url} came over {protocol!r} (nextHopProtocol)",
                 time.monotonic() - started)

    # 2. The demo page's own WebSocket (to /echo), opened on its own at load.
    started = time.monotonic()
    try:
        state = await cdp.wait_until(
            DEMO_STATE, lambda value: value and value["state"] == "open"
            and "text: hello from the browser" in value["log"], 15, "the demo page's echo")
        streams = await log.wait_streams("websocket", 0, 1, "/echo")
        ok, detail = log.one_connection(streams, 1, since=log.mark())
        suite.report(group, "demo page WebSocket echo over h2", ok,
                     f"the demo page's WebSocket opened (extensions '{state['extensions']}', handshake status "
                     f"{record.handshakes.get(f'wss://localhost:{port}/echo')}) and got its echo; {detail}",
                     time.monotonic() - started)
    except Exception as error:
        suite.report(group, "demo page WebSocket echo over h2", False, str(error), time.monotonic() - started)

    # 3 and 4. A page script's WebSocket: echoes, extensions, a clean close with 1000 and a reason.
    started = time.monotonic()
    mark = log.mark()
    try:
        out = await cdp.evaluate(ECHO_SCRIPT, timeout=90)
    except Exception as error:
        for check in CHECKS[2:5]:
            suite.report(group, check, False, str(error), time.monotonic() - started)
    else:
        elapsed = time.monotonic() - started
        streams = await log.wait_streams("websocket", mark, 1, "/interop")
        on_h2, detail = log.one_connection(streams, 1, since=mark)
        echoes = {key: out.get(key, "missing") for key in ("text", "binary", "bigText", "bigBinary")}
        echoed = all(value.startswith("ok") for value in echoes.values())
        summary = ", ".join(f"{key} {value}" for key, value in echoes.items())
        if out.get("error"):
            summary += f"; stopped: {out['error']}"
        suite.report(group, "WebSocket echo text, binary, 1 MiB over h2", echoed and on_h2 and not out.get("error"),
                     f"{summary}; {detail}", elapsed)
        extensions = out.get("extensions")
        suite.report(group, "extensions include permessage-deflate",
                     isinstance(extensions, str) and "permessage-deflate" in extensions,
                     f"WebSocket.extensions = {extensions!r}", elapsed)
        close = out.get("close") or {}
        ok = close.get("code") == 1000 and close.get("reason") == CLOSE_REASON and close.get("wasClean") is True
        suite.report(group, "close code delivered over h2", ok and on_h2,
                     f"closed with 1000 '{CLOSE_REASON}': the close event reports "
                     + (close["error"] if "error" in close else
                        f"{close.get('code')} '{close.get('reason')}', wasClean {close.get('wasClean')}")
                     + ("" if on_h2 else "; not an h2 stream: " + detail), elapsed)

    # 5. More EventSources at once than HTTP/1.1 allows per origin.
    started = time.monotonic()
    mark = log.mark()
    opened = False
    try:
        await cdp.evaluate(EVENTSOURCES_SCRIPT.replace("COUNT", str(EVENTSOURCE_COUNT)))
        opened = True
        try:
            state = json.loads(await cdp.wait_until(
                EVENTSOURCES_STATE,
                lambda value: value and all(len(entry["ids"]) >= EVENTSOURCE_TICKS for entry in json.loads(value)),
                5, f"{EVENTSOURCE_TICKS} ticks on each of {EVENTSOURCE_COUNT} EventSources"))
            received = True
        except RuntimeError:
            state = json.loads(await cdp.evaluate(EVENTSOURCES_STATE))
            received = False
        elapsed = time.monotonic() - started
        counts = [len(entry["ids"]) for entry in state]
        ordered = all(
            entry["ids"] == entry["data"] and all(b.isdigit() and a.isdigit() and int(b) > int(a)
                                                  for a, b in zip(entry["ids"], entry["ids"][1:]))
            for entry in state)
        streams = await log.wait_streams("eventsource", mark, EVENTSOURCE_COUNT, "/events")
        on_one, detail = log.one_connection(streams, EVENTSOURCE_COUNT, since=mark)
        errors = sum(entry["errors"] for entry in state)
        suite.report(group, "8 EventSources at once on one connection", received and ordered and on_one,
                     f"tick events per EventSource {counts} within {elapsed:.1f} s (at least {EVENTSOURCE_TICKS} "
                     f"each wanted){'' if ordered else ', ids NOT increasing or not matching the data'}"
                     f"{f', {errors} error events' if errors else ''}; {detail}", elapsed)
    except Exception as error:
        suite.report(group, "8 EventSources at once on one connection", False, str(error), time.monotonic() - started)
    finally:
        if opened:
            await cdp.evaluate(EVENTSOURCES_CLOSE, timeout=10)

    # 6. Many WebSockets at once.
    started = time.monotonic()
    mark = log.mark()
    try:
        out = await cdp.evaluate(SOCKETS_SCRIPT.replace("COUNT", str(SOCKET_COUNT)), timeout=45)
        results, opened = out["results"], sorted(out["opened"])
        elapsed = time.monotonic() - started
        failed = {n: result for n, result in enumerate(results) if result != "ok"}
        streams = await log.wait_streams("websocket", mark, SOCKET_COUNT, "/many")
        on_one, detail = log.one_connection(streams, SOCKET_COUNT, since=mark)
        suite.report(group, "many WebSockets on one connection", not failed and on_one,
                     f"{len(results) - len(failed)}/{len(results)} WebSockets got their own message back"
                     f"{f' (failed: {failed})' if failed else ''}; opened after "
                     f"{opened[0] if opened else '-'} to {opened[-1] if opened else '-'} ms; {detail}", elapsed)
    except Exception as error:
        suite.report(group, "many WebSockets on one connection", False, str(error), time.monotonic() - started)


def main():
    import argparse
    import tempfile

    import interop

    parser = argparse.ArgumentParser(description="Chromium against faye-server over HTTP/2 (standalone).")
    parser.add_argument("--bin-dir", required=True, help="the directory holding faye-server")
    parser.add_argument("--timeout", type=float, default=240, help="overall bound in seconds")
    arguments = parser.parse_args()
    bin_dir = Path(arguments.bin_dir).resolve()
    if not (bin_dir / "faye-server").exists():
        raise SystemExit(f"browser_h2: {bin_dir / 'faye-server'} is missing")
    chromium = interop.find_chromium()
    if chromium is None:
        raise SystemExit("browser_h2: no chromium (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suite = interop.Suite(bin_dir, Path(tempfile.mkdtemp(prefix="logs-h2-", dir=ARTIFACTS)))
    version = interop.command_version([chromium, "--version"])
    group = suite.group("chromium-h2", "Chromium (headless) over HTTP/2", version,
                        "browser → faye-server over h2", CHECKS)

    async def everything():
        with tempfile.TemporaryDirectory(prefix="browser-h2-") as temporary:
            directory = Path(temporary)
            await interop.make_pki(directory)
            await run(suite, group, chromium, directory, directory)

    started = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(everything(), arguments.timeout))
    except asyncio.TimeoutError:
        suite.report(group, "browser h2", False, f"ran over the overall bound of {arguments.timeout:.0f} s")
    finally:
        suite.kill_all()
    suite.finish_group(group)
    failed = [result for result in group.results if not result.ok]
    print(f"\nbrowser_h2: {len(group.results) - len(failed)}/{len(group.results)} checks passed in "
          f"{time.monotonic() - started:.1f} s (logs in {suite.log_dir})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
