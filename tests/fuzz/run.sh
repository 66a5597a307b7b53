#!/usr/bin/env bash
# Runs every fuzz target that has a checked-in corpus (tests/fuzz/corpus/<target>/)
# for a bounded time, over that corpus. Builds nothing: configure and build
# first with `cmake --preset fuzz && cmake --build build-fuzz`.
#
#   tests/fuzz/run.sh BUILD_DIR        FUZZ_SECONDS=60 (total, split across targets)
#
# New inputs found go to a scratch directory, never into the checked-in
# corpus; crash reproducers are kept in BUILD_DIR/fuzz-artifacts/. Exits
# non-zero if any target crashes, leaks, times out or is missing.
set -uo pipefail

build=${1:?usage: $0 BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
total=${FUZZ_SECONDS:-60}

targets=()
for dir in "$here"/corpus/*/; do
  targets+=("$(basename "$dir")")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "no corpora under $here/corpus" >&2
  exit 1
fi
per_target=$(( total / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

status=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  if [ ! -x "$bin" ]; then
    echo "FAIL $t: $bin not built" >&2
    status=1
    continue
  fi
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  "$bin" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-" "$scratch/$t" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "FAIL $t (exit $rc); log tail:" >&2
    tail -40 "$log" >&2
    status=1
  else
    echo "ok   $t: ${runs:-?}(s), ${cov:-cov: ?}, $(ls "$scratch/$t" | wc -l) new inputs"
  fi
done
exit $status
