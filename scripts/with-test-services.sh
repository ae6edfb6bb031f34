#!/usr/bin/env bash
# Run a command with private, throw-away test services:
#   PostgreSQL 15, the Google Pub/Sub emulator and RabbitMQ.
#
# usage: scripts/with-test-services.sh CMD [ARGS...]
#
# Each service gets a fresh temp dir (mktemp -d under ${TMPDIR:-/tmp}) and free
# loopback port(s); services start in parallel, and CMD runs once all are ready.
# Whatever happens (CMD fails, a start fails half-way, INT/TERM), all services
# are stopped and the temp dirs removed; a detached watchdog does the same if
# this script is SIGKILLed. Exits with CMD's exit code (1 if a service fails).
#
# Env in:  SERVICES="postgres pubsub rabbitmq" (default: all three)
#          HF_SERVICE_TIMEOUT (per-service readiness timeout, seconds)
# Env out (for CMD):
#   HF_TEST_SERVICES=1
#   HF_TEST_PG_DSN=postgresql://postgres@127.0.0.1:<port>/postgres
#   HF_TEST_PG_STOP / HF_TEST_PG_START / HF_TEST_PG_RESTART      (shell commands)
#   HF_TEST_PUBSUB_EMULATOR_HOST=127.0.0.1:<port>
#   HF_TEST_PUBSUB_STOP / HF_TEST_PUBSUB_START / HF_TEST_PUBSUB_RESTART
#   HF_TEST_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:<port>/
#   HF_TEST_RABBITMQ_STOP / HF_TEST_RABBITMQ_START / HF_TEST_RABBITMQ_RESTART
#   HF_TEST_<SVC>_DIR (state dir of each service, logs are in there)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SVC_DIR=$SCRIPT_DIR/services
SELF=$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")

say() { printf 'test-services: %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------
# Watchdog mode (internal): wait for PARENT to disappear, then clean up.
#   with-test-services.sh --watchdog PARENT_PID svc=dir ...
# ---------------------------------------------------------------------------
if [ "${1:-}" = "--watchdog" ]; then
  parent=$2
  shift 2
  trap '' INT HUP
  trap 'exit 0' TERM # normal path: the parent cleaned up and dismisses us
  # (a zombie counts as gone)
  while st=$(ps -o stat= -p "$parent" 2>/dev/null) && [ "${st#Z}" = "$st" ]; do
    sleep 1
  done
  for spec in "$@"; do
    ("$SVC_DIR/${spec%%=*}.sh" stop "${spec#*=}" >/dev/null 2>&1 || true
      rm -rf "${spec#*=}") &
  done
  wait
  exit 0
fi

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]   (env SERVICES=\"postgres pubsub rabbitmq\")" >&2
  exit 2
fi

read -r -a WANT <<<"${SERVICES:-postgres pubsub rabbitmq}"
if [ "${#WANT[@]}" -eq 0 ]; then
  say "SERVICES is empty"
  exit 2
fi
for s in "${WANT[@]}"; do
  case "$s" in
    postgres | pubsub | rabbitmq) ;;
    *)
      say "unknown service '$s' in SERVICES (known: postgres pubsub rabbitmq)"
      exit 2
      ;;
  esac
done

SVC=test-services
source "$SVC_DIR/lib.sh"  # now, since, free_ports
T0=$(now)

declare -A DIRS=()   # service -> state dir
declare -A STARTS=() # service -> pid of its (background) start job
WATCHDOG=
CLEANED=0

