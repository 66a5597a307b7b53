#!/usr/bin/env bash
# Cache-hit benchmark: courier's memory cache against nginx's proxy_cache (and,
# optionally, HAProxy's cache), one worker each, in front of the same demo
# upstream. Every contender's cache is warmed first, so every measured request
# is a hit: the origin's request count must not move while wrk runs, courier's
# metrics must count a memory hit for every response wrk received, and nginx
# logs any answer whose $upstream_cache_status is not HIT. Interleaved rounds,
# one Markdown table of medians. See README.md.
#
#   bench/load/cache.sh                                  1 KiB and 64 KiB, 16 keys, 5 rounds of 10 s
#   ROUNDS=3 DURATION=5s SIZES=1024 bench/load/cache.sh
#   KEYS=1 CONTENDERS="courier nginx haproxy" bench/load/cache.sh
#   SIZES=65536 CONTENDERS="courier nginx nginx-static" bench/load/cache.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${CONTENDERS:=courier nginx}"  # any of: courier nginx nginx-nosf nginx-ofc nginx-static haproxy
: "${SIZES:=1024 65536}"          # response body bytes: GET /bytes/SIZE
: "${KEYS:=16}"                   # distinct URLs per size (/bytes/SIZE?k=0..KEYS-1); 1: /bytes/SIZE alone
: "${ROUNDS:=5}"
: "${WARMUP:=2s}"
: "${TTL:=10}"                    # minutes every contender keeps an entry fresh
: "${COURIER_MEMORY:=64MiB}"      # courier's [cache] memory_bytes
[[ "$KEYS" =~ ^[1-9][0-9]*$ ]] || { echo "KEYS must be a positive integer" >&2; exit 2; }
[[ "$TTL" =~ ^[1-9][0-9]*$ ]] || { echo "TTL is in minutes (a positive integer)" >&2; exit 2; }
for s in $SIZES; do
  [[ "$s" =~ ^[0-9]+$ ]] || { echo "SIZES are byte counts, not '$s'" >&2; exit 2; }
done

bench_init
bench_start_upstream
bench_log "demo upstream on 127.0.0.1:$UPSTREAM_PORT (CPU $UPSTREAM_CPU)"
ORIGIN=http://127.0.0.1:$UPSTREAM_PORT

# wrk request generator for KEYS > 1 (WRK_PATH?k=0..WRK_KEYS-1, from the
# environment): the requests are formatted once in init(), request() only
# hands out the next one (round-robin), which keeps the Lua cost per request
# small. It is the same for every contender.
LUA=$BENCH_TMP/keys.lua
cat >"$LUA" <<'EOF'
local reqs, i = {}, 0
function init()
  local path, n = os.getenv("WRK_PATH"), tonumber(os.getenv("WRK_KEYS"))
  for k = 0, n - 1 do reqs[k + 1] = wrk.format("GET", path .. "?k=" .. k) end
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
EOF

# The cache of each contender, through common.sh's *_EXTRA hooks.
# courier: the route's cache filter; [cache] is a top-level table, which TOML
# allows after the route's lines (COURIER_ROUTE_EXTRA ends the file).
CACHE_COURIER="cache = { layers = [\"memory\"], ttl = \"${TTL}m\" }

