#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
# The README's test command. Extra arguments go to ctest (e.g. -R hsm).
# With CI set (or HSM2FA_FUZZ=1) it then runs every fuzz target briefly (scripts/fuzz.sh,
# HSM2FA_FUZZ_SECONDS each, 10 by default: 70 s for the 7 targets). With CI set it also runs the
# suite under ASan+UBSan (scripts/test-asan.sh, its own build dir) within CI's time budget: every
# test but the integration tests, plus the integration modules that drive the daemon's parsing
# and error paths (HSM2FA_ASAN_SCOPE=ci). HSM2FA_ASAN=1 runs the whole suite under ASan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR="${BUILD_DIR:-build}"
scripts/build.sh
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" "$@")
if [ -n "${CI:-}" ] || [ "${HSM2FA_FUZZ:-}" = 1 ]; then
  scripts/fuzz.sh "${HSM2FA_FUZZ_SECONDS:-10}"
fi
if [ "${HSM2FA_ASAN:-}" = 1 ]; then
  HSM2FA_ASAN_SCOPE=all scripts/test-asan.sh "$@"
elif [ -n "${CI:-}" ]; then
  HSM2FA_ASAN_SCOPE=ci scripts/test-asan.sh "$@"
fi
