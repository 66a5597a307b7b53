#!/usr/bin/env bash
# User-space instructions courier spends per proxied request, counted by
# valgrind's callgrind: steady on a noisy machine where req/s is not, so
# use it to compare two builds of courier before and after a hot-path change.
#
#   bench/load/instructions.sh                 N=2000 keep-alive GET /bytes/1024
#   COURIER=other/courier N=5000 bench/load/instructions.sh
#   ROUTE_EXTRA='rate_limit = { key = "client_ip", rate = 1000000 }' bench/load/instructions.sh
#   PROFILE=/tmp/cg.out bench/load/instructions.sh   also keeps the larger run's profile
#                                                    (callgrind_annotate --inclusive=yes /tmp/cg.out)
#
# Runs courier twice under callgrind (100 and 100+N requests, same client)
# and prints the difference divided by N, so start-up and shut-down cancel.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${N:=2000}"
: "${ROUTE_EXTRA:=}"  # TOML lines added to the route, e.g. a filter to measure
bin=${COURIER:-$ROOT/build/courier}
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
bench_init
bench_start_upstream

count_run() {  # count_run REQUESTS: prints callgrind's instruction total
  local requests=$1 port aport out
  port=$(bench_free_port)
  aport=$(bench_free_port)
  cat >"$BENCH_TMP/ir.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
admin = "127.0.0.1:$aport"
workers = 1
access_log = "off"
[clusters.origin]
endpoints = ["127.0.0.1:$UPSTREAM_PORT"]
[[routes]]
name = "all"
match = { prefix = "/" }
cluster = "origin"
$ROUTE_EXTRA
TOML
  out="$BENCH_TMP/callgrind.$requests"
  bench_start courier-callgrind "$PROXY_CPU" valgrind --tool=callgrind \
    --callgrind-out-file="$out" "$bin" --config "$BENCH_TMP/ir.toml"
  local pid=$BENCH_PID
  bench_wait_http "http://127.0.0.1:$aport/ready" 60 courier-callgrind "$pid"
  /usr/bin/python3 - "$port" "$requests" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
req = b"GET /bytes/1024 HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
for _ in range(n):
    s.sendall(req)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed")
        buf += chunk
        head = buf.find(b"\r\n\r\n")
        if head < 0:
            continue
        length = 0
        for line in buf[:head].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(buf) >= head + 4 + length:
            break
PY
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$out"
}

base=$(count_run 100)
more=$(count_run $((N + 100)))
if [[ -n "${PROFILE:-}" ]]; then cp "$BENCH_TMP/callgrind.$((N + 100))" "$PROFILE"; fi
echo "courier: $(( (more - base) / N )) instructions per request (user space, $N keep-alive GET /bytes/1024)"
