#!/usr/bin/env python3
"""The fan-out suite: two faye-fanout-demo instances sharing a chat through a real PostgreSQL.

  fanout   PostgreSQL (the Debian package's binaries) is started from a temporary directory:
           initdb, pg_ctl on a free loopback port and a Unix socket in that directory, as the
           `postgres` user when run as root (initdb refuses root). Instances A (over TCP) and B
           (over the Unix socket) start together on the one table, HAProxy (fanout-haproxy.cfg.in)
           in front of them. Then:
             - 50 messages posted alternately on A and B (over HTTP, every fifth over a WebSocket)
               reach WebSocket and EventSource clients on both, each in one increasing id order;
             - EventSource and WebSocket clients through HAProxy while messages are posted
               continuously; the instance the first stream landed on (X-Faye-Instance) is killed
               with SIGKILL: its streams come back through HAProxy on the other with
               Last-Event-ID and end with every message in the table exactly once and in order;
               its WebSockets drop, reconnect to the other and get new messages;
             - the killed instance started again: a stream from Last-Event-ID 0 replays the whole
               table, and it serves messages posted after;
             - every connection of the instances cut by PostgreSQL (pg_terminate_backend): each
               logs the lost LISTEN connection, reconnects and catches up, and messages posted
               meanwhile reach the clients of both;
             - a body of 64 KiB is stored, one byte more gets 413;
             - SIGTERM: a WebSocket gets 1001, a stream ends with `retry: 1000`, exit status 0;
           PostgreSQL is stopped and its directory removed, whatever happened.

The table is the truth: a message posted on an instance that was killed before it answered may or
may not be stored, so each client's messages are compared with the table's rows. Every process
runs on loopback, on ports picked free, and is stopped before the run ends. One line per check;
exit status 1 on any failure, on a check that did not report, or on a missing PostgreSQL or
HAProxy (a failure, never a skip).

usage: fanout.py --bin-dir DIR [--timeout SECONDS] [--keep]
  --keep  keep the temporary directory (logs, the rendered configuration, PostgreSQL's log)

Also a module: interop.py's `fanout` group calls run() with a reporter of its own.
"""
from __future__ import annotations

import argparse
import asyncio
import codecs
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import deploy  # noqa: E402
from deploy import Processes, body_chunks, free_port, read_head, render, wait_for_port, wait_until  # noqa: E402

# MARK: what is checked

FANOUT = "fanout"
CHECKS = [
    "Docs/Deployment.md shows fanout-haproxy.cfg.in verbatim",
    "PostgreSQL started from a temporary directory",
    "two instances on one table (TCP and Unix socket)",
    "posted on A and B: clients on both get every message in one order",
    "EventSource clients of the killed instance resume on the other: every message once, in order",
    "WebSocket clients of the killed instance reconnect to the other and get new messages",
    "killed instance started again: replays from Last-Event-ID 0 and serves new messages",
    "LISTEN connections cut (pg_terminate_backend): both instances reconnect and catch up",
    "64 KiB body stored, one byte more refused with 413",
    "SIGTERM: WebSocket closed with 1001, stream ends with retry: 1000, exit 0",
    "PostgreSQL stopped and its directory removed",
]
# key: (peer, role, checks, the Debian programs it needs)
GROUPS = {
    FANOUT: ("PostgreSQL and HAProxy", "2 faye-fanout-demo instances share a chat (LISTEN/NOTIFY), one killed",
             CHECKS, ("postgresql", "haproxy")),
}
MISSING_HINTS = {"postgresql": "apt-get install postgresql (scripts/setup.sh)",
                 "haproxy": "apt-get install haproxy (scripts/setup.sh)"}

BINARY = "faye-fanout-demo"
DATABASE = "faye_chat"
ROLE = "faye"
MAX_MESSAGE = 64 * 1024  # the demo's FanOutLimits.maxMessageBytes
RETRY_MS = 1000  # the demo's retry: advice
ORDER_MESSAGES = 50
KILL_CLIENTS = 4  # of each kind, through HAProxy
POST_EVERY = 0.025  # seconds between two posts while an instance is killed
POST_AFTER_KILL = 2.5  # seconds of posting after the kill
CHECK_TIMEOUT = 30.0
HEALTHY = "UP (L7OK 200)"
READY_LINE = re.compile(r"^faye-fanout-demo listening on ws://\S+:(\d+) as (\S+)", re.M)


# MARK: versions


def postgres_bin_dir():
    """The newest /usr/lib/postgresql/VERSION/bin with initdb, pg_ctl and psql (Debian's layout)."""
    candidates = []
    for directory in glob.glob("/usr/lib/postgresql/*/bin"):
        if all(os.access(os.path.join(directory, name), os.X_OK) for name in ("initdb", "pg_ctl", "psql")):
            version = os.path.basename(os.path.dirname(directory))
            candidates.append((int(version) if version.isdigit() else 0, directory))
    return Path(max(candidates)[1]) if candidates else None


