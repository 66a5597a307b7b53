#!/usr/bin/env bash
# End-to-end response cache with real curl: a route with the memory layer
# answers MISS then HIT-MEMORY with the same body (and an Age), a HEAD from
# the GET entry, a 304 to If-None-Match from the entry without asking the
# origin, BYPASS for a request with Cache-Control: no-store, MISS again after
# POST /cache/purge on the admin port; /metrics counts it all and promtool
# accepts the cache series. A large body lives in a memfd, reaches HTTP/1.1
# (sendfile) and h2c clients intact, and its descriptor closes on purge.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.cache_test).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init cache
start_upstream

courier_config() {
  config_head 2
  cat <<EOF

[cache]
memory_bytes = "64MiB"

[[routes]]
name = "cached"
match = { prefix = "/" }
cluster = "agent"
cache = { layers = ["memory"], ttl = "10m" }
EOF
}
# shellcheck disable=SC2119  # no ports beyond listen/admin needed
start_courier
echo "courier on $BASE, upstream $UPSTREAM"
ADMIN="http://127.0.0.1:$ADMIN_PORT"

# get NAME URL [CURL_ARGS...]: saves $WORK/NAME.head and $WORK/NAME.body,
# prints the status.
get() {
  local name=$1 url=$2
  shift 2
  curl -s --max-time 5 -o "$WORK/$name.body" -D "$WORK/$name.head" -w '%{http_code}' "$@" "$url" ||
    echo "curl-failed"
}
# header NAME FIELD: the value of response header FIELD (any case) in NAME.head.
header() { sed -n "s/^$2: *//Ip" "$WORK/$1.head" | tr -d '\r' | head -1; }
# origin_count PATH: how often the origin was asked for PATH (no query).
origin_count() {
  curl -s --max-time 5 "http://$UPSTREAM/__stats" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["by_path"].get(sys.argv[1], 0))' "$1"
}
same_body() { cmp -s "$WORK/$1.body" "$WORK/$2.body"; }
size_of() {  # no file: curl creates none for an empty body
  if [[ -f "$WORK/$1.body" ]]; then wc -c <"$WORK/$1.body" | tr -d ' '; else echo 0; fi
}

# --- MISS, then HIT-MEMORY with the same body and an Age ---------------------
URL="$BASE/bytes/3000?k=e2e"
code=$(get miss "$URL")
check "first GET -> 200 (got $code)" test "$code" = 200
check "first GET: x-cache MISS (got '$(header miss x-cache)')" test "$(header miss x-cache)" = MISS
check "first GET: 3000-byte body (got $(size_of miss))" test "$(size_of miss)" = 3000
before=$(origin_count /bytes/3000)
code=$(get hit "$URL")
check "second GET -> 200 (got $code)" test "$code" = 200
check "second GET: x-cache HIT-MEMORY (got '$(header hit x-cache)')" \
  test "$(header hit x-cache)" = HIT-MEMORY
check "second GET: same body as the first" same_body miss hit
check "second GET: an Age header (got '$(header hit age)')" grep -qiE '^age: *[0-9]+' "$WORK/hit.head"
check "second GET: content-length 3000" test "$(header hit content-length)" = 3000
check "second GET did not reach the origin" test "$(origin_count /bytes/3000)" = "$before"

# --- HEAD from the GET entry ----------------------------------------------------
code=$(get head "$URL" -I)
check "HEAD -> 200 (got $code)" test "$code" = 200
check "HEAD: x-cache HIT-MEMORY (got '$(header head x-cache)')" \
  test "$(header head x-cache)" = HIT-MEMORY
check "HEAD: content-length of the body (got '$(header head content-length)')" \
  test "$(header head content-length)" = 3000
