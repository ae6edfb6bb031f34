#!/usr/bin/env bash
# RabbitMQ test node with everything (config, mnesia, logs, cookie, epmd)
# inside a state directory. Runs as the invoking user (root is fine): it calls
# /usr/lib/rabbitmq/bin/rabbitmq-server directly, not Debian's /usr/sbin
# wrapper (which would switch to the rabbitmq user) nor the system service.
#
# usage: rabbitmq.sh start|stop|restart|wait|status <statedir> [port [dist_port epmd_port]]
#
#   start    start a private epmd (on epmd_port) and the node (AMQP on
#            127.0.0.1:<port>, Erlang distribution on dist_port); block until
#            the node has booted and the AMQP port accepts connections.
#            Node name, ports and pids are remembered in the state dir, so
#            later starts reuse them and keep the data (mnesia).
#   stop     rabbitmqctl stop, then kill anything left (node, epmd).
#   restart  stop + start (same ports, data kept).
#   wait     block until the node is up.
#   status   exit 0 if running.
#
# URL: amqp://guest:guest@127.0.0.1:<port>/
# Env: HF_SERVICE_TIMEOUT (s, default 90), RABBITMQ_LIB_BIN (default /usr/lib/rabbitmq/bin).
set -Eeuo pipefail

SVC=rabbitmq
RMQ_BIN=${RABBITMQ_LIB_BIN:-/usr/lib/rabbitmq/bin}
TIMEOUT=${HF_SERVICE_TIMEOUT:-90}

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'log "ERROR: unexpected failure (line $LINENO, exit $?)"' ERR
usage() { echo "usage: $0 start|stop|restart|wait|status <statedir> [port [dist_port epmd_port]]" >&2; exit 2; }

