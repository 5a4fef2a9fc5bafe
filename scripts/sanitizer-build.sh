#!/usr/bin/env bash
# Configures and builds build-asan: the whole suite and the libFuzzer targets, with clang, Debug
# (assertions on) at -O1, AddressSanitizer + UndefinedBehaviorSanitizer. Shared by sanitize.sh and
# fuzz.sh so CI compiles the sanitized code once. clang, not g++: g++ 12 takes about three times as
# long on the same files with these sanitizers, which is the difference between fitting CI's time
# and not. Warnings are policed by the g++ build (NC_WERROR there), not here.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNC_SANITIZE=ON -DNC_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ ${NC_SANITIZER_CMAKE_ARGS:-} >/dev/null
cmake --build build-asan -j"$(nproc)"
