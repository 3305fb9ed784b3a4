#!/usr/bin/env bash
# Configures, builds and installs fzfs (optimised, with debug info).
#   scripts/build.sh [PREFIX]      default PREFIX: <repo>/out
# Environment: BUILD_DIR (default <repo>/build), JOBS (default: number of CPUs),
#              CMAKE_ARGS (extra arguments for the configure step).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=${1:-$ROOT/out}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}

# shellcheck disable=SC2086  # CMAKE_ARGS is a list of words on purpose
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" \
  -DFZFS_BUILD_TESTS=OFF -DFZFS_BUILD_BENCH=OFF \
  ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
echo "build: installed into $PREFIX (binaries in $PREFIX/bin)"
