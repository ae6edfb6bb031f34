#!/usr/bin/env bash
# The console's browser test (console.test.mjs): starts `hyperfleet dev --auth` on free ports in a
# temp dir, runs the node test against it with Debian's chromium, stops dev. Screenshots land in
# $HF_BROWSER_OUT (default: build/tests/browser-console). Exit 77 (skipped) when chromium, node
# or playwright-core are missing, unless HF_TEST_SERVICES=1 (make test), where that fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${HF_BINARY:?HF_BINARY must name the hyperfleet binary}
out=${HF_BROWSER_OUT:-$(dirname "$binary")/../tests/browser-console}
missing=
[ -x /usr/bin/chromium ] || missing="chromium (apt)"
command -v node >/dev/null || missing="$missing node"
[ -d "$here/node_modules/playwright-core" ] || missing="$missing playwright-core (npm ci in tests/browser)"
if [ -n "$missing" ]; then
  echo "browser test: missing $missing; run scripts/install-deps.sh" >&2
  [ "${HF_TEST_SERVICES:-}" = 1 ] && exit 1
  exit 77
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
dir=$(mktemp -d /tmp/hf-browser.XXXXXX)
port=$(free_port); health=$(free_port); metrics=$(free_port)
"$binary" dev --auth --data-dir "$dir/data" --port "$port" --health-port "$health" \
  --metrics-port "$metrics" --poll-interval 300ms --debounce 0s >"$dir/dev.log" 2>&1 &
dev_pid=$!
cleanup() {
  kill -TERM "$dev_pid" 2>/dev/null || true
  wait "$dev_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  if [ -s "$dir/data/token" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  if ! kill -0 "$dev_pid" 2>/dev/null; then cat "$dir/dev.log" >&2; exit 1; fi
  sleep 0.1
done
mkdir -p "$out"
status=0
HF_URL="http://127.0.0.1:$port" HF_TOKEN_FILE="$dir/data/token" \
  HF_KEY_FILE="$dir/data/signing-key.pem" HF_OUT="$out" \
  node --test --test-reporter=spec "$here/console.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- dev log (tail) ---" >&2
  tail -n 60 "$dir/dev.log" >&2
fi
echo "screenshots: $out"
exit "$status"
