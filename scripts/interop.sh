#!/usr/bin/env bash
# The interoperability suite (Docs/Interop.md): our executables against Python `websockets`,
# node `ws`, headless Chromium, tinyproxy and sse-starlette on uvicorn, each a separate process on
# loopback. Builds the release executables once, then runs scripts/interop/interop.py, which
# prints one line per check and exits non-zero on any failure, any check that did not run, or any
# missing peer. The Python peers (`websockets`, `sse-starlette`, `uvicorn`) come from the
# project's virtual environment (scripts/venv.sh, which this calls: it installs them when
# missing); the other peers are Debian packages (scripts/setup.sh).
#
# usage: scripts/interop.sh [--write-doc] [--only GROUP[,GROUP]] [--timeout SECONDS]
#   --write-doc  regenerate Docs/Interop.md (and the README block between
#                <!-- interop:begin --> and <!-- interop:end -->, when present).
#   --only       clients, servers, wss, tinyproxy, browser, eventsource (for local runs; CI runs
#                everything).
#   --server S   the server that the clients and browser groups run against: faye-server
#                (default), faye-vapor-demo or faye-hummingbird-demo (CI runs those two groups
#                against each demo). The eventsource group always uses faye-server.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(scripts/venv.sh --python)
for product in faye-server faye-vapor-demo faye-hummingbird-demo faye-interop faye-eventsource; do
    swift build -c release --enable-all-traits --product "$product" >/dev/null
done
bin="$(swift build -c release --enable-all-traits --show-bin-path)"

PYTHONDONTWRITEBYTECODE=1 exec "$python" scripts/interop/interop.py --bin-dir "$bin" "$@"
