#!/usr/bin/env bash
# Installs what is missing, builds NetCanvas and opens the designer on the built-in example network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/app/netcanvas "$@"
