#!/usr/bin/env python3
"""The interoperability suite: our executables against peers nobody here wrote.

  1. Python `websockets` and node `ws` clients against faye-server.
  2. Our client (faye-interop) against Python `websockets` and node `ws` servers, each with
     permessage-deflate in ten configurations; `wss:` against a Python TLS server with a CA made
     now; our client and the Python client through tinyproxy.
  3. Headless Chromium against faye-server's demo page (see browser.py).
  4. Our EventSource client (faye-eventsource) against sse-starlette on uvicorn, across a
     restart of faye-server on the same port, and to faye-server over https and through a
     tinyproxy with Basic credentials (see eventsource.py and sse_server.py).
  5. faye-server over HTTP/2 (always faye-server, whatever --server says): the Python `h2` client
     with `wsproto` framing over cleartext prior knowledge (h2c) and over TLS with ALPN, and
     headless Chromium loading the demo page over h2 (see h2_peer.py and browser_h2.py). These
     run beside the groups above, not after them.
  6. faye-server deployed behind nginx and HAProxy, as Docs/Deployment.md configures them
     (scripts/deploy/deploy.py and its templates): WebSocket and EventSource through each, the
     client's address through X-Forwarded-For and the PROXY protocol, forwarded fields from
     untrusted peers ignored, and a rolling restart of one of two instances behind HAProxy. Also
     beside the other groups.
  7. faye-fanout-demo: two instances sharing a chat through a PostgreSQL of its own (started from
     a temporary directory) behind HAProxy, one killed and started again
     (scripts/deploy/fanout.py). Beside the other groups too.

Every peer runs as a separate process on loopback. Each check has its own timeout, the whole
run an overall bound. One line per check; the exit status is non-zero on any failure, on any
expected check that did not report, and on any missing peer.

usage: interop.py --bin-dir DIR [--write-doc] [--only GROUP[,GROUP]] [--timeout SECONDS]
  GROUP: clients, servers, wss, tinyproxy, browser, eventsource, h2 (python-h2, python-h2-tls and
  chromium-h2 together), deploy (deploy/nginx, deploy/haproxy, deploy/direct and
  deploy/rolling-restart together), fanout (faye-fanout-demo with PostgreSQL and HAProxy).
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (the peers inherit it below)
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "deploy"))

from constants import ECHO_SIZES  # noqa: E402
import browser_h2  # noqa: E402
import deploy  # noqa: E402
import eventsource  # noqa: E402
import fanout  # noqa: E402

NODE_PATH = os.pathsep.join(p for p in ["/usr/share/nodejs", "/usr/lib/nodejs", os.environ.get("NODE_PATH", "")] if p)
ARTIFACTS = ROOT / ".build" / "interop"

ECHO_CHECKS = [f"echo {kind} {size}" for kind in ("text", "binary") for size in ECHO_SIZES]
PEER_CLIENT_CHECKS = ECHO_CHECKS + [
    "utf8 multibyte",
    "fragmented utf8 sent",
    "ping pong",
    "close 1000 with reason",
    "subprotocol",
    "deflate negotiated",
    "deflate on the wire",
    "burst of 1000 in order",
    "invalid utf8 closed with 1007",
]
OUR_CLIENT_CHECKS = ECHO_CHECKS + [
    "utf8 multibyte",
    "fragmented utf8 received",
    "ping pong",
    "server ping answered",
    "close 1000 with reason",
    "subprotocol",
    "deflate negotiated",
    "deflate on the wire",
    "burst of 1000 in order",
    "invalid utf8 closed with 1007",
]
# A refusal passes only for its own reason (not, say, a refused TCP connection).
REFUSAL_REASONS = {
    "wss wrong host name refused": "hostname mismatch",
    "wss unknown CA refused": "certificate verify failed",
}
# Through tinyproxy, a subset of the battery (the full one runs directly).
PROXY_SUBSET = ["echo text 65536", "echo binary 1048576", "utf8 multibyte", "close 1000 with reason", "deflate on the wire"]

# HTTP/2 (h2_peer.py prints these names; an expected name that does not come back is a failure).
# H2_CHECKS are what both runs check, in the battery's order; each run's own checks come first.
H2_CHECKS = [
    "settings advertise extended CONNECT",
    "GET / over h2",
    "extended CONNECT accepted",
    "echo text",
    "echo binary",
    "echo 1 MiB binary",
    "echo deflated text",
    "close from client",
    "close from server",
    "rst from client leaves the connection",
    "protocol error stays in its stream",
    "non-reading stream blocks only itself",
    "many streams on one connection",
    "stream beyond the limit refused",
    "plain CONNECT refused",
    "extended CONNECT without authority refused",
    "wrong websocket version refused",
]
H2C_CHECKS = ["h1 on the h2c port"] + H2_CHECKS
H2_TLS_CHECKS = ["alpn selects h2", "alpn http/1.1 fallback"] + H2_CHECKS
H2_SERVER_ARGUMENTS = ["--protocols", "chat.v1,chat.v2", "--sse-interval", "100"]
H2_GROUPS = ("python-h2", "python-h2-tls", "chromium-h2")
# The deployment groups (scripts/deploy/deploy.py), in their order.
DEPLOY_GROUPS = tuple(deploy.GROUPS)
# The fan-out group (scripts/deploy/fanout.py).
FANOUT_GROUPS = tuple(fanout.GROUPS)
# The selection names of --only.
GROUP_NAMES = ("clients", "servers", "wss", "tinyproxy", "browser", "eventsource", "h2", "deploy", "fanout")

# permessage-deflate configurations of the peer servers: (name, server arguments, response must contain).
DEFLATE_CONFIGS = (
    [("default", [], "permessage-deflate")]
    + [(f"server_max_window_bits={bits}", ["--server-max-window-bits", str(bits)], f"server_max_window_bits={bits}")
       for bits in range(9, 16)]
    + [
        ("server_no_context_takeover", ["--server-no-context-takeover"], "server_no_context_takeover"),
        ("client_no_context_takeover", ["--client-no-context-takeover"], "client_no_context_takeover"),
    ]
)


@dataclass
class Result:
    group: str
    check: str
    ok: bool
    detail: str
    seconds: float = 0.0


@dataclass
class Group:
    """One row of the summary table: a peer, its version, its role, and the checks it ran."""

    key: str
    peer: str
    version: str
    role: str
    expected: list
    results: list = field(default_factory=list)

    @property
    def passed(self):
        return sum(1 for result in self.results if result.ok)


class Suite:
    def __init__(self, bin_dir: Path, log_dir: Path, server: str = "faye-server"):
        self.bin_dir = bin_dir
        # The server under test: faye-server, or a host demo with its command line.
        self.server = server
        self.log_dir = log_dir
        self.groups: dict[str, Group] = {}
        self.processes: list[asyncio.subprocess.Process] = []
        self.versions: dict[str, str | None] = {}

    # MARK: reporting

    def group(self, key, peer, version, role, expected):
        group = Group(key, peer, version or "missing", role, list(expected))
        self.groups[key] = group
        return group

    def report(self, group: Group, check, ok, detail, seconds=0.0):
        result = Result(group.key, check, ok, detail, seconds)
        group.results.append(result)
        status = "PASS" if ok else "FAIL"
        print(f"{status} [{group.key}] {check}: {detail} ({seconds:.2f} s)", flush=True)

    def finish_group(self, group: Group):
        """An expected check that did not report is a failure, never a skip."""
        reported = {result.check for result in group.results}
        for check in group.expected:
            if check not in reported:
                self.report(group, check, False, "did not run (no result reported)")

    # MARK: processes

    async def spawn(self, name, *command, env=None, new_session=False):
        with open(self.log_dir / f"{name}.stderr", "wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env=env,
                start_new_session=new_session,
            )
        self.processes.append(process)
        return process

    async def stop(self, process, grace=3.0):
        if process.returncode is None:
            try:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), grace)
            except (asyncio.TimeoutError, ProcessLookupError):
                try:
                    process.kill()
                except ProcessLookupError:
                    pass
                await process.wait()
        if process in self.processes:
            self.processes.remove(process)

    def kill_all(self):
        for process in self.processes:
            if process.returncode is None:
                try:
                    process.kill()
                except ProcessLookupError:
                    pass

    async def start_faye_server(self, name, *arguments, port=0, binary=None):
        """Starts the server under test (or `binary`, from the same directory); returns (process, port)
        once it printed its listening line."""
        binary = binary or self.server
        stderr_path = self.log_dir / f"{name}.stderr"
        with open(stderr_path, "wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(self.bin_dir / binary), "--port", str(port), *arguments,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )
        self.processes.append(process)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            text = stderr_path.read_text(errors="replace")
            for line in text.splitlines():
                if line.startswith("faye-server listening on "):
                    return process, int(line.rsplit(":", 1)[1])
            if process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        await self.stop(process)
        raise RuntimeError(f"{binary} did not start: {stderr_path.read_text(errors='replace')[-500:]}")

    async def start_peer_server(self, name, command, env=None):
        """Starts a peer server; returns (process, port, events) where events collects its lines."""
        process = await self.spawn(name, *command, env=env)
        line = await asyncio.wait_for(process.stdout.readline(), 15)
        if not line:
            await process.wait()
            raise RuntimeError(
                f"{name} did not start (exit {process.returncode}): "
                f"{(self.log_dir / f'{name}.stderr').read_text(errors='replace')[-500:]}"
            )
        port = json.loads(line)["port"]
        events = []

        async def collect():
            while line := await process.stdout.readline():
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass

        task = asyncio.get_running_loop().create_task(collect())
        return process, port, events, task

    async def run_battery(self, group: Group, command, timeout, env=None, prefix=""):
        """Runs a battery process and reports each JSON line it prints; returns the results."""
        started = time.monotonic()
        process = await self.spawn(f"{group.key.replace('/', '_')}{prefix.strip().replace(' ', '_')}-battery",
                                   *command, env=env)
        results = []
        try:
            async def read():
                while line := await process.stdout.readline():
                    try:
                        results.append(json.loads(line))
                    except ValueError:
                        print(f"     [{group.key}] unparsable line: {line!r}", flush=True)
                await process.wait()

            await asyncio.wait_for(read(), timeout)
        except asyncio.TimeoutError:
            self.report(group, prefix + "battery", False, f"the battery process ran over {timeout} s and was killed",
                        time.monotonic() - started)
        finally:
            await self.stop(process, grace=1)
        stderr = (self.log_dir / f"{group.key.replace('/', '_')}{prefix.strip().replace(' ', '_')}-battery.stderr")
        if process.returncode not in (0, 1, -signal.SIGTERM, -signal.SIGKILL):
            text = stderr.read_text(errors="replace")[-400:] if stderr.exists() else ""
            self.report(group, prefix + "battery", False, f"exited with {process.returncode}: {text.strip()}")
        return results

    def report_results(self, group, results, prefix="", relay=None, server_events=None):
        for line in results:
            name = line["check"]
            ok, detail = bool(line["ok"]), line["detail"]
            if name == "deflate on the wire" and ok:
                ok, detail = wire_verdict(line, relay)
            if name in REFUSAL_REASONS and ok and REFUSAL_REASONS[name] not in detail:
                ok, detail = False, f"refused, but not for the expected reason ({REFUSAL_REASONS[name]}): {detail}"
            if server_events is not None and ok:
                if name == "invalid utf8 closed with 1007":
                    codes = [e["code"] for e in server_events if e.get("path") == "/invalid-utf8"]
                    if 1007 not in codes:
                        ok, detail = False, f"{detail}, but the server received {codes or 'no close frame'}"
                    else:
                        detail += "; the server received 1007"
                elif name == "close 1000 with reason":
                    seen = [(e["code"], e["reason"]) for e in server_events if e.get("reason")]
                    if (1000, "bye \u2603") not in seen:
                        ok, detail = False, f"{detail}, but the server received {seen}"
                    else:
                        detail += "; the server received 1000 'bye \u2603'"
            self.report(group, prefix + name, ok, detail, float(line.get("seconds", 0)))


class Relay:
    """A TCP relay that counts the raw bytes each way, per connection."""

    def __init__(self, port):
        self.target_port = port
        self.connections = []

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def handle(self, reader, writer):
        record = {"up": 0, "down": 0}
        self.connections.append(record)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pump(source, destination, key):
            try:
                while data := await source.read(1 << 16):
                    record[key] += len(data)
                    destination.write(data)
                    await destination.drain()
                if destination.can_write_eof():
                    destination.write_eof()
            except (ConnectionError, OSError):
                pass

        await asyncio.gather(pump(reader, upstream_writer, "up"), pump(upstream_reader, writer, "down"))
        for stream in (writer, upstream_writer):
            stream.close()

    def close(self):
        self.server.close()


def wire_verdict(line, relay):
    """Compression is proven by the relay's counts: well under the payload, both ways."""
    payload = int(line.get("payload_bytes", 0))
    if relay is None or not relay.connections or payload <= 0:
        return False, "no byte counts from the relay"
    up = sum(c["up"] for c in relay.connections)
    down = sum(c["down"] for c in relay.connections)
    ok = up < payload / 4 and down < payload / 4
    detail = (f"{payload} payload bytes each way took {up} bytes up and {down} bytes down on the wire "
              f"({100 * up / payload:.1f} % / {100 * down / payload:.1f} %)")
    return ok, detail if ok else "not compressed: " + detail