def detect_versions():
    """{"postgresql": "15.18"} (None when missing); HAProxy's comes from deploy.detect_versions()."""
    directory = postgres_bin_dir()
    text = deploy.run_quietly([str(directory / "postgres"), "--version"]) if directory else None
    match = re.search(r"PostgreSQL\)\s+(\S+)", text or "")
    return {"postgresql": match and match.group(1)}


# MARK: PostgreSQL in a temporary directory


class Postgres:
    """A PostgreSQL server of its own: data, Unix socket and log in a temporary directory under /tmp
    (a socket path has at most 107 bytes), listening on 127.0.0.1 and a free port. Run as root, its
    programs run as the `postgres` user (initdb refuses root) and the directory belongs to it."""

    def __init__(self, bin_dir: Path, log_dir: Path):
        self.bin = bin_dir
        self.log_dir = log_dir
        self.directory: Path | None = None
        self.port = 0
        self.as_user: list[str] = []

    @property
    def data(self):
        return self.directory / "data"

    def tcp_url(self):
        return f"postgres://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    def socket_url(self):
        return f"postgres://{ROLE}@/{DATABASE}?host={self.directory}&port={self.port}"

    def run(self, *command, timeout=60):
        """Runs a PostgreSQL program (as `postgres` when root); raises with its output on failure."""
        # From its own directory: the `postgres` user may not be able to enter the current one.
        result = subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, cwd=self.directory)
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} exited {result.returncode}: "
                               f"{(result.stdout + result.stderr).strip()[-600:]}")
        return result.stdout

    async def start(self):
        self.directory = Path(tempfile.mkdtemp(prefix="fanout-pg-"))
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no `postgres` user to run PostgreSQL as "
                                   f"(initdb refuses root): {MISSING_HINTS['postgresql']}")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self.as_user = [runuser, "-u", "postgres", "--"]
        # Blocking calls in a thread: the other groups of the suite keep running meanwhile.
        await asyncio.to_thread(self.run, str(self.bin / "initdb"), "-D", str(self.data), "-U", ROLE,
                                "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        error = ""
        for _ in range(3):  # a port taken between picking and binding: another one
            self.port = free_port()
            options = f"-k {self.directory} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off"
            try:
                await asyncio.to_thread(self.run, str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                                        str(self.directory / "postgres.log"), "-w", "-t", "30", "-o", options,
                                        "start")
                break
            except RuntimeError as failure:
                error = str(failure)
        else:
            raise RuntimeError(f"pg_ctl start failed: {error} {self.server_log()[-400:]}")
        await asyncio.to_thread(self.run, str(self.bin / "createdb"), "-h", str(self.directory), "-p",
                                str(self.port), "-U", ROLE, DATABASE)

    def query(self, sql):
        """psql's unaligned output of `sql` (the client needs no other user: trust on the socket)."""
        result = subprocess.run([str(self.bin / "psql"), "-h", str(self.directory), "-p", str(self.port), "-U", ROLE,
                                 "-d", DATABASE, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"psql: {result.stderr.strip()[-300:]}")
        return result.stdout.strip()

    def ids(self):
        """Every id in the table, in order."""
        text = self.query("SELECT id FROM faye_chat ORDER BY id")
        return [int(line) for line in text.splitlines() if line]

    def server_log(self):
        log = self.directory / "postgres.log" if self.directory else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    def stop(self):
        """Stops the server (fast, then the postmaster killed) and removes the directory; keeps its
        log with the suite's. Synchronous, so that it also runs when the run is being cancelled.
        Returns what went wrong, or None."""
        if self.directory is None or not self.directory.exists():
            return None
        problem = None
        if (self.data / "postmaster.pid").exists():
            try:
                self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "20", "stop",
                         timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
                problem = f"pg_ctl stop: {error}"
                try:
                    pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
                    os.kill(pid, signal.SIGKILL)
                    time.sleep(0.5)
                except (OSError, ValueError):
                    pass
        try:
            (self.log_dir / "postgres.log").write_text(self.server_log())
        except OSError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.directory.exists():
            problem = (problem + "; " if problem else "") + f"{self.directory} is still there"
        return problem


# MARK: clients


@dataclass
class Message:
    id: int
    text: str
    connection: int  # which of the client's connections brought it


@dataclass
class Connection:
    opened: float
    last_event_id: str | None = None  # what it sent (EventSource)
    instance: str | None = None  # X-Faye-Instance of the response
    ended: float | None = None
    last_field: tuple | None = None  # the stream's last field line, e.g. ("retry", "1000")
    code: int | None = None  # the close code a WebSocket received
    error: str | None = None


class StreamClient:
    """A small EventSource client (after the HTML standard's "server-sent events"): GET PATH with
    Accept: text/event-stream; events from CRLF, LF or CR lines; `id` kept as the last event ID and
    `retry` as the reconnection time; when the stream ends it waits that long and comes back with
    Last-Event-ID. Each event's data is the demo's JSON, whose id must be the event's."""

    def __init__(self, port, path="/events", last_event_id=None):
        self.port = port
        self.path = path
        self.last_event_id = last_event_id
        self.retry_ms = 3000
        self.messages: list[Message] = []
        self.connections: list[Connection] = []
        self.problems: list[str] = []

    async def run(self, stop: asyncio.Event, max_connections=10):
        while not stop.is_set() and len(self.connections) < max_connections:
            reading = asyncio.ensure_future(self._stream())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reading, stopping):
                task.cancel()
            await asyncio.gather(reading, stopping, return_exceptions=True)
            if self.connections and self.connections[-1].ended is None:
                self.connections[-1].ended = time.monotonic()
            if stop.is_set():
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
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 5)
            headers = [f"GET {self.path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept: text/event-stream",
                       "Cache-Control: no-cache"]
            if self.last_event_id is not None:
                headers.append(f"Last-Event-ID: {self.last_event_id}")
            writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
            status, fields = await asyncio.wait_for(read_head(reader), 5)
            connection.instance = fields.get("x-faye-instance")
            if status != 200 or not fields.get("content-type", "").startswith("text/event-stream"):
                connection.error = f"{status} {fields.get('content-type')}"
                return
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            buffer, data, last_id = "", [], self.last_event_id
            async for chunk in body_chunks(reader, fields):
                buffer += decoder.decode(chunk)
                while (match := re.search(r"\r\n|\r|\n", buffer)) and not (
                        match.group() == "\r" and match.end() == len(buffer)):
                    line, buffer = buffer[:match.start()], buffer[match.end():]
                    if line == "":
                        self.last_event_id = last_id
                        if data:
                            self._event("\n".join(data), last_id, index)
                        data = []
                        continue
                    if line.startswith(":"):
                        continue
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    connection.last_field = (name, value)
                    if name == "data":
                        data.append(value)
                    elif name == "id":
                        last_id = value
                    elif name == "retry" and value.isdigit():
                        self.retry_ms = int(value)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError) as error:
            connection.error = f"{type(error).__name__}: {error}"
        finally:
            connection.ended = time.monotonic()
            if writer is not None:
                writer.close()

    def _event(self, data, event_id, index):
        try:
            message = json.loads(data)
            number, text = int(message["id"]), str(message["text"])
        except (ValueError, KeyError, TypeError):
            self.problems.append(f"an event that is not the demo's JSON: {data[:80]!r}")
            return
        if str(number) != event_id:
            self.problems.append(f"event id {event_id} for message {number}")
        self.messages.append(Message(number, text, index))

    def ids(self):
        return [message.id for message in self.messages]


