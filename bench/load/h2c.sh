#!/usr/bin/env bash
# h2c benchmark: the same h2load load through courier and nghttpx (one worker
# each, the same origin), in interleaved rounds; prints one Markdown table of
# medians (req/s, p50 / p99 from h2load's per-request log, CPU) and the
# courier/nghttpx ratios. SPEC section 6: "h2c at least nghttpx".
#
# Clients speak h2c by prior knowledge to the proxy's listen port:
#   h2load -c $CLIENTS -m $STREAMS -D $DURATION --log-file=... http://127.0.0.1:PORT$URL_PATH
# Scenarios (SCENARIO=):
#   h1  (default) h2c -> HTTP/1.1: the origin is the demo upstream (keep-alive
#       HTTP/1.1); courier's cluster speaks http1, nghttpx's backend http/1.1.
#   h2  h2c -> h2c: the origin is nghttpd --no-tls serving a $BODY_BYTES file
#       at $URL_PATH; courier's cluster has protocol = "h2c", nghttpx's backend
#       ;proto=h2 (both multiplex on their upstream connections).
# Contenders (CONTENDERS=): courier, nghttpx, direct (h2load straight at the
# origin: --h1 for the demo upstream; a ceiling, not a proxy).
#
#   bench/load/h2c.sh
#   SCENARIO=h2 bench/load/h2c.sh
#   DURATION=3s ROUNDS=1 WARMUP=1s bench/load/h2c.sh          # a quick look
#   CONTENDERS="nghttpx direct" SCENARIO=h2 bench/load/h2c.sh
#   COURIER=build-h3/courier UPSTREAM=build-h3/courier-demo-upstream bench/load/h2c.sh
#
# Env: ROUNDS (5), DURATION (10s), WARMUP (2s; 0 skips), CLIENTS (16),
# STREAMS (10), URL_PATH (/bytes/1024), BODY_BYTES (from URL_PATH), NGHTTPX
# (/usr/sbin/nghttpx), NGHTTPD (/usr/sbin/nghttpd), H2LOAD (h2load), KEEP_TMP
# (keep the logs), and common.sh's COURIER, UPSTREAM, PROXY_CPU, LOAD_CPU,
# UPSTREAM_CPU. The proxy runs on PROXY_CPU; h2load and the origin share
# LOAD_CPU / UPSTREAM_CPU (common.sh's defaults: 0, 1, 1).
#
# Two shared cores: the proxy gets one, h2load and the origin the other. When
# a proxy's CPU % stays well under 100 the other core was the bottleneck (the
# table says so); then req/CPU-s is the fairer comparison.
#
# p99: h2load prints only min / max / mean / sd of "time for request", so
# each run writes --log-file (start time, status, microseconds per request)
# and the percentiles are computed from it (successful requests only).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${CONTENDERS:=courier nghttpx}"
: "${SCENARIO:=h1}"
: "${ROUNDS:=5}"
: "${WARMUP:=2s}"
: "${CLIENTS:=16}"
: "${STREAMS:=10}"
: "${URL_PATH:=/bytes/1024}"
: "${NGHTTPX:=/usr/sbin/nghttpx}"
: "${NGHTTPD:=/usr/sbin/nghttpd}"
: "${H2LOAD:=h2load}"
if [[ -z "${BODY_BYTES:-}" ]]; then
  [[ "$URL_PATH" =~ ^/bytes/([0-9]+)$ ]] || { echo "set BODY_BYTES for $URL_PATH" >&2; exit 2; }
  BODY_BYTES=${BASH_REMATCH[1]}
fi
case $SCENARIO in
  h1) UPSTREAM_PROTOCOL=http1 ;;
  h2) UPSTREAM_PROTOCOL=h2c ;;
  *) echo "unknown SCENARIO '$SCENARIO' (h1, h2)" >&2; exit 2 ;;
esac
[[ "$URL_PATH" =~ ^/[A-Za-z0-9._/-]+$ ]] || { echo "URL_PATH must be a plain path" >&2; exit 2; }

bench_init
command -v "$H2LOAD" >/dev/null || { echo "h2load is required (nghttp2-client)" >&2; exit 1; }

