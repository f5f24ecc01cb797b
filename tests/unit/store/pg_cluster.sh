#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the store tests.
#
#   pg_cluster.sh setup    STATE_DIR   initdb + start + create database hsm2fa_test
#   pg_cluster.sh teardown STATE_DIR   stop (fast) and remove everything
#   pg_cluster.sh down     STATE_DIR   stop the server, keep the data (an outage)
#   pg_cluster.sh up       STATE_DIR   start it again
#   pg_cluster.sh restart  STATE_DIR   pg_ctl restart -m fast
#
# The cluster lives in a fresh temporary directory, listens only on a Unix socket in that
# directory (no TCP), runs with fsync=on and trusts local connections as "postgres". STATE_DIR
# receives `url` (a postgresql:// URL for the tests), `cluster` (the directory) and `script`
# (this script, for tests that run clusters of their own), or `skip` (why there is no cluster)
# when the server binaries are absent and CI is unset. With CI set,
# absence is an error. As root, the server runs as the unprivileged `postgres` user (initdb
# refuses root).
set -euo pipefail

command=${1:?usage: pg_cluster.sh setup|teardown|down|up|restart STATE_DIR}
state=${2:?usage: pg_cluster.sh setup|teardown|down|up|restart STATE_DIR}
database=hsm2fa_test

find_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
  fi
}

# Runs a server binary as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cluster_dir() {
  [ -f "$state/cluster" ] || { echo "pg_cluster: no cluster recorded in $state" >&2; exit 1; }
  cat "$state/cluster"
}

pg_ctl_for() { echo "$(cat "$state/bindir")/pg_ctl"; }

teardown() {
  [ -f "$state/cluster" ] || { rm -f "$state/url" "$state/skip" "$state/script"; return 0; }
  local dir
  dir=$(cat "$state/cluster")
  if [ -d "$dir/data" ]; then
    as_owner "$(pg_ctl_for)" stop -D "$dir/data" -m fast -w >/dev/null 2>&1 || true
  fi
  rm -rf -- "$dir"
  rm -f "$state/url" "$state/cluster" "$state/bindir" "$state/skip" "$state/script"
}

setup() {
  mkdir -p "$state"
  teardown  # a cluster left behind by an interrupted run
  realpath "$0" >"$state/script"
  local bindir
  bindir=$(find_bindir)
  if [ -z "$bindir" ]; then
    local reason="PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
    if [ -n "${CI:-}" ]; then
      echo "pg_cluster: $reason (required when CI is set)" >&2
      exit 1
    fi
    echo "$reason (install the postgresql package)" >"$state/skip"
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "pg_cluster: running as root but there is no postgres user to own the cluster" >&2
    exit 1
  fi

  # Short path: a Unix socket path must fit in 107 bytes.
  local dir
  dir=$(mktemp -d /tmp/hsm2fa-pg.XXXXXX)
  echo "$dir" >"$state/cluster"
  echo "$bindir" >"$state/bindir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"

  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 100
EOF
  as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 30 >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bindir/createdb" -h "$dir" -U postgres "$database"
  echo "postgresql:///$database?host=$dir&user=postgres" >"$state/url"
}

case "$command" in
  setup) setup ;;
  teardown) teardown ;;
  down) as_owner "$(pg_ctl_for)" stop -D "$(cluster_dir)/data" -m fast -w >/dev/null ;;
  up)
    dir=$(cluster_dir)
    as_owner "$(pg_ctl_for)" start -D "$dir/data" -l "$dir/server.log" -w -t 30 >/dev/null
    ;;
  restart)
    dir=$(cluster_dir)
    as_owner "$(pg_ctl_for)" restart -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 >/dev/null
    ;;
  *)
    echo "pg_cluster: unknown command $command" >&2
    exit 2
    ;;
esac
