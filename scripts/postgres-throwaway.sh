#!/usr/bin/env bash
# A throwaway PostgreSQL server from the machine's own binaries, on a loopback port, in a temporary folder.
# fsync is off unless PG_FSYNC=on (tests want speed; benchmarks want the durable truth).
#   scripts/postgres-throwaway.sh start [PORT]   prints the connection string on its last line
#   scripts/postgres-throwaway.sh stop DIR
set -euo pipefail

find_bin() {
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql" >&2; exit 1; }
  echo "$dir"
}

case "${1:-}" in
  start)
    port="${2:-54329}"
    bin=$(find_bin)
    dir=$(mktemp -d /tmp/latch-pg.XXXXXX)
    # PostgreSQL refuses to run as root: hand the folder to an ordinary user when we are root.
    run=()
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      chown postgres "$dir"
      run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U latch --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${PG_FSYNC:-off} -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir"
    echo "Host=127.0.0.1;Port=$port;Username=latch;Database=postgres"
    ;;
  stop)
    bin=$(find_bin)
    dir="${2:?usage: stop DIR}"
    run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start [PORT] | stop DIR" >&2; exit 2 ;;
esac
