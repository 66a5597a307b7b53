#!/usr/bin/env bash
# End-to-end rate limiting with real curl: a route limited to a burst of 3
# (one more token per 100 s) answers three 200s counting RateLimit-Remaining
# down, then a JSON 429 with Retry-After; /metrics counts the decisions, and
# promtool accepts the new series.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.rate_limit_test).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init rate_limit
start_upstream

courier_config() {
  config_head 2
  cat <<EOF

[[routes]]
name = "limited"
match = { prefix = "/" }
cluster = "agent"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 3 }
EOF
}
# shellcheck disable=SC2119  # no ports beyond listen/admin needed
start_courier
echo "courier on $BASE, upstream $UPSTREAM"

# header FILE NAME: the value of response header NAME (any case) in FILE.
header() { sed -n "s/^$2: *//Ip" "$1" | tr -d '\r' | head -1; }

for i in 1 2 3; do
  code=$(curl -s -o /dev/null -D "$WORK/head$i" -w '%{http_code}' "$BASE/bytes/8")
  check "request $i -> 200 (got $code)" test "$code" = 200
  check "request $i: RateLimit-Limit 3" test "$(header "$WORK/head$i" ratelimit-limit)" = 3
  check "request $i: RateLimit-Remaining $((3 - i))" \
    test "$(header "$WORK/head$i" ratelimit-remaining)" = "$((3 - i))"
  check "request $i: RateLimit-Reset is a positive number" \
    grep -qiE '^ratelimit-reset: *[1-9][0-9]*'$'\r''?$' "$WORK/head$i"
done

code=$(curl -s -o "$WORK/body429" -D "$WORK/head429" -w '%{http_code}' \
  -H 'X-Request-Id: e2e-rate-limit' "$BASE/bytes/8")
check "request 4 -> 429 (got $code)" test "$code" = 429
retry=$(header "$WORK/head429" retry-after)
check "429: Retry-After >= 1 (got '$retry')" test "${retry:-0}" -ge 1
check "429: RateLimit-Limit 3" test "$(header "$WORK/head429" ratelimit-limit)" = 3
check "429: RateLimit-Remaining 0" test "$(header "$WORK/head429" ratelimit-remaining)" = 0
check "429: RateLimit-Reset present" grep -qi '^ratelimit-reset: *[0-9]' "$WORK/head429"
check "429: JSON content type" grep -qi '^content-type: *application/json' "$WORK/head429"
check "429: error rate_limited" grep -q '"error":"rate_limited"' "$WORK/body429"
check "429: our request id" grep -q '"request_id":"e2e-rate-limit"' "$WORK/body429"

curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" -o "$WORK/metrics.txt"
has() { grep -qE "$1" "$WORK/metrics.txt"; }
check "decisions_total counts 3 allowed" \
  has '^courier_ratelimit_decisions_total\{route="limited",decision="allowed"\} 3$'
check "decisions_total counts 1 limited" \
  has '^courier_ratelimit_decisions_total\{route="limited",decision="limited"\} 1$'
check "requests_total counts the 429" has '^courier_requests_total\{route="limited",code="429",protocol="http1"\} 1$'
if command -v promtool >/dev/null; then
  check "promtool accepts the metrics" bash -c "promtool check metrics <'$WORK/metrics.txt' >'$WORK/promtool.out' 2>&1 && ! test -s '$WORK/promtool.out'"
  if [[ -s "$WORK/promtool.out" ]]; then cat "$WORK/promtool.out"; fi
fi

check "courier is still running" kill -0 "$COURIER_PID"
finish rate_limit courier_stderr_tail
