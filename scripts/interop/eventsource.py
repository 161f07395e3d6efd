"""The eventsource group: our EventSource client, `faye-eventsource`, against Server-Sent Events
servers nobody here wrote, and across a restart of faye-server.

  1. sse-starlette on uvicorn (sse_server.py): exact parsing with every line ending, comments and
     a data-less block ignored; resumption with Last-Event-ID across streams the server ends, after
     the server's `retry`; --last-event-id; 204, text/plain, 500, 401; a POST stream with a JSON
     body and a bearer token, as an LLM API streams tokens, which is not sent again once it ended.
  2. faye-server's `tick` stream: faye-server is stopped (SIGTERM) after about 15 events and
     started again on the same port; the ids must go on 1..40 without a gap or a repeat.
  3. TLS and proxies: faye-server over https with a certificate from the run's CA (trusted with
     --ca-file, refused by the system's trust, accepted with --insecure), and through a tinyproxy
     of its own that asks for Basic credentials (http: and https: through its CONNECT tunnel; no
     credentials: the 407 is fatal). tinyproxy's log must show each CONNECT.

Each run of the tool has its own timeout; its stdout must be JSON lines
{"type": ..., "data": ..., "id": ...}.
"""
import asyncio
import json
import signal
import socket
import sys
import time
from pathlib import Path

from sse_server import EVENTS, LLM_TOKEN, TICK_RETRY_MS, TICKS_PER_STREAM, llm_tokens, tick_data

PARSE_CHECKS = {sep: f"events parsed exactly ({sep.upper()})" for sep in ("crlf", "lf", "cr")}
SSE_CHECKS = list(PARSE_CHECKS.values()) + [
    "resume across stream ends without gap or repeat",
    "retry field honoured",
    "--last-event-id honoured",
    "204 stops without reconnecting",
    "text/plain refused",
    "500 refused",
    "POST stream: tokens in order",
    "POST stream not sent again after it ends",
    "POST without the bearer token refused",
]
RESUME_EVENTS = 25  # across several streams of TICKS_PER_STREAM events
LLM_PROMPT = "stream me a haiku \u2603"
RESTART_AFTER = 15  # events before faye-server is stopped
RESTART_TOTAL = 40
RESTART_SERVER_ARGUMENTS = ["--sse-interval", "50", "--sse-retry", "1"]
RESTART_CHECKS = [
    f"ids 1..{RESTART_TOTAL} across a server restart",
    "disconnection reported on stderr",
]

TLS_PROXY_CHECKS = [
    "https with --ca-file",
    "https untrusted refused",
    "https --insecure",
    "through tinyproxy with credentials",
    "https through tinyproxy with credentials",
    "proxy without credentials refused",
]
TLS_PROXY_EVENTS = 3
TLS_PROXY_SERVER_ARGUMENTS = ["--sse-interval", "50"]
PROXY_CREDENTIALS = ("interop", "s3cret")  # tinyproxy's BasicAuth

# What the tool must print for GET /events: the default type is "message", an event without an
# id keeps the last one in force.
EXPECTED_EVENTS = []
for _kind, _data, _id in EVENTS:
    _last_id = _id if _id is not None else _last_id
    EXPECTED_EVENTS.append({"type": _kind or "message", "data": _data, "id": _last_id})

HERE = Path(__file__).resolve().parent


