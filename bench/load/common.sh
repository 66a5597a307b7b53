# shellcheck shell=bash disable=SC2034  # globals set here are read by the callers
# Shared helpers for the load benchmarks in bench/load/. Source it from a
# bash script that runs with `set -euo pipefail`; call bench_init first.
#
# Everything started through bench_start is killed on exit (trap), and all
# traffic stays on 127.0.0.1. Pinning (NOTES.md: two shared cores, 20-40%
# noise): the proxy under test runs on PROXY_CPU, the load generator and the
# origin on LOAD_CPU / UPSTREAM_CPU.
#
# Functions (outputs go to globals where noted, logs to stderr):
#   bench_init                      temp dir BENCH_TMP, exit trap
#   bench_log MSG...                progress line on stderr
#   bench_free_port                 prints a free loopback port
#   bench_start NAME CPU CMD...     runs CMD pinned, log in $BENCH_TMP/NAME.log; BENCH_PID=pid
#   bench_stop PID                  SIGTERM, then SIGKILL after 3 s
#   bench_wait_http URL [S [NAME PID]] until URL answers 200 (fails early if PID exits)
#   bench_check NAME URL BYTES      fails unless URL answers 200 with a BYTES-long body
#   bench_start_upstream            demo upstream on UPSTREAM_CPU; UPSTREAM_PORT
#   bench_start_courier UPORT [NAME]  courier on PROXY_CPU; COURIER_PORT, COURIER_PID
#   bench_start_nginx UPORT [NAME]  nginx (1 worker) on PROXY_CPU; NGINX_PORT, NGINX_PID
#   bench_start_haproxy UPORT [NAME]  HAProxy (1 thread) on PROXY_CPU; HAPROXY_PORT, HAPROXY_PID
#   bench_cpu_ticks PID             utime+stime of PID and its children (clock ticks)
#   bench_wrk URL OUT [ARGS...]     wrk pinned to LOAD_CPU, output in OUT
#   bench_parse_wrk FILE            prints "rps p50_ms p99_ms errors total_requests"
#   bench_parse_wrk_errors FILE     prints "socket_errors non_2xx_3xx" (the two parts of errors)
#   bench_median                    median of the numbers on stdin
#
# NAME (default courier, nginx, haproxy) names the config, the log and, for
# nginx, the prefix directory in BENCH_TMP, so that two instances of one peer
# can run side by side. Optional extra config, empty by default (so the
# default configs are unchanged), read from the environment when called:
#   COURIER_ROUTE_EXTRA             TOML lines appended to the one [[routes]] table
#   COURIER_UPSTREAM_PROTOCOL       the cluster's protocol: http1 (default) or h2c
#   NGINX_HTTP_EXTRA                lines in the http {} block (e.g. limit_req_zone)
#   NGINX_LOCATION_EXTRA            lines in location / {} (e.g. limit_req)
#   HAPROXY_FRONTEND_EXTRA          lines in the frontend (e.g. stick-table, http-request)
#   HAPROXY_BACKEND_EXTRA           lines in the backend
#   HAPROXY_SECTIONS_EXTRA          whole sections after the backend (e.g. a cache section)

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)

: "${PROXY_CPU:=0}"
: "${LOAD_CPU:=1}"
: "${UPSTREAM_CPU:=1}"
: "${UPSTREAM_THREADS:=1}"
: "${NGINX:=/usr/sbin/nginx}"
: "${HAPROXY:=/usr/sbin/haproxy}"
: "${WRK:=wrk}"
: "${THREADS:=1}"
: "${CONNECTIONS:=64}"
: "${DURATION:=10s}"

BENCH_PIDS=()
BENCH_TMP=""

bench_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

bench_cleanup() {
  local pid i
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${BENCH_PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [[ -n "$BENCH_TMP" && -z "${KEEP_TMP:-}" ]]; then
    rm -rf "$BENCH_TMP"
  elif [[ -n "$BENCH_TMP" ]]; then
    bench_log "kept $BENCH_TMP"
  fi
}

bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/courier-bench-XXXXXX")
  chmod 755 "$BENCH_TMP"  # nginx workers may run as another user
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM HUP PIPE  # so the EXIT trap still cleans up
  command -v taskset >/dev/null || { echo "taskset is required" >&2; exit 1; }
  command -v "$WRK" >/dev/null || { echo "wrk is required" >&2; exit 1; }
}

bench_free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_start() {
  local name=$1 cpu=$2
  shift 2
  : >"$BENCH_TMP/$name.log"  # exists before anyone reads it
  taskset -c "$cpu" "$@" >>"$BENCH_TMP/$name.log" 2>&1 &
  BENCH_PID=$!
  BENCH_PIDS+=("$BENCH_PID")
}

bench_stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!BENCH_PIDS[@]}"; do  # reaped: the exit trap must not signal a reused pid
    [[ "${BENCH_PIDS[i]}" != "$pid" ]] || unset 'BENCH_PIDS[i]'
  done
  BENCH_PIDS=("${BENCH_PIDS[@]}")
}

bench_wait_http() {  # bench_wait_http URL [SECONDS [NAME PID]]: NAME's log on failure
  local url=$1 seconds=${2:-10} name=${3:-} pid=${4:-} i
  for ((i = 0; i < seconds * 20; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == 200 ]] && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before $url answered; log:" >&2
      tail -20 "$BENCH_TMP/$name.log" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "no 200 from $url within ${seconds}s" >&2
  [[ -n "$name" ]] && tail -20 "$BENCH_TMP/$name.log" >&2
  return 1
}

