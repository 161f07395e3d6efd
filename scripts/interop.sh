#!/usr/bin/env bash
# The interoperability suite (Docs/Interop.md): our executables against Python `websockets`,
# node `ws`, headless Chromium, tinyproxy, sse-starlette on uvicorn, and over HTTP/2 Python `h2`
# (with `wsproto`) and Chromium again, and faye-fanout-demo with PostgreSQL and HAProxy, each a
# separate process on loopback. Builds the release executables once (with every trait, so
# faye-fanout-demo has PostgresFanOut), then runs scripts/interop/interop.py, which prints one
# line per check and exits non-zero on any failure, any check that did not run, or any missing
# peer. The Python peers (`websockets`, `sse-starlette`, `uvicorn`, `h2`, `wsproto`) come from the
# project's virtual environment (scripts/venv.sh, which this calls: it installs them when
# missing); the other peers are Debian packages (scripts/setup.sh).
#
# usage: scripts/interop.sh [--write-doc] [--only GROUP[,GROUP]] [--timeout SECONDS]
#   --write-doc  regenerate Docs/Interop.md (and the README block between
#                <!-- interop:begin --> and <!-- interop:end -->, when present).
#   --only       clients, servers, wss, tinyproxy, browser, eventsource, h2 (the HTTP/2 groups
#                python-h2, python-h2-tls and chromium-h2), deploy (nginx and HAProxy in front
#                of faye-server, scripts/deploy/deploy.py), fanout (faye-fanout-demo with PostgreSQL
#                and HAProxy, scripts/deploy/fanout.py) (for local runs; CI runs everything).
#   --server S   the server that the clients and browser groups run against: faye-server
#                (default), faye-vapor-demo or faye-hummingbird-demo (CI runs those two groups
#                against each demo). The eventsource, h2 and deploy groups always use faye-server,
#                fanout faye-fanout-demo.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(scripts/venv.sh --python)
for product in faye-server faye-vapor-demo faye-hummingbird-demo faye-fanout-demo faye-interop faye-eventsource; do
    swift build -c release --enable-all-traits --product "$product" >/dev/null
done
bin="$(swift build -c release --enable-all-traits --show-bin-path)"

PYTHONDONTWRITEBYTECODE=1 exec "$python" scripts/interop/interop.py --bin-dir "$bin" "$@"
