#!/usr/bin/env bash
# The ctest suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DHSM2FA_SANITIZE=ON) in its own build directory, ${ASAN_BUILD_DIR:-build-asan}. Integration
# tests run the sanitized hsm2fad and hsm2fa, so a report in the daemon fails its test through
# the exit status. Any report stops the process (halt_on_error); leaks count, except the ones
# listed in scripts/lsan-suppressions.txt (outside hsm2fa, each with its reason).
#
# HSM2FA_ASAN_SCOPE=all (default): the whole suite. HSM2FA_ASAN_SCOPE=ci: what CI runs within its
# time budget: every test that is not an integration test (unit, hsm, fault, store, ...) and the
# integration modules that drive the daemon's own parsing and error paths hardest
# ($ASAN_CI_MODULES). Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export BUILD_DIR="${ASAN_BUILD_DIR:-build-asan}"
scope="${HSM2FA_ASAN_SCOPE:-all}"
ci_modules="${ASAN_CI_MODULES:-test_flow|test_bad_input|test_faults|test_audit|test_push}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0:${LSAN_OPTIONS:-}"

start=$(date +%s)
scripts/build.sh -DHSM2FA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
built=$(date +%s)
cd "$BUILD_DIR"
status=0
case "$scope" in
  all) ctest --output-on-failure -j "$(nproc)" "$@" || status=$? ;;
  ci)
    ctest --output-on-failure -j "$(nproc)" -LE integration "$@" || status=$?
    ctest --output-on-failure -j "$(nproc)" -R "^integration\.($ci_modules)\$" "$@" || status=$?
    ;;
  *)
    echo "asan: HSM2FA_ASAN_SCOPE must be all or ci, not $scope" >&2
    exit 2
    ;;
esac
end=$(date +%s)
echo "asan ($scope): build $((built - start))s, tests $((end - built))s"
if [ "$status" -eq 0 ]; then echo "asan: PASS"; else echo "asan: FAIL"; fi
exit "$status"
