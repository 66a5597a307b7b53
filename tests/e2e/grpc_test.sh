#!/usr/bin/env bash
# End-to-end gRPC through courier: a Python gRPC server (tests/e2e/grpc/
# server.py, h2c) behind a cluster with protocol = "h2c", and the Python gRPC
# client (tests/e2e/grpc/client.py) speaking h2c by prior knowledge to
# courier's listen port. The client asserts payloads (up to 3 MiB), message
# order and count of streams, live streaming, the NOT_FOUND status with its
# details and trailing metadata, client streaming, bidi ping-pong, deadlines,
# 64 concurrent calls on one connection, and that the server saw courier's
# x-forwarded-for and x-request-id (gRPC servers refuse requests without `te:
# trailers`, so every passing call also shows that courier forwards it).
# Then curl sends raw gRPC frames (HTTP/2 and HTTP/1.1 downstream) to see
# the grpc-status trailer arrive, and the access log and /metrics are checked
# for HTTP/2.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.grpc_test).
# Needs /usr/bin/python3 with Debian's python3-grpcio, and curl with HTTP/2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GRPC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/grpc" && pwd)
PY=/usr/bin/python3  # the python3 first on PATH does not see Debian's packages
require curl
"$PY" -c 'import grpc' 2>/dev/null || {
  echo "python3-grpcio not installed (for $PY)"
  exit 1
}
e2e_init grpc
start_upstream

# --- the gRPC server on a port of its choosing -------------------------------------
"$PY" "$GRPC_DIR/server.py" >"$WORK/grpc-server.out" 2>"$WORK/grpc-server.err" &
GRPC_PID=$!
PIDS+=("$GRPC_PID")
wait_for 15 grep -q '^listening on ' "$WORK/grpc-server.out" || {
  echo "gRPC server did not start"
  cat "$WORK/grpc-server.err"
  exit 1
}
GRPC_UPSTREAM=$(sed -n 's/^listening on //p' "$WORK/grpc-server.out")

courier_config() {
  config_head 2 'access_log = "stdout"'
  cat <<EOF

[clusters.grpc]
endpoints = ["$GRPC_UPSTREAM"]
protocol = "h2c"

[[routes]]
name = "grpc"
match = { prefix = "/courier.test.Echo/" }
cluster = "grpc"
timeout = "30s"

[[routes]]
name = "app"
match = { prefix = "/" }
cluster = "agent"
EOF
}
# shellcheck disable=SC2119  # no ports beyond listen/admin needed
start_courier
echo "courier on $BASE, gRPC server on $GRPC_UPSTREAM, demo upstream $UPSTREAM"

# --- the gRPC client through courier -----------------------------------------------------
set +e
timeout 60 "$PY" "$GRPC_DIR/client.py" --target "127.0.0.1:$LISTEN_PORT" --expect-proxy \
  >"$WORK/client.out" 2>"$WORK/client.err"
client_rc=$?
set -e
sed 's/^/    client: /' "$WORK/client.out"
[[ ! -s "$WORK/client.err" ]] || sed 's/^/    client stderr: /' "$WORK/client.err" | tail -20
client_ok=$(grep -c '^ok ' "$WORK/client.out" || true)
check "gRPC client through courier: exit 0, no FAIL line (rc $client_rc)" \
  test "$client_rc" = 0 -a "$(grep -c '^FAIL' "$WORK/client.out" || true)" = 0
check "gRPC client ran all of its 30 assertions (got $client_ok)" test "$client_ok" -ge 30

# --- raw gRPC frames with curl: trailers to an HTTP/2 and an HTTP/1.1 client --------------
# A gRPC message: 1 byte flag (0: uncompressed), 4 bytes big-endian length, payload.
printf '\x00\x00\x00\x00\x05hello' >"$WORK/msg.bin"
grpc_curl() {  # grpc_curl NAME CURL_ARGS...: headers (and trailers) in NAME.head, body in NAME.body
  local name=$1
  shift
  curl -s --max-time 10 "$@" -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$WORK/msg.bin" -D "$WORK/$name.head" -o "$WORK/$name.body" \
    -w '%{http_code} %{http_version}' "$BASE/courier.test.Echo/Unary" || true
}
got=$(grpc_curl h2 --http2-prior-knowledge)
check "curl h2c gRPC call: 200 over HTTP/2 (got '$got')" test "$got" = "200 2"
check "curl h2c gRPC call: the 5-byte message echoed in its frame" cmp -s "$WORK/msg.bin" "$WORK/h2.body"
check "curl h2c gRPC call: content-type application/grpc" \
  grep -qi '^content-type: application/grpc' "$WORK/h2.head"
# curl writes trailers after the header block, separated by an empty line.
# shellcheck disable=SC2016  # awk program
check "curl h2c gRPC call: grpc-status: 0 trailer after the headers" \
  awk '/^\r?$/ { blank = 1 } blank && tolower($0) ~ /^grpc-status: 0\r?$/ { ok = 1 } END { exit !ok }' "$WORK/h2.head"
