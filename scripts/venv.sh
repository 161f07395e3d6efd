#!/usr/bin/env bash
# The project's Python virtual environment: .venv at the repository root (gitignored), or
# $FAYE_VENV. It holds
#   - the interoperability suite's Python peers (scripts/interop/requirements.txt): `websockets`,
#     and `sse-starlette` with `starlette` and `uvicorn` (the eventsource group's SSE server);
#   - the Autobahn|Testsuite (PyPI autobahntestsuite 25.10.1, Python 2 code) with its pinned
#     dependencies (scripts/autobahn/requirements.txt), ported to Python 3 when installed:
#     scripts/autobahn/port.py runs lib2to3 over it, applies scripts/autobahn/py3.patch (every
#     hunk must match exactly) and checks that the suite loads its 517 cases.
#
# usage: scripts/venv.sh               create or update it; silent when already up to date
#        scripts/venv.sh --check       exit 1, saying why, unless it is up to date
#        scripts/venv.sh --python      print the venv's interpreter (after bringing it up to date)
#        scripts/venv.sh --find-python print the interpreter the venv would be made with
#
# The interpreter: $FAYE_PYTHON, else the first of python3, python3.12 ... python3.8 that is
# CPython 3.8-3.12 with venv, ensurepip and lib2to3. Needs PyPI (pip's usual configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="${FAYE_VENV:-$root/.venv}"
suite_version=25.10.1
engine_version=0.10.9

say() { echo "venv: $*" >&2; }

find_python() {
    local candidates=(python3 python3.12 python3.11 python3.10 python3.9 python3.8)
    [ -n "${FAYE_PYTHON:-}" ] && candidates=("$FAYE_PYTHON")
    local candidate
    for candidate in "${candidates[@]}"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -W ignore -c '
import sys, venv, ensurepip, lib2to3.refactor
sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 12) else 1)' >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Everything that decides the venv's content; a change reinstalls.
fingerprint() {
    {
        echo "$suite_version $engine_version"
        cat scripts/venv.sh scripts/interop/requirements.txt scripts/autobahn/requirements.txt \
            scripts/autobahn/port.py scripts/autobahn/py3.patch
    } | sha256sum | cut -d' ' -f1
}

stamp="$venv/.faye-stamp"
up_to_date() {
    [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(fingerprint)" ] &&
        "$venv/bin/python" -c 'import websockets, sse_starlette, uvicorn, autobahntestsuite' >/dev/null 2>&1
}

mode="${1:-}"
case "$mode" in
    --find-python) find_python; exit $? ;;
    --check)
        if up_to_date; then exit 0; fi
        say "$venv is missing or out of date; scripts/setup.sh (or scripts/venv.sh) installs it"
        exit 1 ;;
    ""|--python) ;;
    *) echo "usage: scripts/venv.sh [--check | --python | --find-python]" >&2; exit 2 ;;
esac

if ! up_to_date; then
    if [ ! -x "$venv/bin/python" ]; then
        python=$(find_python) || {
            say "no Python 3.8-3.12 with venv, ensurepip and lib2to3 found (set FAYE_PYTHON);"
            say "on Debian: apt-get install python3 python3-venv python3-lib2to3 (scripts/setup.sh does it)"
            exit 1
        }
        say "creating $venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$venv"
    fi
    rm -f "$stamp"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    pip=("$venv/bin/python" -m pip install --quiet)
    say "installing from PyPI: $(grep -v '^#' scripts/interop/requirements.txt | xargs) and the Autobahn|Testsuite's pinned dependencies"
    "${pip[@]}" -r scripts/interop/requirements.txt -r scripts/autobahn/requirements.txt
    say "installing autobahntestsuite==$suite_version and autobahn==$engine_version afresh, then porting them to Python 3"
    "${pip[@]}" --no-deps --force-reinstall "autobahntestsuite==$suite_version" "autobahn==$engine_version"
    "$venv/bin/python" scripts/autobahn/port.py
    fingerprint >"$stamp"
    say "ready: $venv"
fi
if [ "$mode" = "--python" ]; then
    echo "$venv/bin/python"
fi
