#!/usr/bin/env bash
# Soak test, bounded and loopback only: MINUTES (default 10) of mixed load (verify, enroll+confirm,
# admin calls) against a throw-away hsm2fad with its own SoftHSM2 token. Reports errors (must be
# 0), RSS over time (flat after the first minute), open fds, latency percentiles, a plot and a
# JSON summary, into results/soak-<time>/.
#   scripts/soak.sh [MINUTES] [RATE | SHARE%] [scripts/soak.py options...]
# RATE is requests per second (default 50). SHARE% (e.g. 50%) is that share of the bench's max
# verify throughput, read from $BENCH_JSON or else the newest results/*-wrapped.json of
# scripts/bench.sh (run `scripts/bench.sh --custody wrapped` first).
# Profiling: --daemon-env MALLOC_ARENA_MAX=2, --daemon-wrapper "heaptrack -o DIR/heaptrack".
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
rate="${2:-50}"
shift $(($# < 2 ? $# : 2))
export BUILD_DIR="${BUILD_DIR:-build}"
scripts/build.sh >/dev/null
out="results/soak-$(date -u +%Y%m%dT%H%M%SZ)"
if [[ "$rate" == *% ]]; then
  bench="${BENCH_JSON:-$(ls -t results/*-wrapped.json 2>/dev/null | head -n 1)}"
  if [ -z "$bench" ]; then
    echo "soak: no bench result for $rate: run scripts/bench.sh --custody wrapped" >&2
    exit 2
  fi
  share=$(awk -v p="${rate%\%}" 'BEGIN { print p / 100 }')
  load=(--share "$share" --bench-json "$bench")
else
  load=(--rate "$rate")
fi
HSM2FA_BUILD_DIR="$BUILD_DIR" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 scripts/soak.py --minutes "$minutes" "${load[@]}" --out "$out" "$@"
