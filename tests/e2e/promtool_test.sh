#!/usr/bin/env bash
# Scrapes courier's /metrics after mixed traffic (200, 404, 502, 503, local
# 400s) and runs `promtool check metrics` on it: any problem promtool prints,
# or a non-zero exit, fails the test. Also checks the series the spec names.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.promtool_test).
set -euo pipefail

: "${COURIER_BINARY:?set COURIER_BINARY to the courier binary}"
: "${COURIER_DEMO_UPSTREAM:?set COURIER_DEMO_UPSTREAM to courier-demo-upstream}"
command -v promtool >/dev/null || { echo "promtool not installed"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/courier-e2e-promtool.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
reaped() {  # reaped PID: drop a waited-for process from PIDS (its id may be reused)
  local kept=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}

FAILS=0
check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok   - $what"
  else
    echo "FAIL - $what"
    FAILS=$((FAILS + 1))
  fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.05
  done
}

"$COURIER_DEMO_UPSTREAM" --listen 127.0.0.1:0 --quiet >"$WORK/upstream.out" 2>&1 &
PIDS+=($!)
wait_for 5 grep -q 'listening on' "$WORK/upstream.out" || { echo "demo upstream did not start"; exit 1; }
UPSTREAM=$(sed -n 's/^listening on //p' "$WORK/upstream.out")

# courier on free ports; picked ports can be taken by another process before
# courier binds them (ctest -j), so a bind failure is retried with new ones.
write_config() {
  cat >"$WORK/courier.toml" <<EOF
[server]
listen = "127.0.0.1:$LISTEN_PORT"
admin = "127.0.0.1:$ADMIN_PORT"
workers = 2

[clusters.agent]
endpoints = ["$UPSTREAM"]

[clusters.dead]
endpoints = ["127.0.0.1:$DEAD_PORT"]

[[routes]]
name = "dead"
match = { prefix = "/dead/" }
cluster = "dead"

[[routes]]
name = "app"
match = { prefix = "/", methods = ["GET", "POST"] }
cluster = "agent"
EOF
}
start_courier() {
  local attempt
  for attempt in 1 2 3; do
    LISTEN_PORT=$(free_port)
    ADMIN_PORT=$(free_port)
    DEAD_PORT=$(free_port)
    write_config
    "$COURIER_BINARY" --config "$WORK/courier.toml" >"$WORK/courier.out" 2>"$WORK/courier.err" &
    COURIER_PID=$!
    PIDS+=($COURIER_PID)
    if wait_for 10 curl -sf "http://127.0.0.1:$ADMIN_PORT/ready"; then return 0; fi
    kill "$COURIER_PID" 2>/dev/null || true
    wait "$COURIER_PID" 2>/dev/null || true
    reaped "$COURIER_PID"
    grep -q 'Address already in use' "$WORK/courier.err" || break
  done
  echo "courier did not become ready"
  cat "$WORK/courier.err"
  return 1
}
start_courier
BASE="http://127.0.0.1:$LISTEN_PORT"

echo "sending traffic"
for i in $(seq 1 20); do curl -s -o /dev/null "$BASE/bytes/$i"; done
for i in 1 2 3; do curl -s -o /dev/null "$BASE/status/503"; done
curl -s -o /dev/null -X DELETE "$BASE/no-route"
curl -s -o /dev/null "$BASE/malformed"
curl -s -o /dev/null "$BASE/dead/x"
curl -s -o /dev/null --data-binary 'hello' "$BASE/echo"
# A local 400 (conflicting Content-Length), written by hand.
exec 3<>"/dev/tcp/127.0.0.1/$LISTEN_PORT"
printf 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' >&3
timeout 3 cat <&3 >/dev/null || true
exec 3<&-
curl -s -o /dev/null -X POST "http://127.0.0.1:$ADMIN_PORT/reload"

curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" -o "$WORK/metrics.txt"
echo "scraped $(wc -l <"$WORK/metrics.txt") lines"

set +e
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1
rc=$?
set -e
check "promtool check metrics exits 0 (got $rc)" test "$rc" -eq 0
check "promtool reports no problems" test ! -s "$WORK/promtool.out"
if [[ -s "$WORK/promtool.out" ]]; then
  echo "--- promtool output ---"
  cat "$WORK/promtool.out"
fi

has() { grep -qE "$1" "$WORK/metrics.txt"; }
check "requests_total counts the 20 OKs" has '^courier_requests_total\{route="app",code="200"\} 21$'
check "requests_total counts the 503s" has '^courier_requests_total\{route="app",code="503"\} 3$'
check "requests_total counts the 502" has '^courier_requests_total\{route="app",code="502"\} 1$'
check "requests_total counts the dead cluster's 503" has '^courier_requests_total\{route="dead",code="503"\} 1$'
check "request_duration_seconds histogram" has '^courier_request_duration_seconds_bucket\{route="app",le="\+Inf"\} 25$'
check "upstream_request_duration_seconds histogram" has '^courier_upstream_request_duration_seconds_count\{cluster="agent"\} [0-9]+$'
check "upstream_first_byte_seconds histogram" has '^courier_upstream_first_byte_seconds_bucket\{route="app",le="0.0005"\} [0-9]+$'
check "active_connections gauge" has '^courier_active_connections [0-9]+$'
check "active_requests gauge" has '^courier_active_requests\{route="app"\} 0$'
check "config_reloads_total" has '^courier_config_reloads_total\{result="success"\} 1$'
check "build_info" has '^courier_build_info\{.*version="[0-9]+\.[0-9]+\.[0-9]+".*\} 1$'
check "every sample is a courier_ metric" bash -c "! grep -vE '^(#|courier_)' '$WORK/metrics.txt' | grep -q ."

if ((FAILS > 0)); then
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all promtool checks passed"
