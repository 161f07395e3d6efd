#!/usr/bin/env bash
# Builds faye-bench in release mode and runs every benchmark. Without arguments it regenerates
# Docs/Performance.md (and the README summary between <!-- bench:begin --> and
# <!-- bench:end -->) from the run; other arguments are passed to `faye-bench all` instead
# (for example `--quick` in CI, which only checks that the benchmark works).
#   scripts/bench.sh [--scratch-path DIR] [--quick] [--json] [--repetitions N]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build
if [ "${1:-}" = "--scratch-path" ]; then
    scratch=$2
    shift 2
fi
# All traits on, as every build of the test command: `hosts` runs the host demos built beside it.
for product in faye-bench faye-server faye-vapor-demo faye-hummingbird-demo; do
    swift build -c release --enable-all-traits --scratch-path "$scratch" --product "$product"
done
binary="$scratch/release/faye-bench"
if [ $# -eq 0 ]; then
    exec "$binary" all --write-docs .
fi
exec "$binary" all "$@"
