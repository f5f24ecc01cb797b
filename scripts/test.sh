#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
# The README's test command. Extra arguments go to ctest (e.g. -R hsm).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR="${BUILD_DIR:-build}"
scripts/build.sh
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"
