#!/usr/bin/env bash
# Runs one python3-h2 test module (tests/e2e/h2/test_*.py) against courier:
#   run_suite.sh test_limits
# The harness (harness.py) starts the demo upstream and a courier per test
# on free loopback ports. Runs on /usr/bin/python3: the python3 first on
# PATH may be another interpreter that does not see Debian's python3-h2.
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest for e2e.*).
set -euo pipefail

: "${COURIER_BINARY:?set COURIER_BINARY to the courier binary}"
: "${COURIER_DEMO_UPSTREAM:?set COURIER_DEMO_UPSTREAM to courier-demo-upstream}"
module=${1:?usage: run_suite.sh MODULE}

PY=/usr/bin/python3
"$PY" -c 'import h2, hpack, hyperframe' 2>/dev/null || {
  echo "python3-h2 is not installed for $PY (apt-get install python3-h2)"
  exit 1
}

cd "$(dirname "${BASH_SOURCE[0]}")"
export H2_TARGET=courier  # the harness can also drive nghttpx, for developing the tests
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
exec timeout -k 5 110 "$PY" -m unittest -v "$module"
