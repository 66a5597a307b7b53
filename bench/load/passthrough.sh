#!/usr/bin/env bash
# Pass-through HTTP/1.1 benchmark: the same wrk load through courier, nginx
# and HAProxy (one worker each, keep-alive to the same demo upstream), in
# interleaved rounds; prints one Markdown table of medians. See README.md.
#
#   bench/load/passthrough.sh
#   CONTENDERS="nginx haproxy" ROUNDS=3 DURATION=5s bench/load/passthrough.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${CONTENDERS:=courier nginx haproxy}"  # also: direct (wrk straight at the upstream)
: "${ROUNDS:=5}"
: "${URL_PATH:=/bytes/1024}"
: "${WARMUP:=2s}"
if [[ -z "${BODY_BYTES:-}" ]]; then
  [[ "$URL_PATH" =~ ^/bytes/([0-9]+)$ ]] || { echo "set BODY_BYTES for $URL_PATH" >&2; exit 2; }
  BODY_BYTES=${BASH_REMATCH[1]}
fi

bench_init
bench_start_upstream
bench_log "demo upstream on 127.0.0.1:$UPSTREAM_PORT (CPU $UPSTREAM_CPU)"

declare -A PORT PID
for c in $CONTENDERS; do
  case $c in
    courier) bench_start_courier "$UPSTREAM_PORT"; PORT[$c]=$COURIER_PORT; PID[$c]=$COURIER_PID ;;
    nginx) bench_start_nginx "$UPSTREAM_PORT"; PORT[$c]=$NGINX_PORT; PID[$c]=$NGINX_PID ;;
    haproxy) bench_start_haproxy "$UPSTREAM_PORT"; PORT[$c]=$HAPROXY_PORT; PID[$c]=$HAPROXY_PID ;;
    direct) PORT[$c]=$UPSTREAM_PORT; PID[$c]=$UPSTREAM_PID ;;
    *) echo "unknown contender '$c' (courier, nginx, haproxy, direct)" >&2; exit 2 ;;
  esac
  bench_check "$c" "http://127.0.0.1:${PORT[$c]}$URL_PATH" "$BODY_BYTES"
  bench_log "$c on 127.0.0.1:${PORT[$c]}: answers 200 with $BODY_BYTES bytes"
done

for c in $CONTENDERS; do
  DURATION=$WARMUP bench_wrk "http://127.0.0.1:${PORT[$c]}$URL_PATH" "$BENCH_TMP/warmup-$c.txt"
done

TICK=$(getconf CLK_TCK)
RESULTS=$BENCH_TMP/results.txt
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  for c in $CONTENDERS; do
    out=$BENCH_TMP/wrk-$c-$r.txt
    t0=$(bench_cpu_ticks "${PID[$c]}")
    s0=$(date +%s.%N)
    bench_wrk "http://127.0.0.1:${PORT[$c]}$URL_PATH" "$out"
    s1=$(date +%s.%N)
    t1=$(bench_cpu_ticks "${PID[$c]}")
    read -r rps p50 p99 errors total < <(bench_parse_wrk "$out") || { cat "$out" >&2; exit 1; }
    # CPU share of the contender's process (and children) during the run, and
    # requests per CPU-second: the latter holds up better on a busy machine.
    read -r cpu per_cpu_s < <(awk -v t="$((t1 - t0))" -v hz="$TICK" -v s="$(echo "$s1 - $s0" | bc)" \
      -v n="$total" 'BEGIN { printf "%.0f %.0f\n", 100 * t / hz / s, (t > 0 ? n * hz / t : 0) }')
    echo "$c $r $rps $p50 $p99 $errors $cpu $per_cpu_s" >>"$RESULTS"
    bench_log "round $r/$ROUNDS $c: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors," \
      "CPU $cpu%, $per_cpu_s req/CPU-s"
  done
done

col() {  # col CONTENDER FIELD -> that field's values, one a line
  awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$RESULTS"
}
declare -A MED
for c in $CONTENDERS; do MED[$c]=$(col "$c" 3 | bench_median); done
ratio() {  # ratio CONTENDER BASE
  if [[ -n "${MED[$2]:-}" ]]; then
    awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN { printf "%.2fx", a / b }'
  else
    echo "-"
  fi
}

echo
echo "### Pass-through HTTP/1.1: GET $URL_PATH"
echo
echo "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\`, $ROUNDS interleaved rounds (after a $WARMUP" \
  "warm-up each), medians. Proxy on CPU $PROXY_CPU; wrk on CPU $LOAD_CPU; demo upstream" \
  "($UPSTREAM_THREADS thread) on CPU $UPSTREAM_CPU. $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)."
echo
echo "| contender | req/s | p50 ms | p99 ms | req/s min..max | CPU % | req/CPU-s | errors | vs HAProxy | vs nginx |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $CONTENDERS; do
  min=$(col "$c" 3 | sort -g | head -1)
  max=$(col "$c" 3 | sort -g | tail -1)
  printf "| %s | %s | %s | %s | %s..%s | %s | %s | %s | %s | %s |\n" "$c" "${MED[$c]}" \
    "$(col "$c" 4 | bench_median)" "$(col "$c" 5 | bench_median)" "$min" "$max" \
    "$(col "$c" 7 | bench_median)" "$(col "$c" 8 | bench_median)" \
    "$(col "$c" 6 | awk '{ s += $1 } END { print s + 0 }')" "$(ratio "$c" haproxy)" "$(ratio "$c" nginx)"
done
echo
echo "Ratios compare median req/s. CPU % is the contender's own processes (for direct: the" \
  "upstream); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Versions: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $("$HAPROXY" -v | head -1 | awk '{ print "HAProxy " $3 }'), $("$WRK" -v 2>&1 | head -1 | awk '{ print "wrk " $2 }')."
