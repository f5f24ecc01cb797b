#!/usr/bin/env bash
# Soak test, bounded and loopback only: MINUTES (default 10) of mixed load at RATE requests per
# second (default 50; use half of the bench's max throughput) against a throw-away hsm2fad with
# its own SoftHSM2 token. Reports errors (must be 0), RSS over time (flat after the first
# minute), open fds, latency percentiles and a plot, into results/soak-<time>/.
#   scripts/soak.sh [MINUTES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
rate="${2:-50}"
export BUILD_DIR="${BUILD_DIR:-build}"
scripts/build.sh >/dev/null
out="results/soak-$(date -u +%Y%m%dT%H%M%SZ)"
HSM2FA_BUILD_DIR="$BUILD_DIR" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 scripts/soak.py --minutes "$minutes" --rate "$rate" --out "$out"
