#!/usr/bin/env bash
# Benchmarks hsm2fad against its token's ceiling on a throw-away deployment: for each custody
# mode, a temp dir with a fresh SoftHSM2 token (random PINs, mode 0600, never echoed), the
# service's keys, a config and an SQLite database (--store postgresql: a throw-away PostgreSQL
# cluster on a private socket, tests/unit/store/pg_cluster.sh, fsync on); starts hsm2fad, runs
# `hsm2fa bench`, stops it and removes the temp dir and the cluster. Each run prints one JSON
# object and writes results/<stamp>-<custody>.json and .png.
#
#   scripts/bench.sh [--custody token|wrapped|both] [--users N] [--store sqlite|postgresql]
#                    [--seconds S] [--workers N] [--token-concurrency N] [--keep]
#                    [--scale N] [--token-tmpfs | --token-on-disk] [-- more `hsm2fa bench` options]
#
# Defaults: both custody modes, 20,000 users each, capped by `hsm2fa bench --enroll-seconds` (40 s)
# so that each mode finishes within 3 minutes; 2 s per concurrency level (1 to 32 connections);
# server.worker_threads and hsm.token_concurrency: the daemon's defaults unless given (the ceiling
# runs token_concurrency threads, as many as the daemon lets into the token at once).
# Token custody puts the token's directory on /dev/shm (tmpfs) unless --token-on-disk: enrollment
# makes a token object per user, which SoftHSM2 writes as a file (~120/s on the disk, too few
# users for the levels). Verification writes nothing there; SoftHSM2 re-checks the key's file and
# the token's generation file on each C_SignInit (reads and locks, from the page cache either way)
# for the ceiling and the daemon alike (bench/README.md has both measured). The database and the
# audit log stay on the disk in every mode. The JSON says where the token was
# ("token_dir_on_tmpfs").
# --scale N: before the daemon starts, `hsm2fa bench --populate N` adds N users in bulk (seeds
# generated and wrapped in the token, rows by Store::import_totp_batch); every run also times the
# daemon from exec to the first /v1/health 200 and reports its RSS at rest and at peak and the
# database size ("scale", "daemon_rss_*", "db_bytes" in the JSON). --token-tmpfs puts only the
# token's directory on /dev/shm in both modes (the default in token custody); the database stays.
# Binaries: ${BUILD_DIR:-build}/bin, or $HSM2FAD / $HSM2FA_CLI.
# The token and the database live under ${TMPDIR:-/tmp}; TMPDIR=/dev/shm (tmpfs) takes disk flushes
# out of the picture, which attributes time but measures nothing durable.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${BUILD_DIR:-build}/bin"
daemon="${HSM2FAD:-$bin/hsm2fad}"
cli="${HSM2FA_CLI:-$bin/hsm2fa}"
module="${HSM2FA_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
results="${HSM2FA_RESULTS:-results}"

custody=both users="" store=sqlite seconds=2 workers="" token_concurrency="" keep=0
scale="" token_tmpfs=""
extra=()
usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --custody) custody="${2:?}"; shift 2 ;;
    --users) users="${2:?}"; shift 2 ;;
    --store) store="${2:?}"; shift 2 ;;
    --seconds) seconds="${2:?}"; shift 2 ;;
    --workers) workers="${2:?}"; shift 2 ;;
    --token-concurrency) token_concurrency="${2:?}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --scale) scale="${2:?}"; shift 2 ;;
    --token-tmpfs) token_tmpfs=1; shift ;;
    --token-on-disk) token_tmpfs=0; shift ;;
    --help|-h) usage 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "bench.sh: unknown argument $1" >&2; usage ;;
  esac
done
case "$custody" in token|wrapped) modes=("$custody") ;; both) modes=(wrapped token) ;;
  *) echo "bench.sh: --custody token|wrapped|both" >&2; exit 2 ;; esac
case "$store" in sqlite|postgresql) ;;
  *) echo "bench.sh: --store sqlite|postgresql" >&2; exit 2 ;; esac
pg_cluster=tests/unit/store/pg_cluster.sh
for b in "$daemon" "$cli"; do
  [ -x "$b" ] || { echo "bench.sh: $b not built (scripts/build.sh, or set BUILD_DIR)" >&2; exit 2; }
done

