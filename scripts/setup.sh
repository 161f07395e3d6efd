#!/usr/bin/env bash
# Installs, or checks, everything the test command (scripts/test.sh) needs besides Swift:
#
#   1. Debian packages: the libraries of the build (libssl-dev zlib1g-dev pkg-config), the
#      openssl CLI (test certificates), the interoperability peers (tinyproxy node-ws chromium,
#      and nginx-light haproxy for the deployment checks of scripts/deploy/, which run them from
#      a temporary directory, not as services; postgresql for the fan-out check,
#      scripts/deploy/fanout.py, which runs its initdb and pg_ctl in a temporary directory of its
#      own, not the package's cluster), the sanitizer runtimes of the fuzzers and
#      LeakSanitizer (libclang-rt-14-dev), and, when no usable Python 3.8-3.12 with venv and
#      lib2to3 is on the PATH, Debian's python3 with python3-venv and python3-lib2to3; and the
#      peer servers of `faye-bench peers` (the benchmark's --quick run is part of the full tier):
#      golang-go with golang-github-gorilla-websocket-dev (built in GOPATH mode), gcc for the C
#      reference echo server (linked with libssl-dev's libcrypto), node-ws as above.
#   2. The project's Python virtual environment (.venv at the repository root, or $FAYE_VENV)
#      with the pinned PyPI packages: `websockets`, `sse-starlette` and `uvicorn` for the
#      interoperability suite and the Autobahn|Testsuite ported to Python 3 (scripts/venv.sh does
#      this part).
#
# usage: scripts/setup.sh [--check]
#   --check  install nothing: list what is missing and exit 1 if anything is.
#
# Quiet and quick when everything is present. Installing Debian packages needs root and
# apt-get; without them it stops with the list of what is missing and the command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=false
case "${1:-}" in
    "") ;;
    --check) check_only=true ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: scripts/setup.sh [--check]" >&2; exit 2 ;;
esac

say() { echo "setup: $*"; }

# postgresql: faye-fanout-demo's real broker (LISTEN/NOTIFY) in the interoperability suite.
# golang-go, golang-github-gorilla-websocket-dev, gcc: the peer servers of `faye-bench peers`.
apt_packages=(libssl-dev zlib1g-dev pkg-config openssl tinyproxy node-ws chromium nginx-light haproxy
    postgresql libclang-rt-14-dev golang-go golang-github-gorilla-websocket-dev gcc)
# A Python that can make the virtual environment and run lib2to3 (gone in 3.13).
if ! scripts/venv.sh --find-python >/dev/null 2>&1; then
    apt_packages+=(python3 python3-venv python3-lib2to3)
fi

missing=()
for package in "${apt_packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    if $check_only; then
        say "missing Debian packages: ${missing[*]}" >&2
        say "install them with: sudo sh -c '$command'" >&2
        exit 1
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "these Debian packages are missing: ${missing[*]}" >&2
        if [ "$(id -u)" -ne 0 ]; then
            say "installing them needs root; run: sudo sh -c '$command'" >&2
        else
            say "apt-get is not available; install the equivalents of: ${missing[*]}" >&2
        fi
        say "then run this command again" >&2
        exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -qq || ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        say "apt-get could not install: ${missing[*]}" >&2
        exit 1
    fi
    say "Debian packages installed"
fi

if $check_only; then
    exec scripts/venv.sh --check
fi
exec scripts/venv.sh
