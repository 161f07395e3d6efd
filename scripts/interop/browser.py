"""Headless Chromium against faye-server, driven over the DevTools protocol (CDP) with the Python
`websockets` client.

The browser loads faye-server's demo page (`/`), checks that the page's own WebSocket opened and
got its echo, then runs page scripts: WebSocket echo of text, an ArrayBuffer and 1 MiB (text and
binary), `extensions` containing permessage-deflate, the close code delivered; an EventSource
receiving `tick` events while faye-server is stopped (an open WebSocket must get 1001) and started
again on the same port: the browser must reconnect with Last-Event-ID and the ids go on without a
gap or a repeat. Any failure saves a screenshot to .build/interop/chromium-failure.png.
"""
import asyncio
import base64
import json
import os
import signal
import time
import urllib.request
from pathlib import Path

CHECKS = [
    "demo page WebSocket echo",
    "extensions include permessage-deflate",
    "echo text",
    "echo binary ArrayBuffer",
    "echo 1 MiB text",
    "echo 1 MiB binary",
    "close code delivered",
    "EventSource ticks in order",
    "close 1001 on server shutdown",
    "EventSource reconnects with Last-Event-ID",
    "EventSource ids continue without gap or repeat",
]

SERVER_ARGUMENTS = ["--sse-retry", "1", "--sse-interval", "200"]

WEBSOCKET_SCRIPT = r"""
(async () => {
  const out = {};
  const ws = new WebSocket("ws://" + location.host + "/interop");
  ws.binaryType = "arraybuffer";
  const queue = [], waiters = [];
  ws.onmessage = (event) => { const waiter = waiters.shift(); if (waiter) waiter(event.data); else queue.push(event.data); };
  const closed = new Promise((resolve) => { ws.onclose = resolve; });
  const next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("the WebSocket did not open"));
  });
  out.extensions = ws.extensions;

  const text = "h\u00e9llo \u2603 \u{1D11E} from Chromium";
  ws.send(text);
  const echoedText = await next();
  out.text = echoedText === text ? "ok" : "got " + JSON.stringify(echoedText);

  const bytes = new Uint8Array(256).map((_, i) => i);
  ws.send(bytes.buffer);
  const echoedBytes = await next();
  out.binary = echoedBytes instanceof ArrayBuffer && echoedBytes.byteLength === 256
      && new Uint8Array(echoedBytes).every((value, i) => value === i)
    ? "ok" : "got " + Object.prototype.toString.call(echoedBytes) + " of " + (echoedBytes.byteLength ?? echoedBytes.length);

  // Exactly 1 MiB of UTF-8: 74898 entries of 14 bytes (8 hex digits, "é", "☃", a newline), then 4 more.
  const bigText = Array.from({ length: 74898 }, (_, i) => (i * 2654435761 >>> 0).toString(16).padStart(8, "0") + "\u00e9\u2603\n")
    .join("") + "1MiB";
  ws.send(bigText);
  const echoedBigText = await next();
  out.bigText = echoedBigText === bigText ? "ok (" + new TextEncoder().encode(bigText).length + " bytes)"
    : "got " + (typeof echoedBigText === "string" ? echoedBigText.length + " characters" : "binary");

  const big = new Uint8Array(1 << 20);
  for (let offset = 0; offset < big.length; offset += 65536) crypto.getRandomValues(big.subarray(offset, offset + 65536));
  ws.send(big.buffer);
  const echoedBig = await next();
  const back = echoedBig instanceof ArrayBuffer ? new Uint8Array(echoedBig) : new Uint8Array(0);
  out.bigBinary = back.length === big.length && back.every((value, i) => value === big[i]) ? "ok"
    : "got " + back.length + " bytes";

  ws.close(4000, "browser bye \u2603");
  const event = await closed;
  out.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
  return out;
})()
"""

EVENTSOURCE_SCRIPT = r"""
(() => {
  const state = { ticks: [], errors: 0, shutdownClose: null, wsOpen: false };
  window.__interop = state;
  const source = new EventSource("/events?interop=1");
  source.addEventListener("tick", (event) => state.ticks.push([event.lastEventId, event.data]));
  source.onerror = () => { state.errors += 1; };
  const ws = new WebSocket("ws://" + location.host + "/kept-open");
  ws.onopen = () => { state.wsOpen = true; };
  ws.onclose = (event) => { state.shutdownClose = event.code; };
  return "started";
})()
"""

STATE = "JSON.stringify(window.__interop)"


