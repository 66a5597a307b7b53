#!/usr/bin/env bash
# End-to-end HTTP/2 with real clients through courier: curl
# (--http2-prior-knowledge and --http1.1), nghttp (frames, trailers,
# concurrent streams) and h2load, over all four protocol combinations:
#   h1 -> h1   curl --http1.1 to a route on the demo upstream (HTTP/1.1)
#   h2 -> h1   h2c by prior knowledge to the same route
#   h1 -> h2   curl --http1.1 to a route on a cluster with protocol = "h2c"
#              whose origin is nghttpd --no-tls serving a temp dir
#   h2 -> h2   h2c to that route
# GET, POST bodies (3 MiB up, sha256 / cmp), response headers, HEAD, 3 MiB
# downloads, trailers both ways, 404, 10 concurrent slow streams on one
# connection, 2000-request h2load runs with no failure, and an HTTP/1.1
# request carrying `Upgrade: h2c`, which must still get a correct HTTP/1.1
# answer (courier may ignore the upgrade) with Upgrade and HTTP2-Settings not
# forwarded. Then the access log and /metrics count HTTP/2 requests.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as
# e2e.h2_clients_test); NGHTTPD (default /usr/sbin/nghttpd, Debian's
# nghttp2-server).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NGHTTPD=${NGHTTPD:-/usr/sbin/nghttpd}
require curl
require nghttp
require h2load
[[ -x "$NGHTTPD" ]] || {
  echo "nghttpd not installed ($NGHTTPD; Debian package nghttp2-server)"
  exit 1
}
curl -V | grep -qw HTTP2 || {
  echo "curl lacks HTTP/2"
  exit 1
}
e2e_init h2_clients
start_upstream

# --- the h2c origin: nghttpd serving $WORK/htdocs, echoing uploads, with a trailer -------
mkdir -p "$WORK/htdocs"
echo "hello from nghttpd" >"$WORK/htdocs/small.txt"
head -c 3000000 /dev/urandom >"$WORK/htdocs/big.bin"
head -c $((3 * 1024 * 1024 + 7)) /dev/urandom >"$WORK/upload.bin"
start_nghttpd() {
  local _
  for _ in 1 2 3; do
    H2_PORT=$(free_port)
    "$NGHTTPD" --no-tls -a 127.0.0.1 -d "$WORK/htdocs" --echo-upload \
      --trailer 'x-origin-trailer: from-nghttpd' "$H2_PORT" >"$WORK/nghttpd.out" 2>&1 &
    NGHTTPD_PID=$!
    PIDS+=("$NGHTTPD_PID")
    wait_for 5 curl -sf --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$H2_PORT/small.txt" &&
      return 0
    kill "$NGHTTPD_PID" 2>/dev/null || true
    wait "$NGHTTPD_PID" 2>/dev/null || true
    reaped "$NGHTTPD_PID"
  done
  echo "nghttpd did not start"
  cat "$WORK/nghttpd.out"
  exit 1
}
start_nghttpd

courier_config() {
  config_head 2 'access_log = "stdout"'
  cat <<EOF

[clusters.h2origin]
endpoints = ["127.0.0.1:$H2_PORT"]
protocol = "h2c"

[[routes]]
name = "h2"
match = { prefix = "/h2/" }
cluster = "h2origin"
prefix_rewrite = "/"

[[routes]]
name = "app"
match = { regex = "/(echo|bytes/[0-9]+|chunked/[0-9]+|headers|response-headers|delay/[0-9]+|v1/completions)" }
cluster = "agent"
EOF
}
# shellcheck disable=SC2119  # no ports beyond listen/admin needed
start_courier
echo "courier on $BASE, demo upstream $UPSTREAM, nghttpd (h2c) on 127.0.0.1:$H2_PORT"

