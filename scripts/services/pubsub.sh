#!/usr/bin/env bash
# Google Cloud Pub/Sub emulator test instance, state kept in a state directory.
#
# usage: pubsub.sh start|stop|restart|wait|status <statedir> [port]
#
#   start    launch the emulator (java) in its own process group on
#            127.0.0.1:<port>, log to <statedir>/pubsub.log, pid in
#            <statedir>/pid; block until it answers HTTP. The port is chosen
#            on first start and remembered in <statedir>/port.
#   stop     kill the emulator's process group and wait for it to exit.
#   restart  stop + start on the same port (the emulator keeps everything in
#            memory: topics/subscriptions are gone after a restart).
#   wait     block until the emulator answers HTTP.
#   status   exit 0 if running.
#
# Env: PUBSUB_EMULATOR_BIN, HF_SERVICE_TIMEOUT (s, default 60),
#      HF_PUBSUB_JAVA_OPTS (JVM options, default "-Xms64m -Xmx1g -XX:+UseSerialGC").
set -Eeuo pipefail

SVC=pubsub
EMULATOR=${PUBSUB_EMULATOR_BIN:-/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator}
TIMEOUT=${HF_SERVICE_TIMEOUT:-60}

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'log "ERROR: unexpected failure (line $LINENO, exit $?)"' ERR
usage() { echo "usage: $0 start|stop|restart|wait|status <statedir> [port]" >&2; exit 2; }

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
PORT_ARG=${3:-}

load_dir() {
  [ -d "$DIR" ] || die "state dir $DIR does not exist"
  DIR=$(cd "$DIR" && pwd -P)
}

load_port() {
  [ -s "$DIR/port" ] || die "no port recorded in $DIR/port (never started?)"
  PORT=$(cat "$DIR/port")
}

read_pid() { cat "$DIR/pid" 2>/dev/null || true; }

is_running() { alive "$(read_pid)"; }

http_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    "http://127.0.0.1:$PORT/v1/projects/test/topics" 2>/dev/null || true
}

do_wait() {
  load_port
  local deadline code
  deadline=$((SECONDS + TIMEOUT))
  while :; do
    code=$(http_code)
    if [ -n "$code" ] && [ "$code" != "000" ]; then
      return 0
    fi
    if [ -s "$DIR/pid" ] && ! is_running; then
      log_tail "$DIR/pubsub.log"
      die "emulator process exited while starting on 127.0.0.1:$PORT"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$DIR/pubsub.log"
      die "not ready on 127.0.0.1:$PORT after ${TIMEOUT}s"
    fi
    sleep 0.1
  done
}

do_start() {
  local t0
  t0=$(now)
  [ -x "$EMULATOR" ] || die "emulator not found: $EMULATOR (run scripts/install-deps.sh)"
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

  mkdir -p "$DIR/data" "$DIR/tmp"
  rm -f "$DIR/pid"
  # The inner shell becomes a new session/process-group leader (setsid),
  # records its pid and execs the launcher, which in turn execs java; so the
  # recorded pid is the java process and its process group id.
  (
    cd "$DIR/data"
    export JAVA_OPTS="${HF_PUBSUB_JAVA_OPTS:--Xms64m -Xmx1g -XX:+UseSerialGC} -Djava.io.tmpdir=$DIR/tmp"
    # shellcheck disable=SC2016 # expanded by the inner shell
    exec setsid bash -c 'echo "$$" >"$1"; shift; exec "$@"' _ "$DIR/pid" \
      "$EMULATOR" --host=127.0.0.1 --port="$PORT" >>"$DIR/pubsub.log" 2>&1 </dev/null
  ) &
  for _ in $(seq 1 50); do
    [ -s "$DIR/pid" ] && break
    sleep 0.02
  done
  [ -s "$DIR/pid" ] || die "emulator did not start (no pid file)"
  do_wait
  log "ready on 127.0.0.1:$PORT ($(since "$t0")s)"
}

do_stop() {
  load_dir
  local pid t0
  pid=$(read_pid)
  t0=$(now)
  if [ -n "$pid" ] && group_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      group_alive "$pid" || break
      sleep 0.1
    done
    if group_alive "$pid"; then
      log "emulator did not exit on SIGTERM, killing"
      kill -KILL -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        group_alive "$pid" || break
        sleep 0.1
      done
    fi
    log "stopped ($(since "$t0")s)"
  fi
  # An emulator that escaped (start interrupted before the pid file was
  # written): its JVM has -Djava.io.tmpdir=<statedir>/tmp, unique to it.
  local lp
  for lp in $(pgrep -f -- "-Djava.io.tmpdir=$DIR/tmp( |\$)" || true); do
    log "killing leftover emulator pid $lp"
    kill -KILL "$lp" 2>/dev/null || true
  done
  rm -f "$DIR/pid"
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