# curl -I writes the head into -o; whether a body follows is seen on the wire.
raw_exchange 'HEAD /bytes/3000?k=e2e HTTP/1.1\r\nHost: 127.0.0.1:'"$LISTEN_PORT"'\r\nConnection: close\r\n\r\n' >"$WORK/head.raw"
check "HEAD on the wire: HIT-MEMORY, nothing after the head" /usr/bin/python3 -c '
import sys
raw = open(sys.argv[1], "rb").read()
head, sep, rest = raw.partition(b"\r\n\r\n")
sys.exit(0 if sep and b"x-cache: HIT-MEMORY" in head and rest == b"" else 1)' "$WORK/head.raw"
check "HEAD did not reach the origin" test "$(origin_count /bytes/3000)" = "$before"

# --- If-None-Match answered 304 from the entry ----------------------------------
RH="$BASE/response-headers?ETag=%22v1%22&Cache-Control=max-age%3D60"
code=$(get etag1 "$RH")
check "GET /response-headers -> 200 (got $code)" test "$code" = 200
check "GET /response-headers: ETag \"v1\" (got '$(header etag1 etag)')" test "$(header etag1 etag)" = '"v1"'
check "GET /response-headers: MISS (got '$(header etag1 x-cache)')" test "$(header etag1 x-cache)" = MISS
asked=$(origin_count /response-headers)
code=$(get inm "$RH" -H 'If-None-Match: "v1"')
check "If-None-Match \"v1\" -> 304 (got $code)" test "$code" = 304
check "304: x-cache HIT-MEMORY (got '$(header inm x-cache)')" test "$(header inm x-cache)" = HIT-MEMORY
check "304: ETag \"v1\"" test "$(header inm etag)" = '"v1"'
check "304: no body" test "$(size_of inm)" = 0
check "304 came from courier, not the origin" test "$(origin_count /response-headers)" = "$asked"
code=$(get inm_other "$RH" -H 'If-None-Match: "v0"')
check "If-None-Match \"v0\" (another tag) -> 200 from the entry (got $code)" test "$code" = 200
check "If-None-Match \"v0\": HIT-MEMORY, same body" \
  bash -c "test '$(header inm_other x-cache)' = HIT-MEMORY && cmp -s '$WORK/etag1.body' '$WORK/inm_other.body'"

# --- Cache-Control: no-store on the request: BYPASS -----------------------------
before=$(origin_count /bytes/3000)
code=$(get nostore "$URL" -H 'Cache-Control: no-store')
check "no-store request -> 200 (got $code)" test "$code" = 200
check "no-store request: x-cache BYPASS (got '$(header nostore x-cache)')" \
  test "$(header nostore x-cache)" = BYPASS
check "no-store request went to the origin" test "$(origin_count /bytes/3000)" = $((before + 1))
code=$(get after_nostore "$URL")
check "the entry is still there after a no-store request (got '$(header after_nostore x-cache)')" \
  test "$(header after_nostore x-cache)" = HIT-MEMORY

# --- Purge by URL on the admin port, then MISS again ----------------------------
purge=$(curl -s --max-time 5 -X POST -H 'Content-Type: application/json' \
  -d '{"url": "/bytes/3000?k=e2e"}' -w ' %{http_code}' "$ADMIN/cache/purge" | tr -d '\n' ||
  echo "curl-failed")
check "POST /cache/purge -> 200, one memory entry (got '$purge')" \
  grep -q '"memory":1}.* 200$' <<<"$purge"
code=$(get purged "$URL")
check "GET after the purge -> 200 (got $code)" test "$code" = 200
check "GET after the purge: MISS (got '$(header purged x-cache)')" test "$(header purged x-cache)" = MISS
check "GET after the purge: same body" same_body miss purged
code=$(get refilled "$URL")
check "and then HIT-MEMORY again (got '$(header refilled x-cache)')" \
  test "$(header refilled x-cache)" = HIT-MEMORY
bad=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST -d '{"nope": 1}' "$ADMIN/cache/purge" ||
  echo "curl-failed")
check "POST /cache/purge with a bad body -> 400 (got $bad)" test "$bad" = 400