# The demo upstream's bodies: byte i is 'a' + i % 26.
/usr/bin/python3 -c '
import sys
n = 3000000
period = bytes(ord("a") + i % 26 for i in range(26))
sys.stdout.buffer.write((period * (n // 26 + 1))[:n])' >"$WORK/pattern.bin"
sha() { sha256sum "$1" | cut -d' ' -f1; }
H1=(curl -s --max-time 10 --http1.1)
H2=(curl -s --max-time 10 --http2-prior-knowledge)
# fetch NAME CURL... URL: body in NAME.body, headers in NAME.head; prints "code version"
fetch() {
  local name=$1
  shift
  "$@" -o "$WORK/$name.body" -D "$WORK/$name.head" -w '%{http_code} %{http_version}' || true
}
header() { sed -n "s/^$2: *//Ip" "$1" | tr -d '\r' | head -1; }  # header FILE NAME

# --- the four protocol combinations ---------------------------------------------------------
got=$(fetch h1h1 "${H1[@]}" "$BASE/bytes/1000")
check "h1 -> h1: 200 over HTTP/1.1 (got '$got')" test "$got" = "200 1.1"
check "h1 -> h1: body" cmp -s "$WORK/h1h1.body" <(head -c 1000 "$WORK/pattern.bin")

got=$(fetch h2h1 "${H2[@]}" "$BASE/bytes/1000")
check "h2 -> h1: 200 over HTTP/2 (got '$got')" test "$got" = "200 2"
check "h2 -> h1: body" cmp -s "$WORK/h2h1.body" <(head -c 1000 "$WORK/pattern.bin")
check "h2 -> h1: content-length: 1000" test "$(header "$WORK/h2h1.head" content-length)" = 1000

got=$(fetch h1h2 "${H1[@]}" "$BASE/h2/small.txt")
check "h1 -> h2: 200 over HTTP/1.1 (got '$got')" test "$got" = "200 1.1"
check "h1 -> h2: body from nghttpd" cmp -s "$WORK/h1h2.body" "$WORK/htdocs/small.txt"
check "h1 -> h2: nghttpd's content-type" test "$(header "$WORK/h1h2.head" content-type)" = text/plain

got=$(fetch h2h2 "${H2[@]}" "$BASE/h2/small.txt")
check "h2 -> h2: 200 over HTTP/2 (got '$got')" test "$got" = "200 2"
check "h2 -> h2: body from nghttpd" cmp -s "$WORK/h2h2.body" "$WORK/htdocs/small.txt"
check "h2 -> h2: nghttpd's cache-control" \
  test "$(header "$WORK/h2h2.head" cache-control)" = "max-age=3600"

# What the HTTP/1.1 origin saw of an h2 request: Host from :authority, the
# forwarding headers, no pseudo-headers.
got=$(fetch seen "${H2[@]}" -H 'x-request-id: req-h2-0001' "$BASE/headers")
check "h2 -> h1 /headers: 200 (got '$got')" test "$got" = "200 2"
seen() {  # seen PYTHON_EXPR over j (the upstream's JSON view of the request)
  /usr/bin/python3 -c '
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    ok = eval(sys.argv[2])
except Exception as e:  # not JSON, or not the expected shape: a failed check
    print("    (%s: %r)" % (type(e).__name__, e))
    ok = False
sys.exit(0 if ok else 1)' \
    "$WORK/seen.body" "$1"
}
check "h2 -> h1: origin got HTTP/1.1 GET /headers" seen 'j["version"] == "HTTP/1.1" and j["method"] == "GET" and j["path"] == "/headers"'
check "h2 -> h1: Host is the :authority" seen "j['headers'].get('host') == '127.0.0.1:$LISTEN_PORT'"
check "h2 -> h1: x-forwarded-for and x-forwarded-proto set" \
  seen '"127.0.0.1" in j["headers"].get("x-forwarded-for", "") and j["headers"].get("x-forwarded-proto") == "http"'
check "h2 -> h1: the client's x-request-id kept" seen 'j["headers"].get("x-request-id") == "req-h2-0001"'
check "h2 -> h1: no pseudo-header or connection header forwarded" \
  seen 'not any(k.startswith(":") or k in ("connection", "http2-settings", "upgrade") for k in j["headers"])'

# An 8000-byte header value (HPACK, CONTINUATION-sized head) reaches the origin.
big_value=$(head -c 8000 "$WORK/pattern.bin")
got=$(fetch seen "${H2[@]}" -H "x-big: $big_value" "$BASE/headers")
check "h2 -> h1: an 8000-byte header reaches the origin (got '$got')" \
  seen "j['headers'].get('x-big') == open('$WORK/pattern.bin').read(8000)"
# RFC 9113 8.2.3: cookie crumbs sent as separate fields are joined with "; "
# for HTTP/1.1 (the demo upstream would show separate fields joined by ", ").
timeout 15 nghttp -H 'cookie: a=1' -H 'cookie: b=2' "$BASE/headers" >"$WORK/seen.body" 2>"$WORK/nghttp-cookie.err" || true
check "h2 -> h1: two cookie fields joined as 'a=1; b=2'" seen 'j["headers"].get("cookie") == "a=1; b=2"'

# --- curl over h2c: methods, headers, bodies ------------------------------------------------
got=$(fetch rh "${H2[@]}" "$BASE/response-headers?x-custom=hello%20h2&cache-control=no-store")
check "h2: response headers from the origin (got '$got')" \
  test "$got $(header "$WORK/rh.head" x-custom) $(header "$WORK/rh.head" cache-control)" = "200 2 hello h2 no-store"
check "h2: response header names are lower-case" bash -c "! tail -n +2 '$WORK/rh.head' | grep -q '^[^:]*[A-Z]'"

got=$(fetch post "${H2[@]}" -H 'content-type: text/x-test' --data-binary 'small body over h2' "$BASE/echo")
check "h2 -> h1 POST: 200 (got '$got')" test "$got" = "200 2"
check "h2 -> h1 POST: body echoed" test "$(cat "$WORK/post.body")" = "small body over h2"
check "h2 -> h1 POST: content-type echoed" test "$(header "$WORK/post.head" content-type)" = text/x-test

got=$(fetch bigpost "${H2[@]}" -H 'content-type: application/octet-stream' --data-binary @"$WORK/upload.bin" "$BASE/echo")
check "h2 -> h1 POST 3 MiB: 200 (got '$got')" test "$got" = "200 2"
check "h2 -> h1 POST 3 MiB: echoed intact (sha256)" test "$(sha "$WORK/bigpost.body")" = "$(sha "$WORK/upload.bin")"

got=$(fetch h2post "${H2[@]}" --data-binary @"$WORK/upload.bin" "$BASE/h2/upload")
check "h2 -> h2 POST 3 MiB: 200 (got '$got')" test "$got" = "200 2"
check "h2 -> h2 POST 3 MiB: echoed by nghttpd intact (sha256)" test "$(sha "$WORK/h2post.body")" = "$(sha "$WORK/upload.bin")"
got=$(fetch h1post "${H1[@]}" --data-binary @"$WORK/upload.bin" "$BASE/h2/upload")
check "h1 -> h2 POST 3 MiB: 200 (got '$got')" test "$got" = "200 1.1"
check "h1 -> h2 POST 3 MiB: echoed by nghttpd intact (sha256)" test "$(sha "$WORK/h1post.body")" = "$(sha "$WORK/upload.bin")"
got=$(fetch h1chunkpost "${H1[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/upload.bin" "$BASE/h2/upload")
check "h1 -> h2 chunked POST 3 MiB: echoed intact (got '$got')" \
  test "$got $(sha "$WORK/h1chunkpost.body")" = "200 1.1 $(sha "$WORK/upload.bin")"

got=$("${H2[@]}" -I -o /dev/null -D "$WORK/head.head" -w '%{http_code} %{http_version} %{size_download}' "$BASE/bytes/5000" || true)
check "h2 -> h1 HEAD: 200, no body (got '$got')" test "$got" = "200 2 0"
check "h2 -> h1 HEAD: content-length: 5000" test "$(header "$WORK/head.head" content-length)" = 5000
got=$("${H2[@]}" -I -o /dev/null -D "$WORK/head2.head" -w '%{http_code} %{http_version} %{size_download}' "$BASE/h2/big.bin" || true)
check "h2 -> h2 HEAD: 200, no body (got '$got')" test "$got" = "200 2 0"
check "h2 -> h2 HEAD: content-length: 3000000" test "$(header "$WORK/head2.head" content-length)" = 3000000

got=$(fetch big "${H2[@]}" "$BASE/bytes/3000000")
check "h2 -> h1 3 MB download: 200 (got '$got')" test "$got" = "200 2"
check "h2 -> h1 3 MB download: sha256 of the pattern" test "$(sha "$WORK/big.body")" = "$(sha "$WORK/pattern.bin")"
got=$(fetch big2 "${H2[@]}" "$BASE/h2/big.bin")
check "h2 -> h2 3 MB download: 200 (got '$got')" test "$got" = "200 2"
check "h2 -> h2 3 MB download: sha256 of the file" test "$(sha "$WORK/big2.body")" = "$(sha "$WORK/htdocs/big.bin")"
got=$(fetch big3 "${H1[@]}" "$BASE/h2/big.bin")
check "h1 -> h2 3 MB download: 200 (got '$got')" test "$got" = "200 1.1"
check "h1 -> h2 3 MB download: sha256 of the file" test "$(sha "$WORK/big3.body")" = "$(sha "$WORK/htdocs/big.bin")"
got=$(fetch chunked "${H2[@]}" "$BASE/chunked/200000?chunk=4000")
check "h2 -> h1 chunked download: 200, all bytes (got '$got')" \
  test "$got $(sha "$WORK/chunked.body")" = "200 2 $(head -c 200000 "$WORK/pattern.bin" | sha256sum | cut -d' ' -f1)"

# A HEAD answered by courier itself (no route): the head only, the stream
# ended by the HEADERS frame (a DATA frame would be a protocol error).
got=$("${H2[@]}" -I -o /dev/null -D "$WORK/headnf.head" -w '%{http_code} %{http_version} %{size_download}' "$BASE/nowhere" || true)
check "h2 HEAD, no route: 404 with no body, stream closed cleanly (got '$got')" test "$got" = "404 2 0"

got=$(fetch nf "${H2[@]}" "$BASE/nowhere")
check "h2: no route -> 404 (got '$got')" test "$got" = "404 2"
check "h2: no route -> JSON error no_route" grep -q '"error":"no_route"' "$WORK/nf.body"

# Server-sent events over h2: 5 events 200 ms apart arrive as they are sent.
got=$("${H2[@]}" -N -X POST -H 'content-type: application/json' -d '{}' -o "$WORK/sse.body" \
  -w '%{http_code} %{http_version} %{time_starttransfer} %{time_total}' \
  "$BASE/v1/completions?stream=1&events=5&interval_ms=200" || true)
read -r sse_code sse_version sse_first sse_total <<<"$got"
check "h2 -> h1 SSE: 200 over HTTP/2, 5 events (got '$sse_code $sse_version', $(grep -c '^data: {' "$WORK/sse.body") events)" \
  test "$sse_code $sse_version $(grep -c '^data: {' "$WORK/sse.body")" = "200 2 5"
check "h2 -> h1 SSE: first byte ${sse_first}s, long before the end ${sse_total}s" \
  awk -v a="${sse_first:-9}" -v b="${sse_total:-0}" 'BEGIN { exit !(b - a >= 0.5) }'

# --- nghttp: frames, trailers, concurrent streams ------------------------------------------
timeout 15 nghttp -nv "$BASE/bytes/100" >"$WORK/nghttp1.txt" 2>&1 || true
has() { grep -qE "$2" "$WORK/$1"; }
check "nghttp: courier's SETTINGS received" has nghttp1.txt 'recv SETTINGS frame <length=[0-9]+, flags=0x00, stream_id=0>'
check "nghttp: our SETTINGS acknowledged" has nghttp1.txt 'recv SETTINGS frame <length=0, flags=0x01, stream_id=0>'
check "nghttp: response HEADERS with :status 200" has nghttp1.txt 'recv \(stream_id=13\) :status: 200'
check "nghttp: response HEADERS frame" has nghttp1.txt 'recv HEADERS frame <length=[0-9]+, flags=0x0[45], stream_id=13>'
check "nghttp: DATA frame with the 100 bytes" has nghttp1.txt 'recv DATA frame <length=100, flags=0x0[01], stream_id=13>'
check "nghttp: stream ended by END_STREAM" bash -c "grep -A1 'stream_id=13>' '$WORK/nghttp1.txt' | grep -q END_STREAM"

# h2 -> h1 trailers: the demo upstream sends x-checksum when asked with te: trailers.
sum=$(/usr/bin/python3 -c 'print(sum(ord("a") + i % 26 for i in range(100000)))')
timeout 15 nghttp -nv -H 'te: trailers' "$BASE/chunked/100000" >"$WORK/nghttp-tr.txt" 2>&1 || true
check "nghttp h2 -> h1: x-checksum trailer $sum arrives" has nghttp-tr.txt "recv \(stream_id=13\) x-checksum: $sum"
check "nghttp h2 -> h1: trailer in a HEADERS frame with END_STREAM after the DATA" \
  bash -c "sed -n '/x-checksum/,\$p' '$WORK/nghttp-tr.txt' | grep -q 'recv HEADERS frame <length=[0-9]*, flags=0x05, stream_id=13>'"
# h2 -> h2 trailers: nghttpd adds x-origin-trailer to every body.
timeout 15 nghttp -nv "$BASE/h2/small.txt" >"$WORK/nghttp-tr2.txt" 2>&1 || true
check "nghttp h2 -> h2: x-origin-trailer arrives" has nghttp-tr2.txt 'recv \(stream_id=13\) x-origin-trailer: from-nghttpd'

# Ten streams on one connection, all sent before any answer.
timeout 15 nghttp -nv -m 10 "$BASE/bytes/100" >"$WORK/nghttp-m.txt" 2>&1 || true
check "nghttp -m 10: ten 200s on one connection, distinct streams" \
  test "$(grep -oE 'recv \(stream_id=[0-9]+\) :status: 200' "$WORK/nghttp-m.txt" | sort -u | wc -l)" = 10
check "nghttp -m 10: ten DATA frames of 100 bytes" \
  test "$(grep -cE 'recv DATA frame <length=100, ' "$WORK/nghttp-m.txt")" = 10
timeout 15 nghttp -nv -m 10 "$BASE/h2/small.txt" >"$WORK/nghttp-m2.txt" 2>&1 || true
check "nghttp -m 10 h2 -> h2: ten 200s" \
  test "$(grep -oE 'recv \(stream_id=[0-9]+\) :status: 200' "$WORK/nghttp-m2.txt" | sort -u | wc -l)" = 10
# Ten 300 ms requests multiplexed: concurrent, not one after another (3 s).
start_ms=$(now_ms)
timeout 15 nghttp -n -m 10 -s "$BASE/delay/300" >"$WORK/nghttp-delay.txt" 2>&1 || true
elapsed_ms=$(($(now_ms) - start_ms))
check "nghttp -m 10 /delay/300: ten 200s" test "$(grep -cE ' 200 +18 /delay/300$' "$WORK/nghttp-delay.txt")" = 10
check "nghttp -m 10 /delay/300: served concurrently (${elapsed_ms} ms < 2000)" test "$elapsed_ms" -lt 2000

# --- h2load: 2000 requests on 4 connections, 10 streams each ------------------------------------
h2load_ok() {  # h2load_ok FILE: 2000 succeeded, no failure, all 2xx
  grep -qE '^requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout' "$1" &&
    grep -qE '^status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx' "$1"
}
timeout 30 h2load -n 2000 -c 4 -m 10 "$BASE/bytes/1024" >"$WORK/h2load1.txt" 2>&1 || true
check "h2load h2 -> h1: 2000 requests, 0 failed / errored, all 2xx" h2load_ok "$WORK/h2load1.txt"
check "h2load h2 -> h1: 2000 x 1024 body bytes" grep -qE '^traffic: .*\(2048000\) data' "$WORK/h2load1.txt"
timeout 30 h2load -n 2000 -c 4 -m 10 "$BASE/h2/small.txt" >"$WORK/h2load2.txt" 2>&1 || true
check "h2load h2 -> h2: 2000 requests, 0 failed / errored, all 2xx" h2load_ok "$WORK/h2load2.txt"
for f in h2load1 h2load2; do h2load_ok "$WORK/$f.txt" || sed 's/^/    /' "$WORK/$f.txt" | tail -15; done

# --- HTTP/1.1 with Upgrade: h2c: answered as HTTP/1.1 ---------------------------------------------
got=$(fetch upg curl -s --max-time 10 --http2 "$BASE/headers")
check "curl --http2 (Upgrade: h2c) -> 200 (got '$got')" test "${got%% *}" = 200
check "curl --http2 (Upgrade: h2c): answered as HTTP/1.1 (got '$got')" test "$got" = "200 1.1"
cp "$WORK/upg.body" "$WORK/seen.body"
check "Upgrade: h2c: Upgrade and HTTP2-Settings not forwarded" \
  seen 'not any(k in ("upgrade", "http2-settings", "connection") for k in j["headers"])'
raw_exchange 'GET /bytes/10 HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n' >"$WORK/raw-upgrade.txt"
check "raw Upgrade: h2c -> HTTP/1.1 200" grep -q $'^HTTP/1.1 200 ' "$WORK/raw-upgrade.txt"
check "raw Upgrade: h2c -> the 10-byte body" grep -q '^abcdefghij$' <(tail -c 10 "$WORK/raw-upgrade.txt"; echo)

# --- access log and metrics ------------------------------------------------------------------
log_count() {  # log_count ROUTE PROTOCOL: access log lines
  /usr/bin/python3 - "$WORK/courier.out" "$@" <<'EOF'
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
    n += (rec.get("route"), rec.get("protocol")) == (sys.argv[2], sys.argv[3])
print(n)
EOF
}
wait_for 5 test "$(log_count h2 HTTP/2)" -ge 2000 || true
check "access log: route app has HTTP/2 lines ($(log_count app HTTP/2) >= 2000)" test "$(log_count app HTTP/2)" -ge 2000
check "access log: route h2 has HTTP/2 lines ($(log_count h2 HTTP/2) >= 2000)" test "$(log_count h2 HTTP/2)" -ge 2000
check "access log: HTTP/1.1 lines too" test "$(log_count h2 HTTP/1.1)" -ge 4

curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" >"$WORK/metrics.txt" || true
metric() {  # metric SERIES_REGEX: sum of the matching courier_requests_total samples
  awk -v re="^courier_requests_total\\{$1\\} " '$0 ~ re { s += $2 } END { print s + 0 }' "$WORK/metrics.txt"
}
n=$(metric 'route="app",code="200",protocol="http2"')
check "metrics: route app counts its HTTP/2 200s ($n >= 2000)" test "$n" -ge 2000
n=$(metric 'route="h2",code="200",protocol="http2"')
check "metrics: route h2 counts its HTTP/2 200s ($n >= 2000)" test "$n" -ge 2000
n=$(metric 'route="h2",code="200",protocol="http1"')
check "metrics: route h2 counts its HTTP/1.1 200s ($n >= 4)" test "$n" -ge 4
check "metrics: upstream duration histogram for cluster h2origin" \
  grep -qE '^courier_upstream_request_duration_seconds_count\{cluster="h2origin"\} [1-9]' "$WORK/metrics.txt"

check "nghttpd is still running" kill -0 "$NGHTTPD_PID"
check "courier is still running" kill -0 "$COURIER_PID"
finish h2_clients courier_stderr_tail