# Pids of processes listening on TCP port $1 (any address).
listeners_on() {
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
PORT_ARG=${3:-}
DIST_ARG=${4:-}
EPMD_ARG=${5:-}

load_dir() {
  [ -d "$DIR" ] || die "state dir $DIR does not exist"
  DIR=$(cd "$DIR" && pwd -P)
}

# Load node name and ports from the state dir; exports the environment the
# rabbitmq scripts (server and CLI) need to find this node and only this node.
load_state() {
  if [ ! -s "$DIR/port" ] || [ ! -s "$DIR/nodename" ]; then
    die "no state in $DIR (never started?)"
  fi
  PORT=$(cat "$DIR/port")
  DIST_PORT=$(cat "$DIR/dist_port")
  EPMD_PORT=$(cat "$DIR/epmd_port")
  NODE=$(cat "$DIR/nodename")
  export HOME="$DIR"
  export RABBITMQ_NODENAME="$NODE"
  export RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$DIR/mnesia"
  export RABBITMQ_LOG_BASE="$DIR/log"
  export RABBITMQ_PID_FILE="$DIR/rabbitmq.pid"
  export RABBITMQ_DIST_PORT="$DIST_PORT"
  export ERL_EPMD_PORT="$EPMD_PORT"
  export ERL_EPMD_ADDRESS=127.0.0.1
  # Distribution on loopback only; no scheduler busy-waiting (shared test box).
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none"
  unset RABBITMQ_NODE_PORT RABBITMQ_NODE_IP_ADDRESS RABBITMQ_USE_LONGNAME
}

ctl() { "$RMQ_BIN/rabbitmqctl" -q -n "$NODE" "$@"; }

node_pid() { cat "$DIR/pid" 2>/dev/null || true; }
epmd_pid() { cat "$DIR/epmd.pid" 2>/dev/null || true; }

is_running() { alive "$(node_pid)"; }

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

do_wait() {
  load_state
  local deadline
  deadline=$((SECONDS + TIMEOUT))
  # 1. the AMQP listener is up (cheap to poll; it is opened late in boot)
  until tcp_open "$PORT"; do
    if [ -s "$DIR/pid" ] && ! is_running; then
      log_tail "$DIR/rabbitmq-server.out"
      log_tail "$DIR/log/$NODE.log"
      die "node $NODE exited while starting"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$DIR/rabbitmq-server.out"
      log_tail "$DIR/log/$NODE.log"
      die "AMQP port 127.0.0.1:$PORT not open after ${TIMEOUT}s"
    fi
    sleep 0.2
  done
  # 2. the node reports it has fully booted
  local left=$((deadline - SECONDS))
  [ "$left" -ge 5 ] || left=5
  if ! ctl await_startup --timeout "$left" >>"$DIR/ctl.log" 2>&1; then
    log_tail "$DIR/ctl.log"
    log_tail "$DIR/log/$NODE.log"
    die "node $NODE did not finish booting"
  fi
}

do_start() {
  local t0
  t0=$(now)
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "$RMQ_BIN/rabbitmq-server not found (run scripts/install-deps.sh)"
  mkdir -p "$DIR"
  load_dir
  if [ ! -s "$DIR/nodename" ]; then
    local ports p d e
    if [ -n "$PORT_ARG" ] && [ -n "$DIST_ARG" ] && [ -n "$EPMD_ARG" ]; then
      ports="$PORT_ARG $DIST_ARG $EPMD_ARG"
    else
      ports=$(free_ports 3)
    fi
    read -r p d e <<<"$ports"
    echo "${PORT_ARG:-$p}" >"$DIR/port"
    echo "${DIST_ARG:-$d}" >"$DIR/dist_port"
    echo "${EPMD_ARG:-$e}" >"$DIR/epmd_port"
    echo "hftest-$$@localhost" >"$DIR/nodename"
  elif [ -n "$PORT_ARG" ] && [ "$PORT_ARG" != "$(cat "$DIR/port")" ]; then
    die "$DIR was set up for port $(cat "$DIR/port"), not $PORT_ARG"
  fi
  load_state

  if is_running; then
    log "already running on 127.0.0.1:$PORT"
    do_wait
    return 0
  fi

  mkdir -p "$DIR/mnesia" "$DIR/log"
  : >"$DIR/rabbitmq-env.conf"
  echo '[].' >"$DIR/enabled_plugins"
  cat >"$DIR/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$PORT
loopback_users = none
log.console = false
log.file.level = info
CONF
  if [ ! -s "$DIR/.erlang.cookie" ]; then
    (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/.erlang.cookie")
  fi
  chmod 400 "$DIR/.erlang.cookie"

  # Private epmd, in its own process group, pid recorded.
  if ! alive "$(epmd_pid)"; then
    rm -f "$DIR/epmd.pid"
    # shellcheck disable=SC2016 # expanded by the inner shell
    (exec setsid bash -c 'echo "$$" >"$1"; shift; exec "$@"' _ "$DIR/epmd.pid" \
      epmd -port "$EPMD_PORT" -address 127.0.0.1 >>"$DIR/epmd.log" 2>&1 </dev/null) &
    for _ in $(seq 1 100); do
      tcp_open "$EPMD_PORT" && break
      sleep 0.05
    done
    tcp_open "$EPMD_PORT" || { log_tail "$DIR/epmd.log"; die "epmd did not start on port $EPMD_PORT"; }
  fi

  rm -f "$DIR/pid" "$DIR/rabbitmq.pid"
  (
    cd "$DIR"
    # shellcheck disable=SC2016 # expanded by the inner shell
    exec setsid bash -c 'echo "$$" >"$1"; shift; exec "$@"' _ "$DIR/pid" \
      "$RMQ_BIN/rabbitmq-server" >>"$DIR/rabbitmq-server.out" 2>&1 </dev/null
  ) &
  for _ in $(seq 1 50); do
    [ -s "$DIR/pid" ] && break
    sleep 0.02
  done
  [ -s "$DIR/pid" ] || die "rabbitmq-server did not start (no pid file)"
  do_wait
  log "ready on 127.0.0.1:$PORT, node $NODE ($(since "$t0")s)"
}

do_stop() {
  load_dir
  [ -s "$DIR/nodename" ] || return 0
  load_state
  local pid epid t0 stopped=0
  pid=$(node_pid)
  epid=$(epmd_pid)
  t0=$(now)
  if [ -n "$pid" ] && group_alive "$pid"; then
    stopped=1
    # Graceful stop; waits for the VM (pid in rabbitmq.pid) to exit. Skipped
    # if the node never opened its AMQP port (still booting / broken): then
    # the CLI can't help and SIGTERM below is the way.
    local term_wait=30
    if tcp_open "$PORT"; then
      if [ -s "$DIR/rabbitmq.pid" ]; then
        timeout 30 "$RMQ_BIN/rabbitmqctl" -q -n "$NODE" stop "$DIR/rabbitmq.pid" >>"$DIR/ctl.log" 2>&1 || true
      else
        timeout 30 "$RMQ_BIN/rabbitmqctl" -q -n "$NODE" stop >>"$DIR/ctl.log" 2>&1 || true
      fi
      for _ in $(seq 1 50); do
        group_alive "$pid" || break
        sleep 0.1
      done
      term_wait=50
    fi
    if group_alive "$pid"; then
      [ "$term_wait" -eq 30 ] || log "node not stopped by rabbitmqctl, sending SIGTERM"
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 "$term_wait"); do
        group_alive "$pid" || break
        sleep 0.1
      done
    fi
    if group_alive "$pid"; then
      log "node still alive, sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  # The beam pid, in case it escaped the process group.
  local bpid
  bpid=$(cat "$DIR/rabbitmq.pid" 2>/dev/null || true)
  if alive "$bpid"; then
    kill -KILL "$bpid" 2>/dev/null || true
  fi
  if alive "$epid"; then
    stopped=1
    kill -TERM "$epid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive "$epid" || break
      sleep 0.05
    done
    if alive "$epid"; then kill -KILL "$epid" 2>/dev/null || true; fi
  fi
  # Anything still listening on our ports (e.g. an epmd -daemon spawned by a
  # CLI call after the node was gone) is ours: kill it.
  local p lp
  for p in "$PORT" "$DIST_PORT" "$EPMD_PORT"; do
    for lp in $(listeners_on "$p"); do
      if [ -n "$lp" ] && [ "$lp" != "$$" ]; then
        stopped=1
        log "killing leftover pid $lp listening on port $p"
        kill -KILL "$lp" 2>/dev/null || true
      fi
    done
  done
  # Processes of this node that escaped all of the above (e.g. a start that
  # was interrupted before the pid file was written): the VM's command line
  # contains "-home <statedir>", which is unique to this node.
  for lp in $(pgrep -f -- "beam.* -home $DIR( |\$)" || true); do
    stopped=1
    log "killing leftover VM pid $lp"
    kill -KILL "$lp" 2>/dev/null || true
  done
  rm -f "$DIR/pid" "$DIR/epmd.pid"
  [ "$stopped" -eq 0 ] || log "stopped ($(since "$t0")s)"
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
    load_state
    if is_running; then exit 0; else exit 3; fi
    ;;
  *) usage ;;
esac
