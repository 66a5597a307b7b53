#!/usr/bin/env bash
# Rate-limiting benchmark: courier's rate_limit filter against nginx's
# limit_req and HAProxy's stick-table counters, one worker each, keep-alive to
# the same demo upstream, in interleaved rounds; one Markdown table of medians
# per scenario. See README.md.
#
#   pass:   a limit so generous that every request passes (the cost of deciding)
#   reject: a flood far over the limit, most answers 429 (the cost of refusing)
#
#   bench/load/ratelimit.sh
#   SCENARIOS=reject ROUNDS=3 DURATION=5s bench/load/ratelimit.sh
#   CONTENDERS="courier courier-rl" SCENARIOS=pass bench/load/ratelimit.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${SCENARIOS:=pass reject}"
: "${ROUNDS:=5}"
: "${URL_PATH:=/bytes/1024}"
: "${WARMUP:=2s}"
: "${PASS_RATE:=1000000}"  # requests per second and burst of the pass limit (courier's maximum)
: "${REJECT_RATE:=100}"    # requests per second of the reject limit
: "${REJECT_BURST:=100}"   # its burst (HAProxy has none: see below)
if [[ -z "${BODY_BYTES:-}" ]]; then
  [[ "$URL_PATH" =~ ^/bytes/([0-9]+)$ ]] || { echo "set BODY_BYTES for $URL_PATH" >&2; exit 2; }
  BODY_BYTES=${BASH_REMATCH[1]}
fi
for s in $SCENARIOS; do
  [[ "$s" == pass || "$s" == reject ]] || { echo "unknown scenario '$s' (pass, reject)" >&2; exit 2; }
done

default_contenders() {  # default_contenders SCENARIO
  if [[ -n "${CONTENDERS:-}" ]]; then
    echo "$CONTENDERS"
  elif [[ $1 == pass ]]; then
    echo "courier courier-rl nginx-rl haproxy-rl"
  else
    echo "courier-rl nginx-rl haproxy-rl"
  fi
}

# The limit of each peer, keyed on the client address (every wrk connection
# comes from 127.0.0.1, so all of them share one bucket):
# - courier: a token bucket (GCRA), RATE per second, BURST tokens.
# - nginx: limit_req, a leaky bucket with BURST excess and nodelay, so
#   requests within the burst are answered at once rather than queued. Its
#   refusals are logged at info (error_log is at warn): by default nginx writes
#   an error.log line for every refused request, which no other contender does.
# - HAProxy: a stick-table counting requests over a sliding 1 s window, and a
#   deny once the count exceeds RATE. There is no burst, and the counter also
#   counts the denied requests, so under a flood everything is denied.
set_limit() {  # set_limit RATE BURST: the *_EXTRA snippets for common.sh
  local rate=$1 burst=$2
  RL_COURIER="rate_limit = [ { key = \"client_ip\", rate = $rate, per = \"1s\", burst = $burst } ]"
  RL_NGINX_HTTP="  limit_req_zone \$binary_remote_addr zone=rl:10m rate=${rate}r/s;
  limit_req_status 429;
  limit_req_log_level info;"
  RL_NGINX_LOCATION="      limit_req zone=rl burst=$burst nodelay;"
  RL_HAPROXY_FRONTEND="  stick-table type ip size 100k expire 30s store http_req_rate(1s)
  http-request track-sc0 src
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt $rate }"
}

declare -A PORT PID NOTE
start_contender() {  # start_contender SCENARIO CONTENDER: PORT[c], PID[c]
  local s=$1 c=$2
  case $c in
    courier) bench_start_courier "$UPSTREAM_PORT" "$s-$c" ;;
    courier-rl) COURIER_ROUTE_EXTRA=$RL_COURIER bench_start_courier "$UPSTREAM_PORT" "$s-$c" ;;
    nginx) bench_start_nginx "$UPSTREAM_PORT" "$s-$c" ;;
    nginx-rl)
      NGINX_HTTP_EXTRA=$RL_NGINX_HTTP NGINX_LOCATION_EXTRA=$RL_NGINX_LOCATION \
        bench_start_nginx "$UPSTREAM_PORT" "$s-$c" ;;
    haproxy) bench_start_haproxy "$UPSTREAM_PORT" "$s-$c" ;;
    haproxy-rl) HAPROXY_FRONTEND_EXTRA=$RL_HAPROXY_FRONTEND bench_start_haproxy "$UPSTREAM_PORT" "$s-$c" ;;
    direct) PORT[$c]=$UPSTREAM_PORT; PID[$c]=$UPSTREAM_PID; return 0 ;;
    *) echo "unknown contender '$c' (courier courier-rl nginx nginx-rl haproxy haproxy-rl direct)" >&2
       exit 2 ;;
  esac
  case $c in
    courier*) PORT[$c]=$COURIER_PORT; PID[$c]=$COURIER_PID ;;
    nginx*) PORT[$c]=$NGINX_PORT; PID[$c]=$NGINX_PID ;;
    haproxy*) PORT[$c]=$HAPROXY_PORT; PID[$c]=$HAPROXY_PID ;;
  esac
}

