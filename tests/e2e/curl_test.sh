#!/usr/bin/env bash
# End-to-end with real curl: keep-alive reuse, chunked upload, 10 MiB bodies
# both ways (compared with cmp), the 404/502/503/504 error replies, and a
# malformed request written by hand over bash's /dev/tcp.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.curl_test).
set -euo pipefail

: "${COURIER_BINARY:?set COURIER_BINARY to the courier binary}"
: "${COURIER_DEMO_UPSTREAM:?set COURIER_DEMO_UPSTREAM to courier-demo-upstream}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/courier-e2e-curl.XXXXXX")
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
check() {  # check "description" command...
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

wait_for() {  # wait_for SECONDS command...: polls every 50 ms
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.05
  done
}

# --- the demo upstream on a port of its choosing -----------------------------
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
name = "slow"
match = { prefix = "/delay/" }
cluster = "agent"
timeout = "200ms"

[[routes]]
name = "app"
match = { regex = "/(echo|bytes/[0-9]+|chunked/[0-9]+|malformed|headers)" }
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
echo "courier on $BASE, upstream $UPSTREAM"

# --- keep-alive: curl reuses its connection for the second URL ---------------
curl -sv "$BASE/bytes/10" "$BASE/bytes/20" -o /dev/null -o /dev/null 2>"$WORK/keepalive.log"
check "keep-alive: curl re-uses the connection" grep -q 'Re-using existing connection' "$WORK/keepalive.log"

# --- 10 MiB bodies both ways ---------------------------------------------------
head -c $((10 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
curl -sf --data-binary @"$WORK/big.bin" -H 'Content-Type: application/octet-stream' \
  "$BASE/echo" -o "$WORK/echoed.bin"
check "10 MiB upload echoed back byte for byte" cmp -s "$WORK/big.bin" "$WORK/echoed.bin"

python3 -c '
import sys
n = 10 * 1024 * 1024
period = bytes(ord("a") + i % 26 for i in range(26))
sys.stdout.buffer.write((period * (n // 26 + 1))[:n])' >"$WORK/pattern.bin"
curl -sf "$BASE/bytes/$((10 * 1024 * 1024))" -o "$WORK/downloaded.bin"
check "10 MiB download matches the upstream's pattern" cmp -s "$WORK/pattern.bin" "$WORK/downloaded.bin"

# --- chunked upload (curl frames the file as chunks) ---------------------------
curl -sf -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big.bin" \
  "$BASE/echo" -o "$WORK/echoed-chunked.bin" -v 2>"$WORK/chunked.log"
check "chunked upload sent chunked" grep -qi '^> Transfer-Encoding: chunked' "$WORK/chunked.log"
check "chunked 10 MiB upload echoed back" cmp -s "$WORK/big.bin" "$WORK/echoed-chunked.bin"

# --- chunked download ------------------------------------------------------------
curl -s "$BASE/chunked/100000?chunk=999" -o "$WORK/chunked.bin" -D "$WORK/chunked.head"
check "chunked download is chunked" grep -qi '^transfer-encoding: chunked' "$WORK/chunked.head"
check "chunked download has all bytes" cmp -s "$WORK/chunked.bin" <(head -c 100000 "$WORK/pattern.bin")

# --- error replies -------------------------------------------------------------
status_of() { curl -s -o "$WORK/body.json" -w '%{http_code}' "$@"; }
expect_error() {  # expect_error STATUS CODE URL
  local got
  got=$(status_of "$3")
  check "$3 -> $1" test "$got" = "$1"
  check "$3 -> error \"$2\"" grep -q "\"error\":\"$2\"" "$WORK/body.json"
}
expect_error 404 no_route "$BASE/nowhere"
expect_error 502 bad_gateway "$BASE/malformed"
expect_error 503 upstream_unavailable "$BASE/dead/x"
expect_error 504 upstream_timeout "$BASE/delay/2000"
check "error replies are JSON" \
  test "$(curl -s -o /dev/null -w '%{content_type}' "$BASE/nowhere")" = "application/json"

# --- malformed request over /dev/tcp -----------------------------------------------
raw_exchange() {  # raw_exchange BYTES -> prints what courier answers until it closes
  exec 3<>"/dev/tcp/127.0.0.1/$LISTEN_PORT"
  printf '%b' "$1" >&3
  timeout 3 cat <&3 || true
  exec 3<&-
}
raw_exchange 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' >"$WORK/raw1.txt"
check "conflicting Content-Length -> 400" grep -q '^HTTP/1.1 400' "$WORK/raw1.txt"
check "conflicting Content-Length -> bad_request" grep -q '"error":"bad_request"' "$WORK/raw1.txt"
raw_exchange 'GET /headers HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\n' >"$WORK/raw2.txt"
check "obs-fold -> 400" grep -q '^HTTP/1.1 400' "$WORK/raw2.txt"
# `timeout 3 cat` returns early only if courier closes the connection.
start_ms=$(($(date +%s%N) / 1000000))
raw_exchange 'GET /headers HTTP/1.1\r\nHost : a\r\n\r\n' >"$WORK/raw3.txt"
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
check "space before colon -> 400" grep -q '^HTTP/1.1 400' "$WORK/raw3.txt"
check "connection closed after the 400 (${elapsed_ms} ms)" test "$elapsed_ms" -lt 2000

# --- HTTP/1.0 -------------------------------------------------------------------------
check "curl --http1.0 gets the whole body" \
  bash -c "curl -sf --http1.0 '$BASE/chunked/5000' | cmp -s - <(head -c 5000 '$WORK/pattern.bin')"

check "courier is still running" kill -0 "$COURIER_PID"
if ((FAILS > 0)); then
  echo "$FAILS check(s) failed"
  echo "--- courier stderr ---"
  tail -20 "$WORK/courier.err"
  exit 1
fi
echo "all curl checks passed"
