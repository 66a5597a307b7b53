# shellcheck shell=bash
# Shared by the e2e scripts (tests/e2e/*_test.sh); sourced, not run (ctest
# registers only *_test.sh). A script sets `set -euo pipefail`, sources this
# file and then:
#   e2e_init NAME             $WORK, and cleanup of it and of PIDS on exit
#   start_upstream            the demo upstream; sets UPSTREAM (host:port)
#   courier_config            (the script's own) prints courier.toml:
#                             config_head, then the rest
#   start_courier [--stdout FILE] [VAR...]
#                             courier; sets COURIER_PID, LISTEN_PORT,
#                             ADMIN_PORT (and a free port in each VAR), BASE
#   check WHAT COMMAND...     one ok/FAIL line; counts FAILS
#   finish WHAT [COMMAND...]  exit 1 (after COMMAND) if a check failed
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest for e2e.*).

: "${COURIER_BINARY:?set COURIER_BINARY to the courier binary}"
: "${COURIER_DEMO_UPSTREAM:?set COURIER_DEMO_UPSTREAM to courier-demo-upstream}"

PIDS=()  # processes to kill on exit
FAILS=0

require() {  # require TOOL: fail unless TOOL is installed
  command -v "$1" >/dev/null || {
    echo "$1 not installed"
    exit 1
  }
}

e2e_init() {  # e2e_init NAME
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/courier-e2e-$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
reaped() {  # reaped PID: drop a waited-for process from PIDS (its id may be reused)
  local kept=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}

check() {  # check "description" command...
  local what=$1
  shift
  if "$@"; then
    echo "ok   - $what"
  else
    echo "FAIL - $what"
    FAILS=$((FAILS + 1))
  fi
}
finish() {  # finish WHAT [COMMAND...]: COMMAND shows diagnostics on failure
  local what=$1
  shift
  if ((FAILS > 0)); then
    echo "$FAILS check(s) failed"
    if (($# > 0)); then "$@"; fi
    exit 1
  fi
  echo "all $what checks passed"
}
courier_stderr_tail() {
  echo "--- courier stderr ---"
  tail -20 "$WORK/courier.err"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() {  # wait_for SECONDS command...: polls every 50 ms
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.05
  done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The demo upstream on a port of its choosing.
start_upstream() {
  "$COURIER_DEMO_UPSTREAM" --listen 127.0.0.1:0 --quiet >"$WORK/upstream.out" 2>&1 &
  PIDS+=("$!")
  wait_for 5 grep -q 'listening on' "$WORK/upstream.out" || {
    echo "demo upstream did not start"
    exit 1
  }
  UPSTREAM=$(sed -n 's/^listening on //p' "$WORK/upstream.out")
}

# config_head WORKERS [SERVER_KEY_LINE...]: the start of a courier.toml,
# [server] on LISTEN_PORT / ADMIN_PORT and [clusters.agent] on UPSTREAM.
config_head() {
  printf '[server]\nlisten = "127.0.0.1:%s"\nadmin = "127.0.0.1:%s"\nworkers = %s\n' \
    "$LISTEN_PORT" "$ADMIN_PORT" "$1"
  shift
  if (($# > 0)); then printf '%s\n' "$@"; fi
  printf '\n[clusters.agent]\nendpoints = ["%s"]\n' "$UPSTREAM"
}

# config_dead_route: [clusters.dead] on DEAD_PORT (a free port, from
# `start_courier DEAD_PORT`, that nothing listens on) and route "dead" for
# /dead/ to it.
config_dead_route() {
  cat <<EOF

[clusters.dead]
endpoints = ["127.0.0.1:$DEAD_PORT"]

[[routes]]
name = "dead"
match = { prefix = "/dead/" }
cluster = "dead"
EOF
}

# courier on free ports; picked ports can be taken by another process before
# courier binds them (ctest -j), so a bind failure is retried with new ones.
# --stdout: where courier's stdout (the access log) goes, by default
# $WORK/courier.out. Each VAR gets a free port too.
start_courier() {
  local stdout="$WORK/courier.out" _ var
  if [[ ${1:-} == --stdout ]]; then
    stdout=$2
    shift 2
  fi
  for _ in 1 2 3; do
    LISTEN_PORT=$(free_port)
    ADMIN_PORT=$(free_port)
    for var in "$@"; do printf -v "$var" '%s' "$(free_port)"; done
    courier_config >"$WORK/courier.toml"
    "$COURIER_BINARY" --config "$WORK/courier.toml" >"$stdout" 2>"$WORK/courier.err" &
    COURIER_PID=$!
    PIDS+=("$COURIER_PID")
    if wait_for 10 curl -sf "http://127.0.0.1:$ADMIN_PORT/ready"; then
      # shellcheck disable=SC2034  # for the scripts
      BASE="http://127.0.0.1:$LISTEN_PORT"
      return 0
    fi
    kill "$COURIER_PID" 2>/dev/null || true
    wait "$COURIER_PID" 2>/dev/null || true
    reaped "$COURIER_PID"
    grep -q 'Address already in use' "$WORK/courier.err" || break
  done
  echo "courier did not become ready"
  cat "$WORK/courier.err"
  return 1
}

raw_exchange() {  # raw_exchange BYTES -> prints what courier answers until it closes
  exec 3<>"/dev/tcp/127.0.0.1/$LISTEN_PORT"
  printf '%b' "$1" >&3
  timeout 3 cat <&3 || true
  exec 3<&-
}