class SocketClient:
    """A WebSocket client of /chat: collects every message; `send` posts through it. With
    `reconnect`, comes back (after 200 ms) when the connection drops, until stopped."""

    def __init__(self, url, reconnect=False):
        self.url = url
        self.reconnect = reconnect
        self.messages: list[Message] = []
        self.connections: list[Connection] = []
        self.problems: list[str] = []
        self.socket = None
        self.open = asyncio.Event()

    async def run(self, stop: asyncio.Event, max_connections=10):
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        while not stop.is_set() and len(self.connections) < max_connections:
            record = Connection(time.monotonic())
            self.connections.append(record)
            index = len(self.connections) - 1
            try:
                async with connect(self.url, proxy=None, open_timeout=5, close_timeout=2, ping_interval=None,
                                   max_size=4 * MAX_MESSAGE) as socket_:
                    record.instance = socket_.response.headers.get("X-Faye-Instance")
                    self.socket = socket_
                    self.open.set()
                    receiving = asyncio.ensure_future(self._receive(socket_, index))
                    stopping = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    if receiving.done():
                        receiving.result()  # its ConnectionClosed
                    receiving.cancel()
            except ConnectionClosed as error:
                record.code = error.rcvd.code if error.rcvd is not None else 1006
            except (OSError, InvalidHandshake, asyncio.TimeoutError) as error:
                record.error = f"{type(error).__name__}: {error}"
            finally:
                record.ended = time.monotonic()
                self.socket = None
                self.open.clear()
            if not self.reconnect or stop.is_set():
                return
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except asyncio.TimeoutError:
                pass

    async def _receive(self, socket_, index):
        while True:
            data = await socket_.recv()
            try:
                message = json.loads(data)
                self.messages.append(Message(int(message["id"]), str(message["text"]), index))
            except (ValueError, KeyError, TypeError):
                self.problems.append(f"a message that is not the demo's JSON: {str(data)[:80]!r}")

    def ids(self):
        return [message.id for message in self.messages]