[cache]
memory_bytes = \"$COURIER_MEMORY\""
# nginx: a file cache (the usual proxy_cache setup), proxy_cache_lock so a
# cold key goes to the origin once, X-Cache-Status on every answer, and a log
# of the answers that were not hits ($upstream_cache_status other than HIT;
# access_log's if= costs a map lookup per request and writes nothing on hits).
# Variants: nginx has sendfile on, as Debian's stock nginx.conf (the headers
# go out in a writev, the body in a sendfile from the cache file); nginx-nosf
# has nginx's built-in default, sendfile off (the body is read from the file
# and written); nginx-ofc adds open_file_cache to nginx (no open/fstat/close
# of the cache file per hit).
nginx_cache_http() {  # nginx_cache_http NAME
  cat <<EOF
  proxy_cache_path $BENCH_TMP/$1-cache levels=1:2 keys_zone=$1:16m max_size=1g inactive=60m use_temp_path=off;
  map \$upstream_cache_status \$cache_not_hit { HIT 0; default 1; }
  sendfile $([[ $1 == nginx-nosf ]] && echo off || echo on);
EOF
  if [[ $1 == nginx-ofc ]]; then
    echo "  open_file_cache max=1000 inactive=60s;"
    echo "  open_file_cache_valid 60s;"
  fi
}
nginx_cache_location() {  # nginx_cache_location NAME
  cat <<EOF
      proxy_cache $1;
      proxy_cache_valid 200 ${TTL}m;
      proxy_cache_lock on;
      add_header X-Cache-Status \$upstream_cache_status always;
      access_log $BENCH_TMP/$1/not-hit.log combined if=\$cache_not_hit;
EOF
}
# HAProxy: its RAM cache; objects up to 1 MiB. HAProxy 2.6 stores only
# responses with explicit freshness (the demo upstream sends none, and nginx
# and courier fall back on their configured TTL), so the backend adds
# Cache-Control: max-age=TTL to the origin's answers before storing them.
# HAProxy answers a hit from the cache applet, without choosing a server, so
# `srv_id` is absent on hits.
CACHE_HAPROXY_SECTIONS="cache c
  total-max-size 64
  max-object-size 1048576
  max-age $((TTL * 60))"
CACHE_HAPROXY_BACKEND="  http-request cache-use c
  http-response set-header Cache-Control max-age=$((TTL * 60)) unless { res.hdr(cache-control) -m found }
  http-response cache-store c"
CACHE_HAPROXY_FRONTEND="  http-response set-header X-Cache-Status HIT if !{ srv_id -m found }
  http-response set-header X-Cache-Status MISS if { srv_id -m found }"

declare -A PORT PID ADMIN
for c in $CONTENDERS; do
  case $c in
    courier)
      COURIER_ROUTE_EXTRA=$CACHE_COURIER bench_start_courier "$UPSTREAM_PORT"
      PORT[$c]=$COURIER_PORT PID[$c]=$COURIER_PID
      ADMIN[$c]=$(sed -n 's/^admin = "\(.*\)"$/\1/p' "$BENCH_TMP/courier.toml")
      ;;
    nginx | nginx-nosf | nginx-ofc)
      NGINX_HTTP_EXTRA=$(nginx_cache_http "$c") NGINX_LOCATION_EXTRA=$(nginx_cache_location "$c") \
        bench_start_nginx "$UPSTREAM_PORT" "$c"
      PORT[$c]=$NGINX_PORT PID[$c]=$NGINX_PID
      ;;
    haproxy)
      HAPROXY_SECTIONS_EXTRA=$CACHE_HAPROXY_SECTIONS HAPROXY_BACKEND_EXTRA=$CACHE_HAPROXY_BACKEND \
        HAPROXY_FRONTEND_EXTRA=$CACHE_HAPROXY_FRONTEND bench_start_haproxy "$UPSTREAM_PORT"
      PORT[$c]=$HAPROXY_PORT PID[$c]=$HAPROXY_PID
      ;;
    nginx-static)
      # Not a cache: nginx serving the same bytes as plain files (sendfile,
      # open_file_cache), the least work an HTTP/1.1 server can do per
      # answer; a ceiling to read the caches' figures against.
      mkdir -p "$BENCH_TMP/static/bytes"
      for s in $SIZES; do curl -sf --max-time 5 -o "$BENCH_TMP/static/bytes/$s" "$ORIGIN/bytes/$s"; done
      NGINX_HTTP_EXTRA="  sendfile on;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;" NGINX_LOCATION_EXTRA="      location /bytes/ {
        root $BENCH_TMP/static;
        add_header X-Cache-Status HIT always;
      }" bench_start_nginx "$UPSTREAM_PORT" "$c"
      PORT[$c]=$NGINX_PORT PID[$c]=$NGINX_PID
      ;;
    *) echo "unknown contender '$c' (courier nginx nginx-nosf nginx-ofc nginx-static haproxy)" >&2; exit 2 ;;
  esac
  bench_log "$c on 127.0.0.1:${PORT[$c]} (CPU $PROXY_CPU)"
