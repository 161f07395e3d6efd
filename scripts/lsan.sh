#!/usr/bin/env bash
# The test suite under AddressSanitizer and LeakSanitizer (Docs/Robustness.md), in its own
# scratch path. Fails on any test failure, memory error or leak not in scripts/lsan.supp (whose
# entries are each justified there). The wall-clock bound of the linear-time parsing tests does
# not hold under ASan's slowdown, so that suite is skipped here (it runs in scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests --sanitize=address --scratch-path .build-asan
LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    swift test --sanitize=address --skip-build --no-parallel --scratch-path .build-asan \
    --skip ExtensionHeaderLinearTimeTests "$@"
