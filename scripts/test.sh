#!/usr/bin/env bash
# Installs what is missing, builds NetCanvas and runs the whole test suite through CTest; then the
# same suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNC_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 300)
# Every CTest entry again, built with clang, ASan and UBSan (Debug at -O1, build-asan): any report
# fails its test.
bash scripts/sanitize.sh
# The fuzz targets from the same build-asan: the regression corpus replayed, then 60 s of fuzzing per
# target; any crash, sanitizer report, leak, slow input or 2 GB allocation fails the run.
bash scripts/fuzz.sh --ci
