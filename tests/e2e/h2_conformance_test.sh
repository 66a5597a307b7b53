#!/usr/bin/env bash
# HTTP/2 conformance tests (tests/e2e/h2/test_conformance.py): python3-h2 drives
# courier's downstream h2c frame by frame; the harness (tests/e2e/h2/harness.py)
# starts the demo upstream and a courier per test on free loopback ports.
# Runs on /usr/bin/python3: the python3 first on PATH does not see Debian's
# python3-h2 (docs: /work/shared/NOTES.md).
#
# Env: COURIER_BINARY, COURIER_DEMO_UPSTREAM (set by ctest as e2e.h2_conformance_test).
set -euo pipefail

: "${COURIER_BINARY:?set COURIER_BINARY to the courier binary}"
: "${COURIER_DEMO_UPSTREAM:?set COURIER_DEMO_UPSTREAM to courier-demo-upstream}"

PY=/usr/bin/python3
"$PY" -c 'import h2, hpack, hyperframe' 2>/dev/null || {
  echo "python3-h2 is not installed for $PY (apt-get install python3-h2)"
  exit 1
}

cd "$(dirname "${BASH_SOURCE[0]}")/h2"
export H2_TARGET=courier  # the harness can also drive nghttpx, for developing the tests
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
exec timeout -k 5 110 "$PY" -m unittest -v test_conformance