# Sends N requests over one keep-alive connection (within the burst, then
# over it) and sets NOTE[c]: the statuses in order (e.g. "200x100 429x150"),
# the new connections curl had to open (a proxy that closes after a refusal
# makes wrk reconnect too), and the last refusal's body and headers. Warns,
# but goes on, if no 429 came back.
check_rejects() {  # check_rejects CONTENDER URL N
  local c=$1 url=$2 n=$3 i args=() dir=$BENCH_TMP/reject-$1-bodies out seq conns last body
  mkdir -p "$dir"
  for ((i = 1; i <= n; i++)); do args+=(-o "$dir/$i" "$url"); done
  out=$BENCH_TMP/reject-$c.txt
  curl -s --max-time 20 -w '%{http_code}\t%{size_download}\t%{num_connects}\t%header{retry-after}\t%header{connection}\t%{content_type}\n' \
    "${args[@]}" >"$out" || true
  seq=$(cut -f1 "$out" | uniq -c | awk '{ printf "%s%sx%s", (NR > 1 ? " " : ""), $2, $1 }')
  conns=$(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$out")
  NOTE[$c]="$n requests: $seq; $conns connection(s)"
  last=$(awk -F'\t' '$1 == 429 { n = NR } END { print n + 0 }' "$out")
  if ((last > 0)); then
    body=$(tr -s '\r\n\t ' ' ' <"$dir/$last" | cut -c1-60)
    NOTE[$c]+=$(awk -F'\t' -v n="$last" -v body="$body" 'NR == n {
      printf "; a 429 has a %s-byte %s body (`%s`), Retry-After %s, Connection %s", $2,
        ($6 == "" ? "untyped" : $6), body, ($4 == "" ? "absent" : $4), ($5 == "" ? "absent" : $5) }' "$out")
  else
    bench_log "WARNING: $c never answered 429 ($n requests, burst $REJECT_BURST)"
    NOTE[$c]+=" (NO 429: not rejecting)"
  fi
  bench_log "$c: ${NOTE[$c]}"
}

check_contender() {  # check_contender SCENARIO CONTENDER
  local s=$1 c=$2 url="http://127.0.0.1:${PORT[$2]}$URL_PATH"
  if [[ $s == reject && $c == *-rl ]]; then
    check_rejects "$c" "$url" $((2 * REJECT_BURST + 50))
    return 0
  fi
  bench_check "$s-$c" "$url" "$BODY_BYTES"
  if [[ $c == courier-rl ]] &&
    ! curl -s -D - -o /dev/null --max-time 5 "$url" | grep -qi '^ratelimit-limit:'; then
    echo "$c: no RateLimit-Limit header; is the rate_limit filter in this build?" >&2
    return 1
  fi
  bench_log "$c on 127.0.0.1:${PORT[$c]}: answers 200 with $BODY_BYTES bytes"
}

TICK=$(getconf CLK_TCK)
run_rounds() {  # run_rounds RESULTS CONTENDERS...
  local results=$1 r c out t0 t1 s0 s1 rps p50 p99 total socket non2xx cpu per_cpu_s
  shift
  : >"$results"
  for c in "$@"; do
    DURATION=$WARMUP bench_wrk "http://127.0.0.1:${PORT[$c]}$URL_PATH" "$BENCH_TMP/warmup-$scenario-$c.txt"
  done
  for ((r = 1; r <= ROUNDS; r++)); do
    for c in "$@"; do
      out=$BENCH_TMP/wrk-$scenario-$c-$r.txt
      t0=$(bench_cpu_ticks "${PID[$c]}")
      s0=$(date +%s.%N)
      bench_wrk "http://127.0.0.1:${PORT[$c]}$URL_PATH" "$out"
      s1=$(date +%s.%N)
      t1=$(bench_cpu_ticks "${PID[$c]}")
      read -r rps p50 p99 _ total < <(bench_parse_wrk "$out") || { cat "$out" >&2; exit 1; }
      read -r socket non2xx < <(bench_parse_wrk_errors "$out")
      read -r cpu per_cpu_s < <(awk -v t="$((t1 - t0))" -v hz="$TICK" -v s="$(echo "$s1 - $s0" | bc)" \
        -v n="$total" 'BEGIN { printf "%.0f %.0f\n", 100 * t / hz / s, (t > 0 ? n * hz / t : 0) }')
      # fields: 1 contender, 2 round, 3 answers/s, 4 p50, 5 p99, 6 socket errors,
      # 7 non-2xx, 8 CPU %, 9 answers/CPU-s, 10 2xx/s, 11 non-2xx %, 12 non-2xx/s
      awk -v c="$c" -v r="$r" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v se="$socket" \
        -v bad="$non2xx" -v cpu="$cpu" -v pc="$per_cpu_s" -v n="$total" 'BEGIN {
          printf "%s %s %s %s %s %s %s %s %s %.0f %.1f %.0f\n", c, r, rps, p50, p99, se, bad, cpu, pc,
            (n > 0 ? rps * (n - bad) / n : 0), (n > 0 ? 100 * bad / n : 0), (n > 0 ? rps * bad / n : 0)
        }' >>"$results"
      bench_log "$scenario round $r/$ROUNDS $c: $rps answers/s, p50 $p50 ms, p99 $p99 ms," \
        "socket errors $socket, non-2xx $non2xx of $total, CPU $cpu%, $per_cpu_s answers/CPU-s"
    done
  done
}

