#!/usr/bin/env python3
"""The deployment suite: faye-server behind the reverse proxies of Docs/Deployment.md, on loopback.

  deploy/nginx     nginx (Debian nginx-light) from nginx.conf.in in front of one faye-server:
                   /healthz, a WebSocket echo with permessage-deflate (and the server's metrics
                   proving the compression on the wire), an idle WebSocket kept open past
                   proxy_read_timeout by the server's pings, an EventSource whose ticks arrive
                   one by one (no buffering), and the client's address through X-Forwarded-For.
  deploy/haproxy   HAProxy from haproxy.cfg.in in front of two faye-servers (round robin, health
                   check GET /healthz, PROXY protocol v2): echo with permessage-deflate, an
                   EventSource, and the client's address through the PROXY v2 header.
  deploy/direct    clients straight to faye-server: forwarded fields from an untrusted peer are
                   ignored; a trusted peer must start with a PROXY header (v1 honoured; none:
                   closed with nothing served); an untrusted peer needs none.
  deploy/rolling-restart
                   the same HAProxy: 4 WebSocket and 4 EventSource clients, instance A gets
                   SIGTERM (--drain-delay 1): its health check takes it out of rotation while it
                   still serves, its WebSockets close with 1001 and come back on B, its
                   EventSource streams end with `retry: 1000` and resume on B from Last-Event-ID
                   (ids with no gap and no repeat), A exits in time, then A starts again and
                   takes new connections.

The client-identity checks need faye-server's --trust-proxy and --proxy-protocol; a faye-server
without them fails those checks ("not implemented yet") and runs the others without the options
(HAProxy then without send-proxy-v2).

The client side is on 127.0.0.2 (and 127.0.0.3 for the untrusted one): Linux routes all of
127.0.0.0/8 to the loopback interface. Every process runs in a temporary directory, on ports
picked free, and is stopped before the run ends. One line per check; exit status 1 on any
failure, on a check that did not report, or on a missing nginx or haproxy.

usage: deploy.py --bin-dir DIR [--only GROUP[,GROUP]] [--timeout SECONDS] [--keep]
  GROUP: nginx, haproxy, direct, rolling-restart (each is deploy/GROUP)
  --keep  keep the temporary directory (logs, rendered configurations) even when all passed

Also a module: interop.py's `deploy` group calls run() with a reporter of its own.
"""
from __future__ import annotations

import argparse
import asyncio
import codecs
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# MARK: what is checked

NGINX = "deploy/nginx"
HAPROXY = "deploy/haproxy"
DIRECT = "deploy/direct"
ROLLING = "deploy/rolling-restart"

NGINX_CHECKS = [
    "Docs/Deployment.md shows nginx.conf.in verbatim",
    "healthz through nginx",
    "echo with permessage-deflate",
    "deflate on the wire (server metrics)",
    "idle WebSocket outlives proxy_read_timeout (server pings)",
    "EventSource ticks unbuffered",
    "client identity: WebSocket via X-Forwarded-For",
    "client identity: EventSource via X-Forwarded-For",
    "client identity: X-Forwarded-For sent by the client not believed",
]
HAPROXY_CHECKS = [
    "Docs/Deployment.md shows haproxy.cfg.in verbatim",
    "both instances healthy (checks with PROXY v2)",
    "echo with permessage-deflate",
    "EventSource ticks",
    "client identity: WebSocket via PROXY v2",
    "client identity: EventSource via PROXY v2",
    "connection log line names the PROXY v2 address",
]
DIRECT_CHECKS = [
    "forwarded fields from an untrusted client ignored (WebSocket)",
    "forwarded fields from an untrusted client ignored (EventSource)",
    "trusted peer without PROXY header closed, nothing served",
    "untrusted peer served without PROXY header",
    "PROXY v1 header from a trusted peer honoured",
]
ROLLING_CHECKS = [
    "clients spread over both instances",
    "A out of rotation by its health check during the drain",
    "A keeps serving during the drain delay",
    "WebSocket clients on A closed with 1001",
    "WebSocket clients reconnect to B and echo",
    "EventSource streams on A end with retry: 1000",
    "EventSource ids consecutive across the restart",
    "A exits within drain delay + grace",
    "A restarted takes traffic again",
]
# key: (peer, role, checks, the Debian programs it needs)
GROUPS = {
    NGINX: ("nginx", "reverse proxy → faye-server (WebSocket, EventSource, X-Forwarded-For)", NGINX_CHECKS,
            ("nginx",)),
    HAPROXY: ("HAProxy", "load balancer → 2 faye-servers (health check, PROXY v2)", HAPROXY_CHECKS, ("haproxy",)),
    DIRECT: ("faye-server alone", "--trust-proxy/--proxy-protocol against clients straight to it", DIRECT_CHECKS,
             ()),
    ROLLING: ("HAProxy", "rolling restart of 1 of 2 faye-servers under 8 clients", ROLLING_CHECKS, ("haproxy",)),
}
# The identity checks: they need --trust-proxy and --proxy-protocol.
IDENTITY_CHECKS = {
    NGINX: [name for name in NGINX_CHECKS if name.startswith("client identity")],
    HAPROXY: [name for name in HAPROXY_CHECKS if "identity" in name or "PROXY v2 address" in name],
    DIRECT: list(DIRECT_CHECKS),
}
NOT_IMPLEMENTED = "not implemented yet: this faye-server's --help lists no --trust-proxy/--proxy-protocol"

CLIENT_ADDRESS = "127.0.0.2"  # the client behind the proxies
UNTRUSTED_ADDRESS = "127.0.0.3"  # a client straight to faye-server, claiming to be someone else
SPOOFED_ADDRESS = "203.0.113.9"  # what it claims (a documentation address, only ever in a header)
PROXY_V1_CLIENT = ("198.51.100.7", 40001)  # the client a hand-made PROXY v1 header names
PROXY_ADDRESS = "127.0.0.1"  # nginx and HAProxy connect from here: faye-server's --trust-proxy

SSE_INTERVAL_MS = 100
PROMPT_TICKS, PROMPT_SECONDS = 3, 1.0  # 3 ticks at 100 ms must arrive within a second
PING_SECONDS = 1  # faye-server --ping behind nginx
NGINX_READ_TIMEOUT = 3  # seconds: longer than the ping interval, shorter than the idle wait
IDLE_SECONDS = 4.5
DRAIN_DELAY = 1.0
SSE_RETRY_SECONDS = 1
SHUTDOWN_RETRY_MS = 1000  # the final retry: of a graceful shutdown (FayeServer's shutdownRetryHint)
GRACE_SECONDS = 5.0  # FayeServer's shutdownGracePeriod
EXIT_SLACK = 2.0
ROLLING_ARGUMENTS = ["--drain-delay", str(DRAIN_DELAY), "--sse-interval", str(SSE_INTERVAL_MS),
                     "--sse-retry", str(SSE_RETRY_SECONDS)]
ROLLING_CLIENTS = 4  # of each kind
CHECK_TIMEOUT = 20.0
HEALTHY = "UP (L7OK 200)"  # HAProxy's stats for a server whose last health check got 200
IDENTITY_LINE = re.compile(r"(websocket|eventsource) from (?P<client>\S+) ")


# MARK: reporting