done

origin_requests() {  # the demo upstream's request count (its /__stats is not counted)
  curl -s --max-time 5 "$ORIGIN/__stats" | sed -n 's/^{"requests":\([0-9]*\),.*/\1/p'
}
courier_cache_counts() {  # CONTENDER -> "hits others": memory hits, every other cache answer
  curl -s --max-time 5 "http://${ADMIN[$1]}/metrics" | awk '
    /^courier_cache_requests_total\{/ {
      if ($1 ~ /layer="memory"/ && $1 ~ /result="hit"/) hits += $2; else others += $2 }
    END { printf "%d %d\n", hits, others }'
}
not_hits() {  # CONTENDER -> answers so far that its own bookkeeping says were not hits
  case $1 in
    courier) courier_cache_counts "$1" | awk '{ print $2 }' ;;
    nginx-static) echo 0 ;;  # no cache: every answer is a file
    nginx*) if [[ -f "$BENCH_TMP/$1/not-hit.log" ]]; then wc -l <"$BENCH_TMP/$1/not-hit.log"; else echo 0; fi ;;
    *) echo 0 ;;  # haproxy: only the origin's count tells
  esac
}
hit_header() {  # CONTENDER -> the header that names a hit, and its value on hits
  case $1 in
    courier) echo "x-cache HIT-MEMORY" ;;
    *) echo "x-cache-status HIT" ;;
  esac
}
paths() {  # SIZE -> the URLs (paths) wrk requests
  local k
  if ((KEYS == 1)); then echo "/bytes/$1"; return; fi
  for ((k = 0; k < KEYS; k++)); do echo "/bytes/$1?k=$k"; done
}
wrk_run() {  # wrk_run CONTENDER SIZE OUT [DURATION]
  local url="http://127.0.0.1:${PORT[$1]}/bytes/$2"
  if ((KEYS == 1)); then
    DURATION=${4:-$DURATION} bench_wrk "$url" "$3"
  else
    # (bench_wrk puts its arguments before the URL: the script reads the environment)
    WRK_PATH=/bytes/$2 WRK_KEYS=$KEYS DURATION=${4:-$DURATION} bench_wrk "$url" "$3" -s "$LUA"
  fi
}
# Fills every key of SIZE in CONTENDER's cache and checks that the next
# answer for each is a hit with the whole body.
warm() {  # warm CONTENDER SIZE
  local c=$1 size=$2 p got name value base="http://127.0.0.1:${PORT[$1]}"
  read -r name value < <(hit_header "$c")
  while read -r p; do
    curl -s -o /dev/null --max-time 5 "$base$p" || true
    got=$(curl -s -o /dev/null -D "$BENCH_TMP/warm-head" -w '%{http_code} %{size_download}' \
      --max-time 5 "$base$p" || true)
    if [[ "$got" != "200 $size" ]] ||
      ! tr -d '\r' <"$BENCH_TMP/warm-head" | grep -qix "$name: $value"; then
      echo "$c: $p should be a cache hit by now, got '$got' and:" >&2
      cat "$BENCH_TMP/warm-head" >&2
      tail -20 "$BENCH_TMP/$c.log" >&2 || true
      exit 1
    fi
  done < <(paths "$size")
  bench_log "$c: $KEYS key(s) of $size bytes cached ($name: $value)"
}
waited_ticks() {  # CPU ticks of this shell's waited-for children so far: wrk's, around a wrk run
  awk '{ print $16 + $17 }' "/proc/$$/stat"
}