col() {  # col RESULTS CONTENDER FIELD -> that field's values, one a line
  awk -v c="$2" -v f="$3" '$1 == c { print $f }' "$1"
}
median() { col "$@" | bench_median; }
sum() { col "$@" | awk '{ s += $1 } END { print s + 0 }'; }
ratio() {  # ratio RESULTS CONTENDER BASE: median answers/s over the base's
  awk -v a="$(median "$1" "$2" 3)" -v b="$(median "$1" "$3" 3)" 'BEGIN { printf "%.2fx", a / b }'
}
paired() {  # paired RESULTS A B FIELD: median over rounds of A/B - 1, in %, and the range
  join <(col "$1" "$2" "$4" | nl) <(col "$1" "$3" "$4" | nl) | awk '{ print 100 * ($2 / $3 - 1) }' |
    sort -g | awk '{ v[NR] = $1 } END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%+.1f%% (rounds %+.1f..%+.1f%%)", m, v[1], v[NR] }'
}

table() {  # table SCENARIO RESULTS CONTENDERS...
  local s=$1 results=$2 c b bases=() head sep row min max
  shift 2
  local all=" $* "
  if [[ $s == pass ]]; then
    for b in courier haproxy-rl nginx-rl; do if [[ "$all" == *" $b "* ]]; then bases+=("$b"); fi; done
    head="| contender | req/s | p50 ms | p99 ms | req/s min..max | CPU % | req/CPU-s | errors |"
    sep="|---|---:|---:|---:|---:|---:|---:|---:|"
  else
    for b in haproxy-rl nginx-rl; do if [[ "$all" == *" $b "* ]]; then bases+=("$b"); fi; done
    head="| contender | answers/s | 2xx/s | non-2xx/s | non-2xx % | p50 ms | p99 ms | answers/s min..max | CPU % | answers/CPU-s | socket errors |"
    sep="|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  fi
  for b in "${bases[@]}"; do head+=" vs $b |"; sep+="---:|"; done
  echo "$head"
  echo "$sep"
  for c in "$@"; do
    min=$(col "$results" "$c" 3 | sort -g | head -1)
    max=$(col "$results" "$c" 3 | sort -g | tail -1)
    if [[ $s == pass ]]; then
      row="| $c | $(median "$results" "$c" 3) | $(median "$results" "$c" 4) | $(median "$results" "$c" 5)"
      row+=" | $min..$max | $(median "$results" "$c" 8) | $(median "$results" "$c" 9)"
      row+=" | $(($(sum "$results" "$c" 6) + $(sum "$results" "$c" 7))) |"
    else
      row="| $c | $(median "$results" "$c" 3) | $(median "$results" "$c" 10) | $(median "$results" "$c" 12)"
      row+=" | $(median "$results" "$c" 11)"
      row+=" | $(median "$results" "$c" 4) | $(median "$results" "$c" 5) | $min..$max"
      row+=" | $(median "$results" "$c" 8) | $(median "$results" "$c" 9) | $(sum "$results" "$c" 6) |"
    fi
    for b in "${bases[@]}"; do row+=" $(ratio "$results" "$c" "$b") |"; done
    echo "$row"
  done
}

