#!/usr/bin/env bash
# Installs what courier needs, builds it, and runs every test:
#   1. Release build: unit, differential, integration and end-to-end tests (ctest)
#   2. ASan+UBSan build: every test again, on an instrumented courier
#   3. clang build with libFuzzer: each fuzz target for a bounded time
#   4. clang-format check of every C++ file
# Usage: tests/run_all.sh            (FUZZ_SECONDS=N to change the fuzz budget)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
step() { printf '\n==== %s\n' "$*"; }

step "dependencies"
bash deploy/install-deps.sh

step "format check"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find proxy filters config tests bench -name '*.cc' -o -name '*.h')
clang-format --dry-run -Werror "${sources[@]}"
echo "clang-format: ${#sources[@]} files clean"

step "release build"
cmake --preset release >/dev/null
cmake --build build -j"$JOBS"

step "sanitizer build (ASan+UBSan)"
cmake --preset asan-ubsan >/dev/null
cmake --build build-asan -j"$JOBS"

step "fuzz build (clang, libFuzzer)"
cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j"$JOBS" --target fuzz_targets

step "fuzzing (${FUZZ_SECONDS:-60} s in all)"
FUZZ_SECONDS=${FUZZ_SECONDS:-60} bash tests/fuzz/run.sh build-fuzz

step "unit, integration and e2e tests under ASan+UBSan"
# The integration tests then drive an instrumented courier binary, so the
# connection and stream lifetimes are checked under real traffic too.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" --timeout 300

step "all tests (release build)"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 300
