#!/usr/bin/env bash
# HTTP/2 frame-level conformance (tests/e2e/h2/test_conformance.py): RFC 9113
# §3.4, 4, 5, 6 and 8, driven frame by frame with python3-h2.
exec bash "$(dirname "${BASH_SOURCE[0]}")/h2/run_suite.sh" test_conformance
