#!/usr/bin/env bash
# PostgreSQL 15 test instance living entirely inside a state directory.
#
# usage: postgres.sh start|stop|restart|wait|status <statedir> [port]
#
#   start    initdb on first use (as the `postgres` OS user when run as root,
#            trust auth, superuser "postgres"), then start the server on
#            127.0.0.1:<port> and block until it accepts connections.
#            The port is chosen on first start (argument or a free one) and
#            remembered in <statedir>/port, so later starts reuse it.
#   stop     fast shutdown (pg_ctl stop -m fast); no-op if not running.
#   restart  stop + start on the same port.
#   wait     block until the server accepts connections.
#   status   exit 0 if running.
#
# DSN: postgresql://postgres@127.0.0.1:<port>/postgres
# Env: PG_BIN (default /usr/lib/postgresql/15/bin), HF_SERVICE_TIMEOUT (s, default 60).
set -Eeuo pipefail

SVC=postgres
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TIMEOUT=${HF_SERVICE_TIMEOUT:-60}

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'log "ERROR: unexpected failure (line $LINENO, exit $?)"' ERR
usage() { echo "usage: $0 start|stop|restart|wait|status <statedir> [port]" >&2; exit 2; }

# Run a command as the postgres OS user if we are root (postgres refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
PORT_ARG=${3:-}
DATA=

load_dir() {
  [ -d "$DIR" ] || die "state dir $DIR does not exist"
  DIR=$(cd "$DIR" && pwd -P)
  DATA=$DIR/data
}

load_port() {
  [ -s "$DIR/port" ] || die "no port recorded in $DIR/port (never started?)"
  PORT=$(cat "$DIR/port")
}

is_running() {
  [ -f "$DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

do_wait() {
  load_port
  local t0 deadline
  t0=$(now)
  deadline=$((SECONDS + TIMEOUT))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -t 2; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$DIR/postgres.log"
      die "not ready on 127.0.0.1:$PORT after ${TIMEOUT}s"
    fi
    sleep 0.1
  done
  START_T0=${START_T0:-$t0}
}

do_start() {
  local t0
  t0=$(now)
  mkdir -p "$DIR"
  load_dir
  if [ -s "$DIR/port" ]; then
    PORT=$(cat "$DIR/port")
    if [ -n "$PORT_ARG" ] && [ "$PORT_ARG" != "$PORT" ]; then
      die "$DIR was set up for port $PORT, not $PORT_ARG"
    fi
  else
    PORT=${PORT_ARG:-$(free_ports 1)}
    echo "$PORT" >"$DIR/port"
  fi

  if is_running; then
    log "already running on 127.0.0.1:$PORT"
    do_wait
    return 0
  fi

  if [ ! -f "$DATA/PG_VERSION" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$DIR"
      runuser -u postgres -- test -w "$DIR" ||
        die "user postgres cannot write $DIR (is a parent directory not searchable? try TMPDIR=/tmp)"
    fi
    if ! as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale --no-sync \
      >"$DIR/initdb.log" 2>&1; then
      log_tail "$DIR/initdb.log"
      die "initdb failed"
    fi
  fi

  local opts
  opts="-p $PORT -c listen_addresses=127.0.0.1 -k '$DIR'"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  opts+=" -c max_connections=300 -c shared_buffers=256MB"
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$DATA" -l "$DIR/postgres.log" -w -t "$TIMEOUT" -o "$opts" \
    >>"$DIR/pg_ctl.log" 2>&1; then
    log_tail "$DIR/pg_ctl.log"
    log_tail "$DIR/postgres.log"
    die "failed to start on 127.0.0.1:$PORT"
  fi
  do_wait
  log "ready on 127.0.0.1:$PORT ($(since "$t0")s)"
}

# Postmasters serving our data dir that pg_ctl doesn't know about (a start
# interrupted before postmaster.pid was written): fast, then immediate
# shutdown, then SIGKILL. The "-D <statedir>/data" argument is unique to us.
sweep() {
  local pids sig
  for sig in INT QUIT KILL; do
    pids=$(pgrep -f -- "postgres -D $DATA( |\$)" || true)
    [ -n "$pids" ] || return 0
    log "signalling leftover postmaster(s) $pids with SIG$sig"
    # shellcheck disable=SC2086 # list of pids
    kill -"$sig" $pids 2>/dev/null || true
    for _ in $(seq 1 50); do
      pgrep -f -- "postgres -D $DATA( |\$)" >/dev/null || return 0
      sleep 0.1
    done
  done
}

do_stop() {
  load_dir
  [ -d "$DATA" ] || return 0
  if ! is_running; then
    sweep
    return 0
  fi
  local t0
  t0=$(now)
  if ! as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast -w -t "$TIMEOUT" >>"$DIR/pg_ctl.log" 2>&1; then
    log "fast shutdown failed, trying immediate"
    as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 10 >>"$DIR/pg_ctl.log" 2>&1 || true
  fi
  # Last resort: kill the postmaster recorded in postmaster.pid.
  if [ -f "$DATA/postmaster.pid" ]; then
    local pid
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      log "killing postmaster $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  sweep
  log "stopped ($(since "$t0")s)"
}

case "$CMD" in
  start) do_start ;;
  stop) do_stop ;;
  restart)
    do_stop
    do_start
    ;;
  wait)
    load_dir
    do_wait
    ;;
  status)
    load_dir
    if is_running; then exit 0; else exit 3; fi
    ;;
  *) usage ;;
esac