class Run:
    """One finished run of faye-eventsource: exit status (None when it ran over its timeout and
    was killed), the JSON lines it printed (and when each arrived, time.monotonic()), its stderr,
    and how long it took."""

    def __init__(self, returncode, events, arrivals, unparsable, stderr, seconds):
        self.returncode = returncode
        self.events = events
        self.arrivals = arrivals
        self.unparsable = unparsable
        self.stderr = stderr
        self.seconds = seconds

    def status(self):
        """A short account for a check's detail."""
        if self.returncode is None:
            exit_text = "killed after its timeout"
        elif self.returncode < 0:
            try:
                exit_text = f"crashed ({signal.Signals(-self.returncode).name})"
            except ValueError:
                exit_text = f"killed by signal {-self.returncode}"
        else:
            exit_text = f"exit {self.returncode}"
        text = f"{exit_text}, {len(self.events)} events"
        if self.unparsable:
            text += f", unparsable stdout {self.unparsable[:2]!r}"
        message = self.stderr.strip().splitlines()
        # A crash ends its stderr with a backtrace: its fatal error line says more.
        fatal = [line for line in message if "Fatal error" in line]
        if fatal or message:
            text += f", stderr: {(fatal or message)[-1][:300]!r}"
        return text


class Tool:
    """Runs faye-eventsource as a separate process, its stderr in the run's log directory."""

    def __init__(self, suite):
        self.suite = suite
        self.count = 0

    async def start(self, name, *arguments):
        self.count += 1
        log_name = f"faye-eventsource-{self.count:02d}-{name}"
        process = await self.suite.spawn(log_name, str(self.suite.bin_dir / "faye-eventsource"), *arguments)
        return process, self.suite.log_dir / f"{log_name}.stderr"

    async def run(self, name, *arguments, timeout=10.0, on_event=None):
        """Runs the tool to its end (or its timeout); on_event(events) is awaited after each line."""
        started = time.monotonic()
        process, stderr_path = await self.start(name, *arguments)
        events, arrivals, unparsable = [], [], []

        async def read():
            while line := await process.stdout.readline():
                try:
                    events.append(json.loads(line))
                    arrivals.append(time.monotonic())
                except ValueError:
                    unparsable.append(line)
                    continue
                if on_event is not None:
                    await on_event(events)
            await process.wait()

        try:
            await asyncio.wait_for(read(), timeout)
            returncode = process.returncode
        except asyncio.TimeoutError:
            returncode = None
        finally:
            await self.suite.stop(process, grace=1)
        return Run(returncode, events, arrivals, unparsable, stderr_path.read_text(errors="replace"),
                   time.monotonic() - started)


def first_difference(got, expected):
    """Where two event lists part, for a failure's detail."""
    for index, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return f"event {index + 1}: got {a!r}, expected {b!r}"
    if len(got) != len(expected):
        return f"got {len(got)} events, expected {len(expected)}"
    return "identical"


def id_differences(ids, expected):
    """The gaps and repeats in a list of ids, for a failure's detail."""
    missing = [i for i in expected if i not in ids]
    repeated = sorted({i for i in ids if ids.count(i) > 1}, key=ids.index)
    unexpected = [i for i in ids if i not in expected]
    parts = [f"got {len(ids)} ids, expected {expected[0]}..{expected[-1]}" if expected else f"got {len(ids)} ids"]
    for name, values in (("missing", missing), ("repeated", repeated), ("unexpected", unexpected)):
        if values:
            parts.append(f"{name} {', '.join(map(str, values[:10]))}{' ...' if len(values) > 10 else ''}")
    if len(parts) == 1 and ids != expected:
        parts.append("out of order")
    return "; ".join(parts)


# MARK: sse-starlette


