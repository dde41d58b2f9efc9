#!/bin/sh
# Builds the libFuzzer targets with clang, replays every input that once
# failed (fuzz/regressions/{csv,xlsx,http}: keep each new crash there, named
# for what it broke), then fuzzes each target for a bounded time.
# fuzz_http links the whole server (every src/ stage but the CLI), compiled
# here with clang into $OUT/obj-http (recompiled only when a source or a
# header is newer than its object).
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
mkdir -p "$OUT/corpus/csv" "$OUT/corpus/xlsx" "$OUT/corpus/http" "$OUT/obj-http"
CXX=${CXX:-clang++}
FLAGS="-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$ROOT/src"
IO="$ROOT/src/io/csv.cc $ROOT/src/io/table.cc $ROOT/src/io/xlsx_reader.cc $ROOT/src/core/date.cc"
LIBS="-lfmt -lzip -lpugixml"

$CXX $FLAGS "$ROOT/fuzz/fuzz_csv.cc" $IO $LIBS -o "$OUT/fuzz_csv"
$CXX $FLAGS "$ROOT/fuzz/fuzz_xlsx.cc" $IO $LIBS -o "$OUT/fuzz_xlsx"

# The server for fuzz_http. The httplib defines must match Debian's compiled
# libcpp-httplib (they change its classes' layout).
SRV_FLAGS="-std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
  -I$ROOT/src -I$ROOT/tests -I/usr/include/postgresql $(pkg-config --cflags cpp-httplib libzip xlsxwriter libsodium tomlplusplus) \
  -DCANBAO_SOURCE_DIR=\"$ROOT\""
SRV_LIBS="$(pkg-config --libs cpp-httplib libzip xlsxwriter libsodium tomlplusplus) -lfmt -lpugixml -lsqlite3 -lpq -lpthread"
export CXX SRV_FLAGS ROOT OUT
find "$ROOT/src" -name '*.cc' ! -path '*/src/cli/*' ! -name empty.cc | sort | xargs -P "$(nproc)" -I{} sh -c '
  src="$1"; obj="$OUT/obj-http/$(echo "${src#$ROOT/src/}" | tr / _).o"
  if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ -z "$(find "$ROOT/src" -name "*.h" -newer "$obj" | head -n 1)" ]; then exit 0; fi
  $CXX $SRV_FLAGS -c "$src" -o "$obj"' sh {}
# Objects of sources that no longer exist would not link.
for o in "$OUT"/obj-http/*.o; do
  s="$ROOT/src/$(basename "$o" .o | sed 's|_|/|')"
  [ -f "$s" ] || rm -f "$o"
done
# The registry fixture lives with the tests (tests/support), not in the shipped libraries.
$CXX $SRV_FLAGS -fsanitize=fuzzer "$ROOT/fuzz/fuzz_http.cc" "$ROOT/tests/support/fixture.cc" "$OUT"/obj-http/*.o \
  $SRV_LIBS -o "$OUT/fuzz_http"

# Seeds: small CSVs in each shape, and the committed workbook fixtures.
printf '\001a,b\n"x,""y""",2\r\n\n1\n' > "$OUT/corpus/csv/seed1"
printf '\005\357\273\277\345\247\223\345\220\215\t\350\272\253\n\345\274\240\t1\n' > "$OUT/corpus/csv/seed2"
printf '\003\320\325\303\373,\265\315\261\243\n1,"\265\315\n"\n' > "$OUT/corpus/csv/seed3"
cp "$ROOT"/tests/io/fixtures/*.xlsx "$OUT/corpus/xlsx/" 2>/dev/null || true
# Requests: byte 0 = method (bits 0-1) and user (bits 2-3), path, '\n', JSON body.
printf '\004/api/v1/payments?page=2\n' > "$OUT/corpus/http/seed1"
printf '\005/api/v1/payments\n{"idempotency_key":"k1","person":"341702196001020011","year":2024,"amount_fen":40000,"channel":"cash"}' > "$OUT/corpus/http/seed2"
printf '\004/api/v1/progress?under=341702&year=2024\n' > "$OUT/corpus/http/seed3"
printf '\010/api/v1/persons?q=%%E5%%BC%%A0\n' > "$OUT/corpus/http/seed4"
printf '\005/api/v1/enrollments\n{"person":"341702196001020011","year":2024}' > "$OUT/corpus/http/seed5"
printf '\000/api/v1/public/receipt-check?number=R1&code=x\n' > "$OUT/corpus/http/seed6"
printf '\014/api/v1/reconciliations/99999999999999999999999\n' > "$OUT/corpus/http/seed7"
printf '\005/api/v1/policies/whatif\n{"base":"guichi","variant":"x"}' > "$OUT/corpus/http/seed8"

cd "$OUT"
for kind in csv xlsx http; do
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
# One request per input over loopback (~1,300/s under ASan on 2 cores): three
# times FUZZ_RUNS (CI's 50,000 → 150,000, 1 min 52 s on a 2-core machine), or
# FUZZ_HTTP_RUNS.
if [ -n "${FUZZ_HTTP_RUNS:-}" ] || [ -n "${FUZZ_RUNS:-}" ]; then
  HTTP_BUDGET="-runs=${FUZZ_HTTP_RUNS:-$(( FUZZ_RUNS * 3 ))} -seed=1"
else
  HTTP_BUDGET="-max_total_time=$SECONDS_EACH"
fi
# Leak checks per input would see the server threads' allocations.
./fuzz_http $HTTP_BUDGET -max_len=4096 -rss_limit_mb=4096 -detect_leaks=0 -timeout=60 corpus/http
