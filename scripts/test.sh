#!/usr/bin/env bash
# Builds canbao and runs every test: the C++ suites in ASan+UBSan and in
# Release (the store suites against a throwaway PostgreSQL), a bounded fuzz
# run of the file readers, and the web UI's unit and browser tests against a
# real `canbao serve` in Debian's chromium.
# Usage: scripts/test.sh            (from a fresh clone on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
JOBS=$(nproc)

echo "== fuzz the CSV and XLSX readers (bounded)"
FUZZ_OUT=build/fuzz FUZZ_RUNS=50000 bash fuzz/run.sh 2>&1 | tail -n 4

# A real PostgreSQL for the store suites (stopped again on exit).
eval "$(bash .ci/pg.sh start)"
trap 'bash .ci/pg.sh stop >/dev/null 2>&1 || true' EXIT
export CANBAO_PG_URL

echo "== build and test (asan)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$JOBS" --timeout 900

echo "== build (release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"

echo "== web: unit tests and browser tests against the real server"
(
  cd web
  npm ci --no-audit --no-fund
  npm run build
  npm test
  CANBAO_BIN="$PWD/../build/release/canbao" npm run e2e
)

echo "== test (release)"
ctest --preset release -j "$JOBS" --timeout 900