async def against_sse_starlette(suite, group, python):
    """faye-eventsource against sse_server.py (sse-starlette on uvicorn)."""
    process, port, server_events, collector = await suite.start_peer_server(
        "sse-starlette-server", [python, str(HERE / "sse_server.py")])
    base = f"http://127.0.0.1:{port}"
    tool = Tool(suite)

    async def requests_during(coroutine, path, settle=0.1):
        """Runs one tool run; returns it with the requests that the server logged for `path` meanwhile
        and within `settle` seconds after (its request lines are read from its stdout concurrently)."""
        mark = len(server_events)
        result = await coroutine
        await asyncio.sleep(settle)
        seen = [event for event in server_events[mark:] if event.get("event") == "request" and event["path"] == path]
        return result, seen

    try:
        # Every line ending; comments (one explicit, keep-alive pings) and a data-less block in between.
        for sep, check in PARSE_CHECKS.items():
            result = await tool.run(f"events-{sep}", f"{base}/events?sep={sep}",
                                    "--max-events", str(len(EXPECTED_EVENTS)))
            ok = result.returncode == 0 and result.events == EXPECTED_EVENTS and not result.unparsable
            detail = (f"{len(result.events)} events with the expected type, data (multi-line, empty lines, leading "
                      f"spaces, tab, non-ASCII, JSON) and last event ID; comments and a retry-only block ignored"
                      if ok else f"{result.status()}; {first_difference(result.events, EXPECTED_EVENTS)}")
            suite.report(group, check, ok, detail, result.seconds)

        # The server ends each /ticks stream after TICKS_PER_STREAM events (retry: 100 ms).
        check = "resume across stream ends without gap or repeat"
        result, seen = await requests_during(
            tool.run("ticks-resume", f"{base}/ticks", "--max-events", str(RESUME_EVENTS)), "/ticks")
        expected = [{"type": "tick", "data": tick_data(n), "id": str(n)} for n in range(1, RESUME_EVENTS + 1)]
        sent_ids = [event["last_event_id"] for event in seen]
        expected_ids = [None] + [str(n) for n in range(TICKS_PER_STREAM, RESUME_EVENTS, TICKS_PER_STREAM)]
        ok = result.returncode == 0 and result.events == expected and sent_ids == expected_ids
        detail = (f"ids 1..{RESUME_EVENTS} with their two-line data over {len(seen)} streams; "
                  f"Last-Event-ID sent: {', '.join(map(str, sent_ids))}")
        if not ok:
            detail = (f"{result.status()}; {first_difference(result.events, expected)}; "
                      f"Last-Event-ID sent: {sent_ids}, expected {expected_ids}")
        suite.report(group, check, ok, detail, result.seconds)

        # Each stream starts with `retry: 100`: the first reconnection must wait about that, far
        # less than the default 3 s (less at most 25 % jitter). Later waits are only reported.
        check = "retry field honoured"
        waits = [round(1000 * (result.arrivals[index] - result.arrivals[index - 1]))
                 for index in range(TICKS_PER_STREAM, len(result.arrivals), TICKS_PER_STREAM)]
        ok = bool(waits) and all(wait < 1000 for wait in waits)
        suite.report(group, check, ok,
                     f"from the last event of a stream to the first of the next: {', '.join(map(str, waits))} ms "
                     f"(retry: {TICK_RETRY_MS} ms; the default reconnection time is 3 s)" if waits else
                     f"no reconnection to measure: {result.status()}", 0.0)

        check = "--last-event-id honoured"
        result, seen = await requests_during(
            tool.run("ticks-last-event-id", f"{base}/ticks", "--last-event-id", "100", "--max-events", "3"), "/ticks")
        expected = [{"type": "tick", "data": tick_data(n), "id": str(n)} for n in (101, 102, 103)]
        sent_ids = [event["last_event_id"] for event in seen]
        ok = result.returncode == 0 and result.events == expected and sent_ids == ["100"]
        detail = f"sent Last-Event-ID {sent_ids}; got ids {[event.get('id') for event in result.events]}"
        if not ok:
            detail += f"; {result.status()}; {first_difference(result.events, expected)}"
        suite.report(group, check, ok, detail, result.seconds)

        # 204: exit 0, nothing printed, no second request (a reconnection would be one).
        check = "204 stops without reconnecting"
        result, seen = await requests_during(tool.run("nocontent", f"{base}/nocontent"), "/nocontent")
        ok = result.returncode == 0 and not result.events and not result.unparsable and len(seen) == 1
        suite.report(group, check, ok, f"{result.status()}; {len(seen)} request(s) to the server", result.seconds)

        # Fatal answers: a non-zero exit with a message that names the cause, and no retry.
        for check, path, needle in (
            ("text/plain refused", "/notsse", "text/plain"),
            ("500 refused", "/error", "500"),
            ("POST without the bearer token refused", "/llm", "401"),
        ):
            arguments = [f"{base}{path}"]
            if path == "/llm":
                arguments += ["--header", "Content-Type: application/json", "--data", json.dumps({"prompt": "hi"})]
            result, seen = await requests_during(tool.run(path.strip("/"), *arguments), path)
            ok = (result.returncode not in (0, None) and not result.events and needle in result.stderr
                  and len(seen) == 1)
            detail = f"{result.status()}; {len(seen)} request(s) to the server"
            if not ok and needle not in result.stderr:
                detail += f"; the message does not mention {needle!r}"
            suite.report(group, check, ok, detail, result.seconds)

        # The LLM-style POST. With --max-events equal to the number of events the tool exits 0 as
        # soon as [DONE] arrived: deterministic whatever it does once the stream has ended.
        tokens = llm_tokens(LLM_PROMPT)
        expected = ([{"type": "token", "data": json.dumps({"index": i, "token": t}, ensure_ascii=False), "id": ""}
                     for i, t in enumerate(tokens)] + [{"type": "done", "data": "[DONE]", "id": ""}])
        body = json.dumps({"prompt": LLM_PROMPT}, ensure_ascii=False)
        post = ["--header", f"Authorization: Bearer {LLM_TOKEN}", "--header", "Content-Type: application/json",
                "--data", body]
        check = "POST stream: tokens in order"
        result, seen = await requests_during(
            tool.run("llm", f"{base}/llm", *post, "--max-events", str(len(expected))), "/llm")
        received = [(event["method"], event["authorization"], event["content_type"], event["body"]) for event in seen]
        ok = (result.returncode == 0 and result.events == expected
              and received == [("POST", f"Bearer {LLM_TOKEN}", "application/json", body)])
        detail = (f"{len(tokens)} token events in order, then [DONE]; the server got one POST with the bearer "
                  f"token, application/json and the body" if ok else
                  f"{result.status()}; {first_difference(result.events, expected)}; the server received {received}")
        suite.report(group, check, ok, detail, result.seconds)

        # Without --max-events: once the POST stream ended, the tool must stop by itself (with a
        # non-zero exit: the stream could not go on) and the server must see a single POST.
        check = "POST stream not sent again after it ends"
        result, seen = await requests_during(tool.run("llm-ended", f"{base}/llm", *post, timeout=8), "/llm",
                                          settle=0.5)  # a late second POST would show too
        ok = result.returncode not in (0, None) and result.events == expected and len(seen) == 1
        suite.report(group, check, ok, f"{result.status()}; {len(seen)} POST(s) to the server", result.seconds)
    finally:
        await suite.stop(process)
        await collector


