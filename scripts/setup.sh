#!/usr/bin/env bash
# Installs the Debian 12 packages NetCanvas needs, only those missing, so a second run installs nothing.
# ocl-icd-opencl-dev: Debian's oneDNN CMake config requires OpenCL (its GPU runtime), even for CPU use.
# clang, libclang-rt-14-dev: libFuzzer and the sanitizer runtimes for scripts/fuzz.sh;
# python3-onnx: writes the fuzzers' small ONNX seed models (tests/fuzz/make_onnx_files.py).
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config
      qt6-base-dev qt6-svg-dev libqcustomplot-dev libeigen3-dev
      libdnnl-dev ocl-icd-opencl-dev libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
      fonts-dejavu-core xvfb xauth python3 python3-torch python3-torchvision python3-onnx
      clang libclang-rt-14-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
