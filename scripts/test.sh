#!/usr/bin/env bash
# Builds canbao in Release and ASan+UBSan and runs the whole test suite on
# both, with a throwaway PostgreSQL server for the store tests.
# Usage: scripts/test.sh            (from a fresh clone on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# A real PostgreSQL for the store suite (stopped again on exit).
if [ -x .ci/pg.sh ] || [ -f .ci/pg.sh ]; then
  eval "$(bash .ci/pg.sh start)"
  trap 'bash .ci/pg.sh stop >/dev/null 2>&1 || true' EXIT
  export CANBAO_PG_URL
fi

JOBS=$(nproc)
for preset in release asan; do
  echo "== build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$JOBS"
  echo "== test ($preset)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset "$preset" -j "$JOBS" --timeout 600
done

echo "== fuzz the CSV and XLSX readers (bounded)"
FUZZ_OUT=build/fuzz bash fuzz/run.sh 20