check "curl h2c gRPC call: x-echo-trailer: 5 trailer" grep -qi '^x-echo-trailer: 5' "$WORK/h2.head"

got=$(grpc_curl h1 --http1.1)
check "curl HTTP/1.1 gRPC call (h1 -> h2c): 200 over HTTP/1.1 (got '$got')" test "$got" = "200 1.1"
check "curl HTTP/1.1 gRPC call: the message echoed" cmp -s "$WORK/msg.bin" "$WORK/h1.body"
check "curl HTTP/1.1 gRPC call: chunked, so trailers can follow" \
  grep -qi '^transfer-encoding: chunked' "$WORK/h1.head"
check "curl HTTP/1.1 gRPC call: grpc-status: 0 trailer" grep -qi '^grpc-status: 0' "$WORK/h1.head"
check "curl HTTP/1.1 gRPC call: x-echo-trailer: 5 trailer" grep -qi '^x-echo-trailer: 5' "$WORK/h1.head"

# The NOT_FOUND error as a trailers-only response (one HEADERS frame with
# END_STREAM): grpc-status and grpc-message must reach the client.
printf '\x00\x00\x00\x00\x03abc' >"$WORK/msg.bin"
curl -s --max-time 10 --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
  --data-binary @"$WORK/msg.bin" -D "$WORK/nf.head" -o /dev/null "$BASE/courier.test.Echo/NotFound" || true
check "curl h2c NotFound: grpc-status: 5" grep -qi '^grpc-status: 5' "$WORK/nf.head"
check "curl h2c NotFound: grpc-message with the details" \
  grep -qi '^grpc-message: no such thing: abc' "$WORK/nf.head"

# --- access log and metrics ---------------------------------------------------------------
# One JSON line per request on courier's stdout; the client made 85 calls
# (69 Unary, 10 ServerStream, 2 ClientStream, 1 each of Bidi, NotFound,
# Nope, Slow), curl 3 more.
log_count() {  # log_count PATH PROTOCOL STATUS: access log lines of route grpc with these
  "$PY" - "$WORK/courier.out" "$@" <<'EOF'
import json, sys
n = 0
try:
    lines = open(sys.argv[1], errors="replace").readlines()
except OSError:
    lines = []
for line in lines:
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if (rec.get("route"), rec.get("path"), rec.get("protocol"), str(rec.get("status"))) == \
            ("grpc", sys.argv[2], sys.argv[3], sys.argv[4]):
        n += 1
print(n)
EOF
}
EP=/courier.test.Echo
# Unary: 69 from the client + 1 curl h2 call (the HTTP/1.1 one logs HTTP/1.1).
wait_for 5 test "$(log_count $EP/Unary HTTP/2 200)" -ge 70 || true
n=$(log_count $EP/Unary HTTP/2 200)
check "access log: 70 Unary calls logged as HTTP/2 200 (got $n)" test "$n" = 70
n=$(log_count $EP/ServerStream HTTP/2 200)
check "access log: 10 ServerStream calls logged as HTTP/2 200 (got $n)" test "$n" = 10
n="$(log_count $EP/Bidi HTTP/2 200) $(log_count $EP/ClientStream HTTP/2 200) $(log_count $EP/NotFound HTTP/2 200)"
check "access log: Bidi 1, ClientStream 2, NotFound 2 as HTTP/2 200 (got $n)" test "$n" = "1 2 2"
n=$(log_count $EP/Unary HTTP/1.1 200)
check "access log: the HTTP/1.1 curl call logged as HTTP/1.1 (got $n)" test "$n" = 1

curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" >"$WORK/metrics.txt" || true
metric() {  # metric REGEX: the sum of the samples whose series matches REGEX
  awk -v re="^courier_requests_total\\{$1\\} " '$0 ~ re { s += $2 } END { print s + 0 }' "$WORK/metrics.txt"
}
h2_200=$(metric 'route="grpc",code="200",protocol="http2"')
# The client's 84 calls answered 200 (all but Slow, whose deadline passed: it
# may count as 200 when the server answered DEADLINE_EXCEEDED itself), and
# curl's two HTTP/2 calls.
check "metrics: route grpc counts 86..87 HTTP/2 200s (got $h2_200)" test "$h2_200" -ge 86 -a "$h2_200" -le 87
check "metrics: route grpc counts the HTTP/1.1 call under http1" \
  test "$(metric 'route="grpc",code="200",protocol="http1"')" = 1
check "metrics: upstream duration histogram for cluster grpc" \
  grep -qE '^courier_upstream_request_duration_seconds_count\{cluster="grpc"\} [1-9]' "$WORK/metrics.txt"

check "gRPC server is still running" kill -0 "$GRPC_PID"
check "courier is still running" kill -0 "$COURIER_PID"
finish grpc courier_stderr_tail