# MARK: peers


def python_websockets_version():
    try:
        import websockets

        return websockets.version.version
    except ImportError:
        return None


def command_version(command, env=None):
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if output.returncode != 0:
        return None
    # Some print their version on stderr (tinyproxy); the chromium wrapper script adds noise there.
    lines = output.stdout.strip().splitlines() or output.stderr.strip().splitlines()
    return lines[-1].strip() if lines else None


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def find_tinyproxy():
    for path in (shutil.which("tinyproxy"), "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def python_package_version(name):
    """The installed version of a PyPI package in this interpreter's environment, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def detect_versions():
    node_env = dict(os.environ, NODE_PATH=NODE_PATH)
    versions = {
        "python-websockets": python_websockets_version(),
        "sse-starlette": python_package_version("sse-starlette"),
        "starlette": python_package_version("starlette"),
        "uvicorn": python_package_version("uvicorn"),
        "h2": python_package_version("h2"),
        "wsproto": python_package_version("wsproto"),
        "node": shutil.which("node") and command_version(["node", "--version"]),
        "node-ws": shutil.which("node")
        and command_version(["node", "-e", "console.log(require('ws/package.json').version)"], env=node_env),
        "openssl": shutil.which("openssl") and command_version(["openssl", "version"]),
    }
    tinyproxy = find_tinyproxy()
    versions["tinyproxy"] = tinyproxy and command_version([tinyproxy, "-v"])
    if versions["tinyproxy"]:
        versions["tinyproxy"] = versions["tinyproxy"].replace("tinyproxy ", "")
    chromium = find_chromium()
    versions["chromium"] = chromium and command_version([chromium, "--version"])
    if versions["chromium"]:
        versions["chromium"] = versions["chromium"].split(" built on")[0].replace("Chromium ", "")
    versions.update(deploy.detect_versions())  # nginx, haproxy
    versions.update(fanout.detect_versions())  # postgresql
    return versions


MISSING_HINTS = {
    "python-websockets": "scripts/venv.sh (runs interop.py with the venv's python)",
    "sse-starlette": "scripts/venv.sh (runs interop.py with the venv's python)",
    "starlette": "scripts/venv.sh (runs interop.py with the venv's python)",
    "uvicorn": "scripts/venv.sh (runs interop.py with the venv's python)",
    "h2": "scripts/venv.sh (runs interop.py with the venv's python)",
    "wsproto": "scripts/venv.sh (runs interop.py with the venv's python)",
    "node": "apt-get install nodejs",
    "node-ws": "apt-get install node-ws",
    "tinyproxy": "apt-get install tinyproxy",
    "chromium": "apt-get install chromium",
    "openssl": "apt-get install openssl",
    **deploy.MISSING_HINTS,
    **fanout.MISSING_HINTS,
}


def missing_peers(suite, group, *names):
    """Reports every missing peer of a group as a failure of each of its checks."""
    missing = [name for name in names if not suite.versions.get(name)]
    if missing:
        hints = "; ".join(f"{name} missing ({MISSING_HINTS[name]})" for name in missing)
        suite.report(group, "peer present", False, hints)
    return bool(missing)


# MARK: groups


async def peer_clients(suite: Suite, proxy_url):
    """Python websockets and node ws clients against the server under test."""
    python = suite.group("python-client", "Python websockets", suite.versions["python-websockets"],
                         f"client → {suite.server}", PEER_CLIENT_CHECKS)
    node = suite.group("node-client", "node ws", suite.versions["node-ws"], f"client → {suite.server}",
                       PEER_CLIENT_CHECKS)
    proxy_group = suite.groups.get("tinyproxy")
    server, port = await suite.start_faye_server("faye-server-peer-clients", "--protocols", "chat.v1,chat.v2")
    try:
        for group, command, env, names in (
            (python, [sys.executable, str(HERE / "peer_client.py")], None, ("python-websockets",)),
            (node, ["node", str(HERE / "peer_client.js")], dict(os.environ, NODE_PATH=NODE_PATH), ("node", "node-ws")),
        ):
            if missing_peers(suite, group, *names):
                continue
            relay = await Relay(port).start()
            arguments = ["--url", f"ws://127.0.0.1:{port}", "--relay-url", f"ws://127.0.0.1:{relay.port}"]
            if group is python and proxy_url:
                arguments += ["--proxy", proxy_url]
            results = await suite.run_battery(group, command + arguments, 240, env=env)
            relay.close()
            proxied = [line for line in results if line["check"] == "echo through tinyproxy"]
            suite.report_results(group, [line for line in results if line not in proxied], relay=relay)
            if proxy_group is not None:
                for line in proxied:
                    suite.report(proxy_group, f"Python websockets client → {suite.server}: echo", bool(line["ok"]),
                                 line["detail"], float(line.get("seconds", 0)))
    finally:
        await suite.stop(server)


def server_command(kind, arguments):
    if kind == "python":
        return [sys.executable, str(HERE / "peer_server.py"), *arguments], None
    return ["node", str(HERE / "peer_server.js"), *arguments], dict(os.environ, NODE_PATH=NODE_PATH)


async def our_client_against(suite, group, kind, server_arguments, expect, prefix="", extra=(), scheme="ws",
                             host="127.0.0.1", checks=None):
    """Starts a peer server, runs faye-interop against it (directly and through a relay)."""
    command, env = server_command(kind, server_arguments)
    name = f"{group.key.replace('/', '_')}{prefix.strip().replace(' ', '_')}-server"
    process, port, events, collector = await suite.start_peer_server(name, command, env=env)
    relay = await Relay(port).start()
    try:
        arguments = [str(suite.bin_dir / "faye-interop"), "--url", f"{scheme}://{host}:{port}",
                     "--relay-url", f"{scheme}://{host}:{relay.port}", *extra]
        if expect:
            arguments += ["--expect-extension", expect]
        if checks:
            arguments += ["--only", ",".join(checks)]
        results = await suite.run_battery(group, arguments, 240, prefix=prefix)
    finally:
        relay.close()
        await suite.stop(process)
        await collector
    suite.report_results(group, results, prefix=prefix, relay=relay, server_events=events)


async def peer_servers(suite: Suite, parallel: int):
    """Our client against Python websockets and node ws servers in every deflate configuration."""
    jobs = []
    for kind, peer, version_key, needs in (
        ("python", "Python websockets", "python-websockets", ("python-websockets",)),
        ("node", "node ws", "node-ws", ("node", "node-ws")),
    ):
        for config, arguments, expect in DEFLATE_CONFIGS:
            group = suite.group(f"{kind}-server/{config}", peer, suite.versions[version_key],
                                f"server ← faye-interop, deflate {config}", OUR_CLIENT_CHECKS)
            if missing_peers(suite, group, *needs):
                continue
            jobs.append((group, kind, arguments, expect))
    semaphore = asyncio.Semaphore(parallel)

    async def job(group, kind, arguments, expect):
        async with semaphore:
            try:
                await our_client_against(suite, group, kind, arguments, expect)
            except Exception as error:  # a peer that does not start fails its group
                suite.report(group, "peer server", False, f"{type(error).__name__}: {error}")

    await asyncio.gather(*(job(*item) for item in jobs))


async def make_pki(directory: Path):
    """A CA made now, a server certificate for localhost (and 127.0.0.1) and one for another name."""
    async def openssl(*arguments):
        process = await asyncio.create_subprocess_exec(
            "openssl", *arguments, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, error = await asyncio.wait_for(process.communicate(), 30)
        if process.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(arguments)} failed: {error.decode(errors='replace')}")

    def path(name):
        return str(directory / name)

    await openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=faye interop CA",
                  "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for serial, (name, dns, alt) in enumerate((("localhost", "localhost", "DNS:localhost,IP:127.0.0.1"),
                                               ("wrong-name", "wrong-name.example", "DNS:wrong-name.example")), 1):
        (directory / f"{name}.ext").write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            f"subjectAltName={alt}\n")
        await openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", path(f"{name}.key"), "-out", path(f"{name}.csr"), "-subj", f"/CN={dns}")
        await openssl("x509", "-req", "-in", path(f"{name}.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                      "-set_serial", str(1000 + serial), "-days", "2", "-extfile", path(f"{name}.ext"),
                      "-out", path(f"{name}.pem"))


async def secure_and_proxied(suite: Suite, proxy_url, pki: Path | None, pki_error):
    """wss: against a Python TLS server with the CA made now; our client through tinyproxy."""
    group = suite.group("python-wss", "Python websockets (TLS)", suite.versions["python-websockets"],
                        "wss server ← faye-interop, CA made at test time",
                        OUR_CLIENT_CHECKS + ["wss wrong host name refused", "wss unknown CA refused"])
    proxy_group = suite.groups["tinyproxy"]
    if missing_peers(suite, group, "python-websockets", "openssl"):
        return
    if pki is None:
        suite.report(group, "test CA", False, f"could not make the test CA: {pki_error}")
        return
    tls = ["--tls-cert", str(pki / "localhost.pem"), "--tls-key", str(pki / "localhost.key")]
    await our_client_against(suite, group, "python", tls, "permessage-deflate", scheme="wss", host="localhost",
                             extra=["--ca-file", str(pki / "ca.pem")])

    # Refusals: a certificate for another name from the same CA, and our CA not trusted.
    command, _ = server_command(
        "python", ["--tls-cert", str(pki / "wrong-name.pem"), "--tls-key", str(pki / "wrong-name.key")])
    process, port, _, collector = await suite.start_peer_server("python-wss-wrong-name-server", command)
    try:
        results = await suite.run_battery(group, [
            str(suite.bin_dir / "faye-interop"), "--url", f"wss://localhost:{port}", "--ca-file",
            str(pki / "ca.pem"), "--expect-refusal", "wss wrong host name refused"], 30, prefix=" wrong-name")
        suite.report_results(group, results)
    finally:
        await suite.stop(process)
        await collector
    command, _ = server_command("python", tls)
    process, port, _, collector = await suite.start_peer_server("python-wss-untrusted-server", command)
    try:
        results = await suite.run_battery(group, [
            str(suite.bin_dir / "faye-interop"), "--url", f"wss://localhost:{port}",
            "--expect-refusal", "wss unknown CA refused"], 30, prefix=" untrusted")
        suite.report_results(group, results)

        # Through tinyproxy: ws and wss to Python websockets servers.
        if proxy_url:
            await our_client_against(
                suite, proxy_group, "python", tls, "permessage-deflate", prefix="faye-interop → wss: ",
                scheme="wss", host="localhost", extra=["--ca-file", str(pki / "ca.pem"), "--proxy", proxy_url],
                checks=PROXY_SUBSET)
    finally:
        await suite.stop(process)
        await collector
    if proxy_url:
        await our_client_against(suite, proxy_group, "python", [], "permessage-deflate", prefix="faye-interop → ws: ",
                                 extra=["--proxy", proxy_url], checks=PROXY_SUBSET)


async def start_tinyproxy(suite: Suite, directory: Path, name="tinyproxy", credentials=None):
    """tinyproxy on a free port (it cannot bind port 0 and report it), any CONNECT port allowed;
    with credentials (user, password), only for a client that sends them (Basic). Its log is
    directory/NAME.log."""
    import socket

    for _ in range(5):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = directory / f"{name}.conf"
        log = directory / f"{name}.log"
        # No ConnectPort line: CONNECT to any port is allowed.
        text = f'Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nLogLevel Info\nLogFile "{log}"\n'
        if credentials:
            text += f"BasicAuth {credentials[0]} {credentials[1]}\n"
        config.write_text(text)
        process = await suite.spawn(name, find_tinyproxy(), "-d", "-c", str(config))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.returncode is None:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return process, f"http://127.0.0.1:{port}"
            except OSError:
                await asyncio.sleep(0.05)
        await suite.stop(process)
    raise RuntimeError("tinyproxy did not start")


class FayeServerOnly:
    """The suite as browser_h2.run sees it: the faye-server it starts is always faye-server, even
    when --server names a host demo (which does not speak HTTP/2)."""

    def __init__(self, suite: Suite):
        self.suite = suite

    def __getattr__(self, name):
        return getattr(self.suite, name)

    async def start_faye_server(self, name, *arguments, port=0, binary=None):
        return await self.suite.start_faye_server(name, *arguments, port=port, binary=binary or "faye-server")


def http2_groups(suite: Suite):
    """The HTTP/2 groups (made before they run, so that their rows do not depend on timing)."""
    versions = suite.versions
    peer_version = versions["h2"] and versions["wsproto"] and f"{versions['h2']} (wsproto {versions['wsproto']})"
    h2c = suite.group("python-h2", "Python h2 + wsproto", peer_version,
                      "h2c client → faye-server (cleartext, prior knowledge)", H2C_CHECKS)
    tls = suite.group("python-h2-tls", "Python h2 + wsproto (TLS)", peer_version,
                      "h2 client → faye-server over TLS, ALPN, CA made at test time", H2_TLS_CHECKS)
    chromium = suite.group("chromium-h2", "Chromium (headless) over HTTP/2", versions["chromium"],
                           "browser → faye-server demo page over h2 (TLS)", browser_h2.CHECKS)
    return h2c, tls, chromium


async def h2_battery(suite: Suite, group: Group, pki: Path | None, pki_error):
    """h2_peer.py against a faye-server of its own: cleartext (--h2c) without pki, TLS with it."""
    tls = group.key == "python-h2-tls"
    if missing_peers(suite, group, "h2", "wsproto", *(("openssl",) if tls else ())):
        return
    if tls and pki is None:
        suite.report(group, "test CA", False, f"could not make the test CA: {pki_error}")
        return
    arguments = list(H2_SERVER_ARGUMENTS)
    if tls:
        arguments += ["--tls-cert", str(pki / "localhost.pem"), "--tls-key", str(pki / "localhost.key")]
    else:
        arguments.append("--h2c")
    try:
        server, port = await suite.start_faye_server(f"faye-server-{group.key}", *arguments, binary="faye-server")
    except RuntimeError as error:
        suite.report(group, "faye-server started", False, str(error))
        return
    try:
        command = [sys.executable, str(HERE / "h2_peer.py")]
        if tls:
            command += ["--url", f"https://localhost:{port}", "--cafile", str(pki / "ca.pem")]
        else:
            command += ["--url", f"http://127.0.0.1:{port}"]
        # The battery bounds itself (110 s); this bound is for a battery that hangs all the same.
        results = await suite.run_battery(group, command, 150)
    finally:
        await suite.stop(server)
    suite.report_results(group, results)


async def http2(suite: Suite, groups, pki: Path | None, pki_error, work: Path):
    """faye-server over HTTP/2: both h2_peer.py runs side by side, then Chromium."""
    h2c, tls, chromium = groups

    async def one(group, coroutine):
        try:
            await coroutine
        except Exception as error:  # one group that cannot run does not stop the others
            suite.report(group, "setup", False, f"{type(error).__name__}: {error}")

    await asyncio.gather(one(h2c, h2_battery(suite, h2c, pki, pki_error)),
                         one(tls, h2_battery(suite, tls, pki, pki_error)))
    # The browser is driven with the Python websockets client (CDP over a WebSocket); openssl
    # gives it the certificate's key hash.
    if missing_peers(suite, chromium, "chromium", "python-websockets", "openssl"):
        return
    if pki is None:
        suite.report(chromium, "test CA", False, f"could not make the test CA: {pki_error}")
        return
    await one(chromium, browser_h2.run(FayeServerOnly(suite), chromium, find_chromium(), work, pki))


# MARK: deployment


def deployment_groups(suite: Suite):
    """The deployment groups (made before they run, so that their rows do not depend on timing)."""
    groups = {}
    for key, (peer, role, checks, programs) in deploy.GROUPS.items():
        # nginx or haproxy (None: "missing"), or none at all: faye-server alone.
        version = suite.versions.get(programs[0]) if programs else "this build"
        groups[key] = suite.group(key, peer, version, role, checks)
    return groups


class DeployReporter:
    """deploy.py's reporter: its checks as this suite's results."""

    def __init__(self, suite: Suite, groups):
        self.suite = suite
        self.groups = groups

    def report(self, key, check, ok, detail, seconds=0.0):
        self.suite.report(self.groups[key], check, ok, detail, seconds)


async def deployment(suite: Suite, groups):
    """faye-server behind nginx and HAProxy (scripts/deploy/deploy.py), always faye-server. A
    missing nginx or haproxy fails its groups; the others run."""
    runnable = [key for key, group in groups.items()
                if not missing_peers(suite, group, *deploy.GROUPS[key][3], "python-websockets")]
    if not runnable:
        return
    work = suite.log_dir / "deploy"  # the rendered configurations and every log stay with the run's logs
    work.mkdir(exist_ok=True)
    await deploy.run(DeployReporter(suite, groups), suite.bin_dir, work, runnable, registry=suite.processes)


async def fan_out(suite: Suite):
    """faye-fanout-demo with PostgreSQL and HAProxy (scripts/deploy/fanout.py). A missing
    PostgreSQL or HAProxy fails the group."""
    key = fanout.FANOUT
    peer, role, checks, programs = fanout.GROUPS[key]
    versions = [f"{name} {suite.versions.get(name) or 'missing'}" for name in ("postgresql", "haproxy")]
    group = suite.group(key, peer, ", ".join(versions).replace("postgresql", "PostgreSQL").replace(
        "haproxy", "HAProxy"), role, checks)
    if missing_peers(suite, group, *programs, "python-websockets"):
        return
    work = suite.log_dir / "fanout"  # the rendered configuration, every log and PostgreSQL's stay with the run's
    await fanout.run(DeployReporter(suite, {key: group}), suite.bin_dir, work, registry=suite.processes)


# MARK: documentation


def summary_table(suite: Suite):
    lines = ["| Peer | Version | Role | Checks | Result |", "|---|---|---|---|---|"]
    for group in suite.groups.values():
        total = max(len(group.expected), len(group.results))
        result = "pass" if group.results and all(r.ok for r in group.results) and group.passed >= total else "FAIL"
        lines.append(f"| {group.peer} | {group.version} | {group.role} | {group.passed}/{total} | {result} |")
    return "\n".join(lines)


def write_doc(suite: Suite, elapsed):
    versions = suite.versions
    swift_lines = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    swift = swift_lines[0].strip() if swift_lines else "swift"
    table = summary_table(suite)
    text = f"""# Interoperability

Generated by `scripts/interop.sh --write-doc` on {time.strftime('%Y-%m-%d', time.gmtime())},
{os.uname().machine}, {swift}; node {versions.get('node') or 'missing'};
{versions.get('openssl') or 'openssl missing'}. The run took {elapsed:.0f} s. Do not edit by hand.

Every peer runs as a separate process on loopback. A missing peer, a failed check, or an expected
check that did not report fails the run (`.ci/run` installs the peers: Python `websockets`,
`sse-starlette`, `uvicorn`, `h2` and `wsproto` from PyPI, Debian `node-ws`, `chromium`,
`tinyproxy`, `nginx-light`, `haproxy` and `postgresql`). nginx {versions.get('nginx') or 'missing'},
HAProxy {versions.get('haproxy') or 'missing'}, PostgreSQL {versions.get('postgresql') or 'missing'}.

{table}

## The checks

**Peer clients → `faye-server`** (`scripts/interop/peer_client.py`, `peer_client.js`):
{', '.join(PEER_CLIENT_CHECKS)}. Echo sizes: {', '.join(str(s) for s in ECHO_SIZES)} bytes. The
fragmented message is cut inside its multi-byte characters; "deflate on the wire" sends 512 KiB of
compressible data through a relay that counts the raw TCP bytes each way, and passes only when
both directions took less than a quarter of the payload.

**`faye-interop` (our client) → peer servers** (`scripts/interop/peer_server.py`,
`peer_server.js`, once per permessage-deflate configuration: the library's default,
`server_max_window_bits` 9 to 15, `server_no_context_takeover`, `client_no_context_takeover`;
the response must carry the configured parameter): {', '.join(OUR_CLIENT_CHECKS)}. The peer
server's own record must show the 1007 and the `1000 'bye ☃'` it received.

**`wss:`** the same battery against a Python `websockets` TLS server whose certificate comes from a
CA made by `openssl` at test time (verified with that CA), plus a certificate for another host
name (refused) and our CA not trusted (refused).

**tinyproxy** (HTTP CONNECT): `faye-interop` through it to Python `websockets` servers over `ws:`
and `wss:` ({', '.join(PROXY_SUBSET)}), and the Python client through it to `faye-server`.

**Chromium** (headless, driven over the DevTools protocol; `scripts/interop/browser.py`): the demo
page at `/` opens its WebSocket and gets its echo; a page script echoes text, an ArrayBuffer and
1 MiB (text and binary), sees `permessage-deflate` in `extensions`, and gets the close code back;
an EventSource receives `tick` events, `faye-server` is stopped (the open WebSocket gets 1001) and
started again on the same port, and the browser reconnects with `Last-Event-ID`: the ids go on
without a gap or a repeat. A failure saves a screenshot under `.build/interop/`.

**`faye-eventsource` (our EventSource client) → `sse-starlette` on `uvicorn`**
(`scripts/interop/sse_server.py`, `eventsource.py`): {', '.join(eventsource.SSE_CHECKS)}. The
printed events must match exactly (type; data with several lines, empty lines, leading spaces and
non-ASCII text; the last event ID in force) with CRLF, LF and CR line endings, with comments and
keep-alive pings in between. The server ends each stream after {eventsource.TICKS_PER_STREAM} events
and asks for `retry: {eventsource.TICK_RETRY_MS}`; the client comes back with `Last-Event-ID` until
it has {eventsource.RESUME_EVENTS} events. 204 exits 0; `text/plain`, 500 and 401 exit non-zero,
each after one request. The POST stream carries a JSON body and a bearer token, as an LLM API's.

**`faye-eventsource` → `faye-server` restarted**: `--max-events {eventsource.RESTART_TOTAL}`
against the `tick` stream; after {eventsource.RESTART_AFTER} events `faye-server` is stopped and
started again on the same port, and the ids must be 1..{eventsource.RESTART_TOTAL} without a gap
or a repeat.

**`faye-eventsource` → `faye-server` over https and through tinyproxy**
({', '.join(eventsource.TLS_PROXY_CHECKS)}): `faye-server` serves https with a certificate for
127.0.0.1 from the CA made at test time; the tool verifies it with `--ca-file`, refuses it with
the system's trust (certificate verification failure, exit 1) and accepts it with `--insecure`.
A tinyproxy of its own asks for Basic credentials: with them in the proxy URL the tool gets the
events over `http:` and `https:` (tinyproxy's log must show the CONNECT); without them the 407 is
fatal after a single CONNECT.

**HTTP/2: Python `h2` → `faye-server`** (`scripts/interop/h2_peer.py`; always `faye-server`,
beside the other groups): `h2`'s client-side connection, with the WebSocket frames inside each
stream made and read by `wsproto` (masked, permessage-deflate); once over cleartext with prior
knowledge (`--h2c`, where HTTP/1.1 on the same port still gets the page) and once over TLS with
the CA made at test time (ALPN picks `h2` from `h2, http/1.1`, and `http/1.1` when only that is
offered). Each check on a connection of its own: {', '.join(H2_CHECKS)}. SETTINGS must carry
`ENABLE_CONNECT_PROTOCOL` = 1 and `MAX_CONCURRENT_STREAMS` = 100; RFC 8441 extended CONNECT gets
200 with the subprotocol and permessage-deflate, echoes unchanged, and 64 KiB of compressible text
comes back with RSV1 set in under a quarter of its size. A close either way (1000 from us, 1007
from the server) ends with the close frame and END_STREAM in both directions; an RST_STREAM or a
protocol error (an unmasked frame: 1002) on one stream leaves the others working; a stream whose
reader sends no WINDOW_UPDATE stops at its 65,535-byte window while another keeps echoing. 40
WebSockets and 20 EventSources share one connection; beside 100 open streams the 101st gets
RST_STREAM REFUSED_STREAM; a plain CONNECT is refused with 405, one without `:authority` with 400,
a wrong `Sec-WebSocket-Version` with 426 and `Sec-WebSocket-Version: 13`.

**Chromium over HTTP/2** (`scripts/interop/browser_h2.py`): Chromium, trusting just the key of
`faye-server`'s certificate from the CA made at test time, loads the demo page at
`https://localhost:PORT/`: {', '.join(browser_h2.CHECKS)}. The page must come over `h2`; the
script's WebSocket echoes text, an ArrayBuffer and 1 MiB of each and closes cleanly with 1000 and
a reason; {browser_h2.EVENTSOURCE_COUNT} EventSources (more than HTTP/1.1's 6 connections per
origin) each get at least {browser_h2.EVENTSOURCE_TICKS} `tick` events and {browser_h2.SOCKET_COUNT}
WebSockets their own echo, each batch as streams of one h2 connection in `faye-server`'s log,
with no HTTP/1.1 connection at all.

**Deployment: nginx and HAProxy in front of `faye-server`** (`scripts/deploy/deploy.py`, with the
configurations `scripts/deploy/nginx.conf.in` and `haproxy.cfg.in` that Docs/Deployment.md shows;
beside the other groups). Each proxy runs from a temporary directory of its own, on loopback,
and the client side binds {deploy.CLIENT_ADDRESS} so that the address `faye-server` logs for it can
be told from the proxy's {deploy.PROXY_ADDRESS}. Through nginx ({'; '.join(deploy.NGINX_CHECKS)}):
the WebSocket must negotiate permessage-deflate, and `faye-server`'s own `--metrics-port` counters
must show 512 KiB of compressible text each way taking under a quarter of that on the wire; with
`proxy_read_timeout {deploy.NGINX_READ_TIMEOUT}s` and `--ping {deploy.PING_SECONDS}` a WebSocket left
idle for {deploy.IDLE_SECONDS} s must still echo; {deploy.PROMPT_TICKS} `tick` events at
{deploy.SSE_INTERVAL_MS} ms must arrive within {deploy.PROMPT_SECONDS:.0f} s of the request (a
buffering proxy holds them back); `faye-server --trust-proxy {deploy.PROXY_ADDRESS}` must log the
client as {deploy.CLIENT_ADDRESS} from `X-Forwarded-For`, also when the client sent an
`X-Forwarded-For` of its own. Through HAProxy, two instances round robin with `send-proxy-v2` and
`option httpchk GET /healthz` ({'; '.join(deploy.HAPROXY_CHECKS)}): the log must name the client's
own address and port. Straight to `faye-server` ({'; '.join(deploy.DIRECT_CHECKS)}): a client on
{deploy.UNTRUSTED_ADDRESS} sending `X-Forwarded-For` and `Forwarded: for=` is logged under its own
address; with `--proxy-protocol`, a trusted peer that starts without a PROXY header is closed
before a byte is served, an untrusted one needs none, and a PROXY v1 line is honoured. The rolling
restart ({'; '.join(deploy.ROLLING_CHECKS)}): {deploy.ROLLING_CLIENTS} WebSocket clients echoing every
50 ms and {deploy.ROLLING_CLIENTS} EventSource clients (a small client of the suite's own that
resumes with `Last-Event-ID` after the `retry` advised) stream through HAProxy to instances A and
B (`--drain-delay {deploy.DRAIN_DELAY:g}`); after SIGTERM, HAProxy must mark A down within the drain
delay while A still echoes and ticks, A's WebSockets must get 1001 and echo again from B, A's
streams must end with `retry: {deploy.SHUTDOWN_RETRY_MS}` and go on from B with every id exactly
once, A must exit within the drain delay and the {deploy.GRACE_SECONDS:g} s grace period, and A
started again must be back in rotation and get new connections.

**Fan-out: `faye-fanout-demo` with PostgreSQL and HAProxy** (`scripts/deploy/fanout.py`, with the
configuration `scripts/deploy/fanout-haproxy.cfg.in` that Docs/Deployment.md shows; beside the
other groups): {'; '.join(fanout.CHECKS)}. PostgreSQL is the Debian package's, started by `initdb`
and `pg_ctl` from a temporary directory (as the `postgres` user when the suite runs as root) on
127.0.0.1 and a Unix socket, and removed at the end. Instance A reaches it over TCP, B over the
socket; both start at once on one table. {fanout.ORDER_MESSAGES} messages posted alternately on A
and B (every fifth over a WebSocket) must reach a WebSocket and an EventSource client on each, all
in one increasing id order. Then {fanout.KILL_CLIENTS} EventSource and {fanout.KILL_CLIENTS}
WebSocket clients go through HAProxy while messages are posted every
{fanout.POST_EVERY * 1000:.0f} ms, and the instance the first stream landed on (its
`X-Faye-Instance`) is killed with SIGKILL: its streams must come back on the other with
`Last-Event-ID` and, like the others, end with exactly the table's rows since they connected, in
order (the table is the truth: a post to the dying instance may or may not have been stored); its
WebSockets must drop, reconnect to the other and get new messages. Started again on its port, the
killed instance must replay the whole table to a stream from `Last-Event-ID: 0` and deliver
messages posted on the other; a body of {fanout.MAX_MESSAGE} bytes is stored and one byte more
refused with 413; SIGTERM closes a WebSocket with 1001 and ends a stream with
`retry: {fanout.RETRY_MS}`, and the instance exits 0.
"""
    (ROOT / "Docs" / "Interop.md").write_text(text)
    readme = ROOT / "README.md"
    if readme.exists():
        content = readme.read_text()
        begin, end = "<!-- interop:begin -->", "<!-- interop:end -->"
        if begin in content and end in content:
            head, rest = content.split(begin, 1)
            _, tail = rest.split(end, 1)
            readme.write_text(f"{head}{begin}\n{table}\n{end}{tail}")


# MARK: main


async def guarded(suite: Suite, name, coroutine):
    """A part that cannot even start (say, faye-server does not) fails; the others still run."""
    try:
        await coroutine
    except Exception as error:
        group = suite.groups.get(name) or suite.group(name, name, "-", "the suite itself", [])
        suite.report(group, "setup", False, f"{type(error).__name__}: {error}")


async def run(arguments):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Only this run's logs and screenshot stay behind.
    for stale in ARTIFACTS.glob("logs-*"):
        shutil.rmtree(stale, ignore_errors=True)
    (ARTIFACTS / "chromium-failure.png").unlink(missing_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix="logs-", dir=ARTIFACTS))
    suite = Suite(Path(arguments.bin_dir), log_dir, arguments.server)
    arguments.holder["suite"] = suite
    suite.versions = detect_versions()
    only = set(arguments.only.split(",")) if arguments.only else None

    def wanted(name):
        return only is None or name in only

    # Only what the selected groups run has to be there.
    binaries = set()
    if wanted("clients") or wanted("browser"):
        binaries.add(suite.server)
    if wanted("servers") or wanted("wss") or wanted("tinyproxy"):
        binaries.add("faye-interop")
    if wanted("eventsource"):
        binaries |= {"faye-eventsource", "faye-server"}
    if wanted("h2") or wanted("deploy"):
        binaries.add("faye-server")
    if wanted("fanout"):
        binaries.add(fanout.BINARY)
    for binary in sorted(binaries):
        if not (suite.bin_dir / binary).exists():
            raise SystemExit(f"interop: {suite.bin_dir / binary} is missing (build it first)")

    work = Path(tempfile.mkdtemp(prefix="work-", dir=ARTIFACTS))
    proxy_process = proxy_url = None
    h2_task = deploy_task = fanout_task = None
    try:
        runs_secure = wanted("wss") or wanted("tinyproxy")
        pki, pki_error = None, None
        # Each group that needs the test CA gets it alone too; it is made first, as the HTTP/2
        # groups start at once.
        if runs_secure or wanted("eventsource") or wanted("h2"):
            try:
                if suite.versions.get("openssl"):
                    await make_pki(work)
                    pki = work
                else:
                    pki_error = "openssl missing"
            except Exception as error:
                pki_error = error
        if wanted("h2"):
            # Independent of everything else (their own faye-server processes, always faye-server),
            # so they run beside the other groups instead of after them.
            h2_task = asyncio.ensure_future(guarded(suite, "h2", http2(suite, http2_groups(suite), pki, pki_error,
                                                                       work)))
        if wanted("deploy"):
            # Their own processes (nginx, HAProxy, faye-server): beside the other groups too.
            deploy_task = asyncio.ensure_future(
                guarded(suite, "deploy", deployment(suite, deployment_groups(suite))))
        if wanted("fanout"):
            # Its own PostgreSQL, HAProxy and faye-fanout-demo processes: beside the others too.
            fanout_task = asyncio.ensure_future(guarded(suite, fanout.FANOUT, fan_out(suite)))
        if runs_secure or wanted("clients"):
            expected = []
            if runs_secure:
                expected += [f"faye-interop → {scheme}: {check}" for scheme in ("wss", "ws") for check in PROXY_SUBSET]
            if wanted("clients"):
                expected.append(f"Python websockets client → {suite.server}: echo")
            tinyproxy_group = suite.group(
                "tinyproxy", "tinyproxy", suite.versions["tinyproxy"], "HTTP CONNECT proxy (ws and wss)", expected)
            if not missing_peers(suite, tinyproxy_group, "tinyproxy"):
                try:
                    proxy_process, proxy_url = await start_tinyproxy(suite, work)
                except Exception as error:
                    suite.report(tinyproxy_group, "tinyproxy started", False, str(error))
        if wanted("clients"):
            await guarded(suite, "clients", peer_clients(suite, proxy_url))
        if wanted("servers"):
            await guarded(suite, "servers", peer_servers(suite, arguments.parallel))
        if runs_secure:
            await guarded(suite, "wss", secure_and_proxied(suite, proxy_url, pki, pki_error))
        if wanted("browser"):
            import browser

            group = suite.group("chromium", "Chromium (headless)", suite.versions["chromium"],
                                f"browser → {suite.server} demo page", browser.CHECKS)
            # The browser is driven with the Python websockets client (CDP over a WebSocket).
            if not missing_peers(suite, group, "chromium", "python-websockets"):
                await browser.run(suite, group, find_chromium(), work)
        if wanted("eventsource"):
            # Always faye-server for the restart (--server picks the server of clients and browser).
            peer_version = suite.versions["sse-starlette"] and (
                f"{suite.versions['sse-starlette']} (uvicorn {suite.versions['uvicorn']}, "
                f"starlette {suite.versions['starlette']})")
            sse_group = suite.group("eventsource/sse-starlette", "sse-starlette on uvicorn", peer_version,
                                    "SSE server ← faye-eventsource", eventsource.SSE_CHECKS)
            restart_group = suite.group("eventsource/faye-server", "faye-server (restarted)", "this build",
                                        "SSE server ← faye-eventsource, restarted on the same port",
                                        eventsource.RESTART_CHECKS)
            tls_group = suite.group("eventsource/tls-proxy", "faye-server (https) and tinyproxy (Basic auth)",
                                    suite.versions["tinyproxy"] and f"tinyproxy {suite.versions['tinyproxy']}",
                                    "https and CONNECT proxy ← faye-eventsource, CA made at test time",
                                    eventsource.TLS_PROXY_CHECKS)
            if missing_peers(suite, sse_group, "sse-starlette", "starlette", "uvicorn"):
                sse_group = None
            if missing_peers(suite, tls_group, "openssl", "tinyproxy"):
                tls_group = None
            elif pki is None:
                suite.report(tls_group, "test CA", False, f"could not make the test CA: {pki_error}")
                tls_group = None

            async def start_proxy(credentials):
                process, url = await start_tinyproxy(suite, work, "tinyproxy-eventsource", credentials)
                return process, url, work / "tinyproxy-eventsource.log"

            await guarded(suite, "eventsource", eventsource.run(suite, sse_group, restart_group, tls_group, pki,
                                                                start_proxy))
        for task in (h2_task, deploy_task, fanout_task):
            if task is not None:
                await task
    finally:
        for task in (h2_task, deploy_task, fanout_task):
            if task is not None and not task.done():  # the overall bound ran out
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if proxy_process is not None:
            await suite.stop(proxy_process)
        # The HTTP/2 rows, then the deployment's and the fan-out's, last in the table and the
        # document, however the runs interleaved.
        for key in H2_GROUPS + DEPLOY_GROUPS + FANOUT_GROUPS:
            if key in suite.groups:
                suite.groups[key] = suite.groups.pop(key)
        for group in suite.groups.values():
            suite.finish_group(group)
        shutil.rmtree(work, ignore_errors=True)
    return suite


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--only", help="comma-separated groups: clients, servers, wss, tinyproxy, browser, "
                                       "eventsource, h2 (the HTTP/2 groups python-h2, python-h2-tls and "
                                       "chromium-h2), deploy (nginx and HAProxy in front of faye-server: "
                                       "deploy/nginx, deploy/haproxy, deploy/direct, deploy/rolling-restart), "
                                       "fanout (faye-fanout-demo with PostgreSQL and HAProxy)")
    parser.add_argument("--timeout", type=float, default=420, help="overall bound in seconds")
    parser.add_argument("--parallel", type=int, default=2, help="peer-server batteries run at once")
    parser.add_argument("--server", default="faye-server",
                        help="the server the clients and browser groups run against: faye-server or a host demo "
                             "(the eventsource, h2 and deploy groups always use faye-server, fanout its own demo)")
    arguments = parser.parse_args()
    if arguments.only:
        unknown = [name for name in arguments.only.split(",") if name not in GROUP_NAMES]
        if unknown:
            parser.error(f"--only: unknown groups {', '.join(unknown)} (the groups: {', '.join(GROUP_NAMES)})")
    started = time.monotonic()
    arguments.holder = {}
    timed_out = False
    try:
        suite = asyncio.run(asyncio.wait_for(run(arguments), arguments.timeout))
    except asyncio.TimeoutError:
        timed_out = True
        print(f"FAIL interop: the suite ran over its overall bound of {arguments.timeout:.0f} s", flush=True)
        suite = arguments.holder.get("suite")
        if suite is None:
            sys.exit(1)
        suite.kill_all()
    elapsed = time.monotonic() - started
    results = [result for group in suite.groups.values() for result in group.results]
    failed = [result for result in results if not result.ok]
    print()
    print(summary_table(suite))
    print()
    print(f"interop: {len(results) - len(failed)}/{len(results)} checks passed in {elapsed:.1f} s "
          f"(logs in {suite.log_dir})")
    if arguments.write_doc:
        if arguments.only or timed_out or arguments.server != "faye-server":
            print("interop: --write-doc needs the full suite (no --only); Docs/Interop.md not written")
        else:
            write_doc(suite, elapsed)
            print("interop: wrote Docs/Interop.md")
    sys.exit(1 if failed or not results or timed_out else 0)


if __name__ == "__main__":
    main()
