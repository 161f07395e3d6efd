#!/usr/bin/env bash
# The test command named in the README: every unit and loopback test, then the Autobahn
# conformance suite against the executables (12.*/13.* sampled; scripts/autobahn.sh --full runs
# them all).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build --no-parallel
scripts/autobahn.sh
