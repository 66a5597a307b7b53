#!/usr/bin/env bash
# End-to-end with real curl: keep-alive reuse, chunked upload, 10 MiB bodies
# both ways (compared with cmp), the 404/502/503/504 error replies, and a
# malformed request written by hand over bash's /dev/tcp.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.curl_test).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init curl
start_upstream

courier_config() {
  config_head 2
  config_dead_route
  cat <<EOF

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
start_courier DEAD_PORT
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
raw_exchange 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' >"$WORK/raw1.txt"
check "conflicting Content-Length -> 400" grep -q '^HTTP/1.1 400' "$WORK/raw1.txt"
check "conflicting Content-Length -> bad_request" grep -q '"error":"bad_request"' "$WORK/raw1.txt"
raw_exchange 'GET /headers HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\n' >"$WORK/raw2.txt"
check "obs-fold -> 400" grep -q '^HTTP/1.1 400' "$WORK/raw2.txt"
# `timeout 3 cat` returns early only if courier closes the connection.
start_ms=$(now_ms)
raw_exchange 'GET /headers HTTP/1.1\r\nHost : a\r\n\r\n' >"$WORK/raw3.txt"
elapsed_ms=$(($(now_ms) - start_ms))
check "space before colon -> 400" grep -q '^HTTP/1.1 400' "$WORK/raw3.txt"
check "connection closed after the 400 (${elapsed_ms} ms)" test "$elapsed_ms" -lt 2000

# --- HTTP/1.0 -------------------------------------------------------------------------
check "curl --http1.0 gets the whole body" \
  bash -c "curl -sf --http1.0 '$BASE/chunked/5000' | cmp -s - <(head -c 5000 '$WORK/pattern.bin')"

check "courier is still running" kill -0 "$COURIER_PID"
finish curl courier_stderr_tail