tmp="" pid="" shm_tokens=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
  # The daemon's parting figure: mean writes per fsync of the SQLite group commit.
  if [ -n "$tmp" ] && [ -f "$tmp/hsm2fad.log" ]; then
    grep -ho 'group commit \(wrote\|synced\).*' "$tmp/hsm2fad.log" | sed 's/^/bench.sh: /' >&2 || true
  fi
  if [ -n "$tmp" ] && [ -f "$tmp/pg/cluster" ]; then
    "$pg_cluster" teardown "$tmp/pg" || true
  fi
  if [ -n "$tmp" ]; then
    if [ "$keep" = 1 ]; then echo "bench.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
  fi
  if [ -n "$shm_tokens" ]; then
    if [ "$keep" = 1 ]; then echo "bench.sh: kept $shm_tokens" >&2; else rm -rf "$shm_tokens"; fi
  fi
  tmp="" shm_tokens=""
}
trap cleanup EXIT INT TERM

# A PIN: 32 hex digits from the kernel's RNG, written straight to its file.
new_pin() { (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$1"); }

write_config() {  # dir custody store-url
  cat >"$1/hsm2fa.toml" <<CONF
[server]
unix_socket = "$1/hsm2fa.sock"
socket_mode = "0600"
io_threads = 1
idle_timeout_seconds = 60
shutdown_grace_seconds = 5
${workers:+worker_threads = $workers}

[hsm]
module = "$module"
token = "pkcs11:token=bench"
pin_file = "$1/user.pin"
custody = "$2"
sessions = 4
${token_concurrency:+token_concurrency = $token_concurrency}

[store]
url = "$3"

[log]
level = "info"
file = "$1/hsm2fad.log"

[tenants.default]
issuer = "hsm2fa-bench"
CONF
}

run_one() {  # custody
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/hsm2fa-bench-XXXXXX")"
  local tokens="$tmp/tokens" on_tmpfs="$token_tmpfs"
  [ -n "$on_tmpfs" ] || { [ "$1" = token ] && on_tmpfs=1 || on_tmpfs=0; }
  if [ "$on_tmpfs" = 1 ]; then
    shm_tokens="$(mktemp -d /dev/shm/hsm2fa-bench-tokens-XXXXXX)"
    tokens="$shm_tokens"
  else
    mkdir -m 700 "$tokens"
  fi
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$tokens" >"$tmp/softhsm2.conf"
  export SOFTHSM2_CONF="$tmp/softhsm2.conf"
  new_pin "$tmp/so.pin"
  new_pin "$tmp/user.pin"
  local url="sqlite:$tmp/hsm2fa.db"
  if [ "$store" = postgresql ]; then
    "$pg_cluster" setup "$tmp/pg"
    [ -f "$tmp/pg/url" ] || { echo "bench.sh: $(cat "$tmp/pg/skip")" >&2; return 1; }
    url="$(cat "$tmp/pg/url")&pool_size=8"
  fi
  write_config "$tmp" "$1" "$url"
  local config=(--config "$tmp/hsm2fa.toml")
  "$cli" "${config[@]}" token init --label bench --so-pin-file "$tmp/so.pin" >/dev/null
  "$cli" "${config[@]}" token provision >/dev/null

  local populate=null
  if [ -n "$scale" ]; then
    "$cli" bench "${config[@]}" --populate "$scale" >"$tmp/populate.json"
    populate="$(cat "$tmp/populate.json")"
  fi

  local exec_ns; exec_ns=$(date +%s%N)
  "$daemon" "${config[@]}" </dev/null >>"$tmp/hsm2fad.log" 2>&1 &
  pid=$!
  local started=$SECONDS
  until curl -sf --max-time 2 --unix-socket "$tmp/hsm2fa.sock" http://localhost/v1/health \
      >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ $((SECONDS - started)) -gt 30 ]; then
      echo "bench.sh: hsm2fad did not come up; its log:" >&2
      tail -20 "$tmp/hsm2fad.log" >&2
      return 1
    fi
    sleep 0.02
  done
  local ready_ns; ready_ns=$(date +%s%N)
  printf '{"populate":%s,"startup_to_ready_s":%s,"token_dir_on_tmpfs":%s}\n' "$populate" \
    "$(awk -v a="$exec_ns" -v b="$ready_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" \
    "$([ "$on_tmpfs" = 1 ] && echo true || echo false)" >"$tmp/scale.json"
  echo "bench.sh: start-up to ready: $(cat "$tmp/scale.json")" >&2

  local rc=0
  "$cli" bench "${config[@]}" ${users:+--users "$users"} --seconds "$seconds" \
    --results "$results" --daemon-pid "$pid" --scale-json "$tmp/scale.json" "${extra[@]}" || rc=$?
  cleanup
  return "$rc"
}

status=0
for mode in "${modes[@]}"; do
  run_one "$mode" || status=$?
done
exit "$status"
