#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (with AddressSanitizer) and runs each from its seed
# corpus in Fuzz/Corpus/<target>/.
#
#   scripts/fuzz.sh [--runs N] [--seconds S] [--target NAME]...
#
# --runs N     executions per target (default 20000 when --seconds is not given)
# --seconds S  time budget per target (libFuzzer -max_total_time)
# --target T   run only T (repeatable); default: every target
#
# New inputs found go to Fuzz/.build/fuzz-corpus/<target>/ and crashing inputs to
# Fuzz/.build/fuzz-artifacts/<target>/ (both gitignored, the committed seeds are never written).
# Exits non-zero if any target crashes, leaks, times out or runs out of memory, printing the
# target and the path of the input that did it. Replay one with:
#   Fuzz/.build/release/<target> <input>
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(FuzzServerFrames FuzzClientFrames FuzzHTTPRequest FuzzHTTPResponse FuzzProxyResponse
    FuzzExtensionHeader FuzzInflate FuzzDraft76 FuzzEventStream FuzzHTTP2 FuzzClientAddress)
runs=""
seconds=""
selected=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --target) selected+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#selected[@]} -gt 0 ] && targets=("${selected[@]}")
if [ -z "$runs" ] && [ -z "$seconds" ]; then runs=20000; fi

scratch=Fuzz/.build
# libFuzzer's own handler must see the crash signal (to save the input), not Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
echo "fuzz: building the fuzz targets (release, -sanitize=fuzzer,address)"
build_log="$scratch/fuzz-build.log"
mkdir -p "$scratch"
# One -sanitize=fuzzer,address: swiftc keeps only the last of several -sanitize= flags, and
# SwiftPM's `--sanitize=fuzzer --sanitize=address` passes two (in no fixed order), which builds
# without coverage or without ASan. --sanitize=fuzzer is still given so that SwiftPM lets
# libFuzzer provide `main`.
swift_flags=(--package-path Fuzz --scratch-path "$scratch" -c release
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address)
if ! swift build "${swift_flags[@]}" >"$build_log" 2>&1; then
    # The gold linker's notes about ASan's local symbols are noise; show the rest.
    grep -v "ld.gold: warning: Cannot export local symbol" "$build_log" | tail -40 >&2
    echo "fuzz: build failed" >&2
    exit 1
fi
bin="$(swift build "${swift_flags[@]}" --show-bin-path)"

failed=0
for target in "${targets[@]}"; do
    corpus="$scratch/fuzz-corpus/$target"
    artifacts="$scratch/fuzz-artifacts/$target"
    log="$scratch/fuzz-logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    flags=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
    [ -n "$runs" ] && flags+=(-runs="$runs")
    [ -n "$seconds" ] && flags+=(-max_total_time="$seconds")
    started=$(date +%s)
    status=0
    # The first corpus directory receives new inputs; the committed seeds are only read.
    "$bin/$target" "${flags[@]}" "$corpus" "Fuzz/Corpus/$target" >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - started ))
    stats="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed -E 's/^#([0-9]+)[[:space:]]+DONE[[:space:]]+/\1 runs, /' || true)"
    if [ "$status" -eq 0 ]; then
        echo "fuzz: $target ok in ${elapsed}s (${stats:-no stats})"
    else
        failed=1
        input="$(grep -Eo 'Test unit written to [^ ]+' "$log" | tail -1 | awk '{print $NF}' || true)"
        echo "fuzz: $target FAILED (exit $status) after ${elapsed}s; input: ${input:-unknown}; log: $log" >&2
        grep -E 'ERROR: |Fatal error|fuzz invariant|SUMMARY' "$log" | head -5 >&2 || true
    fi
done
exit "$failed"