# MARK: faye-server restart


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def across_faye_server_restart(suite, group):
    """--max-events 40 against faye-server's ticks; faye-server stopped after ~15 and started again
    on the same port. faye-server resumes from Last-Event-ID + 1, so the ids must be 1..40."""
    for _ in range(5):  # the port is picked free here, and could be taken before faye-server binds it
        port = free_port()
        try:
            server, _ = await suite.start_faye_server("faye-server-eventsource", *RESTART_SERVER_ARGUMENTS,
                                                      port=port, binary="faye-server")
            break
        except RuntimeError:
            continue
    else:
        raise RuntimeError("faye-server could not be started on a free port")
    servers = [server]
    # The tool's events so far, how many when the first faye-server had exited, the restart task,
    # what went wrong.
    restart = {"events": [], "before": None, "task": None, "error": None}

    async def restart_server():
        old = servers[-1]
        old.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(old.wait(), 10)
        except asyncio.TimeoutError:
            restart["error"] = "faye-server did not stop within 10 s of SIGTERM"
            await suite.stop(old, grace=0)
        restart["before"] = len(restart["events"])
        # The same port again (the old socket may linger briefly).
        for _ in range(50):
            try:
                restarted, _ = await suite.start_faye_server("faye-server-eventsource-restarted",
                                                             *RESTART_SERVER_ARGUMENTS, port=port,
                                                             binary="faye-server")
                servers.append(restarted)
                return
            except RuntimeError:
                await asyncio.sleep(0.1)
        restart["error"] = f"faye-server could not be started again on port {port}"

    async def on_event(events):
        # The restart runs beside the reading of the tool's output, which goes on meanwhile.
        restart["events"] = events
        if len(events) == RESTART_AFTER and restart["task"] is None:
            restart["task"] = asyncio.get_running_loop().create_task(restart_server())

    try:
        result = await Tool(suite).run("faye-server-restart", f"http://127.0.0.1:{port}/events",
                                    "--max-events", str(RESTART_TOTAL), timeout=30, on_event=on_event)
        if restart["task"] is not None:
            await restart["task"]
    finally:
        if restart["task"] is not None and not restart["task"].done():
            restart["task"].cancel()
        for process in servers:
            await suite.stop(process)

    ids = [event.get("id") for event in result.events]
    well_formed = all(event.get("type") == "tick" and event.get("data") == event.get("id") for event in result.events)
    expected = [str(n) for n in range(1, RESTART_TOTAL + 1)]
    ok = result.returncode == 0 and ids == expected and well_formed and restart["error"] is None and len(servers) == 2
    before = restart["before"] or 0
    detail = (f"{before} events before faye-server was restarted on port {port}, {len(ids) - before} after; ids "
              f"{ids[max(before - 2, 0):before + 2]} around it; 1..{RESTART_TOTAL} contiguous, type tick, data = id")
    if not ok:
        detail = f"{result.status()}; {restart['error'] or 'restarted'}; {id_differences(ids, expected)}"
        if not well_formed:
            detail += "; some events are not a tick with data = id"
    suite.report(group, RESTART_CHECKS[0], ok, detail, result.seconds)

    reported = [line for line in result.stderr.splitlines() if line.endswith("; reconnecting")]
    suite.report(group, "disconnection reported on stderr", bool(reported),
                 f"{len(reported)} line(s): {reported[0][:160]!r}" if reported else
                 f"no stderr line ends in '; reconnecting' (stderr: {result.stderr.strip()[-200:]!r})", 0.0)


