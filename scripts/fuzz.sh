#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in their own build directory and
# runs each for SECONDS (default 60) starting from its seed corpus. New interesting inputs go to
# a scratch corpus, never into the repository; a crash, leak or sanitizer report leaves its
# input in results/fuzz/ — add it to tests/fuzz/corpus/<target>/ once fixed, as a regression input.
# Prints one PASS/FAIL line per target and a final "fuzz: PASS" or "fuzz: FAIL ..." line.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds="${1:-60}"
shift || true
build="${FUZZ_BUILD_DIR:-build-fuzz}"
results="$root/results/fuzz"

scripts/install-deps.sh
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S tests/fuzz -B "$build" -G Ninja >/dev/null
fi
cmake --build "$build" --target fuzzers -j "${FUZZ_JOBS:-$(nproc)}" >/dev/null

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < "$build/fuzzers.txt"; fi
mkdir -p "$results"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Leaks count as findings; UBSan stops at the first report (the build has no recovery anyway).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=()
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  log="$results/$t.log"
  if "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$results/$t-" \
      "$scratch/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $t: PASS (${seconds}s, ${runs:-?} runs)"
  else
    echo "fuzz $t: FAIL (log and input in $results)"
    tail -n 30 "$log" >&2
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -eq 0 ]; then
  echo "fuzz: PASS"
else
  echo "fuzz: FAIL ${failed[*]}"
  exit 1
fi
