#!/usr/bin/env bash
# Installs what courier needs, builds it, and runs it with
# config/examples/courier.toml in front of the demo upstream (an agent-service
# stand-in on 127.0.0.1:9000). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake --preset release >/dev/null
cmake --build build -j"$(nproc)" --target courier courier-demo-upstream

build/courier-demo-upstream --listen 127.0.0.1:9000 --quiet &
upstream=$!
trap 'kill $upstream $courier 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
build/courier --config config/examples/courier.toml &
courier=$!
sleep 0.5
cat <<'MSG'

courier is listening on http://127.0.0.1:8080 (admin on 127.0.0.1:9901). Try:
  curl -i http://127.0.0.1:8080/healthz
  curl -i -X POST -d '{"prompt":"hi"}' http://127.0.0.1:8080/v1/completions
  curl -N -X POST -d '{"stream":true}' 'http://127.0.0.1:8080/v1/completions?stream=1'
  curl -s http://127.0.0.1:9901/metrics | grep courier_requests_total
Ctrl-C stops courier and the demo upstream.
MSG
wait $courier