class CDP:
    """A minimal DevTools protocol client: commands by id, events to listeners."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.listeners = []
        self.reader = asyncio.get_running_loop().create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if "id" in message:
                    future = self.pending.pop(message["id"], None)
                    if future and not future.done():
                        future.set_result(message)
                else:
                    for listener in self.listeners:
                        listener(message)
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(RuntimeError("the DevTools connection closed"))

    async def call(self, method, params=None, timeout=30):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        message = await asyncio.wait_for(future, timeout)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error'].get('message')}")
        return message["result"]

    async def evaluate(self, expression, timeout=30):
        result = await self.call(
            "Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True}, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise RuntimeError(f"page script failed: {text}")
        return result["result"].get("value")

    async def wait_until(self, expression, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if predicate(value):
                return value
            await asyncio.sleep(0.1)
        raise RuntimeError(f"timed out after {timeout} s waiting for {what} (last: {str(value)[:300]})")


async def start_chromium(suite, chromium, directory: Path):
    profile = directory / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    process = await suite.spawn(
        "chromium", chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--remote-debugging-port=0", f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-extensions", "--disable-component-update", "--disable-sync",
        "--mute-audio", "about:blank", new_session=True)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            port = int(port_file.read_text().split()[0])
            break
        if process.returncode is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError("chromium did not open its DevTools port within 30 s")

    def page_target():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        return next(target["webSocketDebuggerUrl"] for target in targets if target.get("type") == "page")

    for _ in range(50):
        try:
            return process, await asyncio.to_thread(page_target)
        except (OSError, StopIteration):
            await asyncio.sleep(0.1)
    raise RuntimeError("chromium has no page target")


async def stop_chromium(process):
    """Ends the browser and its helper processes (its own process group)."""
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 5)
        except (asyncio.TimeoutError, ProcessLookupError):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    await process.wait()


async def run(suite, group, chromium, directory: Path):
    from websockets.asyncio.client import connect

    server, port = await suite.start_faye_server("faye-server-browser", *SERVER_ARGUMENTS)
    servers = [server]
    browser = None
    cdp = None
    try:
        browser, target = await start_chromium(suite, chromium, directory)
        async with connect(target, max_size=None, ping_interval=None, proxy=None, compression=None) as ws:
            cdp = CDP(ws)
            await checks(suite, group, cdp, port, servers)
            if not all(result.ok for result in group.results):
                await screenshot(cdp, suite)
    except Exception as error:
        suite.report(group, "browser", False, f"{type(error).__name__}: {error}")
        if cdp is not None:
            try:
                await screenshot(cdp, suite)
            except Exception as screenshot_error:
                print(f"     [chromium] no screenshot: {screenshot_error}", flush=True)
    finally:
        if browser is not None:
            await stop_chromium(browser)
        for process in servers:
            await suite.stop(process)


async def screenshot(cdp, suite):
    data = await cdp.call("Page.captureScreenshot", {"format": "png"}, timeout=20)
    path = suite.log_dir.parent / "chromium-failure.png"
    path.write_bytes(base64.b64decode(data["data"]))
    text = await cdp.evaluate("document.body ? document.body.innerText : ''", timeout=10)
    print(f"     [chromium] screenshot saved to {path}; page text:\n{text}", flush=True)


async def checks(suite, group, cdp, port, servers):
    loaded = asyncio.get_running_loop().create_future()
    requests = {}

    def listener(message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Page.loadEventFired" and not loaded.done():
            loaded.set_result(True)
        elif method == "Network.requestWillBeSent":
            entry = requests.setdefault(params["requestId"], {"url": "", "headers": {}})
            entry["url"] = params["request"]["url"]
            entry["headers"].update({k.lower(): v for k, v in params["request"].get("headers", {}).items()})
        elif method == "Network.requestWillBeSentExtraInfo":
            entry = requests.setdefault(params["requestId"], {"url": "", "headers": {}})
            entry["headers"].update({k.lower(): v for k, v in params.get("headers", {}).items()})

    cdp.listeners.append(listener)
    for domain in ("Page", "Runtime", "Network"):
        await cdp.call(f"{domain}.enable")
    origin = f"http://127.0.0.1:{port}"
    await cdp.call("Page.navigate", {"url": origin + "/"})
    await asyncio.wait_for(loaded, 20)

    # The demo page's own WebSocket.
    started = time.monotonic()
    try:
        state = await cdp.wait_until(
            "({state: document.getElementById('ws-state').textContent, "
            "extensions: document.getElementById('ws-extensions').textContent, "
            "log: document.getElementById('ws-log').textContent})",
            lambda value: value and value["state"] == "open" and "text: hello from the browser" in value["log"],
            15, "the demo page's echo")
        suite.report(group, "demo page WebSocket echo", True,
                     f"the demo page opened its WebSocket (extensions '{state['extensions']}') and got its echo",
                     time.monotonic() - started)
    except Exception as error:
        suite.report(group, "demo page WebSocket echo", False, str(error), time.monotonic() - started)

    # The page script's WebSocket checks.
    started = time.monotonic()
    try:
        out = await cdp.evaluate(WEBSOCKET_SCRIPT, timeout=60)
    except Exception as error:
        for check in CHECKS[1:7]:
            suite.report(group, check, False, str(error), time.monotonic() - started)
    else:
        elapsed = time.monotonic() - started
        extensions = out.get("extensions", "")
        suite.report(group, "extensions include permessage-deflate", "permessage-deflate" in extensions,
                     f"WebSocket.extensions = '{extensions}'", elapsed)
        for check, key in (("echo text", "text"), ("echo binary ArrayBuffer", "binary"),
                           ("echo 1 MiB text", "bigText"), ("echo 1 MiB binary", "bigBinary")):
            value = out.get(key, "missing")
            suite.report(group, check, value.startswith("ok"), value, elapsed)
        close = out.get("close", {})
        ok = close.get("code") == 4000 and close.get("reason") == "browser bye \u2603" and close.get("wasClean")
        suite.report(group, "close code delivered", bool(ok),
                     f"closed with 4000: the close event reports {close.get('code')} '{close.get('reason')}', "
                     f"wasClean {close.get('wasClean')}", elapsed)

    # EventSource across a restart of faye-server.
    started = time.monotonic()
    await cdp.evaluate(EVENTSOURCE_SCRIPT)
    state = json.loads(await cdp.wait_until(
        STATE, lambda value: value and json.loads(value)["wsOpen"] and len(json.loads(value)["ticks"]) >= 5,
        15, "5 ticks"))
    ticks = state["ticks"]
    in_order = all(tick[0] == tick[1] == str(index + 1) for index, tick in enumerate(ticks))
    suite.report(group, "EventSource ticks in order", in_order,
                 f"ids {', '.join(tick[0] for tick in ticks)} with matching data", time.monotonic() - started)

    started = time.monotonic()
    old = servers[-1]
    old.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(old.wait(), 10)
    except asyncio.TimeoutError:
        suite.report(group, "close 1001 on server shutdown", False, "faye-server did not stop within 10 s of SIGTERM")
        old.kill()
        await old.wait()
    await asyncio.sleep(0.3)
    state = json.loads(await cdp.wait_until(
        STATE, lambda value: value and json.loads(value)["shutdownClose"] is not None, 5, "the close event"))
    last_before = state["ticks"][-1][0] if state["ticks"] else None
    count_before = len(state["ticks"])
    suite.report(group, "close 1001 on server shutdown", state["shutdownClose"] == 1001,
                 f"the open WebSocket's close event reports {state['shutdownClose']}", time.monotonic() - started)

    # Start again on the same port (the old socket may linger briefly).
    restarted = None
    for _ in range(50):
        try:
            restarted, _ = await suite.start_faye_server("faye-server-browser-restarted", *SERVER_ARGUMENTS, port=port)
            break
        except RuntimeError:
            await asyncio.sleep(0.1)
    if restarted is None:
        raise RuntimeError(f"faye-server could not be started again on port {port}")
    servers.append(restarted)
    started = time.monotonic()
    try:
        state = json.loads(await cdp.wait_until(
            STATE, lambda value: value and len(json.loads(value)["ticks"]) >= count_before + 5, 20,
            "5 ticks after the restart"))
    except Exception as error:
        suite.report(group, "EventSource reconnects with Last-Event-ID", False, str(error), time.monotonic() - started)
        suite.report(group, "EventSource ids continue without gap or repeat", False, "no ticks after the restart")
        return
    ids = [int(tick[0]) for tick in state["ticks"]]
    data_match = all(tick[0] == tick[1] for tick in state["ticks"])
    reconnects = [entry["headers"].get("last-event-id") for entry in requests.values()
                  if entry["url"].endswith("/events?interop=1") and "last-event-id" in entry["headers"]]
    suite.report(group, "EventSource reconnects with Last-Event-ID", last_before in reconnects,
                 f"the reconnection sent Last-Event-ID {', '.join(reconnects) or 'none'}; last id before the "
                 f"restart {last_before}", time.monotonic() - started)
    contiguous = ids == list(range(1, len(ids) + 1))
    suite.report(group, "EventSource ids continue without gap or repeat", contiguous and data_match,
                 f"{count_before} ids before the restart, {len(ids) - count_before} after: "
                 f"{ids[count_before - 1:count_before + 2]} around it; 1..{len(ids)} "
                 f"{'contiguous' if contiguous else 'NOT contiguous: ' + str(ids)}", time.monotonic() - started)
