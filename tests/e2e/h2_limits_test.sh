#!/usr/bin/env bash
# HTTP/2 defences (tests/e2e/h2/test_limits.py): each limit ends only the
# offending connection, while a well-behaved one stays served.
exec bash "$(dirname "${BASH_SOURCE[0]}")/h2/run_suite.sh" test_limits
