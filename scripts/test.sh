#!/usr/bin/env bash
# The test command named in the README.
#
# usage: scripts/test.sh [--fast | --full]
#   (no option)  both tiers, fast first
#   --fast       the fast tier only: `swift test`
#   --full       the full tier only
#
# First, scripts/setup.sh installs or checks what the tests need besides Swift (Debian
# packages, and the project's Python virtual environment .venv with `websockets` and the
# Autobahn|Testsuite); it stops with the list of what is missing when it cannot install.
#
# Every build here enables all the package's traits (Vapor, Hummingbird: the host integrations,
# their demos and their tests), so one build serves every step.
#
# The fast tier: every unit and loopback test, built once (`swift build --build-tests`) and run
# with swift test's default parallelism.
#
# The full tier, each step failing the run on any failure:
#   1. the soak test: 2,000 concurrent deflate connections, memory and sockets back to baseline;
#   2. the DocC documentation of every library target, warnings as errors;
#   3. the trait-pruning check: a consumer that enables none of the Vapor, Hummingbird and
#      PostgresFanOut traits resolves none of those packages, nor postgres-nio
#      (scripts/trait-pruning.sh);
#   4. one release build of every product, then side by side: the Autobahn|Testsuite in both
#      roles over ws: and wss:, and against faye-vapor-demo and faye-hummingbird-demo
#      (scripts/autobahn.sh; 12.*/13.* sampled, --full runs them all) and the interoperability
#      suite against Python websockets, node ws, headless Chromium and tinyproxy, whose server
#      checks and browser check also run against both demos, and faye-fanout-demo's instances
#      with a real PostgreSQL and HAProxy (scripts/interop.sh);
#   5. the benchmark in --quick mode (checks that every benchmark runs; the figures in
#      Docs/Performance.md come from scripts/bench.sh on a quiet machine);
#   6. every libFuzzer target for 20,000 runs (scripts/fuzz.sh);
#   7. the test suite again under AddressSanitizer and LeakSanitizer (scripts/lsan.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

fast=true
full=true
case "${1:-}" in
    "") ;;
    --fast) full=false ;;
    --full) fast=false ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: scripts/test.sh [--fast | --full]" >&2; exit 2 ;;
esac

started=$(date +%s)
step() { printf '\n== %s (%s, %d s in)\n' "$1" "$(date -u +%H:%M:%S)" "$(( $(date +%s) - started ))"; }

step "setup"
scripts/setup.sh

if $fast; then
    step "fast tier: unit and loopback tests"
    swift build --build-tests --enable-all-traits
    swift test --skip-build --enable-all-traits
fi

if $full; then
    step "soak"
    swift build --enable-all-traits --product faye-soak
    "$(swift build --enable-all-traits --show-bin-path)/faye-soak" --connections 2000 --seconds 3 --rounds 2

    step "documentation"
    docs_log="$(mktemp)"
    if ! swift package --enable-all-traits --disable-sandbox generate-documentation --warnings-as-errors \
        --target WebSocketExtensions --target WebSocketDriver --target PermessageDeflate --target EventStream --target ClientAddress \
        --target FayeWebSocket --target FayeEventSource --target FayeVapor --target FayeHummingbird \
        >"$docs_log" 2>&1; then
        cat "$docs_log"
        exit 1
    fi
    rm -f "$docs_log"

    step "trait pruning"
    scripts/trait-pruning.sh

    step "release build"
    swift build -c release --enable-all-traits

    # The two external suites are mostly Python and waiting on loopback: they share the cores.
    step "autobahn and interop, side by side"
    interop_log=.build/interop.log
    mkdir -p .build
    {
        scripts/interop.sh &&
            scripts/interop.sh --server faye-vapor-demo --only clients,browser &&
            scripts/interop.sh --server faye-hummingbird-demo --only clients,browser
    } >"$interop_log" 2>&1 &
    interop_pid=$!
    trap 'kill "$interop_pid" 2>/dev/null || true' EXIT
    autobahn_status=0
    scripts/autobahn.sh || autobahn_status=$?
    interop_status=0
    wait "$interop_pid" || interop_status=$?
    trap - EXIT
    echo
    echo "-- interop ($interop_log)"
    cat "$interop_log"
    if [ "$autobahn_status" -ne 0 ] || [ "$interop_status" -ne 0 ]; then
        echo "test: autobahn exited $autobahn_status, interop exited $interop_status" >&2
        exit 1
    fi

    # The quick benchmark only checks that every benchmark runs; the fuzz build (SwiftNIO under
    # the sanitizers) shares the cores with it.
    step "benchmark (quick) and fuzz, side by side"
    fuzz_log=.build/fuzz-step.log
    scripts/fuzz.sh --runs 20000 >"$fuzz_log" 2>&1 &
    fuzz_pid=$!
    trap 'kill "$fuzz_pid" 2>/dev/null || true' EXIT
    bench_status=0
    scripts/bench.sh --quick || bench_status=$?
    fuzz_status=0
    wait "$fuzz_pid" || fuzz_status=$?
    trap - EXIT
    echo
    echo "-- fuzz ($fuzz_log)"
    cat "$fuzz_log"
    if [ "$bench_status" -ne 0 ] || [ "$fuzz_status" -ne 0 ]; then
        echo "test: the quick benchmark exited $bench_status, fuzz exited $fuzz_status" >&2
        exit 1
    fi

    step "leak sanitizer"
    scripts/lsan.sh
fi

step "all passed"