TICK=$(getconf CLK_TCK)
RESULTS=$BENCH_TMP/results.txt
: >"$RESULTS"
for size in $SIZES; do
  for c in $CONTENDERS; do warm "$c" "$size"; done
  for c in $CONTENDERS; do wrk_run "$c" "$size" "$BENCH_TMP/warmup-$c-$size.txt" "$WARMUP"; done
  for ((r = 1; r <= ROUNDS; r++)); do
    for c in $CONTENDERS; do
      out=$BENCH_TMP/wrk-$c-$size-$r.txt
      o0=$(origin_requests)
      n0=$(not_hits "$c")
      h0=0
      [[ $c != courier ]] || read -r h0 _ < <(courier_cache_counts "$c")
      w0=$(waited_ticks)
      t0=$(bench_cpu_ticks "${PID[$c]}")
      s0=$(date +%s.%N)
      wrk_run "$c" "$size" "$out"
      s1=$(date +%s.%N)
      t1=$(bench_cpu_ticks "${PID[$c]}")
      w1=$(waited_ticks)
      h1=0
      [[ $c != courier ]] || read -r h1 _ < <(courier_cache_counts "$c")
      n1=$(not_hits "$c")
      o1=$(origin_requests)
      read -r rps p50 p99 errors total < <(bench_parse_wrk "$out") || { cat "$out" >&2; exit 1; }
      # Answers that were not hits: the contender's own count, and for courier
      # also any response wrk received beyond the hits the metrics counted
      # (hits may exceed wrk's count by the requests in flight when wrk stops).
      miss=$((n1 - n0))
      if [[ $c == courier ]] && ((h1 - h0 < total)); then miss=$((miss + total - (h1 - h0))); fi
      origin=$((o1 - o0))
      read -r cpu per_cpu_s load < <(awk -v t="$((t1 - t0))" -v hz="$TICK" \
        -v s="$(echo "$s1 - $s0" | bc)" -v n="$total" -v w="$((w1 - w0))" \
        'BEGIN { printf "%.0f %.0f %.0f\n", 100 * t / hz / s, (t > 0 ? n * hz / t : 0), 100 * w / hz / s }')
      # fields: 1 size, 2 contender, 3 round, 4 req/s, 5 p50, 6 p99, 7 errors, 8 CPU %,
      # 9 req/CPU-s, 10 requests, 11 not hits, 12 origin requests, 13 wrk CPU %
      echo "$size $c $r $rps $p50 $p99 $errors $cpu $per_cpu_s $total $miss $origin $load" >>"$RESULTS"
      bench_log "$size B round $r/$ROUNDS $c: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors," \
        "CPU $cpu%, $per_cpu_s req/CPU-s, wrk CPU $load%; $total answers, not hits $miss, origin requests $origin"
      if ((miss != 0 || origin != 0 || errors != 0)); then
        bench_log "WARNING: $c round $r ($size B) is not clean: not hits $miss, origin requests $origin," \
          "errors $errors ($(grep -E 'Socket errors|Non-2xx' "$out" | tr -s ' \n' ' ' || true))"
      fi
    done
  done
done

col() {  # col SIZE CONTENDER FIELD -> that field's values, one a line
  awk -v s="$1" -v c="$2" -v f="$3" '$1 == s && $2 == c { print $f }' "$RESULTS"
}
median() { col "$@" | bench_median; }
sum() { col "$@" | awk '{ s += $1 } END { print s + 0 }'; }
ratio() {  # ratio SIZE CONTENDER BASE FIELD: median over median
  awk -v a="$(median "$1" "$2" "$4")" -v b="$(median "$1" "$3" "$4")" \
    'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
}
paired() {  # paired SIZE A B FIELD: median over rounds of A/B (adjacent runs), and the range
  join <(col "$1" "$2" "$4" | nl) <(col "$1" "$3" "$4" | nl) | awk '$3 > 0 { print $2 / $3 }' |
    sort -g | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "-"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2fx (rounds %.2f..%.2fx)", m, v[1], v[NR] }'
}
has() { [[ " $CONTENDERS " == *" $1 "* ]]; }

VERSIONS="$({ "${COURIER:-$ROOT/build/courier}" --version 2>&1 || true; } | awk 'NR == 1'),"
VERSIONS+=" $({ "$NGINX" -v 2>&1 || true; } | sed 's/^nginx version: //'),"
VERSIONS+=" $({ "$HAPROXY" -v || true; } | awk 'NR == 1 { print "HAProxy " $3 }'),"
VERSIONS+=" $({ "$WRK" -v 2>&1 || true; } | awk 'NR == 1 { print "wrk " $2 }')"
if ((KEYS == 1)); then
  what="GET /bytes/SIZE (one URL)"