# --- Metrics ---------------------------------------------------------------------
curl -sf --max-time 5 "$ADMIN/metrics" -o "$WORK/metrics.txt"
series() {  # series LAYER RESULT -> the value of courier_cache_requests_total for route "cached"
  awk -v want="courier_cache_requests_total{route=\"cached\",layer=\"$1\",result=\"$2\"}" \
    '$1 == want { print $2; found = 1 } END { if (!found) print "absent" }' "$WORK/metrics.txt"
}
# Hits: GET, HEAD (curl, raw), 304, If-None-Match "v0", after no-store, refilled = 7.
# Misses: first GET, /response-headers, after the purge = 3. Bypass: no-store = 1.
check "memory hits counted: 7 (got $(series memory hit))" test "$(series memory hit)" = 7
check "memory misses counted: 3 (got $(series memory miss))" test "$(series memory miss)" = 3
check "bypass counted: 1 (got $(series none bypass))" test "$(series none bypass)" = 1
check "courier_cache_entries present" grep -q '^courier_cache_entries' "$WORK/metrics.txt"
check "courier_cache_bytes present" grep -q '^courier_cache_bytes' "$WORK/metrics.txt"
if command -v promtool >/dev/null; then
  check "promtool accepts the metrics" bash -c "promtool check metrics <'$WORK/metrics.txt' >'$WORK/promtool.out' 2>&1 && ! test -s '$WORK/promtool.out'"
  if [[ -s "$WORK/promtool.out" ]]; then cat "$WORK/promtool.out"; fi
else
  echo "skip - promtool not installed"
fi

# --- Large bodies: a sealed memory file each, sent with sendfile ---------------
# A body of 16 KiB or more is kept in a memfd ("memfd:courier-cache" among
# courier's descriptors); HTTP/1.1 hits go out with sendfile(), HTTP/2 hits
# read the same bytes through its mapping. Both must be the origin's bytes.
memfds() { find "/proc/$COURIER_PID/fd" -lname '*courier-cache*' 2>/dev/null | wc -l; }
files_before=$(memfds)
BIG="$BASE/bytes/300000?k=big"
code=$(get big_miss "$BIG")
check "300 KB GET -> 200 MISS (got $code $(header big_miss x-cache))" \
  test "$code $(header big_miss x-cache)" = "200 MISS"
check "the 300 KB entry holds one memfd ($files_before before, $(memfds) now)" \
  test "$(memfds)" = $((files_before + 1))
code=$(get big_hit "$BIG")
check "300 KB hit over HTTP/1.1: HIT-MEMORY (got $code $(header big_hit x-cache))" \
  test "$code $(header big_hit x-cache)" = "200 HIT-MEMORY"
check "300 KB hit over HTTP/1.1: the origin's bytes" same_body big_miss big_hit
check "300 KB hit: content-length 300000" test "$(header big_hit content-length)" = 300000
code=$(get big_h2 "$BIG" --http2-prior-knowledge)
check "300 KB hit over h2c: HIT-MEMORY (got $code $(header big_h2 x-cache))" \
  test "$code $(header big_h2 x-cache)" = "200 HIT-MEMORY"
check "300 KB hit over h2c: the origin's bytes" same_body big_miss big_h2
# Eight clients at once, each reading at its own pace (two throttled).
pids=()
for i in 1 2 3 4 5 6 7 8; do
  rate=()
  ((i > 6)) && rate=(--limit-rate 2M)
  get "big_par$i" "$BIG" "${rate[@]}" >"$WORK/big_par$i.code" &
  pids+=($!)
done
wait "${pids[@]}"  # (a bare wait would wait for courier too)
for i in 1 2 3 4 5 6 7 8; do
  check "parallel hit $i: 200, the origin's bytes" \
    bash -c "test \"\$(cat '$WORK/big_par$i.code')\" = 200 && cmp -s '$WORK/big_miss.body' '$WORK/big_par$i.body'"
done
purge=$(curl -s --max-time 5 -X POST "$ADMIN/cache/purge" -d '{"url":"/bytes/300000?k=big"}')
check "purging the 300 KB entry (got '$purge')" test "$purge" = '{"purged":{"memory":1}}'
check "and its memfd is closed ($(memfds) left, $files_before before)" test "$(memfds)" = "$files_before"

check "courier is still running" kill -0 "$COURIER_PID"
finish cache courier_stderr_tail
