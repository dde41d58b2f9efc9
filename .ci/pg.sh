#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for the store tests.
#
#   .ci/pg.sh start   # initdb + pg_ctl on 127.0.0.1:$PGPORT, creates canbao_test,
#                     # prints "export CANBAO_PG_URL=postgresql://canbao@127.0.0.1:55432/canbao_test"
#   .ci/pg.sh stop    # stops the cluster and removes its directory
#   .ci/pg.sh url     # prints the URL only
#
# Use:  eval "$(.ci/pg.sh start)"
# The server never runs as root: when invoked as root it runs as the `postgres`
# system user (created by the postgresql-15 package) or, failing that, a
# created `canbao` user. Trust auth on loopback only; the data lives in
# $CANBAO_PG_DIR (default /tmp/canbao-pg-$PGPORT) and is deleted on stop.
set -euo pipefail

PGPORT="${CANBAO_PG_PORT:-55432}"
PGBIN="${CANBAO_PG_BIN:-}"
if [[ -z "$PGBIN" ]]; then
  for v in 15 16 17 14; do
    if [[ -x /usr/lib/postgresql/$v/bin/initdb ]]; then PGBIN=/usr/lib/postgresql/$v/bin; break; fi
  done
fi
[[ -n "$PGBIN" && -x "$PGBIN/initdb" ]] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install -y postgresql-15)" >&2; exit 1; }
DIR="${CANBAO_PG_DIR:-/tmp/canbao-pg-$PGPORT}"
DB=canbao_test
ROLE=canbao
URL="postgresql://$ROLE@127.0.0.1:$PGPORT/$DB"

run_as=()
if [[ "$(id -u)" == 0 ]]; then
  if id postgres >/dev/null 2>&1; then
    OSUSER=postgres
  else
    id canbao >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin canbao
    OSUSER=canbao
  fi
  run_as=(runuser -u "$OSUSER" --)
fi

cmd="${1:-}"
case "$cmd" in
  start)
    if [[ -f "$DIR/data/postmaster.pid" ]] && "${run_as[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      echo "pg.sh: already running in $DIR" >&2
    else
      rm -rf "$DIR"
      mkdir -p "$DIR"
      [[ ${#run_as[@]} -gt 0 ]] && chown "$OSUSER" "$DIR"
      "${run_as[@]}" "$PGBIN/initdb" -D "$DIR/data" -U "$ROLE" --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
      cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 128MB
max_wal_size = 2GB
CONF
      "${run_as[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null \
        || { cat "$DIR/server.log" >&2; exit 1; }
      "${run_as[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U "$ROLE" "$DB"
    fi
    echo "export CANBAO_PG_URL=$URL"
    ;;
  stop)
    if [[ -d "$DIR/data" ]]; then
      "${run_as[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$DIR"
    fi
    ;;
  url)
    echo "$URL"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