async def post(port, body: bytes, timeout=5.0):
    """POST /messages: (status, headers, body)."""
    async def exchange():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write((f"POST /messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                          f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                          f"Connection: close\r\n\r\n").encode() + body)
            try:
                await writer.drain()
            except ConnectionError:
                pass  # refused before the whole body was read: the answer is still there to read
            status, fields = await read_head(reader)
            answer = b"".join([chunk async for chunk in body_chunks(reader, fields)])
            return status, fields, answer
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


async def post_text(port, text):
    """Posts `text`; its id (None when it was not stored)."""
    status, _, answer = await post(port, text.encode())
    if status != 201:
        return None
    return int(json.loads(answer)["id"])


def in_order(ids):
    """None when `ids` strictly increase; else where they do not."""
    for position in range(1, len(ids)):
        if ids[position] <= ids[position - 1]:
            kind = "a repeat" if ids[position] in ids[:position] else "out of order"
            return f"{kind} at position {position}: {ids[position - 1]} then {ids[position]}"
    return None


def compare(ids, expected):
    """None when `ids` are exactly `expected` (in order); else what differs."""
    if ids == expected:
        return None
    disorder = in_order(ids)
    if disorder:
        return disorder
    missing = sorted(set(expected) - set(ids))
    extra = sorted(set(ids) - set(expected))
    return (f"{len(ids)} of {len(expected)} messages" + (f", missing {missing[:8]}" if missing else "")
            + (f", unexpected {extra[:8]}" if extra else ""))


# MARK: the run


@dataclass
class Instance:
    name: str
    process: asyncio.subprocess.Process
    port: int
    url: str  # its --postgres
    log: Path
    starts: int = 1


@dataclass
class Run:
    reporter: object
    bin_dir: Path
    work: Path
    registry: list | None = None
    processes: Processes = None
    postgres: Postgres | None = None
    instances: dict = field(default_factory=dict)
    reported: set = field(default_factory=set)

    def report(self, name, ok, detail, started=None):
        self.reported.add(name)
        self.reporter.report(FANOUT, name, bool(ok), detail, time.monotonic() - started if started else 0.0)

    async def check(self, name, body, timeout=CHECK_TIMEOUT):
        """Runs `body()` → (ok, detail) within `timeout`; an exception is a failure."""
        started = time.monotonic()
        try:
            ok, detail = await asyncio.wait_for(body(), timeout)
        except asyncio.TimeoutError:
            ok, detail = False, f"no verdict within {timeout:.0f} s"
        except Exception as error:  # a check that breaks fails, the others still run
            ok, detail = False, f"{type(error).__name__}: {error}"
        self.report(name, ok, detail, started)
        return ok

    def fail_rest(self, detail):
        for name in CHECKS:
            if name not in self.reported:
                self.report(name, False, detail)

    # MARK: processes

    async def start_instance(self, name, url, port=0):
        previous = self.instances.get(name)
        starts = previous.starts + 1 if previous else 1
        log_name = f"{BINARY}-{name}" + (f"-{starts}" if starts > 1 else "")
        process, log = await self.processes.spawn(log_name, str(self.bin_dir / BINARY), "--port", str(port),
                                                  "--instance", name, "--postgres", url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.returncode is None:
            ready = READY_LINE.search(log.read_text(errors="replace"))
            if ready:
                instance = Instance(name, process, int(ready.group(1)), url, log, starts)
                self.instances[name] = instance
                return instance
            await asyncio.sleep(0.05)
        await self.processes.stop(process)
        raise RuntimeError(f"{BINARY} {name} did not start (exit {process.returncode}): "
                           f"{log.read_text(errors='replace')[-500:].strip()}")

    async def haproxy(self, port_a, port_b):
        program = deploy.find_program("haproxy")
        directory = self.work / "haproxy"
        directory.mkdir(exist_ok=True)
        error = ""
        for _ in range(3):
            port = free_port()
            config = directory / "haproxy.cfg"
            config.write_text(render("fanout-haproxy.cfg.in", {"DIR": directory, "PORT": port, "PORT_A": port_a,
                                                                "PORT_B": port_b, "STATS_SOCKET": self.stats}))
            process, log = await self.processes.spawn("haproxy", program, "-f", str(config), "-db",
                                                      stdout_path=directory / "stdout.log")
            if await wait_for_port(port, process):
                return process, port
            await self.processes.stop(process)
            error = log.read_text(errors="replace")[-400:].strip()
        raise RuntimeError(f"haproxy did not start: {error}")

    # MARK: the group

    async def run(self):
        self.processes = Processes(self.work, self.registry)
        # HAProxy's stats socket: a Unix socket path has at most 107 bytes, so in /tmp.
        socket_dir = Path(tempfile.mkdtemp(prefix="fanout-suite-"))
        self.stats = socket_dir / "haproxy.sock"
        try:
            await self.check("Docs/Deployment.md shows fanout-haproxy.cfg.in verbatim",
                             lambda: deploy.documented("fanout-haproxy.cfg.in"))
            self.postgres = Postgres(postgres_bin_dir(), self.work)
            if not await self.check("PostgreSQL started from a temporary directory", self.start_postgres, 90):
                self.fail_rest("not run: PostgreSQL did not start")
                return
            if not await self.check("two instances on one table (TCP and Unix socket)", self.start_instances):
                self.fail_rest("not run: the instances did not start")
                return
            await self.check("posted on A and B: clients on both get every message in one order", self.one_order)
            await self.kill_and_restart()
            await self.check("LISTEN connections cut (pg_terminate_backend): both instances reconnect and catch up",
                             self.listen_cut)
            await self.check("64 KiB body stored, one byte more refused with 413", self.too_large)
            await self.check("SIGTERM: WebSocket closed with 1001, stream ends with retry: 1000, exit 0",
                             self.graceful)
        finally:
            await self.processes.stop_all()
            shutil.rmtree(socket_dir, ignore_errors=True)
            if self.postgres is not None and self.postgres.directory is not None:
                started = time.monotonic()
                directory = self.postgres.directory
                problem = self.postgres.stop()
                self.report("PostgreSQL stopped and its directory removed", problem is None,
                            problem or f"pg_ctl stop -m fast; {directory} removed", started)
            self.fail_rest("not run")

    async def start_postgres(self):
        if self.postgres.bin is None:
            return False, f"no /usr/lib/postgresql/*/bin/initdb ({MISSING_HINTS['postgresql']})"
        await self.postgres.start()
        version = (await asyncio.to_thread(self.postgres.query, "SHOW server_version")).split()[0]
        who = "as postgres (run as root)" if self.postgres.as_user else "as this user"
        return True, (f"PostgreSQL {version} from {self.postgres.bin}, {who}, in {self.postgres.directory}: "
                      f"127.0.0.1:{self.postgres.port} and a Unix socket there")

    async def start_instances(self):
        # Together, so that both create the table at once (the demo serialises that).
        a, b = await asyncio.gather(self.start_instance("A", self.postgres.tcp_url()),
                                    self.start_instance("B", self.postgres.socket_url()))
        process, self.proxy_port = await self.haproxy(a.port, b.port)
        tables = await asyncio.to_thread(self.postgres.query,
                                         "SELECT count(*) FROM pg_tables WHERE tablename = 'faye_chat'")
        healthy = await deploy_status(self.stats, {"s1": HEALTHY, "s2": HEALTHY}, 5)
        ok = tables == "1" and healthy is not None
        return ok, (f"A on :{a.port} ({a.url}), B on :{b.port} ({b.url}); tables named faye_chat: {tables}; "
                    f"HAProxy on :{self.proxy_port}: {healthy or 'not both UP within 5 s'}")

    async def one_order(self):
        a, b = self.instances["A"], self.instances["B"]
        stop = asyncio.Event()
        sockets = {name: SocketClient(f"ws://127.0.0.1:{instance.port}/chat") for name, instance in
                   (("A", a), ("B", b))}
        streams = {name: StreamClient(instance.port) for name, instance in (("A", a), ("B", b))}
        tasks = [asyncio.ensure_future(client.run(stop)) for client in (*sockets.values(), *streams.values())]
        try:
            ready = await wait_until(lambda: all(c.open.is_set() for c in sockets.values())
                                     and all(c.connections and c.connections[0].instance for c in streams.values()),
                                     5)
            if not ready:
                return False, "the clients did not connect"
            first = max([0, *await asyncio.to_thread(self.postgres.ids)])
            texts = []
            for number in range(ORDER_MESSAGES):
                text = f"order {number} ☃"
                texts.append(text)
                origin = a if number % 2 == 0 else b
                if number % 5 == 4:
                    # Over A's WebSocket, as a client would post; waits for it before the next.
                    await sockets["A"].socket.send(text)
                    await wait_until(lambda: any(m.text == text for m in streams["B"].messages), 5)
                else:
                    if await post_text(origin.port, text) is None:
                        return False, f"POST of message {number} on {origin.name} was not stored"
            table = [i for i in await asyncio.to_thread(self.postgres.ids) if i > first]
            clients = {f"WebSocket on {n}": c for n, c in sockets.items()}
            clients.update({f"EventSource on {n}": c for n, c in streams.items()})
            await wait_until(lambda: all(len(c.messages) >= len(table) for c in clients.values()), 10)
            problems = []
            for label, client in clients.items():
                difference = compare(client.ids(), table)
                if difference:
                    problems.append(f"{label}: {difference}")
                elif [m.text for m in client.messages] != texts:
                    problems.append(f"{label}: the texts are not the posted ones in posting order")
                problems += [f"{label}: {p}" for p in client.problems]
            return not problems, "; ".join(problems) or (
                f"{len(table)} messages (ids {table[0]}..{table[-1]}), 40 posted over HTTP and 10 over A's "
                f"WebSocket, alternately on A and B: the same {len(table)} in the same order on A's and B's "
                f"WebSocket and EventSource clients")
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)

    async def kill_and_restart(self):
        names = [CHECKS[4], CHECKS[5], CHECKS[6]]
        started = time.monotonic()
        try:
            outcome = await asyncio.wait_for(self.kill(), 45)
        except Exception as error:
            detail = "no verdict within 45 s" if isinstance(error, asyncio.TimeoutError) \
                else f"{type(error).__name__}: {error}"
            for name in names:
                self.report(name, False, detail, started)
            return
        for name, (ok, detail) in zip(names[:2], outcome):
            self.report(name, ok, detail, started)
        await self.check(names[2], self.restart)

    async def kill(self):
        """EventSource and WebSocket clients through HAProxy, posts all along; the first stream's
        instance is killed. Returns the verdicts of the streams and of the sockets."""
        stop = asyncio.Event()
        streams = [StreamClient(self.proxy_port) for _ in range(KILL_CLIENTS)]
        sockets = [SocketClient(f"ws://127.0.0.1:{self.proxy_port}/chat", reconnect=True)
                   for _ in range(KILL_CLIENTS)]
        tasks = []
        posted, refused = [], []
        posting = asyncio.Event()
        try:
            # One at a time, so that round robin puts half of each kind on each instance.
            for client in streams:
                tasks.append(asyncio.ensure_future(client.run(stop)))
                await wait_until(lambda: client.connections and client.connections[0].instance, 5)
            for client in sockets:
                tasks.append(asyncio.ensure_future(client.run(stop)))
                await wait_until(client.open.is_set, 5)
            first_of = [c.connections[0].instance if c.connections else None for c in (*streams, *sockets)]
            if None in first_of or set(first_of) != {"A", "B"}:
                failure = (False, f"the clients are not on both instances: {first_of}")
                return failure, failure
            victim_name = streams[0].connections[0].instance
            survivor_name = "B" if victim_name == "A" else "A"
            victim, survivor = self.instances[victim_name], self.instances[survivor_name]
            baseline = max([0, *await asyncio.to_thread(self.postgres.ids)])

            async def poster():
                number = 0
                while not posting.is_set():
                    target = (victim, survivor)[number % 2]
                    try:
                        identifier = await post_text(target.port, f"stream {number}")
                        (posted if identifier is not None else refused).append((target.name, identifier))
                    except (OSError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                        refused.append((target.name, None))
                    number += 1
                    await asyncio.sleep(POST_EVERY)

            tasks.append(asyncio.ensure_future(poster()))
            await wait_until(lambda: all(len(c.messages) >= 5 for c in (*streams, *sockets)), 10)
            on_victim_streams = [c for c in streams if c.connections[0].instance == victim_name]
            on_victim_sockets = [c for c in sockets if c.connections[0].instance == victim_name]
            killed_at = time.monotonic()
            victim.process.kill()
            await victim.process.wait()
            await asyncio.sleep(POST_AFTER_KILL)
            posting.set()
            await asyncio.sleep(0.2)
            table = [i for i in await asyncio.to_thread(self.postgres.ids) if i > baseline]
            await wait_until(lambda: all(c.ids()[-1:] == table[-1:] for c in (*streams, *sockets)
                                         if c not in on_victim_sockets), 10)
            await wait_until(lambda: all(any(m.connection >= 1 for m in c.messages) for c in on_victim_sockets), 5)

            # The streams: every row after the baseline, once and in order, the victim's back on
            # the survivor after Last-Event-ID.
            problems, resumed = [], []
            for number, client in enumerate(streams):
                difference = compare(client.ids(), table)
                if difference:
                    problems.append(f"stream {number} (on {client.connections[0].instance}): {difference}")
                problems += [f"stream {number}: {p}" for p in client.problems]
                if client in on_victim_streams:
                    later = client.connections[1:]
                    back = next((c for c in later if c.instance), None)
                    if back is None:
                        problems.append(f"stream {number}: did not come back ({[c.error for c in later]})")
                    elif back.instance != survivor_name:
                        problems.append(f"stream {number}: came back on {back.instance}")
                    else:
                        resumed.append(f"Last-Event-ID {back.last_event_id} → {back.instance} after "
                                       f"{(back.opened - killed_at) * 1000:.0f} ms")
                elif len(client.connections) != 1:
                    problems.append(f"stream {number} on {survivor_name} reconnected: "
                                    f"{[c.error for c in client.connections]}")
            stored_posts = [i for _, i in posted]
            lost = sorted(set(stored_posts) - set(table))
            if lost:
                problems.append(f"posts answered 201 but not in the table: {lost[:8]}")
            streams_verdict = (not problems, "; ".join(problems) or (
                f"{victim_name} killed (SIGKILL) with {len(on_victim_streams)} of {len(streams)} streams on it, "
                f"{len(table)} messages in the table since (posted every {POST_EVERY * 1000:.0f} ms on A and B: "
                f"{len(posted)} stored, {len(refused)} refused by the dead one); each stream has them all, "
                f"once, in order; " + "; ".join(resumed)))

            # The sockets: the victim's dropped, came back on the survivor and got new messages;
            # the survivor's got everything in order.
            problems, details = [], []
            for number, client in enumerate(sockets):
                problems += [f"socket {number}: {p}" for p in client.problems]
                disorder = in_order(client.ids())
                if disorder:
                    problems.append(f"socket {number}: {disorder}")
                if client in on_victim_sockets:
                    first = client.connections[0]
                    back = next((c for c in client.connections[1:] if c.instance), None)
                    after = [m.id for m in client.messages if m.connection >= 1]
                    if first.ended is None or first.ended < killed_at:
                        problems.append(f"socket {number}: its connection to {victim_name} did not drop")
                    elif back is None or back.instance != survivor_name:
                        problems.append(f"socket {number}: back on {back and back.instance} "
                                        f"({[c.error for c in client.connections]})")
                    elif not after:
                        problems.append(f"socket {number}: no message after reconnecting")
                    else:
                        details.append(f"dropped ({first.code}), back on {back.instance} after "
                                       f"{(back.opened - first.ended) * 1000:.0f} ms, {len(after)} new messages")
                else:
                    difference = compare([i for i in client.ids() if i > baseline], table)
                    if difference:
                        problems.append(f"socket {number} on {survivor_name}: {difference}")
            sockets_verdict = (not problems, "; ".join(problems) or (
                f"{len(on_victim_sockets)} of {len(sockets)} on {victim_name}: " + "; ".join(details)
                + f"; the others, on {survivor_name}, got all {len(table)} in order"))
            self.victim = victim_name
            self.survivor = survivor_name
            return streams_verdict, sockets_verdict
        finally:
            posting.set()
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)

    async def restart(self):
        victim_name = getattr(self, "victim", None)
        if victim_name is None:
            return False, "not run: no instance was killed"
        old = self.instances[victim_name]
        survivor = self.instances[self.survivor]
        started = time.monotonic()
        restarted = await self.start_instance(victim_name, old.url, port=old.port)
        server = "s1" if victim_name == "A" else "s2"
        up = await deploy_status(self.stats, {server: HEALTHY}, 5)
        stop = asyncio.Event()
        replay = StreamClient(restarted.port, last_event_id="0")
        socket_ = SocketClient(f"ws://127.0.0.1:{restarted.port}/chat")
        tasks = [asyncio.ensure_future(replay.run(stop)), asyncio.ensure_future(socket_.run(stop))]
        try:
            await wait_until(lambda: socket_.open.is_set() and replay.connections
                             and replay.connections[0].instance, 5)
            table = await asyncio.to_thread(self.postgres.ids)
            await wait_until(lambda: replay.ids()[-1:] == table[-1:], 10)
            replayed = len(replay.messages)
            new = [await post_text(survivor.port, f"after restart {n}") for n in range(3)]
            table = await asyncio.to_thread(self.postgres.ids)
            await wait_until(lambda: replay.ids()[-1:] == table[-1:] and len(socket_.messages) >= 3, 10)
            problems = []
            difference = compare(replay.ids(), table)
            if difference:
                problems.append(f"the stream from Last-Event-ID 0: {difference}")
            if socket_.ids() != new:
                problems.append(f"its WebSocket got {socket_.ids()} for the posts {new} on {survivor.name}")
            if up is None:
                problems.append(f"HAProxy did not see {server} UP within 5 s")
            problems += replay.problems + socket_.problems
            return not problems, "; ".join(problems) or (
                f"{victim_name} up again on :{restarted.port} ({server} UP in HAProxy "
                f"{time.monotonic() - started:.2f} s after the start); Last-Event-ID 0 replayed all {replayed} "
                f"messages in order, then the 3 posted on {survivor.name} came to its stream and WebSocket")
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)

    async def listen_cut(self):
        """Every connection of the instances ended by the server; messages posted right after (on
        one instance, with retries while its pool finds its connections gone) must reach clients
        of both, through the LISTEN connections each instance gets back."""
        instances = [self.instances[name] for name in ("A", "B")]
        stop = asyncio.Event()
        sockets = [SocketClient(f"ws://127.0.0.1:{i.port}/chat") for i in instances]
        streams = [StreamClient(i.port) for i in instances]
        tasks = [asyncio.ensure_future(c.run(stop, max_connections=1)) for c in (*sockets, *streams)]
        try:
            await wait_until(lambda: all(c.open.is_set() for c in sockets)
                             and all(c.connections and c.connections[0].instance for c in streams), 5)
            marks = [i.log.stat().st_size for i in instances]
            cut = await asyncio.to_thread(self.postgres.query, (
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                f"WHERE datname = '{DATABASE}' AND pid <> pg_backend_pid()"))
            await asyncio.sleep(0.3)
            new = []
            for number in range(5):
                for _ in range(20):  # 503 while the pool still hands out a connection that was cut
                    identifier = await post_text(instances[number % 2].port, f"after the cut {number}")
                    if identifier is not None:
                        new.append(identifier)
                        break
                    await asyncio.sleep(0.1)
            await wait_until(lambda: all(c.ids()[-len(new):] == new for c in (*sockets, *streams)), 10)
            problems = []
            for client in (*sockets, *streams):
                if client.ids()[-len(new):] != new or len(new) != 5:
                    problems.append(f"a client on {client.connections[0].instance} got {client.ids()[-5:]} "
                                    f"for the posts {new}")
            lines = []
            for instance, mark in zip(instances, marks):
                with open(instance.log, "rb") as log:
                    log.seek(mark)
                    text = log.read().decode(errors="replace")
                lost = "LISTEN connection" in text and " lost: " in text
                back = re.search(r"listening on faye_chat at \S+, delivered up to (\d+)", text)
                if not lost or not back:
                    problems.append(f"{instance.name} logged no lost LISTEN connection and reconnection")
                else:
                    lines.append(f"{instance.name} logged the loss and listened again from {back.group(1)}")
            return not problems, "; ".join(problems) or (
                f"{cut} connections ended by PostgreSQL; " + "; ".join(lines)
                + f"; the 5 messages posted after ({new[0]}..{new[-1]}) reached WebSocket and EventSource "
                  f"clients on both, in order")
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)

    async def too_large(self):
        port = self.instances["B"].port
        fits, fits_headers, fits_body = await post(port, b"x" * MAX_MESSAGE)
        over, _, over_body = await post(port, b"x" * (MAX_MESSAGE + 1))
        stored = await asyncio.to_thread(self.postgres.query,
                                         f"SELECT count(*) FROM faye_chat WHERE length(body) > {MAX_MESSAGE}")
        ok = fits == 201 and over == 413 and stored == "0"
        return ok, (f"{MAX_MESSAGE} bytes: {fits} {fits_body.strip()[:40]!r} (X-Faye-Instance "
                    f"{fits_headers.get('x-faye-instance')}); {MAX_MESSAGE + 1} bytes: {over} "
                    f"{over_body.strip()[:40]!r}; rows longer than {MAX_MESSAGE}: {stored}")

    async def graceful(self):
        target = self.instances[getattr(self, "survivor", "B")]
        stop = asyncio.Event()
        stream = StreamClient(target.port)
        socket_ = SocketClient(f"ws://127.0.0.1:{target.port}/chat")
        tasks = [asyncio.ensure_future(stream.run(stop, max_connections=1)), asyncio.ensure_future(socket_.run(stop))]
        try:
            await wait_until(lambda: socket_.open.is_set() and stream.connections
                             and stream.connections[0].instance, 5)
            await post_text(target.port, "before SIGTERM")
            await wait_until(lambda: stream.messages and socket_.messages, 5)
            signalled = time.monotonic()
            target.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(target.process.wait(), 10)
            except asyncio.TimeoutError:
                pass
            exited = time.monotonic() - signalled
            await wait_until(lambda: socket_.connections[0].ended and stream.connections[0].ended, 3)
            code, status = socket_.connections[0].code, target.process.returncode
            last = stream.connections[0].last_field
            ok = code == 1001 and last == ("retry", str(RETRY_MS)) and status == 0
            return ok, (f"{target.name}: WebSocket closed with {code}, the stream's last field {last}, "
                        f"exit status {status} {exited:.2f} s after SIGTERM")
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)