else
  what="GET /bytes/SIZE?k=0..$((KEYS - 1)) ($KEYS URLs, round-robin from a wrk Lua script)"
fi

echo
echo "### Cache hits: $what"
echo
echo "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\`, $ROUNDS interleaved rounds (after a warm-up" \
  "of every key and a $WARMUP wrk run each), medians. Proxy on CPU $PROXY_CPU; wrk on CPU $LOAD_CPU;" \
  "demo upstream on CPU $UPSTREAM_CPU (idle: every answer is a hit). $(nproc) CPUs, $(uname -r)," \
  "$(date -u +%Y-%m-%d). Versions: $VERSIONS."
echo
head="| size | contender | req/s | p50 ms | p99 ms | req/s min..max | CPU % | req/CPU-s | wrk CPU % | not hits | origin requests | errors |"
sep="|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
if has nginx; then head+=" req/s vs nginx | req/CPU-s vs nginx |"; sep+="---:|---:|"; fi
echo "$head"
echo "$sep"
for size in $SIZES; do
  for c in $CONTENDERS; do
    row="| $size | $c | $(median "$size" "$c" 4) | $(median "$size" "$c" 5) | $(median "$size" "$c" 6)"
    row+=" | $(col "$size" "$c" 4 | sort -g | head -1)..$(col "$size" "$c" 4 | sort -g | tail -1)"
    row+=" | $(median "$size" "$c" 8) | $(median "$size" "$c" 9) | $(median "$size" "$c" 13)"
    row+=" | $(sum "$size" "$c" 11) | $(sum "$size" "$c" 12) | $(sum "$size" "$c" 7) |"
    if has nginx; then row+=" $(ratio "$size" "$c" nginx 4) | $(ratio "$size" "$c" nginx 9) |"; fi
    echo "$row"
  done
done
echo
if has courier && has nginx; then
  for size in $SIZES; do
    echo "- $size B, courier/nginx, median of the per-round ratios of adjacent runs: req/s" \
      "$(paired "$size" courier nginx 4), req/CPU-s $(paired "$size" courier nginx 9)."
  done
  echo
fi
echo "Ratios compare medians. \`not hits\` (summed over the rounds) counts answers that were not cache" \
  "hits by the contender's own account: courier's \`courier_cache_requests_total\` other than" \
  "memory hits, plus any shortfall of its memory hits against wrk's responses; nginx's log of" \
  "answers whose \`\$upstream_cache_status\` was not HIT; HAProxy has none. \`origin requests\` is" \
  "the growth of the demo upstream's request count during the runs. Both must be 0, and errors" \
  "too. CPU % is the proxy's share of one core during the runs; \`wrk CPU %\` is wrk's (on CPU $LOAD_CPU):" \
  "near 100 there, with the proxy well under 100, means wrk set the pace, not the proxy." \
  "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Caches: courier \`$(echo "$CACHE_COURIER" | tr -s '\n' ' ' | sed 's/ $//')\`; nginx \`proxy_cache_path ... keys_zone=...:16m" \
  "use_temp_path=off; proxy_cache_valid 200 ${TTL}m; proxy_cache_lock on; sendfile on\`$(has nginx-nosf &&
    echo "; nginx-nosf the same with \`sendfile off\`")$(has nginx-ofc &&
    echo "; nginx-ofc adds \`open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s\`")$(has nginx-static &&
    echo "; nginx-static is no cache but nginx serving the same bytes as static files (\`sendfile on\`, the same \`open_file_cache\`): the least work per answer")$(has haproxy &&
    echo "; HAProxy \`cache c { total-max-size 64; max-object-size 1048576; max-age $((TTL * 60)) }\`, \`http-request cache-use c\`, \`http-response cache-store c\` after adding \`Cache-Control: max-age=$((TTL * 60))\` to the origin's answers (HAProxy 2.6 stores nothing without explicit freshness)")."