# MARK: TLS and proxy


def ticks(count):
    """faye-server's stream from a fresh connection."""
    return [{"type": "tick", "data": str(n), "id": str(n)} for n in range(1, count + 1)]


async def over_tls_and_proxy(suite, group, pki, start_proxy):
    """faye-eventsource to faye-server over https (the run's CA: pki/ca.pem, the server's certificate
    pki/localhost.pem valid for localhost and 127.0.0.1) and through a tinyproxy with Basic
    credentials, started here by start_proxy(credentials) -> (process, "http://127.0.0.1:PORT", log)."""
    ca = str(pki / "ca.pem")
    tls = ["--tls-cert", str(pki / "localhost.pem"), "--tls-key", str(pki / "localhost.key")]
    tool = Tool(suite)
    processes = []
    try:
        https_server, https_port = await suite.start_faye_server(
            "faye-server-eventsource-https", *tls, *TLS_PROXY_SERVER_ARGUMENTS, binary="faye-server")
        processes.append(https_server)
        http_server, http_port = await suite.start_faye_server(
            "faye-server-eventsource-http", *TLS_PROXY_SERVER_ARGUMENTS, binary="faye-server")
        processes.append(http_server)
        https_url, http_url = f"https://127.0.0.1:{https_port}/", f"http://127.0.0.1:{http_port}/"
        max_events = ["--max-events", str(TLS_PROXY_EVENTS)]
        expected = ticks(TLS_PROXY_EVENTS)

        def received(result, what):
            ok = result.returncode == 0 and result.events == expected and not result.unparsable
            detail = (f"ids {', '.join(event['id'] for event in result.events)}, {what}" if ok else
                      f"{result.status()}; {first_difference(result.events, expected)}")
            return ok, detail

        def refused(result, needle):
            ok = result.returncode == 1 and not result.events and not result.unparsable and needle in result.stderr
            detail = result.status()
            if result.returncode == 1 and needle not in result.stderr:
                detail += f"; the message does not mention {needle!r}"
            return ok, detail

        check = "https with --ca-file"
        result = await tool.run("https-ca-file", https_url, "--ca-file", ca, *max_events)
        ok, detail = received(result, "the certificate verified against the run's CA")
        suite.report(group, check, ok, detail, result.seconds)

        # The system's trust does not know the run's CA: a verification failure, and no retry.
        check = "https untrusted refused"
        result = await tool.run("https-untrusted", https_url, *max_events)
        ok, detail = refused(result, "certificate verify failed")
        suite.report(group, check, ok, detail, result.seconds)

        check = "https --insecure"
        result = await tool.run("https-insecure", https_url, "--insecure", *max_events)
        ok, detail = received(result, "the certificate not verified")
        suite.report(group, check, ok, detail, result.seconds)

        user, password = PROXY_CREDENTIALS
        proxy_process, proxy_url, proxy_log = await start_proxy(PROXY_CREDENTIALS)
        processes.append(proxy_process)
        authenticated = proxy_url.replace("http://", f"http://{user}:{password}@", 1)

        async def connects(port, mark, settle=0.2):
            """The CONNECT requests to 127.0.0.1:port that tinyproxy logged after `mark` characters."""
            await asyncio.sleep(settle)  # tinyproxy writes its log line as it reads the request
            text = proxy_log.read_text(errors="replace")[mark:] if proxy_log.exists() else ""
            return sum(1 for line in text.splitlines() if f"CONNECT 127.0.0.1:{port} " in line)

        def log_mark():
            return len(proxy_log.read_text(errors="replace")) if proxy_log.exists() else 0

        for check, name, url, port, extra, what in (
            ("through tinyproxy with credentials", "proxy-http", http_url, http_port, [], "http:"),
            ("https through tinyproxy with credentials", "proxy-https", https_url, https_port, ["--ca-file", ca],
             "https: with --ca-file"),
        ):
            mark = log_mark()
            result = await tool.run(name, url, "--proxy", authenticated, *extra, *max_events)
            tunnels = await connects(port, mark)
            ok, detail = received(result, f"{what} through tinyproxy's CONNECT tunnel (Basic credentials)")
            if tunnels < 1:
                ok, detail = False, f"{detail}; tinyproxy logged no CONNECT to port {port}"
            suite.report(group, check, ok, detail, result.seconds)

        # Without credentials tinyproxy answers 407: fatal, so a single CONNECT.
        check = "proxy without credentials refused"
        mark = log_mark()
        result = await tool.run("proxy-no-credentials", http_url, "--proxy", proxy_url, *max_events)
        tunnels = await connects(http_port, mark, settle=0.5)  # a retry would show too
        ok, detail = refused(result, "407")
        detail += f"; {tunnels} CONNECT(s) logged by tinyproxy"
        if tunnels != 1:
            ok = False
        suite.report(group, check, ok, detail, result.seconds)
    finally:
        for process in processes:
            await suite.stop(process)


async def run(suite, sse_group, restart_group, tls_group=None, pki=None, start_proxy=None):
    """Every part; one that cannot start fails its own group only."""
    for group, part in ((sse_group, lambda: against_sse_starlette(suite, sse_group, sys.executable)),
                        (restart_group, lambda: across_faye_server_restart(suite, restart_group)),
                        (tls_group, lambda: over_tls_and_proxy(suite, tls_group, pki, start_proxy))):
        if group is None:
            continue
        try:
            await part()
        except Exception as error:
            suite.report(group, "setup", False, f"{type(error).__name__}: {error}")
