#!/usr/bin/env bash
# Scrapes courier's /metrics after mixed traffic (200, 404, 502, 503, local
# 400s) and runs `promtool check metrics` on it: any problem promtool prints,
# or a non-zero exit, fails the test. Also checks the series the spec names.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.promtool_test).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require promtool
e2e_init promtool
start_upstream

courier_config() {
  config_head 2
  config_dead_route
  cat <<EOF

[[routes]]
name = "app"
match = { prefix = "/", methods = ["GET", "POST"] }
cluster = "agent"
EOF
}
start_courier DEAD_PORT

echo "sending traffic"
for i in $(seq 1 20); do curl -s -o /dev/null "$BASE/bytes/$i"; done
for i in 1 2 3; do curl -s -o /dev/null "$BASE/status/503"; done
curl -s -o /dev/null -X DELETE "$BASE/no-route"
curl -s -o /dev/null "$BASE/malformed"
curl -s -o /dev/null "$BASE/dead/x"
curl -s -o /dev/null --data-binary 'hello' "$BASE/echo"
# A local 400 (conflicting Content-Length), written by hand.
raw_exchange 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' >/dev/null
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
check "requests_total counts the 20 OKs" has '^courier_requests_total\{route="app",code="200",protocol="http1"\} 21$'
check "requests_total counts the 503s" has '^courier_requests_total\{route="app",code="503",protocol="http1"\} 3$'
check "requests_total counts the 502" has '^courier_requests_total\{route="app",code="502",protocol="http1"\} 1$'
check "requests_total counts the dead cluster's 503" has '^courier_requests_total\{route="dead",code="503",protocol="http1"\} 1$'
check "every requests_total sample has a protocol label" bash -c "! grep -E '^courier_requests_total\{' '$WORK/metrics.txt' | grep -vqE ',protocol=\"http[12]\"\} [0-9]+$'"
check "request_duration_seconds histogram" has '^courier_request_duration_seconds_bucket\{route="app",le="\+Inf"\} 25$'
check "upstream_request_duration_seconds histogram" has '^courier_upstream_request_duration_seconds_count\{cluster="agent"\} [0-9]+$'
check "upstream_first_byte_seconds histogram" has '^courier_upstream_first_byte_seconds_bucket\{route="app",le="0.0005"\} [0-9]+$'
check "active_connections gauge" has '^courier_active_connections [0-9]+$'
check "active_requests gauge" has '^courier_active_requests\{route="app"\} 0$'
check "config_reloads_total" has '^courier_config_reloads_total\{result="success"\} 1$'
check "build_info" has '^courier_build_info\{.*version="[0-9]+\.[0-9]+\.[0-9]+".*\} 1$'
check "every sample is a courier_ metric" bash -c "! grep -vE '^(#|courier_)' '$WORK/metrics.txt' | grep -q ."

finish promtool