async def deploy_status(stats, wanted, seconds):
    """HAProxy's status of backend faye's servers once they are as `wanted` (deploy.py's reader)."""
    return await deploy.wait_until_status(stats, wanted, seconds)


# MARK: entry points


async def run(reporter, bin_dir: Path, work_dir: Path, registry=None):
    """Runs the group (the caller has reported a missing PostgreSQL or HAProxy);
    reporter.report(key, check, ok, detail, seconds) gets every check."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    await Run(reporter, Path(bin_dir), work_dir, registry).run()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", required=True, help=f"the directory holding {BINARY}")
    parser.add_argument("--timeout", type=float, default=120, help="overall bound in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments = parser.parse_args()
    if not (Path(arguments.bin_dir) / BINARY).exists():
        raise SystemExit(f"fanout: {arguments.bin_dir}/{BINARY} is missing (swift build --traits PostgresFanOut)")
    try:
        import websockets  # noqa: F401
    except ImportError:
        raise SystemExit("fanout: Python websockets is missing: run with $(scripts/venv.sh --python)")

    reporter = deploy.PrintingReporter(GROUPS)
    versions = {**detect_versions(), "haproxy": deploy.detect_versions()["haproxy"]}
    print(f"fanout: PostgreSQL {versions['postgresql'] or 'missing'}, HAProxy {versions['haproxy'] or 'missing'}",
          flush=True)
    missing = [name for name in GROUPS[FANOUT][3] if not versions.get(name)]
    work = Path(tempfile.mkdtemp(prefix="fanout-suite-"))
    if missing:
        reporter.report(FANOUT, "peer present", False,
                        "; ".join(f"{name} missing ({MISSING_HINTS[name]})" for name in missing))
    deploy.run_standalone("fanout", reporter, [FANOUT], work, arguments,
                          None if missing else lambda: run(reporter, Path(arguments.bin_dir), work))


if __name__ == "__main__":
    main()
