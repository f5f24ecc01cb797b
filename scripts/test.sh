#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
# The README's test command. Extra arguments go to ctest (e.g. -R hsm).
# With CI set (or HSM2FA_FUZZ=1) it then runs every fuzz target briefly (scripts/fuzz.sh,
# HSM2FA_FUZZ_SECONDS each, 10 by default: under 60 s in all). With HSM2FA_ASAN=1 it also runs
# the suite again under ASan+UBSan (scripts/test-asan.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR="${BUILD_DIR:-build}"
scripts/build.sh
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" "$@")
if [ -n "${CI:-}" ] || [ "${HSM2FA_FUZZ:-}" = 1 ]; then
  scripts/fuzz.sh "${HSM2FA_FUZZ_SECONDS:-10}"
fi
if [ "${HSM2FA_ASAN:-}" = 1 ]; then
  scripts/test-asan.sh "$@"
fi