# shellcheck disable=SC2317 # invoked via trap
cleanup() {
  local rc=$?
  [ "$CLEANED" -eq 0 ] || return 0
  CLEANED=1
  trap '' INT TERM
  local t0 s pids=()
  t0=$(now)
  # Abort start jobs still running (e.g. interrupted while starting); each
  # runs in its own process group, so helpers like initdb/pg_ctl die too.
  for s in "${!STARTS[@]}"; do
    kill -TERM -- "-${STARTS[$s]}" 2>/dev/null || true
  done
  for s in "${!STARTS[@]}"; do
    wait "${STARTS[$s]}" 2>/dev/null || true
  done
  # Stop all services in parallel.
  for s in "${!DIRS[@]}"; do
    "$SVC_DIR/$s.sh" stop "${DIRS[$s]}" &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do
    wait "$p" || true
  done
  for s in "${!DIRS[@]}"; do
    rm -rf "${DIRS[$s]}"
  done
  if [ -n "$WATCHDOG" ]; then
    kill -TERM "$WATCHDOG" 2>/dev/null || true
  fi
  [ "${#DIRS[@]}" -eq 0 ] || say "services stopped ($(since "$t0")s)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

read -r -a PORTS <<<"$(free_ports 5)"
PG_PORT=${PORTS[0]}
PUBSUB_PORT=${PORTS[1]}
RMQ_PORT=${PORTS[2]}
RMQ_DIST_PORT=${PORTS[3]}
RMQ_EPMD_PORT=${PORTS[4]}

TMPBASE=${TMPDIR:-/tmp}
for s in "${WANT[@]}"; do
  DIRS[$s]=$(mktemp -d "$TMPBASE/hf-$s.XXXXXXXX")
done

# Detached watchdog (own session, so it survives a kill of our process tree).
specs=()
for s in "${!DIRS[@]}"; do
  specs+=("$s=${DIRS[$s]}")
done
setsid bash "$SELF" --watchdog "$$" "${specs[@]}" </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

# Start everything in parallel; each start script prints its own
# "<svc>: ready on ..." line or an error with the tail of its log.
for s in "${WANT[@]}"; do
  case "$s" in
    postgres) setsid "$SVC_DIR/postgres.sh" start "${DIRS[$s]}" "$PG_PORT" & ;;
    pubsub) setsid "$SVC_DIR/pubsub.sh" start "${DIRS[$s]}" "$PUBSUB_PORT" & ;;
    rabbitmq) setsid "$SVC_DIR/rabbitmq.sh" start "${DIRS[$s]}" "$RMQ_PORT" "$RMQ_DIST_PORT" "$RMQ_EPMD_PORT" & ;;
  esac
  STARTS[$s]=$!
done
# Wait for the start jobs as they finish; on the first failure give up at
# once (the EXIT trap aborts the other start jobs and stops everything).
while [ "${#STARTS[@]}" -gt 0 ]; do
  done_pid=
  st=0
  wait -n -p done_pid "${STARTS[@]}" || st=$?
  for s in "${!STARTS[@]}"; do
    if [ "${STARTS[$s]}" = "$done_pid" ]; then
      unset 'STARTS[$s]'
      if [ "$st" -ne 0 ]; then
        say "failed to start: $s"
        exit 1
      fi
    fi
  done
done
say "all services ready: ${WANT[*]} ($(since "$T0")s)"

export HF_TEST_SERVICES=1
for s in "${WANT[@]}"; do
  d=${DIRS[$s]}
  case "$s" in
    postgres)
      export HF_TEST_PG_DIR="$d"
      export HF_TEST_PG_DSN="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
      export HF_TEST_PG_STOP="$SVC_DIR/postgres.sh stop $d"
      export HF_TEST_PG_START="$SVC_DIR/postgres.sh start $d"
      export HF_TEST_PG_RESTART="$SVC_DIR/postgres.sh restart $d"
      ;;
    pubsub)
      export HF_TEST_PUBSUB_DIR="$d"
      export HF_TEST_PUBSUB_EMULATOR_HOST="127.0.0.1:$PUBSUB_PORT"
      export HF_TEST_PUBSUB_STOP="$SVC_DIR/pubsub.sh stop $d"
      export HF_TEST_PUBSUB_START="$SVC_DIR/pubsub.sh start $d"
      export HF_TEST_PUBSUB_RESTART="$SVC_DIR/pubsub.sh restart $d"
      ;;
    rabbitmq)
      export HF_TEST_RABBITMQ_DIR="$d"
      export HF_TEST_RABBITMQ_URL="amqp://guest:guest@127.0.0.1:$RMQ_PORT/"
      export HF_TEST_RABBITMQ_STOP="$SVC_DIR/rabbitmq.sh stop $d"
      export HF_TEST_RABBITMQ_START="$SVC_DIR/rabbitmq.sh start $d"
      export HF_TEST_RABBITMQ_RESTART="$SVC_DIR/rabbitmq.sh restart $d"
      ;;
  esac
done

# Run CMD in the foreground (keeps the terminal/stdin); don't exec, so the
# EXIT trap still runs. Our exit code is CMD's.
set +e
"$@"
rc=$?
set -e
exit "$rc"
