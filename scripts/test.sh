#!/usr/bin/env bash
# The test command named in the README. In order:
#   1. every unit and loopback test (debug build, serial: timing-bounded tests need the cores);
#   2. the soak test: 2,000 concurrent deflate connections, memory and sockets back to baseline;
#   3. the DocC documentation of every library target, warnings as errors;
#   4. the Autobahn conformance suite in both roles (12.*/13.* sampled; scripts/autobahn.sh --full
#      runs them all);
#   5. the interoperability suite against Python websockets, node ws, headless Chromium and
#      tinyproxy (scripts/interop.sh);
#   6. the benchmark in --quick mode (checks that every benchmark runs; figures in
#      Docs/Performance.md come from scripts/bench.sh);
#   7. every libFuzzer target for a fixed number of runs (scripts/fuzz.sh);
#   8. the test suite again under AddressSanitizer and LeakSanitizer (scripts/lsan.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "unit and loopback tests"
swift build --build-tests
swift test --skip-build --no-parallel

step "soak"
"$(swift build --show-bin-path)/faye-soak" --connections 2000 --seconds 3 --rounds 2

step "documentation"
docs_log="$(mktemp)"
if ! swift package --disable-sandbox generate-documentation --warnings-as-errors \
    --target WebSocketExtensions --target WebSocketDriver --target PermessageDeflate \
    --target FayeWebSocket --target FayeEventSource >"$docs_log" 2>&1; then
    cat "$docs_log"
    exit 1
fi
rm -f "$docs_log"

step "release build"
swift build -c release

step "autobahn"
scripts/autobahn.sh

step "interop"
scripts/interop.sh

step "benchmark (quick)"
scripts/bench.sh --quick

step "fuzz"
scripts/fuzz.sh --runs 20000

step "leak sanitizer"
scripts/lsan.sh

step "all passed"