class PrintingReporter:
    """The standalone reporter: one line per check, in interop.py's format."""

    def __init__(self, groups=None):
        """`groups`: the table of expected checks (this module's GROUPS unless given)."""
        self.groups = GROUPS if groups is None else groups
        self.results: dict[str, list[tuple[str, bool, str]]] = {}

    def report(self, key, check, ok, detail, seconds=0.0):
        self.results.setdefault(key, []).append((check, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'} [{key}] {check}: {detail} ({seconds:.2f} s)", flush=True)

    def finish(self, keys):
        """An expected check that did not report is a failure."""
        for key in keys:
            reported = {check for check, _, _ in self.results.get(key, [])}
            for check in self.groups[key][2]:
                if check not in reported:
                    self.report(key, check, False, "did not run (no result reported)")

    def counts(self):
        results = [ok for group in self.results.values() for _, ok, _ in group]
        return sum(results), len(results) - sum(results)


# MARK: versions


def detect_versions():
    """{"nginx": "1.22.1 (nginx-light)", "haproxy": "2.6.12-1+deb12u4"}, None for a missing one."""
    versions = {"nginx": None, "haproxy": None}
    nginx, haproxy = find_program("nginx"), find_program("haproxy")
    if nginx:
        text = run_quietly([nginx, "-v"])  # "nginx version: nginx/1.22.1" on stderr
        match = re.search(r"nginx/(\S+)", text or "")
        if match:
            versions["nginx"] = match.group(1)
            package = debian_package_of(nginx)
            if package:
                versions["nginx"] += f" ({package})"
    if haproxy:
        match = re.search(r"HAProxy version (\S+)", run_quietly([haproxy, "-v"]) or "")
        versions["haproxy"] = match and match.group(1)
    return versions


def find_program(name):
    for path in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def run_quietly(command):
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return output.stdout + output.stderr


def debian_package_of(path):
    """The nginx flavour (nginx-light, nginx-full, ...) that ships `path`, when dpkg knows."""
    text = run_quietly(["dpkg-query", "-S", os.path.realpath(path)]) or ""
    package = text.split(":", 1)[0].strip() if ":" in text else ""
    for flavour in ("nginx-light", "nginx-full", "nginx-extras", "nginx-core"):
        status = run_quietly(["dpkg-query", "-W", "-f=${Status}", flavour]) or ""
        if status.startswith("install ok installed"):
            return flavour
    return package or None


MISSING_HINTS = {"nginx": "apt-get install nginx-light (scripts/setup.sh)",
                 "haproxy": "apt-get install haproxy (scripts/setup.sh)"}


# MARK: processes


@dataclass
class Server:
    """A running faye-server: its process, ports and log (stderr)."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    log: Path
    arguments: list
    metrics_port: int | None = None

    def mark(self):
        return self.log.stat().st_size if self.log.exists() else 0

    def lines_since(self, mark):
        with open(self.log, "rb") as file:
            file.seek(mark)
            return file.read().decode(errors="replace").splitlines()


class Processes:
    """Every process a run starts; stop_all() ends what is left. `registry` (interop.py's list)
    sees them too, for the suite's last-resort kill."""

    def __init__(self, log_dir: Path, registry=None):
        self.log_dir = log_dir
        self.running: list[asyncio.subprocess.Process] = []
        self.registry = registry

    async def spawn(self, name, *command, stdout_path=None):
        """Starts `command` with its stderr (and stdout, unless `stdout_path`) in NAME.stderr."""
        log = self.log_dir / f"{name}.stderr"
        with open(log, "ab") as handle, open(stdout_path or os.devnull, "ab") as out:
            process = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.DEVNULL, stdout=out if stdout_path else handle, stderr=handle)
        self.running.append(process)
        if self.registry is not None:
            self.registry.append(process)
        return process, log

    async def stop(self, process, grace=3.0, sig=signal.SIGTERM):
        if process.returncode is None:
            try:
                process.send_signal(sig)
                await asyncio.wait_for(process.wait(), grace)
            except asyncio.TimeoutError:
                try:
                    process.kill()
                except ProcessLookupError:
                    pass
                await process.wait()
            except ProcessLookupError:
                pass
        for collection in (self.running, self.registry):
            if collection is not None and process in collection:
                collection.remove(process)

    async def stop_all(self):
        await asyncio.gather(*(self.stop(process, grace=DRAIN_DELAY + GRACE_SECONDS)
                               for process in list(self.running)))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_for_port(port, process, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.returncode is None:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return True
        except OSError:
            await asyncio.sleep(0.05)
    return False


def render(template: str, values: dict, drop=()) -> str:
    """The template with every @NAME@ replaced; `drop` removes text (HAProxy's PROXY options for a
    faye-server without --proxy-protocol). A placeholder left over is an error."""
    text = (HERE / template).read_text()
    for fragment in drop:
        if fragment not in text:
            raise RuntimeError(f"{template}: {fragment!r} is not in the template")
        text = text.replace(fragment, "")
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if left:
        raise RuntimeError(f"{template}: no value for {', '.join(left)}")
    return text


# MARK: HTTP and EventSource by hand


def request_bytes(path="/", host="127.0.0.1", headers=()):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{name}: {value}" for name, value in headers),
             "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_head(reader):
    """Status code and header fields (lower-case names) of an HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"not an HTTP response: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def http_get(port, path="/", headers=(), local_address=None, timeout=5.0):
    """(status, headers, body) of one GET that closes its connection."""
    async def exchange():
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=(local_address, 0) if local_address else None)
        try:
            writer.write(request_bytes(path, f"127.0.0.1:{port}", headers))
            status, fields = await read_head(reader)
            body = b"".join([chunk async for chunk in body_chunks(reader, fields)])
            return status, fields, body
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


async def body_chunks(reader, headers):
    """A response body as it arrives: chunked, or up to the end of the connection."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return
            try:
                data = await reader.readexactly(size)
            except asyncio.IncompleteReadError as error:
                if error.partial:
                    yield error.partial
                return
            await reader.readline()
            yield data
    else:
        while data := await reader.read(1 << 16):
            yield data


@dataclass
class Event:
    type: str
    data: str
    id: str | None
    at: float
    connection: int


@dataclass
class Connection:
    """One HTTP request of an EventSource client."""

    opened: float
    last_event_id: str | None  # what it sent as Last-Event-ID
    local_port: int = 0
    status: int | None = None
    served_by: str | None = None
    ended: float | None = None
    last_field: tuple | None = None  # the last field line of the stream, e.g. ("retry", "1000")
    error: str | None = None


class EventSourceClient:
    """A small EventSource client after the WHATWG HTML standard's "server-sent events": GET with
    Accept: text/event-stream, events parsed from CRLF, LF or CR lines, `id` kept as the last event
    ID, `retry` as the reconnection time; when a stream ends it waits the reconnection time and
    comes back with Last-Event-ID. A response other than 200 text/event-stream fails it for good."""

    def __init__(self, port, *, local_address=None, headers=(), prelude=b"", retry_ms=3000):
        self.port = port
        self.local_address = local_address
        self.headers = list(headers)
        self.prelude = prelude  # bytes sent before the request (a hand-made PROXY header)
        self.retry_ms = retry_ms
        self.last_event_id: str | None = None
        self.events: list[Event] = []
        self.connections: list[Connection] = []
        self.failure: str | None = None

    async def run(self, stop: asyncio.Event, max_connections=20):
        while not stop.is_set() and self.failure is None and len(self.connections) < max_connections:
            reading = asyncio.ensure_future(self._stream())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reading, stopping):
                task.cancel()
            await asyncio.gather(reading, stopping, return_exceptions=True)
            if self.connections and self.connections[-1].ended is None:
                self.connections[-1].ended = time.monotonic()
            if stop.is_set() or self.failure is not None:
                break
            try:
                await asyncio.wait_for(stop.wait(), self.retry_ms / 1000)
            except asyncio.TimeoutError:
                pass

    async def _stream(self):
        connection = Connection(time.monotonic(), self.last_event_id)
        self.connections.append(connection)
        index = len(self.connections) - 1
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", self.port, local_addr=(self.local_address, 0) if self.local_address else None), 5)
            connection.local_port = writer.get_extra_info("sockname")[1]
            headers = [("Accept", "text/event-stream"), ("Cache-Control", "no-cache"), *self.headers]
            if self.last_event_id is not None:
                headers.append(("Last-Event-ID", self.last_event_id))
            writer.write(self.prelude + request_bytes("/", f"127.0.0.1:{self.port}", headers))
            connection.status, fields = await asyncio.wait_for(read_head(reader), 5)
            connection.served_by = fields.get("x-served-by")
            kind = fields.get("content-type", "").split(";")[0].strip().lower()
            if connection.status != 200 or kind != "text/event-stream":
                self.failure = f"{connection.status} {kind or 'no content type'}"
                return
            parser = _StreamParser(self, connection, index)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            async for chunk in body_chunks(reader, fields):
                parser.feed(decoder.decode(chunk))
            parser.feed(decoder.decode(b"", final=True))
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError) as error:
            connection.error = f"{type(error).__name__}: {error}"
        finally:
            connection.ended = time.monotonic()
            if writer is not None:
                writer.close()

    def ids(self):
        return [event.id for event in self.events]


class _StreamParser:
    def __init__(self, client: EventSourceClient, connection: Connection, index: int):
        self.client, self.connection, self.index = client, connection, index
        self.buffer = ""
        self.data: list[str] = []
        self.type = ""
        self.last_id = client.last_event_id

    def feed(self, text):
        self.buffer += text
        while True:
            match = re.search(r"\r\n|\r|\n", self.buffer)
            # A CR at the end may be the first half of a CRLF.
            if not match or (match.group() == "\r" and match.end() == len(self.buffer)):
                return
            line, self.buffer = self.buffer[:match.start()], self.buffer[match.end():]
            self.line(line)

    def line(self, line):
        if line == "":
            self.client.last_event_id = self.last_id
            if self.data:
                self.client.events.append(Event(self.type or "message", "\n".join(self.data), self.last_id,
                                                time.monotonic(), self.index))
            self.data, self.type = [], ""
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        self.connection.last_field = (name, value)
        if name == "data":
            self.data.append(value)
        elif name == "event":
            self.type = value
        elif name == "id" and "\0" not in value:
            self.last_id = value
        elif name == "retry" and value.isdigit():
            self.client.retry_ms = int(value)


async def wait_until(predicate, seconds, step=0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


async def events_then_stop(client: EventSourceClient, count, seconds=5.0):
    """Runs `client` until it has `count` events (or `seconds` pass), then ends it."""
    stop = asyncio.Event()
    task = asyncio.ensure_future(client.run(stop, max_connections=1))
    try:
        await wait_until(lambda: len(client.events) >= count or task.done(), seconds)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    return client


def consecutive(ids, first=1):
    """None when `ids` are first, first+1, ... (as decimal strings); else what is wrong."""
    try:
        numbers = [int(value) for value in ids]
    except (TypeError, ValueError):
        return f"an id that is not a number in {ids[:10]}"
    for position, number in enumerate(numbers):
        if number != first + position:
            previous = numbers[position - 1] if position else None
            kind = "a repeat" if previous is not None and number <= previous else "a gap"
            return f"{kind} at position {position}: {previous} then {number}"
    return None


# MARK: the deployment


class Deployment:
    def __init__(self, reporter, bin_dir: Path, work_dir: Path, registry=None):
        self.reporter = reporter
        self.bin_dir = bin_dir
        self.work = work_dir
        self.processes = Processes(work_dir, registry)
        self.identity = False  # whether faye-server has --trust-proxy and --proxy-protocol
        self.starts: dict[str, int] = {}

    # MARK: checks

    async def check(self, key, name, body, timeout=CHECK_TIMEOUT):
        """Runs `body()` → (ok, detail) within `timeout`; an exception is a failure."""
        started = time.monotonic()
        try:
            ok, detail = await asyncio.wait_for(body(), timeout)
        except asyncio.TimeoutError:
            ok, detail = False, f"no verdict within {timeout:.0f} s"
        except Exception as error:  # a check that breaks fails, the others still run
            ok, detail = False, f"{type(error).__name__}: {error}"
        self.reporter.report(key, name, bool(ok), detail, time.monotonic() - started)

    def fail_all(self, key, names, detail):
        for name in names:
            self.reporter.report(key, name, False, detail)

    # MARK: processes

    def detect_features(self):
        text = run_quietly([str(self.bin_dir / "faye-server"), "--help"]) or ""
        self.identity = "--trust-proxy" in text and "--proxy-protocol" in text
        return self.identity

    async def faye(self, name, *arguments, port=0) -> Server:
        """Starts faye-server; returns once it printed its listening line."""
        count = self.starts.get(name, 0) + 1
        self.starts[name] = count
        log_name = f"faye-server-{name}" + (f"-{count}" if count > 1 else "")
        command = [str(self.bin_dir / "faye-server"), "--port", str(port), *arguments]
        process, log = await self.processes.spawn(log_name, *command)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and process.returncode is None:
            text = log.read_text(errors="replace")
            listening = re.search(r"^faye-server listening on wss?://\S+:(\d+)$", text, re.M)
            if listening:
                metrics = re.search(r"^faye-server metrics on http://\S+:(\d+)/metrics$", text, re.M)
                return Server(name, process, int(listening.group(1)), log, list(arguments),
                              metrics and int(metrics.group(1)))
            await asyncio.sleep(0.05)
        await self.processes.stop(process)
        raise RuntimeError(f"faye-server {' '.join(arguments)} did not start: "
                           f"{log.read_text(errors='replace')[-400:].strip()}")

    async def start_proxy(self, name, config_name, render_config, command_for):
        """nginx or HAProxy on a free port (a few tries, for a port taken in between)."""
        directory = self.work / name
        directory.mkdir(exist_ok=True)
        error = ""
        for _ in range(3):
            port = free_port()
            config = directory / config_name
            config.write_text(render_config(directory, port))
            process, log = await self.processes.spawn(name, *command_for(directory, config),
                                                      stdout_path=directory / "stdout.log")
            if await wait_for_port(port, process):
                return process, port, directory
            await self.processes.stop(process)
            error = log.read_text(errors="replace")[-400:].strip()
            for extra in ("error.log", "stdout.log"):
                if (directory / extra).exists():
                    error += " " + (directory / extra).read_text(errors="replace")[-400:].strip()
        raise RuntimeError(f"{name} did not start: {error}")

    async def nginx(self, upstream_port):
        program = find_program("nginx")

        def config(directory, port):
            return render("nginx.conf.in", {"DIR": directory, "PORT": port, "UPSTREAM_PORT": upstream_port,
                                            "READ_TIMEOUT": f"{NGINX_READ_TIMEOUT}s"})

        def command(directory, config_path):
            return [program, "-p", str(directory), "-c", str(config_path), "-e", str(directory / "error.log"),
                    "-g", "daemon off;"]

        return await self.start_proxy("nginx", "nginx.conf", config, command)

    async def haproxy(self, port_a, port_b):
        program = find_program("haproxy")
        drop = () if self.identity else (" send-proxy-v2 check-send-proxy",)

        def config(directory, port):
            return render("haproxy.cfg.in", {"DIR": directory, "PORT": port, "PORT_A": port_a, "PORT_B": port_b,
                                             "STATS_SOCKET": self.stats_socket}, drop=drop)

        def command(directory, config_path):
            return [program, "-f", str(config_path), "-db"]

        return await self.start_proxy("haproxy", "haproxy.cfg", config, command)

    # MARK: groups

    async def run(self, keys):
        self.detect_features()
        # A Unix socket's path has at most 107 bytes: HAProxy's stats socket lives in /tmp.
        socket_dir = Path(tempfile.mkdtemp(prefix="deploy-suite-"))
        self.stats_socket = socket_dir / "haproxy.sock"
        try:
            if NGINX in keys:
                await self.section(NGINX, self.nginx_group())
            if DIRECT in keys:
                await self.section(DIRECT, self.direct_group())
            if HAPROXY in keys or ROLLING in keys:
                await self.section(HAPROXY if HAPROXY in keys else ROLLING, self.haproxy_groups(keys))
        finally:
            await self.processes.stop_all()
            shutil.rmtree(socket_dir, ignore_errors=True)

    async def section(self, key, coroutine):
        """A part that cannot start (say, nginx does not) fails as a check; the others still run."""
        try:
            await coroutine
        except Exception as error:
            self.reporter.report(key, "setup", False, f"{type(error).__name__}: {error}")

    # MARK: nginx

    async def nginx_group(self):
        trust = ["--trust-proxy", PROXY_ADDRESS] if self.identity else []
        server = await self.faye("nginx-upstream", "--ping", str(PING_SECONDS), "--sse-interval",
                                 str(SSE_INTERVAL_MS), "--metrics-port", "0", *trust)
        process, port, _ = await self.nginx(server.port)
        try:
            url = f"ws://127.0.0.1:{port}/"
            await self.check(NGINX, "Docs/Deployment.md shows nginx.conf.in verbatim",
                             lambda: documented("nginx.conf.in"))

            async def healthz():
                status, _, body = await http_get(port, "/healthz")
                return status == 200 and body.strip() == b"ok", f"{status} {body[:40]!r}"

            await self.check(NGINX, "healthz through nginx", healthz)
            await self.check(NGINX, "echo with permessage-deflate", lambda: echo_with_deflate(url))
            await self.check(NGINX, "deflate on the wire (server metrics)", lambda: deflate_on_the_wire(url, server))
            await self.check(NGINX, "idle WebSocket outlives proxy_read_timeout (server pings)",
                             lambda: idle_websocket(url))
            await self.check(NGINX, "EventSource ticks unbuffered", lambda: prompt_ticks(port))
            if not self.identity:
                self.fail_all(NGINX, IDENTITY_CHECKS[NGINX], NOT_IMPLEMENTED)
                return
            await self.check(NGINX, "client identity: WebSocket via X-Forwarded-For",
                             lambda: websocket_identity(url, [server], CLIENT_ADDRESS, expect_port=False))
            await self.check(NGINX, "client identity: EventSource via X-Forwarded-For",
                             lambda: eventsource_identity(port, [server], CLIENT_ADDRESS, expect_port=False))
            await self.check(NGINX, "client identity: X-Forwarded-For sent by the client not believed",
                             lambda: websocket_identity(url, [server], CLIENT_ADDRESS, expect_port=False,
                                                        headers=[("X-Forwarded-For", SPOOFED_ADDRESS)]))
        finally:
            await self.processes.stop(process)
            await self.processes.stop(server.process)

    # MARK: straight to faye-server

    async def direct_group(self):
        if not self.identity:
            self.fail_all(DIRECT, DIRECT_CHECKS, NOT_IMPLEMENTED)
            return
        headers_only = await self.faye("trust-headers", "--trust-proxy", PROXY_ADDRESS, "--sse-interval",
                                       str(SSE_INTERVAL_MS))
        with_proxy_protocol = await self.faye("trust-proxy-protocol", "--trust-proxy", PROXY_ADDRESS,
                                              "--proxy-protocol", "--sse-interval", str(SSE_INTERVAL_MS))
        try:
            spoof = [("X-Forwarded-For", SPOOFED_ADDRESS), ("Forwarded", f"for={SPOOFED_ADDRESS}"),
                     ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "spoofed.example")]
            url = f"ws://127.0.0.1:{headers_only.port}/"
            await self.check(DIRECT, "forwarded fields from an untrusted client ignored (WebSocket)",
                             lambda: websocket_identity(url, [headers_only], UNTRUSTED_ADDRESS, expect_port=True,
                                                        headers=spoof, local=UNTRUSTED_ADDRESS))
            await self.check(DIRECT, "forwarded fields from an untrusted client ignored (EventSource)",
                             lambda: eventsource_identity(headers_only.port, [headers_only], UNTRUSTED_ADDRESS,
                                                          expect_port=True, headers=spoof, local=UNTRUSTED_ADDRESS))
            await self.check(DIRECT, "trusted peer without PROXY header closed, nothing served",
                             lambda: closed_unserved(with_proxy_protocol))
            await self.check(DIRECT, "untrusted peer served without PROXY header",
                             lambda: served_without_header(with_proxy_protocol))
            await self.check(DIRECT, "PROXY v1 header from a trusted peer honoured",
                             lambda: proxy_v1(with_proxy_protocol))
        finally:
            await asyncio.gather(self.processes.stop(headers_only.process),
                                 self.processes.stop(with_proxy_protocol.process))

    # MARK: HAProxy

    async def haproxy_groups(self, keys):
        trust = ["--trust-proxy", PROXY_ADDRESS, "--proxy-protocol"] if self.identity else []
        arguments = [*ROLLING_ARGUMENTS, *trust]
        a, b = await asyncio.gather(self.faye("a", *arguments), self.faye("b", *arguments))
        servers = {"s1": a, "s2": b}
        process, port, _ = await self.haproxy(a.port, b.port)
        stats = self.stats_socket
        try:
            # UP after a health check that passed (HAProxy starts them UP, before any check).
            healthy = await wait_until_status(stats, {"s1": HEALTHY, "s2": HEALTHY}, 5) is not None
            if HAPROXY in keys:
                await self.haproxy_checks(port, stats, servers, healthy)
            if ROLLING in keys:
                if not healthy:
                    self.fail_all(ROLLING, ROLLING_CHECKS, "HAProxy never saw both instances UP: "
                                                           f"{await haproxy_status(stats)}")
                else:
                    await RollingRestart(self, port, stats, servers).run()
        finally:
            await self.processes.stop(process)
            await asyncio.gather(*(self.processes.stop(server.process, grace=DRAIN_DELAY + GRACE_SECONDS)
                                   for server in servers.values()))

    async def haproxy_checks(self, port, stats, servers, healthy):
        url = f"ws://127.0.0.1:{port}/"
        note = "" if self.identity else " (without send-proxy-v2: this faye-server has no --proxy-protocol)"

        async def health():
            status = await haproxy_status(stats, detail=True)
            return healthy, f"HAProxy's stats: {status}{note}"

        await self.check(HAPROXY, "Docs/Deployment.md shows haproxy.cfg.in verbatim",
                         lambda: documented("haproxy.cfg.in"))
        await self.check(HAPROXY, "both instances healthy (checks with PROXY v2)", health)
        await self.check(HAPROXY, "echo with permessage-deflate", lambda: echo_with_deflate(url))
        await self.check(HAPROXY, "EventSource ticks", lambda: prompt_ticks(port))
        if not self.identity:
            self.fail_all(HAPROXY, IDENTITY_CHECKS[HAPROXY], NOT_IMPLEMENTED)
            return
        everyone = list(servers.values())
        await self.check(HAPROXY, "client identity: WebSocket via PROXY v2",
                         lambda: websocket_identity(url, everyone, CLIENT_ADDRESS, expect_port=True))
        await self.check(HAPROXY, "client identity: EventSource via PROXY v2",
                         lambda: eventsource_identity(port, everyone, CLIENT_ADDRESS, expect_port=True))
        await self.check(HAPROXY, "connection log line names the PROXY v2 address",
                         lambda: connection_line(url, everyone))


# MARK: the checks


async def documented(template):
    """The configuration the document shows is the one tested: the template, whole, in a code block."""
    doc = ROOT / "Docs" / "Deployment.md"
    if not doc.exists():
        return False, f"{doc} is missing"
    text = (HERE / template).read_text()
    if f"\n{text}```" in doc.read_text():
        return True, f"its {len(text.splitlines())} lines appear in a code block"
    return False, f"Docs/Deployment.md does not show scripts/deploy/{template} as it is (copy it again)"


def client_endpoint(text):
    """("127.0.0.2", 54321) from "127.0.0.2:54321", ("127.0.0.2", None) from "127.0.0.2";
    [v6]:port and bare v6 too."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port) if port.isdigit() else None
    return text, None


async def identity_lines(servers, marks, kind, seconds=3.0):
    """The identity lines of `kind` (websocket or eventsource) logged since `marks`."""
    found = []

    def scan():
        found.clear()
        for server, mark in zip(servers, marks):
            for line in server.lines_since(mark):
                match = IDENTITY_LINE.search(line)
                if match and match.group(1) == kind:
                    found.append((server, match.group("client"), line))
        return bool(found)

    await wait_until(scan, seconds, step=0.05)
    return found


def identity_verdict(found, kind, servers, marks, expected):
    if not found:
        nearby = [line.strip() for server, mark in zip(servers, marks) for line in server.lines_since(mark)
                  if kind in line.lower()][:3]
        return False, (f"no line matching {IDENTITY_LINE.pattern!r} for the {kind} in the log"
                       + (f"; lines naming it: {nearby}" if nearby else ""))
    clients = [client for _, client, _ in found]
    ok = clients == [expected]
    return ok, f"logged {kind} from {', '.join(clients)} (expected {expected}): {found[0][2].strip()[-160:]}"


async def websocket_identity(url, servers, address, expect_port, headers=(), local=CLIENT_ADDRESS):
    from websockets.asyncio.client import connect

    marks = [server.mark() for server in servers]
    async with connect(url, proxy=None, open_timeout=5, close_timeout=2, ping_interval=None,
                       additional_headers=list(headers), local_addr=(local, 0)) as socket_:
        local_port = socket_.local_address[1]
        await socket_.send("who am I")
        await asyncio.wait_for(socket_.recv(), 5)
    expected = f"{address}:{local_port}" if expect_port else address
    return identity_verdict(await identity_lines(servers, marks, "websocket"), "websocket", servers, marks, expected)


async def eventsource_identity(port, servers, address, expect_port, headers=(), local=CLIENT_ADDRESS):
    marks = [server.mark() for server in servers]
    client = await events_then_stop(EventSourceClient(port, local_address=local, headers=headers), 1)
    if not client.events:
        return False, f"no event ({client.failure or client.connections[0].error})"
    local_port = client.connections[0].local_port
    expected = f"{address}:{local_port}" if expect_port else address
    return identity_verdict(await identity_lines(servers, marks, "eventsource"), "eventsource", servers, marks,
                            expected)


async def connection_line(url, servers):
    """HAProxy's PROXY v2 header names the client: the per-connection line shows its address."""
    from websockets.asyncio.client import connect

    marks = [server.mark() for server in servers]
    async with connect(url, proxy=None, open_timeout=5, close_timeout=2, ping_interval=None,
                       local_addr=(CLIENT_ADDRESS, 0)) as socket_:
        local_port = socket_.local_address[1]
        await socket_.send("hello")
        await asyncio.wait_for(socket_.recv(), 5)
    wanted = f"{CLIENT_ADDRESS}:{local_port}"
    lines = []

    def scan():
        lines[:] = [line for server, mark in zip(servers, marks) for line in server.lines_since(mark)
                    if "connection from" in line and wanted in line]
        return bool(lines)

    if await wait_until(scan, 3, step=0.05):
        return True, lines[0].strip()[-160:]
    seen = [line.strip()[-120:] for server, mark in zip(servers, marks) for line in server.lines_since(mark)
            if "connection from" in line and "closed" not in line and "/healthz" not in line][:3]
    return False, f"no 'connection from' line names {wanted}; lines since: {seen}"


async def echo_with_deflate(url):
    from websockets.asyncio.client import connect

    async with connect(url, proxy=None, open_timeout=5, close_timeout=2, ping_interval=None,
                       max_size=2 ** 22) as socket_:
        names = [extension.name for extension in socket_.protocol.extensions]
        offered = socket_.response.headers.get("Sec-WebSocket-Extensions", "")
        if "permessage-deflate" not in names:
            return False, f"permessage-deflate not negotiated (response: {offered!r})"
        random_bytes = random.Random(7).randbytes(256 * 1024)
        for message in ("hello \u2603", "compressible " * 5000, random_bytes):
            await socket_.send(message)
            reply = await asyncio.wait_for(socket_.recv(), 5)
            if reply != message:
                return False, f"echo of {len(message)} {type(message).__name__} came back different"
    return True, f"negotiated {offered!r}; echoed text, 65 KB compressible text, 256 KiB random binary"


def metrics(text):
    """{"name{labels}": value} from the Prometheus text format."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


async def deflate_on_the_wire(url, server: Server):
    """512 KiB of compressible text each way through nginx: faye-server's own counters show the
    WebSocket bytes on its side of the connection at under a quarter of the payload."""
    from websockets.asyncio.client import connect

    if server.metrics_port is None:
        return False, "faye-server printed no metrics line"

    async def scrape():
        status, _, body = await http_get(server.metrics_port, "/metrics")
        if status != 200:
            raise RuntimeError(f"GET /metrics: {status}")
        return metrics(body.decode())

    before = await scrape()
    payload = ("faye deployment " * 32768).encode()[:512 * 1024].decode()
    async with connect(url, proxy=None, open_timeout=5, close_timeout=2, ping_interval=None,
                       max_size=2 ** 22) as socket_:
        await socket_.send(payload)
        if await asyncio.wait_for(socket_.recv(), 5) != payload:
            return False, "the echo came back different"
        during = await scrape()
    after = await scrape()

    def delta(name):
        return after.get(name, 0) - before.get(name, 0)

    payload_in = delta('faye_websocket_payload_bytes_total{direction="in"}')
    payload_out = delta('faye_websocket_payload_bytes_total{direction="out"}')
    wire_in = delta('faye_websocket_wire_bytes_total{direction="in"}')
    wire_out = delta('faye_websocket_wire_bytes_total{direction="out"}')
    open_sockets = during.get('faye_connections_open{kind="websocket"}')
    detail = (f"payload in/out {payload_in:.0f}/{payload_out:.0f} bytes, wire in/out {wire_in:.0f}/{wire_out:.0f}; "
              f"faye_connections_open{{kind=\"websocket\"}} {open_sockets} while open")
    ok = (payload_in >= len(payload) and payload_out >= len(payload) and 0 < wire_in < payload_in / 4
          and 0 < wire_out < payload_out / 4 and open_sockets is not None and open_sockets >= 1)
    return ok, detail


async def idle_websocket(url):
    """No traffic from the client for longer than nginx's proxy_read_timeout: faye-server's pings
    (--ping) keep the upstream side busy, so the connection is still there."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(url, proxy=None, open_timeout=5, close_timeout=2, ping_interval=None) as socket_:
        await asyncio.sleep(IDLE_SECONDS)
        try:
            await socket_.send("still here")
            reply = await asyncio.wait_for(socket_.recv(), 5)
        except ConnectionClosed as error:
            return False, (f"closed after {IDLE_SECONDS} s idle (proxy_read_timeout {NGINX_READ_TIMEOUT}s, "
                           f"--ping {PING_SECONDS}): {error}")
    return reply == "still here", (f"echo after {IDLE_SECONDS} s idle, proxy_read_timeout {NGINX_READ_TIMEOUT}s, "
                                   f"faye-server --ping {PING_SECONDS}")


async def prompt_ticks(port):
    client = await events_then_stop(EventSourceClient(port), PROMPT_TICKS, seconds=PROMPT_SECONDS + 2)
    if len(client.events) < PROMPT_TICKS:
        first = client.connections[0] if client.connections else None
        return False, (f"{len(client.events)} events in {PROMPT_SECONDS + 2:.0f} s "
                       f"({client.failure or (first and first.error) or 'buffered?'})")
    opened = client.connections[0].opened
    took = client.events[PROMPT_TICKS - 1].at - opened
    problem = consecutive(client.ids()) or next(
        (f"event {event.type!r} {event.data!r}" for event in client.events
         if event.type != "tick" or event.data != event.id), None)
    ok = took <= PROMPT_SECONDS and problem is None
    return ok, (f"{PROMPT_TICKS} tick events (ids {', '.join(client.ids()[:PROMPT_TICKS])}) "
                f"{took * 1000:.0f} ms after the request (interval {SSE_INTERVAL_MS} ms, bound "
                f"{PROMPT_SECONDS * 1000:.0f} ms)" + (f"; {problem}" if problem else ""))


async def closed_unserved(server: Server):
    """From the trusted proxy's address, without a PROXY header: closed, not a byte of response."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(PROXY_ADDRESS, 0))
    try:
        writer.write(request_bytes("/healthz", f"127.0.0.1:{server.port}"))
        received = b""
        try:
            while data := await asyncio.wait_for(reader.read(4096), 3):
                received += data
        except asyncio.TimeoutError:
            return False, f"still open after 3 s, {len(received)} bytes received: {received[:60]!r}"
        except ConnectionError:
            pass
        return received == b"", (f"closed with {len(received)} bytes received"
                                 + (f": {received[:60]!r}" if received else ""))
    finally:
        writer.close()


async def served_without_header(server: Server):
    status, _, body = await http_get(server.port, "/healthz", local_address=UNTRUSTED_ADDRESS)
    return status == 200 and body.strip() == b"ok", f"GET /healthz from {UNTRUSTED_ADDRESS}: {status} {body[:40]!r}"


async def proxy_v1(server: Server):
    host, port = PROXY_V1_CLIENT
    prelude = f"PROXY TCP4 {host} 127.0.0.1 {port} {server.port}\r\n".encode()
    marks = [server.mark()]
    client = await events_then_stop(EventSourceClient(server.port, local_address=PROXY_ADDRESS, prelude=prelude), 1)
    if not client.events:
        first = client.connections[0] if client.connections else None
        return False, f"no event after a PROXY v1 header ({client.failure or (first and first.error)})"
    return identity_verdict(await identity_lines([server], marks, "eventsource"), "eventsource", [server], marks,
                            f"{host}:{port}")


# MARK: HAProxy's view


async def haproxy_status(stats: Path, detail=False):
    """{"s1": "UP", "s2": "DOWN", ...} of backend faye, from the stats socket; with `detail`,
    "DOWN (L7STS 503)": the status with the last health check's outcome and HTTP status."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(stats)), 2)
    except (OSError, asyncio.TimeoutError):
        return {}
    try:
        writer.write(b"show stat\n")
        text = (await asyncio.wait_for(reader.read(), 2)).decode(errors="replace")
    except (OSError, asyncio.TimeoutError):
        return {}
    finally:
        writer.close()
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        return {}
    columns = lines[0][2:].split(",")
    status = {}
    for line in lines[1:]:
        row = dict(zip(columns, line.split(",")))
        if row.get("pxname") == "faye" and row.get("svname", "").startswith("s"):
            status[row["svname"]] = row.get("status", "")
            if detail:
                status[row["svname"]] += f" ({row.get('check_status', '')} {row.get('check_code', '')})".rstrip()
    return status


async def wait_until_status(stats, wanted, seconds):
    """HAProxy's detailed status once every server in `wanted` shows that status ("DOWN": the
    first word; "UP (L7OK 200)": the whole), or None when that did not happen in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = await haproxy_status(stats, detail=True)
        if all(value in (status.get(name), status.get(name, "").split(" ")[0]) for name, value in wanted.items()):
            return status
        await asyncio.sleep(0.05)
    return None


# MARK: the rolling restart


@dataclass
class SocketConnection:
    served_by: str | None
    opened: float
    echoes: list = field(default_factory=list)  # when each echo came back
    code: int | None = None
    reason: str = ""
    closed: float | None = None


class SocketClient:
    """Echoes every 50 ms through HAProxy; on a close, reconnects at once and goes on."""

    def __init__(self, index, url):
        self.index = index
        self.url = url
        self.connections: list[SocketConnection] = []
        self.errors: list[str] = []
        self.mismatches = 0

    async def run(self, stop: asyncio.Event):
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        attempts = 0
        while not stop.is_set() and attempts < 20:
            attempts += 1
            record = None
            try:
                async with connect(self.url, proxy=None, open_timeout=5, close_timeout=2,
                                   ping_interval=None) as socket_:
                    record = SocketConnection(socket_.response.headers.get("X-Served-By"), time.monotonic())
                    self.connections.append(record)
                    count = 0
                    while not stop.is_set():
                        message = f"client {self.index} message {count}"
                        await socket_.send(message)
                        reply = await asyncio.wait_for(socket_.recv(), 5)
                        if reply != message:
                            self.mismatches += 1
                        record.echoes.append(time.monotonic())
                        count += 1
                        try:
                            await asyncio.wait_for(stop.wait(), 0.05)
                        except asyncio.TimeoutError:
                            pass
            except ConnectionClosed as error:
                if record is not None:
                    record.closed = time.monotonic()
                    if error.rcvd is not None:
                        record.code, record.reason = error.rcvd.code, error.rcvd.reason
            except (OSError, InvalidHandshake, asyncio.TimeoutError) as error:
                self.errors.append(f"{type(error).__name__}: {error}")
                await asyncio.sleep(0.1)


class RollingRestart:
    def __init__(self, deployment: Deployment, port, stats, servers):
        self.deployment = deployment
        self.port = port
        self.stats = stats
        self.servers = servers  # {"s1": A, "s2": B}
        self.url = f"ws://127.0.0.1:{port}/"

    def report(self, name, ok, detail, started=None):
        self.deployment.reporter.report(ROLLING, name, bool(ok), detail,
                                        time.monotonic() - started if started else 0.0)

    async def run(self):
        stop = asyncio.Event()
        sockets = [SocketClient(index, self.url) for index in range(ROLLING_CLIENTS)]
        streams = [EventSourceClient(self.port) for _ in range(ROLLING_CLIENTS)]
        tasks = []
        try:
            # One at a time, so that round robin puts half of each kind on each instance.
            for client in sockets:
                tasks.append(asyncio.ensure_future(client.run(stop)))
                await wait_until(lambda: client.connections and client.connections[0].echoes, 5)
            for client in streams:
                tasks.append(asyncio.ensure_future(client.run(stop)))
                await wait_until(lambda: client.events, 5)
            await self.restart(sockets, streams)
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)

    async def restart(self, sockets, streams):
        a = self.servers["s1"]
        on_a_sockets = [c for c in sockets if c.connections and c.connections[0].served_by == "s1"]
        on_a_streams = [c for c in streams if c.connections and c.connections[0].served_by == "s1"]
        spread = {
            "WebSockets": [c.connections[0].served_by if c.connections else None for c in sockets],
            "EventSources": [c.connections[0].served_by if c.connections else None for c in streams],
        }
        ready = all(c.connections and c.connections[0].echoes for c in sockets) and all(c.events for c in streams)
        spread_ok = ready and all(set(where) == {"s1", "s2"} for where in spread.values())
        self.report("clients spread over both instances", spread_ok,
                    f"X-Served-By: {spread}" + ("" if ready else "; not every client got its first echo or event"))
        if not spread_ok:
            for name in ROLLING_CHECKS[1:]:
                self.report(name, False, "not run: the clients are not on both instances")
            return

        await asyncio.sleep(0.5)
        signalled = time.monotonic()
        a.process.send_signal(signal.SIGTERM)

        # The health check (503) takes A out of rotation while it still serves.
        down = await wait_until_status(self.stats, {"s1": "DOWN"}, DRAIN_DELAY + 1)
        down_after = time.monotonic() - signalled
        still_running = a.process.returncode is None
        fresh = SocketClient(99, self.url)
        fresh_stop = asyncio.Event()
        fresh_task = asyncio.ensure_future(fresh.run(fresh_stop))
        await wait_until(lambda: fresh.connections and fresh.connections[0].echoes, 3)
        fresh_stop.set()
        await asyncio.wait_for(fresh_task, 5)
        fresh_where = fresh.connections[0].served_by if fresh.connections else None
        in_drain = time.monotonic() - signalled < DRAIN_DELAY
        # DOWN for the 503 of /healthz (L7STS), not for a refused connection (L4CON) after A's exit.
        by_health_check = down is not None and down["s1"].endswith("(L7STS 503)")
        self.report("A out of rotation by its health check during the drain",
                    by_health_check and still_running and down_after < DRAIN_DELAY and fresh_where == "s2",
                    (f"HAProxy marked s1 {down['s1']} {down_after * 1000:.0f} ms after SIGTERM, "
                     f"A {'still running' if still_running else 'already exited'}" if down is not None
                     else f"s1 not DOWN within {DRAIN_DELAY + 1:.0f} s")
                    + f" (drain delay {DRAIN_DELAY * 1000:.0f} ms); a new WebSocket then went to {fresh_where}"
                    + ("" if in_drain else " (after the drain delay)"), signalled)

        # A exits within drain delay + grace.
        try:
            await asyncio.wait_for(a.process.wait(), DRAIN_DELAY + GRACE_SECONDS + EXIT_SLACK)
            exited = time.monotonic() - signalled
            self.report("A exits within drain delay + grace",
                        a.process.returncode == 0 and exited <= DRAIN_DELAY + GRACE_SECONDS + EXIT_SLACK,
                        f"exit status {a.process.returncode} {exited:.2f} s after SIGTERM (drain {DRAIN_DELAY} s "
                        f"+ grace {GRACE_SECONDS} s)", signalled)
        except asyncio.TimeoutError:
            self.report("A exits within drain delay + grace", False,
                        f"still running {DRAIN_DELAY + GRACE_SECONDS + EXIT_SLACK:.0f} s after SIGTERM", signalled)
            await self.deployment.processes.stop(a.process, grace=1, sig=signal.SIGKILL)

        # Everyone from A is back (on B), and has some traffic there.
        def back():
            return (all(len(c.connections) >= 2 and len(c.connections[1].echoes) >= 3 for c in on_a_sockets)
                    and all(sum(1 for e in c.events if e.connection >= 1) >= 5 or c.failure for c in on_a_streams))

        await wait_until(back, SHUTDOWN_RETRY_MS / 1000 + 5)
        self.judge_sockets(sockets, on_a_sockets, signalled)
        self.judge_streams(streams, on_a_streams, signalled)
        await self.restart_a()

    def judge_sockets(self, sockets, on_a, signalled):
        # Served during the drain: echoes on A after SIGTERM, before the drain delay ran out.
        during = [sum(1 for t in c.connections[0].echoes if signalled + 0.1 < t < signalled + DRAIN_DELAY - 0.1)
                  for c in on_a]
        problems = []
        for client in on_a:
            first = client.connections[0]
            if first.code != 1001:
                problems.append(f"client {client.index}: closed with {first.code} {first.reason!r}")
            elif first.closed - signalled < DRAIN_DELAY * 0.9:
                problems.append(f"client {client.index}: 1001 after {first.closed - signalled:.2f} s, "
                                f"before the drain delay ran out")
        on_b_closed = [f"client {c.index} ({c.connections[0].code})" for c in sockets
                       if c not in on_a and c.connections and c.connections[0].closed is not None]
        if on_b_closed:
            problems.append(f"clients on B closed too: {', '.join(on_b_closed)}")
        reasons = sorted({repr(c.connections[0].reason) for c in on_a if c.connections[0].code == 1001})
        self.report("WebSocket clients on A closed with 1001", not problems,
                    "; ".join(problems) or f"{len(on_a)} of {len(sockets)} closed with 1001 {', '.join(reasons)} "
                                           f"after the drain delay; the others stayed open")
        self.sockets_during = during

        problems = []
        for client in on_a:
            second = client.connections[1] if len(client.connections) > 1 else None
            if second is None:
                problems.append(f"client {client.index}: no new connection ({'; '.join(client.errors[-2:])})")
            elif second.served_by != "s2" or len(second.echoes) < 1:
                problems.append(f"client {client.index}: reconnected to {second.served_by}, "
                                f"{len(second.echoes)} echoes")
        mismatches = sum(c.mismatches for c in sockets)
        if mismatches:
            problems.append(f"{mismatches} echoes came back different")

        def after(client):
            closed = client.connections[0].closed
            return f"{(client.connections[1].opened - closed) * 1000:.0f} ms" if closed else "an error"

        self.report("WebSocket clients reconnect to B and echo", not problems,
                    "; ".join(problems) or ", ".join(
                        f"client {c.index}: back on {c.connections[1].served_by} after {after(c)}, "
                        f"{len(c.connections[1].echoes)} echoes" for c in on_a))

    def judge_streams(self, streams, on_a, signalled):
        events_during = [sum(1 for e in c.events if e.connection == 0 and signalled + 0.1 < e.at
                             < signalled + DRAIN_DELAY - 0.1) for c in on_a]
        self.report("A keeps serving during the drain delay",
                    all(n > 0 for n in self.sockets_during) and all(n > 0 for n in events_during),
                    f"between SIGTERM and the end of the drain delay, A's WebSocket clients got "
                    f"{self.sockets_during} echoes and its EventSource clients {events_during} events")

        problems = []
        for client in on_a:
            first = client.connections[0]
            if first.last_field != ("retry", str(SHUTDOWN_RETRY_MS)):
                problems.append(f"stream ended after {first.last_field}")
            elif len(client.connections) > 1:
                waited = client.connections[1].opened - first.ended
                if waited < SHUTDOWN_RETRY_MS / 1000 * 0.9:
                    problems.append(f"came back after {waited * 1000:.0f} ms")
        self.report("EventSource streams on A end with retry: 1000", not problems,
                    "; ".join(problems) or f"{len(on_a)} streams ended with a last `retry: {SHUTDOWN_RETRY_MS}`; "
                                           f"each client came back after it")

        problems, details = [], []
        for number, client in enumerate(streams):
            gap = consecutive(client.ids())
            if gap:
                problems.append(f"client {number}: {gap}")
            if client.failure:
                problems.append(f"client {number}: failed with {client.failure}")
            if client in on_a:
                if len(client.connections) < 2:
                    problems.append(f"client {number}: never reconnected")
                    continue
                second = client.connections[1]
                first_there = next((e.id for e in client.events if e.connection == 1), None)
                if second.served_by != "s2":
                    problems.append(f"client {number}: reconnected to {second.served_by}")
                details.append(f"client {number}: Last-Event-ID {second.last_event_id} → "
                               f"{second.served_by} went on with {first_there}")
        counts = [len(c.events) for c in streams]
        self.report("EventSource ids consecutive across the restart", not problems,
                    "; ".join(problems) or f"ids 1..N without gap or repeat ({counts} events); " + "; ".join(details))

    async def restart_a(self):
        a = self.servers["s1"]
        started = time.monotonic()
        try:
            restarted = await self.deployment.faye("a", *a.arguments, port=a.port)
        except RuntimeError as error:
            self.report("A restarted takes traffic again", False, str(error), started)
            return
        self.servers["s1"] = restarted
        up = await wait_until_status(self.stats, {"s1": HEALTHY}, 5) is not None
        rose = time.monotonic() - started
        where = []
        for index in range(4):
            client = SocketClient(100 + index, self.url)
            done = asyncio.Event()
            task = asyncio.ensure_future(client.run(done))
            await wait_until(lambda: client.connections and client.connections[0].echoes, 3)
            done.set()
            await asyncio.wait_for(task, 5)
            ok = client.connections and client.connections[0].echoes
            where.append(client.connections[0].served_by if ok else "no echo")
        self.report("A restarted takes traffic again", up and "s1" in where and "no echo" not in where,
                    f"s1 UP {rose:.2f} s after the start (rise 2, inter 200 ms); 4 new WebSockets went to {where}",
                    started)


# MARK: entry points


async def run(reporter, bin_dir: Path, work_dir: Path, keys=tuple(GROUPS), registry=None):
    """Runs the groups in `keys` (whose programs are present: the caller reports a missing one);
    reporter.report(key, check, ok, detail, seconds) gets every check."""
    deployment = Deployment(reporter, Path(bin_dir), Path(work_dir), registry)
    await deployment.run(set(keys))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", required=True, help="the directory holding faye-server")
    parser.add_argument("--only", help="comma-separated: nginx, haproxy, direct, rolling-restart")
    parser.add_argument("--timeout", type=float, default=180, help="overall bound in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments = parser.parse_args()
    keys = list(GROUPS)
    if arguments.only:
        keys = [f"deploy/{name}" for name in arguments.only.split(",")]
        unknown = [key for key in keys if key not in GROUPS]
        if unknown:
            parser.error(f"--only: unknown groups {unknown}")
    if not (Path(arguments.bin_dir) / "faye-server").exists():
        raise SystemExit(f"deploy: {arguments.bin_dir}/faye-server is missing")
    try:
        import websockets  # noqa: F401
    except ImportError:
        raise SystemExit("deploy: Python websockets is missing: run with $(scripts/venv.sh --python)")

    reporter = PrintingReporter()
    versions = detect_versions()
    print(f"deploy: nginx {versions['nginx'] or 'missing'}, HAProxy {versions['haproxy'] or 'missing'}", flush=True)
    runnable = []
    for key in keys:
        missing = [name for name in GROUPS[key][3] if not versions.get(name)]
        if missing:
            reporter.report(key, "peer present", False,
                            "; ".join(f"{name} missing ({MISSING_HINTS[name]})" for name in missing))
        else:
            runnable.append(key)
    work = Path(tempfile.mkdtemp(prefix="deploy-suite-"))
    run_standalone("deploy", reporter, keys, work, arguments,
                   lambda: run(reporter, Path(arguments.bin_dir), work, runnable))


def run_standalone(name, reporter, keys, work, arguments, make_run):
    """The end of a standalone run: `make_run()` (None: nothing can run) within
    `arguments.timeout`, every expected check that did not report counted as failed, the work
    directory removed unless something failed or `arguments.keep`, the counts printed; exits 1 on
    any failure."""
    started = time.monotonic()
    timed_out = False
    if make_run is not None:
        async def bounded():
            await asyncio.wait_for(make_run(), arguments.timeout)

        try:
            asyncio.run(bounded())
        except asyncio.TimeoutError:
            timed_out = True
            print(f"FAIL {name}: the run went over its bound of {arguments.timeout:.0f} s", flush=True)
    reporter.finish(keys)
    passed, failed = reporter.counts()
    failed += timed_out
    if failed or arguments.keep:
        print(f"{name}: logs and configurations in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{name}: {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
