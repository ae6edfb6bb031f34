# Shared by the service scripts of this folder (sourced after they set SVC) and by
# scripts/with-test-services.sh: logging, timing, free ports and process checks.

log() { printf '%s: %s\n' "$SVC" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# Print the last lines of a log file (to stderr), indented.
log_tail() {
  local f=$1
  if [ -s "$f" ]; then
    echo "---- last lines of $f ----" >&2
    tail -n 25 "$f" | sed 's/^/  | /' >&2
  fi
}

# N distinct free TCP ports on loopback, all held at once so they are distinct, and below the
# kernel's ephemeral range so client sockets cannot take them while a service restarts.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
socks, ports = [], []
for _ in range(5000):
    if len(ports) == n:
        break
    p = random.randint(20000, 32000)
    if p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p))
    except OSError:
        s.close()
        continue
    socks.append(s)
    ports.append(p)
else:
    raise SystemExit("no free ports found")
print(" ".join(map(str, ports)))
PY
}

# True if the pid exists and is not a zombie.
alive() {
  local pid=$1 st
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# True if any non-zombie process is left in process group $1.
group_alive() {
  ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