bench_init
bench_start_upstream
bench_log "demo upstream on 127.0.0.1:$UPSTREAM_PORT (CPU $UPSTREAM_CPU)"
# Not fatal (wrk -v exits 1); awk reads all of each output, where head -1
# could end the pipe early (SIGPIPE, and pipefail).
VERSIONS="$({ "${COURIER:-$ROOT/build/courier}" --version 2>&1 || true; } | awk 'NR == 1'),"
VERSIONS+=" $({ "$NGINX" -v 2>&1 || true; } | sed 's/^nginx version: //'),"
VERSIONS+=" $({ "$HAPROXY" -v || true; } | awk 'NR == 1 { print "HAProxy " $3 }'),"
VERSIONS+=" $({ "$WRK" -v 2>&1 || true; } | awk 'NR == 1 { print "wrk " $2 }')"

for scenario in $SCENARIOS; do
  read -r -a cs <<<"$(default_contenders "$scenario")"
  if [[ $scenario == pass ]]; then
    set_limit "$PASS_RATE" "$PASS_RATE"
  else
    set_limit "$REJECT_RATE" "$REJECT_BURST"
  fi
  PORT=() PID=() NOTE=()
  for c in "${cs[@]}"; do
    start_contender "$scenario" "$c"
    check_contender "$scenario" "$c"
  done
  results=$BENCH_TMP/results-$scenario.txt
  run_rounds "$results" "${cs[@]}"
  for c in "${cs[@]}"; do
    [[ $c == direct ]] || bench_stop "${PID[$c]}"
  done

  echo
  if [[ $scenario == pass ]]; then
    echo "### Rate limiting, pass: every request under the limit ($PASS_RATE/s, burst $PASS_RATE, per client address), GET $URL_PATH"
  else
    echo "### Rate limiting, reject: a flood over the limit ($REJECT_RATE/s, burst $REJECT_BURST, per client address), GET $URL_PATH"
  fi
  echo
  echo "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency http://127.0.0.1:PORT$URL_PATH\`, $ROUNDS" \
    "interleaved rounds (after a $WARMUP warm-up each), medians. Proxy on CPU $PROXY_CPU; wrk on CPU" \
    "$LOAD_CPU; demo upstream ($UPSTREAM_THREADS thread) on CPU $UPSTREAM_CPU. $(nproc) CPUs," \
    "$(uname -r), $(date -u +%Y-%m-%d). Versions: $VERSIONS."
  echo
  table "$scenario" "$results" "${cs[@]}"
  echo
  if [[ $scenario == pass ]]; then
    echo "Ratios compare median req/s; errors are wrk's socket errors plus non-2xx answers, summed" \
      "over the rounds (anything but 0 means the limit refused requests or the run is invalid)."
    if [[ " ${cs[*]} " == *" courier "* && " ${cs[*]} " == *" courier-rl "* ]]; then
      echo
      echo "courier-rl vs courier, median of the per-round ratios (adjacent runs): req/s" \
        "$(paired "$results" courier-rl courier 3), req/CPU-s $(paired "$results" courier-rl courier 9)."
    fi
  else
    echo "answers/s counts every response (wrk's Requests/sec); 2xx/s are the ones let through," \
      "non-2xx/s and % the ones refused (429s, see below); ratios compare median answers/s; socket errors summed over the rounds."
    if ((${#NOTE[@]} > 0)); then
      echo
      echo "Refusals checked with curl before the runs (one keep-alive connection):"
      echo
      for c in "${cs[@]}"; do
        if [[ -n "${NOTE[$c]:-}" ]]; then echo "- $c: ${NOTE[$c]}"; fi
      done
    fi
  fi
  echo
  echo "Limits: courier \`$RL_COURIER\`; nginx \`$(echo "$RL_NGINX_HTTP $RL_NGINX_LOCATION" |
    tr -s ' \n' ' ' | sed 's/^ //; s/ $//')\`; HAProxy \`$(echo "$RL_HAPROXY_FRONTEND" |
    tr -s ' \n' ' ' | sed 's/^ //; s/ $//')\`. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
done
