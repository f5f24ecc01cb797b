#!/usr/bin/env bash
# The whole ctest suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DHSM2FA_SANITIZE=ON) in its own build directory, ${ASAN_BUILD_DIR:-build-asan}. Integration
# tests run the sanitized hsm2fad and hsm2fa, so a report in the daemon fails its test through
# the exit status. Any report stops the process (halt_on_error); leaks count, except the ones
# listed in scripts/lsan-suppressions.txt (outside hsm2fa, each with its reason).
# Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export BUILD_DIR="${ASAN_BUILD_DIR:-build-asan}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0:${LSAN_OPTIONS:-}"

start=$(date +%s)
scripts/build.sh -DHSM2FA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
built=$(date +%s)
cd "$BUILD_DIR"
status=0
ctest --output-on-failure -j "$(nproc)" "$@" || status=$?
end=$(date +%s)
echo "asan: build $((built - start))s, tests $((end - built))s"
if [ "$status" -eq 0 ]; then echo "asan: PASS"; else echo "asan: FAIL"; fi
exit "$status"