# --- the origin ---------------------------------------------------------------------------
start_nghttpd() {  # the h2c origin: nghttpd serving BODY_BYTES of the demo pattern at URL_PATH
  local dir=$BENCH_TMP/htdocs _
  [[ -x "$NGHTTPD" ]] || { echo "nghttpd not found: $NGHTTPD (nghttp2-server)" >&2; return 1; }
  mkdir -p "$dir$(dirname "$URL_PATH")"
  /usr/bin/python3 -c '
import sys
n = int(sys.argv[1])
period = bytes(ord("a") + i % 26 for i in range(26))
sys.stdout.buffer.write((period * (n // 26 + 1))[:n])' "$BODY_BYTES" >"$dir$URL_PATH"
  for _ in 1 2 3; do  # a picked port can be taken before nghttpd binds it
    UPSTREAM_PORT=$(bench_free_port)
    bench_start upstream "$UPSTREAM_CPU" "$NGHTTPD" --no-tls -a 127.0.0.1 -n 1 -d "$dir" "$UPSTREAM_PORT"
    UPSTREAM_PID=$BENCH_PID
    for _ in $(seq 100); do
      [[ $(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' --max-time 1 \
        "http://127.0.0.1:$UPSTREAM_PORT$URL_PATH" || true) == 200 ]] && return 0
      kill -0 "$UPSTREAM_PID" 2>/dev/null || break
      sleep 0.05
    done
    bench_stop "$UPSTREAM_PID"
  done
  echo "nghttpd did not start; log:" >&2
  tail -20 "$BENCH_TMP/upstream.log" >&2
  return 1
}

if [[ $SCENARIO == h1 ]]; then
  bench_start_upstream
  ORIGIN="demo upstream ($UPSTREAM_THREADS thread, HTTP/1.1)"
else
  start_nghttpd
  ORIGIN="nghttpd --no-tls (1 worker, h2c) serving a $BODY_BYTES-byte file"
fi
bench_log "origin: $ORIGIN on 127.0.0.1:$UPSTREAM_PORT (CPU $UPSTREAM_CPU)"

# --- the proxies --------------------------------------------------------------------------
start_courier() {  # common.sh's courier, with the cluster speaking the origin's protocol
  COURIER_UPSTREAM_PROTOCOL=$UPSTREAM_PROTOCOL bench_start_courier "$UPSTREAM_PORT" courier
}

# nghttpx in its fast plain setup: one worker, no access log (none unless
# asked), no OCSP, no TLS, error log to a file at WARN, not the packaged
# /etc/nghttpx/nghttpx.conf (which logs to syslog). It adds
# x-forwarded-for like courier does; keep-alive to the backend is its default.
start_nghttpx() {
  local backend="127.0.0.1,$UPSTREAM_PORT" _
  [[ -x "$NGHTTPX" ]] || { echo "nghttpx not found: $NGHTTPX (nghttp2-proxy)" >&2; return 1; }
  [[ $SCENARIO == h2 ]] && backend+=";;proto=h2"
  for _ in 1 2 3; do
    NGHTTPX_PORT=$(bench_free_port)
    bench_start nghttpx "$PROXY_CPU" "$NGHTTPX" --conf=/dev/null \
      --frontend="127.0.0.1,$NGHTTPX_PORT;no-tls" --backend="$backend" --workers=1 \
      --no-ocsp --add-x-forwarded-for --log-level=WARN \
      --errorlog-file="$BENCH_TMP/nghttpx-error.log"
    NGHTTPX_PID=$BENCH_PID
    bench_wait_h2 "http://127.0.0.1:$NGHTTPX_PORT$URL_PATH" 10 nghttpx "$NGHTTPX_PID" && return 0
    grep -q 'Address already in use' "$BENCH_TMP/nghttpx-error.log" "$BENCH_TMP/nghttpx.log" ||
      return 1
    bench_stop "$NGHTTPX_PID"
  done
  return 1
}

bench_wait_h2() {  # bench_wait_h2 URL SECONDS NAME PID: until URL answers 200 over h2c
  local url=$1 seconds=$2 name=$3 pid=$4 i
  for ((i = 0; i < seconds * 20; i++)); do
    [[ $(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == 200 ]] &&
      return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "$name: no h2c 200 from $url; log:" >&2
  tail -20 "$BENCH_TMP/$name.log" >&2
  return 1
}

# check_h2c NAME PORT: one h2c request answered 200 over HTTP/2 with the whole body.
check_h2c() {
  local got
  got=$(curl -s --http2-prior-knowledge --max-time 5 -o /dev/null \
    -w '%{http_code} %{http_version} %{size_download}' "http://127.0.0.1:$2$URL_PATH" || true)
  if [[ "$got" != "200 2 $BODY_BYTES" ]]; then
    echo "$1: expected '200 2 $BODY_BYTES' (status, HTTP version, bytes) from h2c" \
      "http://127.0.0.1:$2$URL_PATH, got '$got'; log:" >&2
    tail -20 "$BENCH_TMP/$1.log" >&2 || true
    return 1
  fi
}

declare -A PORT PID H2FLAGS
for c in $CONTENDERS; do
  H2FLAGS[$c]=""
  case $c in
    courier) start_courier; PORT[$c]=$COURIER_PORT; PID[$c]=$COURIER_PID ;;
    nghttpx) start_nghttpx; PORT[$c]=$NGHTTPX_PORT; PID[$c]=$NGHTTPX_PID ;;
    direct)
      PORT[$c]=$UPSTREAM_PORT
      PID[$c]=$UPSTREAM_PID
      [[ $SCENARIO == h1 ]] && H2FLAGS[$c]="--h1"
      ;;
    *) echo "unknown contender '$c' (courier, nghttpx, direct)" >&2; exit 2 ;;
  esac
  if [[ -z "${H2FLAGS[$c]}" ]]; then
    check_h2c "$c" "${PORT[$c]}"
    bench_log "$c on 127.0.0.1:${PORT[$c]}: answers h2c 200 with $BODY_BYTES bytes"
  fi
done

# run_h2load CONTENDER DURATION OUT: h2load pinned to LOAD_CPU; per-request log in OUT.log
run_h2load() {
  local c=$1 duration=$2 out=$3
  # shellcheck disable=SC2086  # H2FLAGS is empty or one flag
  taskset -c "$LOAD_CPU" "$H2LOAD" ${H2FLAGS[$c]} -c "$CLIENTS" -m "$STREAMS" -D "$duration" \
    --log-file="$out.log" "http://127.0.0.1:${PORT[$c]}$URL_PATH" >"$out" 2>&1
}

# parse_h2load OUT: prints "rps done failed errored non2xx mean_ms p50_ms p99_ms"
parse_h2load() {
  local out=$1 p50 p99
  read -r p50 p99 < <(awk -F'\t' '$2 >= 200 && $2 < 400 { print $3 }' "$out.log" | sort -n |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "nan nan"; exit }
      i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
      i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
      printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }')
  awk -v p50="$p50" -v p99="$p99" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^finished in / { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^req\/s/) rps = $i }
    /^requests: / { gsub(",", ""); done = $6; failed = $10; errored = $12 }
    /^status codes: / { gsub(",", ""); non2xx = $5 + $7 + $9 }
    /^time for request:/ { mean = ms($6) }
    END {
      if (rps == "" || done == "") exit 1
      printf "%.0f %d %d %d %d %.3f %s %s\n", rps, done, failed, errored, non2xx, mean, p50, p99
    }' "$out"
}

if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
  for c in $CONTENDERS; do
    run_h2load "$c" "$WARMUP" "$BENCH_TMP/warmup-$c.txt"
  done
fi

TICK=$(getconf CLK_TCK)
RESULTS=$BENCH_TMP/results.txt
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  for c in $CONTENDERS; do
    out=$BENCH_TMP/h2load-$c-$r.txt
    t0=$(bench_cpu_ticks "${PID[$c]}")
    s0=$(date +%s.%N)
    run_h2load "$c" "$DURATION" "$out"
    s1=$(date +%s.%N)
    t1=$(bench_cpu_ticks "${PID[$c]}")
    read -r rps ndone failed errored non2xx mean p50 p99 < <(parse_h2load "$out") ||
      { cat "$out" >&2; exit 1; }
    errors=$((failed + errored + non2xx))
    read -r cpu per_cpu_s < <(awk -v t="$((t1 - t0))" -v hz="$TICK" -v s="$(echo "$s1 - $s0" | bc)" \
      -v n="$ndone" 'BEGIN { printf "%.0f %.0f\n", 100 * t / hz / s, (t > 0 ? n * hz / t : 0) }')
    echo "$c $r $rps $p50 $p99 $errors $cpu $per_cpu_s $mean" >>"$RESULTS"
    bench_log "round $r/$ROUNDS $c: $rps req/s, p50 $p50 ms, p99 $p99 ms (h2load mean $mean ms)," \
      "errors $errors, CPU $cpu%, $per_cpu_s req/CPU-s"
  done
done

col() {  # col CONTENDER FIELD -> that field's values, one a line
  awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$RESULTS"
}
declare -A RPS P99
for c in $CONTENDERS; do
  RPS[$c]=$(col "$c" 3 | bench_median | awk '{ printf "%.0f\n", $1 }')
  P99[$c]=$(col "$c" 5 | bench_median)
done
ratio() {  # ratio A B -> A/B as "1.23x", or "-"
  if [[ -n "$1" && -n "$2" && "$1" != nan && "$2" != nan ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
  else
    echo "-"
  fi
}

case $SCENARIO in
  h1) title="h2c -> HTTP/1.1 origin" ;;
  h2) title="h2c -> h2c origin" ;;
esac
echo
echo "### h2c pass-through ($title): GET $URL_PATH"
echo
warm="after a $WARMUP warm-up each"
[[ "$WARMUP" != 0 && "$WARMUP" != 0s ]] || warm="no warm-up"
echo "\`h2load -c$CLIENTS -m$STREAMS -D$DURATION\` (h2c prior knowledge), $ROUNDS interleaved rounds" \
  "($warm), medians; p50 / p99 from h2load's per-request log." \
  "Proxy (1 worker) on CPU $PROXY_CPU; h2load on CPU $LOAD_CPU; origin: $ORIGIN on CPU" \
  "$UPSTREAM_CPU. $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d)."
echo
echo "| contender | req/s | p50 ms | p99 ms | h2load mean ms | req/s min..max | CPU % | req/CPU-s | errors | req/s vs nghttpx | p99 vs nghttpx |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $CONTENDERS; do
  min=$(col "$c" 3 | sort -g | head -1)
  max=$(col "$c" 3 | sort -g | tail -1)
  printf "| %s | %s | %s | %s | %s | %s..%s | %s | %s | %s | %s | %s |\n" "$c" "${RPS[$c]}" \
    "$(col "$c" 4 | bench_median)" "${P99[$c]}" "$(col "$c" 9 | bench_median)" "$min" "$max" \
    "$(col "$c" 7 | bench_median)" "$(col "$c" 8 | bench_median)" \
    "$(col "$c" 6 | awk '{ s += $1 } END { print s + 0 }')" \
    "$(ratio "${RPS[$c]}" "${RPS[nghttpx]:-}")" "$(ratio "${P99[$c]}" "${P99[nghttpx]:-}")"
done
echo
if [[ -n "${RPS[courier]:-}" && -n "${RPS[nghttpx]:-}" ]]; then
  echo "courier/nghttpx: req/s $(ratio "${RPS[courier]}" "${RPS[nghttpx]}")," \
    "p99 $(ratio "${P99[courier]}" "${P99[nghttpx]}") (lower is better)," \
    "req/CPU-s $(ratio "$(col courier 8 | bench_median)" "$(col nghttpx 8 | bench_median)")."
  echo
fi
under=""
for c in $CONTENDERS; do
  [[ $c != direct ]] || continue
  cpu=$(col "$c" 7 | bench_median)
  if awk -v c="$cpu" 'BEGIN { exit !(c < 85) }'; then under+="${under:+, }$c $cpu%"; fi
done
if [[ -n "$under" ]]; then
  echo "Note: CPU $PROXY_CPU was not saturated ($under), so h2load and the origin on CPU" \
    "$LOAD_CPU (or other load) were the bottleneck; req/CPU-s compares the proxies better than req/s here."
  echo
fi
echo "Errors: failed + errored + non-2xx requests over all rounds. CPU % is the contender's own" \
  "processes (for direct: the origin); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Versions: $("$NGHTTPX" --version 2>/dev/null | head -1), $("$H2LOAD" --version 2>/dev/null | head -1)."