bench_check() {
  local name=$1 url=$2 bytes=$3 got
  got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 5 "$url" || true)
  if [[ "$got" != "200 $bytes" ]]; then
    echo "$name: expected '200 $bytes' from $url, got '$got'; log:" >&2
    tail -20 "$BENCH_TMP/$name.log" >&2 || true
    return 1
  fi
}

bench_start_upstream() {
  local bin=${UPSTREAM:-$ROOT/build/courier-demo-upstream} i
  [[ -x "$bin" ]] || { echo "demo upstream not found: $bin (set UPSTREAM=)" >&2; return 1; }
  bench_start upstream "$UPSTREAM_CPU" "$bin" --listen 127.0.0.1:0 --threads "$UPSTREAM_THREADS" --quiet
  UPSTREAM_PID=$BENCH_PID
  for ((i = 0; i < 200; i++)); do
    UPSTREAM_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$BENCH_TMP/upstream.log")
    [[ -n "$UPSTREAM_PORT" ]] && return 0
    sleep 0.05
  done
  echo "demo upstream did not start" >&2
  return 1
}

bench_start_courier() {
  local uport=$1 name=${2:-courier} bin=${COURIER:-$ROOT/build/courier} aport
  [[ -x "$bin" ]] || { echo "courier not found: $bin (set COURIER=)" >&2; return 1; }
  COURIER_PORT=$(bench_free_port)
  aport=$(bench_free_port)
  cat >"$BENCH_TMP/$name.toml" <<EOF
[server]
listen = "127.0.0.1:$COURIER_PORT"
admin = "127.0.0.1:$aport"
workers = 1
access_log = "off"

[clusters.origin]
endpoints = ["127.0.0.1:$uport"]
protocol = "${COURIER_UPSTREAM_PROTOCOL:-http1}"

[[routes]]
name = "all"
match = { prefix = "/" }
cluster = "origin"
EOF
  [[ -z "${COURIER_ROUTE_EXTRA:-}" ]] || printf '%s\n' "$COURIER_ROUTE_EXTRA" >>"$BENCH_TMP/$name.toml"
  bench_start "$name" "$PROXY_CPU" "$bin" --config "$BENCH_TMP/$name.toml"
  COURIER_PID=$BENCH_PID
  bench_wait_http "http://127.0.0.1:$aport/ready" 10 "$name" "$COURIER_PID"
}

bench_start_nginx() {
  local uport=$1 name=${2:-nginx}
  local dir=$BENCH_TMP/$name
  NGINX_PORT=$(bench_free_port)
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
# One worker, keep-alive both ways, no access log: the fastest plain setup.
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;${NGINX_HTTP_EXTRA:+
$NGINX_HTTP_EXTRA}
  keepalive_requests 1000000;  # default 1000 would make wrk reconnect
  keepalive_timeout 120s;
  upstream origin {
    server 127.0.0.1:$uport;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";${NGINX_LOCATION_EXTRA:+
$NGINX_LOCATION_EXTRA}
    }
  }
}
EOF
  bench_start "$name" "$PROXY_CPU" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  NGINX_PID=$BENCH_PID
  bench_wait_http "http://127.0.0.1:$NGINX_PORT/healthz" 10 "$name" "$NGINX_PID"
}

bench_start_haproxy() {
  local uport=$1 name=${2:-haproxy}
  local cfg=$BENCH_TMP/$name.cfg
  HAPROXY_PORT=$(bench_free_port)
  cat >"$cfg" <<EOF
# One thread, keep-alive both ways with connection reuse, no logging.
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend fe
  bind 127.0.0.1:$HAPROXY_PORT${HAPROXY_FRONTEND_EXTRA:+
$HAPROXY_FRONTEND_EXTRA}
  default_backend be
backend be${HAPROXY_BACKEND_EXTRA:+
$HAPROXY_BACKEND_EXTRA}
  server origin 127.0.0.1:$uport${HAPROXY_SECTIONS_EXTRA:+
$HAPROXY_SECTIONS_EXTRA}
EOF
  bench_start "$name" "$PROXY_CPU" "$HAPROXY" -db -f "$cfg"
  HAPROXY_PID=$BENCH_PID
  bench_wait_http "http://127.0.0.1:$HAPROXY_PORT/healthz" 10 "$name" "$HAPROXY_PID"
}

bench_cpu_ticks() {
  local pid total=0 t
  for pid in "$1" $(pgrep -P "$1" || true); do
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}

bench_wrk() {
  local url=$1 out=$2
  shift 2
  taskset -c "$LOAD_CPU" "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$out" 2>&1
}

# wrk prints latencies as 812.00us, 1.23ms or 2.01s; we report milliseconds.
bench_parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Socket errors:/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    / requests in / { total = $1 }
    END {
      if (rps == "") exit 1
      printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, errors, total
    }' "$1"
}

bench_parse_wrk_errors() {
  awk '
    /Socket errors:/ { gsub(",", ""); socket += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { non2xx += $5 }
    END { printf "%d %d\n", socket, non2xx }' "$1"
}

bench_median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
