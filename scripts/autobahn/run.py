"""Runs the (ported) Autobahn|Testsuite in one of its two roles, bound to loopback only.

  run.py client URL OUTDIR CASES [--agent NAME] [--timeout S]
      The suite is the client (wstest's fuzzingclient mode): it runs CASES against the
      WebSocket server at URL (ws:// or wss://; over wss: the suite does not verify the
      server's certificate) and writes its reports to OUTDIR. Exits 0 once every selected
      case has a result, 1 otherwise.

  run.py server OUTDIR CASES [--key PEM --cert PEM] [--timeout S]
      The suite is the server (fuzzingserver mode) on 127.0.0.1 and a free port, TLS when
      --key and --cert are given. Prints one line `fuzzingserver ready on ws[s]://127.0.0.1:PORT`
      on stdout once it listens, then serves the client under test (getCaseCount, runCase,
      updateReports) until SIGTERM/SIGINT or the timeout.

CASES is a comma list of case patterns such as `1.*,12.1.*` or `*`. OUTDIR also gets
spec.json (what the suite was given) and selected.txt (how many cases that selects), which
scripts/autobahn/report.py reads. Must be run with the project venv's interpreter
(scripts/venv.sh --python).
"""
import argparse
import json
import os
import pathlib
import signal
import socket
import sys
import warnings

warnings.simplefilter("ignore")  # pkg_resources and old-Twisted-API deprecation notices

import autobahntestsuite  # noqa: E402  (installs the reactor first, and sets up txaio)
from autobahntestsuite import fuzzing  # noqa: E402
from autobahn.twisted import websocket as twisted_websocket  # noqa: E402
from twisted.internet import reactor  # noqa: E402
from twisted.python import log  # noqa: E402

LOOPBACK = "127.0.0.1"

# Any exception inside the suite (a Python 3 port mistake, typically a str where octets are
# needed) fails the run, even when the case it broke still gets a verdict.
suite_errors = []


def watch_for_errors(event):
    if event.get("isError"):
        suite_errors.append(log.textFromEventDict(event) or "unknown error")
        if len(suite_errors) == 1 and reactor.running:
            reactor.callLater(0, reactor.stop)  # fail fast: the run's verdict is void anyway


log.addObserver(watch_for_errors)


def listen_on_loopback(factory, contextFactory=None, backlog=50, interface=""):
    # wstest binds its server to every interface; ours listens on loopback only.
    return twisted_websocket.listenWS(factory, contextFactory, backlog, LOOPBACK)


fuzzing.listenWS = listen_on_loopback


def case_list(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def free_port():
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def stop_after(seconds, outcome):
    def give_up():
        outcome["timed_out"] = True
        print(f"run.py: stopped after the {seconds} s bound", file=sys.stderr)
        reactor.stop()
    reactor.callLater(seconds, give_up)


def write_spec(outdir, spec):
    (outdir / "spec.json").write_text(json.dumps(spec, indent=2) + "\n")


def count_results(outdir):
    index = outdir / "index.json"
    if not index.exists():
        return None
    return sum(len(cases) for cases in json.loads(index.read_text(encoding="utf-8")).values())


def run_client(arguments, outdir, outcome):
    server = {"url": arguments.url}
    if arguments.agent:
        server["agent"] = arguments.agent
    spec = {"outdir": str(outdir), "servers": [server], "cases": case_list(arguments.cases),
            "exclude-cases": [], "exclude-agent-cases": {}}
    write_spec(outdir, spec)
    # The factory connects at once, runs the cases one after the other, writes the reports
    # after the last one and stops the reactor.
    factory = fuzzing.FuzzingClientFactory(spec)
    selected = len(factory.specCases)
    (outdir / "selected.txt").write_text(f"{selected}\n")
    reactor.run()
    ran = count_results(outdir)
    if outcome.get("timed_out") or ran != selected:
        print(f"run.py: {ran or 0} of {selected} cases have a result (server gone or unreachable?)",
              file=sys.stderr)
        return 1
    return 0


def run_server(arguments, outdir, outcome):
    if bool(arguments.key) != bool(arguments.cert):
        print("run.py: --key and --cert go together", file=sys.stderr)
        return 2
    port = free_port()
    scheme = "wss" if arguments.key else "ws"
    url = f"{scheme}://{LOOPBACK}:{port}"
    spec = {"url": url, "outdir": str(outdir), "cases": case_list(arguments.cases),
            "exclude-cases": [], "exclude-agent-cases": {}}
    if arguments.key:
        spec["key"] = os.path.abspath(arguments.key)
        spec["cert"] = os.path.abspath(arguments.cert)
    write_spec(outdir, spec)
    # webport 0: no web UI beside the fuzzing server.
    fuzzing.startServer(spec, 0)
    selected = len(fuzzing.CaseSet(fuzzing.CaseSetname, fuzzing.CaseBasename, fuzzing.Cases,
                                   fuzzing.CaseCategories, fuzzing.CaseSubCategories).parseSpecCases(spec))
    (outdir / "selected.txt").write_text(f"{selected}\n")

    def stop(signum, frame):
        reactor.callFromThread(reactor.stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    reactor.callWhenRunning(lambda: print(f"fuzzingserver ready on {url}", flush=True))
    reactor.run(installSignalHandlers=False)
    return 1 if outcome.get("timed_out") else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    roles = parser.add_subparsers(dest="role", required=True)
    client = roles.add_parser("client")
    client.add_argument("url")
    client.add_argument("outdir")
    client.add_argument("cases")
    client.add_argument("--agent")
    client.add_argument("--timeout", type=float, default=7200)
    server = roles.add_parser("server")
    server.add_argument("outdir")
    server.add_argument("cases")
    server.add_argument("--key")
    server.add_argument("--cert")
    server.add_argument("--timeout", type=float, default=7200)
    arguments = parser.parse_args()

    outdir = pathlib.Path(arguments.outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "index.json").unlink(missing_ok=True)
    os.chdir(outdir)  # the suite writes nothing outside its outdir then
    outcome = {}
    stop_after(arguments.timeout, outcome)
    if arguments.role == "client":
        status = run_client(arguments, outdir, outcome)
    else:
        status = run_server(arguments, outdir, outcome)
    if suite_errors:
        print(f"run.py: the suite raised {len(suite_errors)} error(s); the first:\n{suite_errors[0]}",
              file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
