#!/bin/sh
# Builds the libFuzzer targets with clang, replays every input that once
# failed (fuzz/regressions/{csv,xlsx}: keep each new crash there, named for
# what it broke), then fuzzes each target for a bounded time.
#   fuzz/run.sh [seconds per target, default 30]
#   FUZZ_RUNS=N fuzz/run.sh   N inputs per target from seed 1 instead of a time
#                             budget: the same inputs on every machine, so CI
#                             never fails on a finding that depends on speed
#                             (scripts/test.sh uses it; explore with the time mode).
# Not part of the CMake build. Needs clang and libclang-rt-dev (libFuzzer).
set -eu
SECONDS_EACH=${1:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus/csv" "$OUT/corpus/xlsx"
CXX=${CXX:-clang++}
FLAGS="-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$ROOT/src"
IO="$ROOT/src/io/csv.cc $ROOT/src/io/table.cc $ROOT/src/io/xlsx_reader.cc $ROOT/src/core/date.cc"
LIBS="-lfmt -lzip -lpugixml"

$CXX $FLAGS "$ROOT/fuzz/fuzz_csv.cc" $IO $LIBS -o "$OUT/fuzz_csv"
$CXX $FLAGS "$ROOT/fuzz/fuzz_xlsx.cc" $IO $LIBS -o "$OUT/fuzz_xlsx"

# Seeds: small CSVs in each shape, and the committed workbook fixtures.
printf '\001a,b\n"x,""y""",2\r\n\n1\n' > "$OUT/corpus/csv/seed1"
printf '\005\357\273\277\345\247\223\345\220\215\t\350\272\253\n\345\274\240\t1\n' > "$OUT/corpus/csv/seed2"
printf '\003\320\325\303\373,\265\315\261\243\n1,"\265\315\n"\n' > "$OUT/corpus/csv/seed3"
cp "$ROOT"/tests/io/fixtures/*.xlsx "$OUT/corpus/xlsx/" 2>/dev/null || true

cd "$OUT"
for kind in csv xlsx; do
  set -- $(find "$ROOT/fuzz/regressions/$kind" -type f 2>/dev/null | sort)
  if [ $# -gt 0 ]; then ./fuzz_$kind -rss_limit_mb=2048 "$@"; fi
done
if [ -n "${FUZZ_RUNS:-}" ]; then
  BUDGET="-runs=$FUZZ_RUNS -seed=1"
else
  BUDGET="-max_total_time=$SECONDS_EACH"
fi
./fuzz_csv $BUDGET -max_len=4096 -rss_limit_mb=2048 corpus/csv
./fuzz_xlsx $BUDGET -max_len=65536 -rss_limit_mb=2048 corpus/xlsx
