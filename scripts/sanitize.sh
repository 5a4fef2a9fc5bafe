#!/usr/bin/env bash
# Builds the whole suite with AddressSanitizer + UndefinedBehaviorSanitizer (clang, Debug at -O1,
# build-asan; see sanitizer-build.sh) and runs every CTest entry but those labelled `hardware` (speed
# measured against the machine's peak, meaningless in an instrumented build; they run in the Release
# suite). Any sanitizer report aborts its test, so CTest fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/sanitizer-build.sh
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
cd build-asan && ctest --output-on-failure -j"$(nproc)" --timeout 1800 -LE hardware
