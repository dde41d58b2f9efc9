#!/usr/bin/env bash
# bench/compare/run.sh — canbao against what a bureau's analyst would otherwise use, on the
# same generated 晋城市 roster, side by side in one run (issue 7).
#
#   bench/compare/run.sh [--full] [--runs N] [--no-plot] [SIZE…]
#
# SIZE defaults to 100000 1583685 (晋城's 2024 target); --full adds 10000000.
# For each size it generates the roster once (canbao gen --seed 1) and times, medians of N runs
# (default 3; 1 for sizes ≥ 5M):
#   canbao   batch in memory (assess_batch on all cores, bench_floor batch) and
#            CSV→CSV (canbao assess --format csv --no-trace)
#   SQL      the same assessment as ONE statement in PostgreSQL (bench/compare/assess.sql) over a
#            table loaded with \copy (load timed apart)
#   pandas   bench/compare/assess_pandas.py (Debian python3-pandas), compute and end to end
#   floor    cat FILE > /dev/null (warm), a C++ pass that splits lines and fields
#            (bench_floor scan), a read of every byte of the in-memory columns (bench_floor batch)
#   other    import / progress / reconciliation figures from bench_import and bench_campaign, and
#            durable payments over HTTP (single and /payments/batch) from bench_payments, SQLite and
#            PostgreSQL, when those benches exist in the build (else n/a) — run once, at the
#            headline size (1583685 when asked for, else the largest)
# and ends with issue 15's table: every throughput row beside the floor it is held to, the ratio
# and the goal, in one place (figures parsed from what each bench prints).
# and checks canbao's CSV output row for row against the batch path, SQL and pandas (individual
# due, subsidy, eligibility, payment status, coverage start) — on the generated roster and on
# bench/compare/edge.csv (hand-written boundary rows: outside region, day 26, window ends …).
# Peak memory is GNU time's maximum RSS of the process (for PostgreSQL: the backend's VmHWM).
#
# Environment: COMPARE_PAY_ARGS (bench_payments arguments, default
#   "--clients 128 --seconds 4 --mode both"), COMPARE_CAMPAIGN_PG=1 (reconciliation on PostgreSQL
#   too), COMPARE_SKIP_OTHERS=1 (assessment rows only),
#   CANBAO_BUILD (default build/release; needs canbao and bench_floor),
#   COMPARE_DIR (work files, default /tmp/canbao-compare), COMPARE_PG_URL (use this database
#   instead of starting a throwaway cluster on port ${COMPARE_PG_PORT:-55510} with .ci/pg.sh).
# Needs: psql + PostgreSQL server binaries, /usr/bin/python3 with pandas, /usr/bin/time,
#   gnuplot (for the plot): apt-get install -y postgresql-15 python3-pandas time gnuplot-nox
# Writes docs/performance-growth.png and docs/performance-growth.tsv when ≥ 2 sizes ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/compare"
BUILD="${CANBAO_BUILD:-$ROOT/build/release}"
WORK="${COMPARE_DIR:-/tmp/canbao-compare}"
POLICY="$ROOT/policies/2024/jincheng.toml"
AS_OF=2023-11-01
RUNS=3
PLOT=1
SIZES=()
FULL=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --full) FULL=1 ;;
    --runs) RUNS="$2"; shift ;;
    --no-plot) PLOT=0 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) SIZES+=("$1") ;;
  esac
  shift
done
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(100000 1583685)
[[ $FULL == 1 ]] && SIZES+=(10000000)

CANBAO="$BUILD/canbao"
FLOOR="$BUILD/bench_floor"
PY=/usr/bin/python3
GTIME=/usr/bin/time
die() { echo "compare: $*" >&2; exit 1; }
[[ -x "$CANBAO" && -x "$FLOOR" ]] || die "build first: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build/release --target canbao bench_floor"
[[ -x "$GTIME" ]] || die "GNU time missing: apt-get install -y time"
command -v psql >/dev/null || die "psql missing: apt-get install -y postgresql-15"
"$PY" -c 'import pandas' 2>/dev/null || die "pandas missing: apt-get install -y python3-pandas"
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# --- PostgreSQL -------------------------------------------------------------------------------
STARTED_PG=0
if [[ -n "${COMPARE_PG_URL:-}" ]]; then
  PGURL="$COMPARE_PG_URL"
else
  export CANBAO_PG_PORT="${COMPARE_PG_PORT:-55510}" CANBAO_PG_DIR="$WORK/pg"
  eval "$(bash "$ROOT/.ci/pg.sh" start)"
  PGURL="$CANBAO_PG_URL"
  STARTED_PG=1
fi
cleanup() { if [[ $STARTED_PG == 1 ]]; then CANBAO_PG_PORT="$CANBAO_PG_PORT" CANBAO_PG_DIR="$CANBAO_PG_DIR" bash "$ROOT/.ci/pg.sh" stop; fi; }
trap cleanup EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 "$PGURL")
# A throwaway cluster gets a little more memory than pg.sh's test default (still modest).
if [[ $STARTED_PG == 1 ]]; then
  "${PSQL[@]}" -c "ALTER SYSTEM SET shared_buffers = '512MB'" -c "ALTER SYSTEM SET work_mem = '64MB'" >/dev/null
  runuser_prefix=()
  [[ "$(id -u)" == 0 ]] && runuser_prefix=(runuser -u postgres --)
  for v in 15 16 17 14; do [[ -x /usr/lib/postgresql/$v/bin/pg_ctl ]] && { PGCTL=/usr/lib/postgresql/$v/bin/pg_ctl; break; }; done
  "${runuser_prefix[@]}" "$PGCTL" -D "$CANBAO_PG_DIR/data" -w -m fast restart -l "$CANBAO_PG_DIR/server.log" >/dev/null
fi

# --- helpers ----------------------------------------------------------------------------------
now() { date +%s.%N; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END{if(NR==0){print "nan"}else{print v[int((NR+1)/2)]}}'; }
maxof() { tr ' ' '\n' | sed '/^$/d' | sort -g | tail -1; }
kv() { sed -n "s/^$1=//p" "$2" | head -1; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-nan}" >>"$RESULTS"; }  # size key seconds rss_kb
# Rows that differ between two normalised CSV files (same order, same header) + row count mismatch.
disagree() {
  local a="$1" b="$2"
  local na nb
  na=$(wc -l <"$a"); nb=$(wc -l <"$b")
  paste -d'|' "$a" "$b" | awk -F'|' -v extra=$(( na > nb ? na - nb : nb - na )) '$1 != $2 {n++; if (n <= 3) print "  differs: " $1 "  vs  " $2 > "/dev/stderr"} END {print n + extra}'
}
# canbao CSV output → id_number,eligible,subsidy_fen,individual_due_fen,payment_status,coverage_start
normalise_cli() { cut -d, -f1,2,4,5,11,12 "$1" >"$2"; }

pg_load() {  # roster.csv → table roster; prints seconds
  local csv="$1"
  "${PSQL[@]}" >/dev/null <<SQL
DROP TABLE IF EXISTS roster, assessed;
CREATE UNLOGGED TABLE roster (row_no bigint GENERATED ALWAYS AS IDENTITY, id_number text, name text,
  household_id text, hukou_region text, residence_region text, categories text, disability_grade text,
  event text, event_date text, employee_months text, parent_insured text, paid_on date);
SQL
  local a b
  a=$(now)
  "${PSQL[@]}" -c "\\copy roster(id_number,name,household_id,hukou_region,residence_region,categories,disability_grade,event,event_date,employee_months,parent_insured,paid_on) FROM '$csv' CSV HEADER"
  b=$(now)
  "${PSQL[@]}" -c "VACUUM ANALYZE roster" >/dev/null
  echo "$b - $a" | bc -l
}

pg_assess() {  # runs assess.sql $2 times in one session; prints "median_s peak_kb"
  local runs="$1" out="$WORK/pg-assess.log" script="$WORK/pg-assess.sql"
  {
    echo "SELECT pg_backend_pid() AS pid \\gset"
    echo "\\setenv BACKEND_PID :pid"
    for ((r = 0; r < runs; r++)); do
      echo "DROP TABLE IF EXISTS assessed;"
      echo "\\timing on"
      echo "\\i $HERE/assess.sql"
      echo "\\timing off"
    done
    echo "\\! grep VmHWM /proc/\$BACKEND_PID/status"
  } >"$script"
  "${PSQL[@]}" -f "$script" >"$out" 2>&1 || { cat "$out" >&2; die "PostgreSQL statement failed"; }
  local t kb
  t=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out" | awk '{print $1/1000}' | tr '\n' ' ' | median)
  kb=$(awk '/VmHWM/{print $2}' "$out")
  echo "$t ${kb:-nan}"
}

pg_export() {
  "${PSQL[@]}" -c "\\copy (SELECT id_number, CASE WHEN eligible THEN 'true' ELSE 'false' END AS eligible, subsidy_fen, individual_due_fen, payment_status, coverage_start FROM assessed ORDER BY row_no) TO '$1' CSV HEADER"
}

timed() {  # timed OUT_PREFIX cmd… → appends "seconds rss_kb" to OUT_PREFIX.t ; stdout to OUT_PREFIX.out
  local p="$1"; shift
  local a b
  a=$(now)
  "$GTIME" -f '%M' -o "$p.rss" "$@" >"$p.out" 2>"$p.err" || { cat "$p.err" >&2; die "failed: $*"; }
  b=$(now)
  echo "$(echo "$b - $a" | bc -l) $(cat "$p.rss")" >>"$p.t"
}
tmed() { awk '{print $1}' "$1.t" | tr '\n' ' ' | median; }
tmax() { awk '{print $2}' "$1.t" | tr '\n' ' ' | maxof; }

# Other engineers' benches (import / progress / reconciliation / payments), when they exist in the
# build; their printed lines are parsed (formats of bench/bench_import.cc, bench_campaign.cc and
# bench_payments.cc as of issue 15). Missing or failed → n/a, never a failed comparison.
other_benches() {
  local n="$1" p v
  if [[ -x "$BUILD/bench_import" ]]; then
    p="$WORK/import-$n"
    echo "== bench_import $n (SQLite and PostgreSQL)"
    if CANBAO_PG_URL="$PGURL" "$GTIME" -f '%M' -o "$p.rss" "$BUILD/bench_import" "$n" 1 >"$p.out" 2>"$p.err"; then
      imp() { sed -n '/^medians of/,$p' "$p.out" | grep -F "$1" | head -1 | sed 's/.* \([0-9.]*\) s wall.*/\1/'; }
      v=$(imp 'canbao import → SQLite'); [[ -n "$v" ]] && record "$n" import_sqlite "$v" "$(cat "$p.rss")"
      v=$(imp 'sqlite3 .import (bare)'); [[ -n "$v" ]] && record "$n" import_sqlite_bare "$v" nan
      v=$(imp 'canbao import → PostgreSQL'); [[ -n "$v" ]] && record "$n" import_pg "$v" nan
      v=$(imp 'psql \copy (bare)'); [[ -n "$v" ]] && record "$n" import_pg_bare "$v" nan
    else
      echo "compare: bench_import failed (see $p.err); import n/a" >&2
    fi
  fi
  if [[ -x "$BUILD/bench_campaign" ]]; then
    p="$WORK/campaign-$n"
    echo "== bench_campaign $n (progress, reconciliation)"
    local pgenv=()
    [[ "${COMPARE_CAMPAIGN_PG:-0}" == 1 ]] && pgenv=(CANBAO_BENCH_PG_URL="$PGURL")
    if env "${pgenv[@]}" CANBAO_BENCH_PERSONS="$n" "$GTIME" -f '%M' -o "$p.rss" "$BUILD/bench_campaign" >"$p.out" 2>"$p.err"; then
      v=$(grep -m1 '^progress depth 3' "$p.out" | sed 's/.* \([0-9.]*\) ms\/query.*/\1/')
      [[ -n "$v" ]] && record "$n" progress "$(echo "$v / 1000" | bc -l)" nan
      # "[sqlite] reconcile (full)    944052 rows    16900 ms …" beside "[sqlite] floor … ms"
      # (before issue 15 the SQLite line had no engine tag and no floor).
      local eng key line
      for eng in sqlite postgresql; do
        key=reconcile; [[ $eng == postgresql ]] && key=reconcile_pg
        if [[ $eng == sqlite ]]; then line=$(grep -m1 -E '^(\[sqlite\] )?reconcile \(full\)' "$p.out" || true)
        else line=$(grep -m1 -E '^\[postgresql\] reconcile \(full\)' "$p.out" || true); fi
        if [[ -n "$line" ]]; then
          record "$n" $key "$(echo "$(sed -E 's/.* rows +([0-9.]+) ms.*/\1/' <<<"$line") / 1000" | bc -l)" "$(cat "$p.rss")"
          record "$n" ${key}_rows "$(sed -E 's/.*\(full\) +([0-9]+) rows.*/\1/' <<<"$line")" nan
        fi
        line=$(grep -m1 -E "^\\[$eng\\] floor " "$p.out" || true)
        [[ -n "$line" ]] && record "$n" ${key}_floor "$(echo "$(sed -E 's/.* rows +([0-9.]+) ms.*/\1/' <<<"$line") / 1000" | bc -l)" nan
      done
    else
      echo "compare: bench_campaign failed (see $p.err); progress/reconciliation n/a" >&2
    fi
  fi
  if [[ -x "$BUILD/bench_payments" ]]; then
    p="$WORK/payments"
    echo "== bench_payments ${COMPARE_PAY_ARGS:---clients 128 --seconds 4 --mode both} (SQLite and PostgreSQL)"
    # shellcheck disable=SC2086
    if CANBAO_PG_URL="$PGURL" "$BUILD/bench_payments" ${COMPARE_PAY_ARGS:---clients 128 --seconds 4 --mode both} >"$p.out" 2>"$p.err"; then
      # One key=value per figure: pay_<http|batch>_<engine>[_p99], raw_<engine>, fixture_<engine>[_n].
      awk '
        /^== [a-z]+ ==/ { eng = $2; mode = "" }
        /^fixture: [0-9]+ enrolled persons in/ { print "fixture_" eng "=" $(NF-1); print "fixture_" eng "_n=" $2 }
        /^raw one-row-per-transaction durable commits:/ { v = $NF; sub(/\/s$/, "", v); print "raw_" eng "=" v }
        /^HTTP payments, 128 keep-alive clients/ { mode = "http" }
        /^HTTP payments, / && mode == "" { mode = "http" }
        /^HTTP batch payments/ { mode = "batch" }
        /durable payments\/s:/ && mode != "" && !seen[mode eng]++ {
          print "pay_" mode "_" eng "=" $3
          for (i = 1; i <= NF; i++) if ($i == "p99") print "pay_" mode "_" eng "_p99=" $(i+1)
        }' "$p.out" >"$p.kv"
      for k in pay_http_sqlite pay_http_postgresql pay_batch_sqlite pay_batch_postgresql raw_sqlite raw_postgresql \
               fixture_postgresql fixture_sqlite; do
        v=$(kv "$k" "$p.kv"); [[ -n "$v" ]] && record "$n" "$k" "$v" nan
        v=$(kv "${k}_p99" "$p.kv"); [[ -n "$v" ]] && record "$n" "${k}_p99" "$v" nan
        v=$(kv "${k}_n" "$p.kv"); [[ -n "$v" ]] && record "$n" "${k}_n" "$v" nan
      done
    else
      echo "compare: bench_payments failed (see $p.err); payments n/a" >&2
    fi
  fi
  return 0
}

# --- agreement on the hand-written boundary rows -----------------------------------------------
EDGE="$HERE/edge.csv"
echo "== agreement on bench/compare/edge.csv (boundary rows) =="
"$CANBAO" assess --policy "$POLICY" --input "$EDGE" --as-of $AS_OF --format csv --no-trace --out "$WORK/edge-cli.csv"
normalise_cli "$WORK/edge-cli.csv" "$WORK/edge-cli.n.csv"
"$FLOOR" batch "$POLICY" "$EDGE" $AS_OF 1 --dump "$WORK/edge-batch.csv" >/dev/null
pg_load "$EDGE" >/dev/null
pg_assess 1 >/dev/null
pg_export "$WORK/edge-pg.csv"
"$PY" "$HERE/assess_pandas.py" "$EDGE" "$WORK/edge-pandas.csv" >/dev/null
E_BATCH=$(disagree "$WORK/edge-cli.n.csv" "$WORK/edge-batch.csv")
E_PG=$(disagree "$WORK/edge-cli.n.csv" "$WORK/edge-pg.csv")
E_PD=$(disagree "$WORK/edge-cli.n.csv" "$WORK/edge-pandas.csv")
echo "  $(($(wc -l <"$EDGE") - 1)) rows; disagreements with canbao assess: batch $E_BATCH, SQL $E_PG, pandas $E_PD"

# --- per size ---------------------------------------------------------------------------------
declare -A AGREE
# Issue 15's rows are for 晋城's 1,583,685 persons: the other benches run once, at that size.
HEADLINE=$(printf '%s\n' "${SIZES[@]}" | grep -qx 1583685 && echo 1583685 || printf '%s\n' "${SIZES[@]}" | sort -n | tail -1)
for N in "${SIZES[@]}"; do
  runs=$RUNS
  (( N >= 5000000 )) && runs=1
  CSV="$WORK/roster-$N.csv"
  if [[ ! -s "$CSV" ]]; then
    echo "== generating $N persons → $CSV"
    "$CANBAO" gen --policy "$POLICY" --persons "$N" --seed 1 --out "$CSV.tmp" && mv "$CSV.tmp" "$CSV"
  fi
  MB=$(( $(stat -c %s "$CSV") / 1000000 ))
  echo "== $N persons ($MB MB CSV), $runs run(s) each"
  rm -f "$WORK"/*-"$N".t

  # floor: warm cat, C++ split
  cat "$CSV" >/dev/null  # warm the page cache
  for ((r = 0; r < runs; r++)); do
    a=$(now); "$GTIME" -f '%M' -o "$WORK/cat-$N.rss" sh -c "cat '$CSV' >/dev/null"; b=$(now)
    echo "$(echo "$b - $a" | bc -l) $(cat "$WORK/cat-$N.rss")" >>"$WORK/cat-$N.t"
  done
  record "$N" floor_cat "$(tmed "$WORK/cat-$N")" "$(tmax "$WORK/cat-$N")"
  timed "$WORK/scan-$N" "$FLOOR" scan "$CSV" "$runs"
  record "$N" floor_scan "$(kv scan_s "$WORK/scan-$N.out")" "$(tmax "$WORK/scan-$N")"

  # canbao batch in memory (+ the memory-bandwidth pass over the same columns)
  timed "$WORK/batch-$N" "$FLOOR" batch "$POLICY" "$CSV" $AS_OF "$runs" --dump "$WORK/batch-$N.csv"
  B="$WORK/batch-$N.out"
  record "$N" canbao_batch "$(kv batch_s "$B")" "$(tmax "$WORK/batch-$N")"
  record "$N" canbao_batch_1t "$(kv batch_1thread_s "$B")" "$(tmax "$WORK/batch-$N")"
  record "$N" floor_memory "$(kv bandwidth_s "$B")" "$(tmax "$WORK/batch-$N")"
  record "$N" canbao_load_columns "$(kv load_s "$B")" "$(tmax "$WORK/batch-$N")"
  record "$N" batch_bytes_per_person "$(echo "$(kv column_bytes_per_person "$B") + $(kv summary_bytes_per_person "$B")" | bc -l)" nan

  # canbao CSV → CSV
  for ((r = 0; r < runs; r++)); do
    timed "$WORK/cli-$N" "$CANBAO" assess --policy "$POLICY" --input "$CSV" --as-of $AS_OF --format csv --no-trace --out "$WORK/cli-$N.csv"
  done
  record "$N" canbao_csv "$(tmed "$WORK/cli-$N")" "$(tmax "$WORK/cli-$N")"
  normalise_cli "$WORK/cli-$N.csv" "$WORK/cli-$N.n.csv"

  # canbao CSV → JSONL without trace (issue 15's row), output discarded, against canbao's own CSV
  # reader doing nothing but read and split (bench_floor csv)
  for ((r = 0; r < runs; r++)); do
    timed "$WORK/jsonl-$N" "$CANBAO" assess --policy "$POLICY" --input "$CSV" --as-of $AS_OF --format jsonl --no-trace --out /dev/null
  done
  record "$N" canbao_jsonl "$(tmed "$WORK/jsonl-$N")" "$(tmax "$WORK/jsonl-$N")"
  timed "$WORK/csvfloor-$N" "$FLOOR" csv "$CSV" "$runs"
  record "$N" floor_csv_reader "$(kv csv_s "$WORK/csvfloor-$N.out")" "$(tmax "$WORK/csvfloor-$N")"

  # PostgreSQL
  load_s=$(pg_load "$CSV")
  read -r pg_s pg_kb < <(pg_assess "$runs")
  record "$N" pg_load "$load_s" nan
  record "$N" pg_statement "$pg_s" "$pg_kb"
  pg_export "$WORK/pg-$N.csv"
  "${PSQL[@]}" -c "DROP TABLE IF EXISTS roster, assessed" >/dev/null

  # pandas
  rm -f "$WORK/pandas-$N.t"
  for ((r = 0; r < runs; r++)); do
    timed "$WORK/pandas-$N" "$PY" "$HERE/assess_pandas.py" "$CSV" "$WORK/pandas-$N.csv"
    kv compute_s "$WORK/pandas-$N.out" >>"$WORK/pandas-compute-$N.list"
  done
  record "$N" pandas_total "$(tmed "$WORK/pandas-$N")" "$(tmax "$WORK/pandas-$N")"
  record "$N" pandas_compute "$(tr '\n' ' ' <"$WORK/pandas-compute-$N.list" | median)" "$(tmax "$WORK/pandas-$N")"
  rm -f "$WORK/pandas-compute-$N.list"

  [[ "$N" == "$HEADLINE" && "${COMPARE_SKIP_OTHERS:-0}" != 1 ]] && other_benches "$N"

  AGREE[$N]="batch $(disagree "$WORK/cli-$N.n.csv" "$WORK/batch-$N.csv"), SQL $(disagree "$WORK/cli-$N.n.csv" "$WORK/pg-$N.csv"), pandas $(disagree "$WORK/cli-$N.n.csv" "$WORK/pandas-$N.csv")"
  rm -f "$WORK/cli-$N.csv" "$WORK/pg-$N.csv" "$WORK/pandas-$N.csv" "$WORK/batch-$N.csv" "$WORK/cli-$N.n.csv"
done

# --- the table --------------------------------------------------------------------------------
get() { awk -F'\t' -v n="$1" -v k="$2" -v c="$3" '$1 == n && $2 == k {print $c; exit}' "$RESULTS"; }
row() {  # label key reference_key
  local n="$1" label="$2" key="$3" ref="$4"
  local s kb rs
  s=$(get "$n" "$key" 3); kb=$(get "$n" "$key" 4); rs=$(get "$n" "$ref" 3)
  if [[ -z "$s" || "$s" == nan ]]; then
    printf '| %-44s | %9s | %11s | %8s | %8s | %9s |\n' "$label" n/a n/a n/a n/a n/a
    return
  fi
  awk -v n="$n" -v s="$s" -v kb="$kb" -v rs="$rs" -v label="$label" 'BEGIN {
    mem = (kb == "" || kb == "nan") ? "n/a" : sprintf("%.0f", kb / 1024)
    bpp = (kb == "" || kb == "nan") ? "n/a" : sprintf("%.0f", kb * 1024 / n)
    ratio = (rs == "" || rs == "nan" || rs == 0) ? "n/a" : sprintf(s / rs < 0.995 ? "%.2fx" : "%.1fx", s / rs)
    printf "| %-44s | %9.4f | %11s | %8s | %8s | %9s |\n", label, s, sprintf("%.2f M", n / s / 1e6), mem, bpp, ratio }'
}
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
for N in "${SIZES[@]}"; do
  echo
  echo "### $N persons (medians; ratio = seconds / canbao's seconds for the same kind of work)"
  echo
  printf '| %-44s | %9s | %11s | %8s | %8s | %9s |\n' "what" seconds persons/s "peak MB" "B/person" "x canbao"
  echo "|----------------------------------------------|-----------|-------------|----------|----------|-----------|"
  row "$N" "canbao batch, in memory (all cores)" canbao_batch canbao_batch
  row "$N" "canbao batch, in memory (1 thread)" canbao_batch_1t canbao_batch
  row "$N" "floor: read every column byte (all cores)" floor_memory canbao_batch
  row "$N" "PostgreSQL: one SQL statement (CASE)" pg_statement canbao_batch
  row "$N" "pandas: compute only" pandas_compute canbao_batch
  row "$N" "canbao assess CSV->CSV (--no-trace)" canbao_csv canbao_csv
  row "$N" "canbao assess CSV->JSONL (--no-trace)" canbao_jsonl canbao_csv
  row "$N" "floor: canbao's CSV reader, read + split" floor_csv_reader canbao_csv
  row "$N" "floor: cat FILE >/dev/null (warm)" floor_cat canbao_csv
  row "$N" "floor: read + split lines/fields (C++)" floor_scan canbao_csv
  row "$N" "canbao: CSV -> columns (read_roster_columns)" canbao_load_columns canbao_csv
  row "$N" "PostgreSQL: \\copy load" pg_load canbao_csv
  row "$N" "pandas: read_csv + compute + to_csv" pandas_total canbao_csv
  row "$N" "import roster -> SQLite (bench_import)" import_sqlite canbao_csv
  row "$N" "import roster -> PostgreSQL (bench_import)" import_pg canbao_csv
  row "$N" "progress query, depth 3 (bench_campaign)" progress canbao_batch
  row "$N" "reconciliation, full (bench_campaign)" reconcile canbao_batch
  bpp=$(get "$N" batch_bytes_per_person 3)
  awk -v n="$N" -v b="$(get "$N" canbao_batch 3)" -v pg="$(get "$N" pg_statement 3)" -v pd="$(get "$N" pandas_compute 3)" \
      -v pdt="$(get "$N" pandas_total 3)" -v cli="$(get "$N" canbao_csv 3)" -v mem="$(get "$N" floor_memory 3)" \
      -v scan="$(get "$N" floor_scan 3)" -v bpp="$bpp" -v rss="$(get "$N" canbao_batch 4)" 'BEGIN {
    printf "\nGoals: SQL/canbao %.0fx (≥ 20: %s); pandas/canbao %.0fx in memory, %.1fx end to end (≥ 10: %s); ", pg/b, (pg/b >= 20 ? "met" : "NOT met"), pd/b, pdt/cli, (pd/b >= 10 ? "met" : "NOT met")
    printf "canbao/memory floor %.1fx, CSV→CSV/scan floor %.1fx (≤ 3: %s); ", b/mem, cli/scan, (cli/scan <= 3 ? "met" : "NOT met")
    printf "batch path %.0f B/person in columns+summary, %.0f B/person peak RSS (≤ 200: %s)\n", bpp, rss*1024/n, (bpp <= 200 ? "met" : "NOT met") }'
  echo "Agreement with canbao assess, rows that differ: ${AGREE[$N]}; boundary rows: batch $E_BATCH, SQL $E_PG, pandas $E_PD"
done

# --- issue 15: every throughput row beside its floor, in one table ----------------------------
# t15 LABEL FIGURE_KEY FLOOR_KEY FLOOR_LABEL KIND GOAL [P99_KEY]
#   KIND rate:  figure and floor are per second, ratio = figure / floor, goal "≥ G"
#        speed: both are seconds, ratio = floor / figure (how fast against the peer), goal "≥ G"
#        cost:  both are seconds, ratio = figure / floor (times the floor), goal "≤ G"
#        none:  no floor (figure only)
t15() {
  local label="$1" fk="$2" flk="$3" fll="$4" kind="$5" goal="$6" pk="${7:-}"
  local n="$HEADLINE" f fl p99=""
  f=$(get "$n" "$fk" 3); fl=$(get "$n" "$flk" 3)
  [[ -n "$pk" ]] && p99=$(get "$n" "$pk" 3)
  awk -v label="$label" -v f="$f" -v fl="$fl" -v fll="$fll" -v kind="$kind" -v goal="$goal" -v p99="$p99" 'BEGIN {
    have = (f != "" && f != "nan"); havefl = (fl != "" && fl != "nan" && fl + 0 > 0)
    if (!have) fig = "n/a"
    else if (kind == "rate") fig = sprintf("%.0f/s", f) (p99 != "" ? sprintf(", p99 %.1f ms", p99) : "")
    else fig = sprintf("%.3f s", f)
    if (!havefl) flo = (kind == "none" ? "—" : fll " n/a")
    else if (kind == "rate") flo = sprintf("%s %.0f/s", fll, fl)
    else flo = sprintf("%s %.3f s", fll, fl)
    ratio = "—"; verdict = "n/a"
    if (have && havefl) {
      r = (kind == "speed") ? fl / f : f / fl
      ratio = sprintf(r < 10 ? "%.2fx" : "%.1fx", r)
      ok = (kind == "cost") ? (r <= goal) : (r >= goal)
      if (p99 != "" && p99 + 0 >= 20) ok = 0
      verdict = ok ? "met" : "NOT met"
    } else if (have && kind == "none") verdict = "—"
    g = (kind == "cost" ? "≤ " : kind == "none" ? "" : "≥ ") goal (kind == "none" ? "" : "x") (p99 != "" ? ", p99 < 20 ms" : "")
    printf "| %-50s | %-28s | %-36s | %7s | %-22s | %-7s |\n", label, fig, flo, ratio, g, verdict }'
}
echo
echo "### Issue 15: throughput against the floor, one run (persons: $HEADLINE; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
printf '| %-50s | %-28s | %-36s | %7s | %-22s | %-7s |\n' what "today (this run)" "floor / peer, same run" ratio goal verdict
echo "|----------------------------------------------------|------------------------------|--------------------------------------|---------|------------------------|---------|"
t15 "durable payments over HTTP, SQLite, 128 clients" pay_http_sqlite raw_sqlite "raw commit" rate 5 pay_http_sqlite_p99
t15 "same on PostgreSQL" pay_http_postgresql raw_postgresql "raw commit" rate 3 pay_http_postgresql_p99
t15 "roster import -> SQLite, $HEADLINE rows" import_sqlite import_sqlite_bare "sqlite3 .import" speed 1.5
t15 "roster import -> PostgreSQL" import_pg import_pg_bare "psql \\copy" speed 0.7
t15 "reconciliation of $(get "$HEADLINE" reconcile_rows 3) tax rows (SQLite)" reconcile reconcile_floor "tax file + payments read" cost 3
[[ -n "$(get "$HEADLINE" reconcile_pg 3)" ]] &&
  t15 "reconciliation on PostgreSQL" reconcile_pg reconcile_pg_floor "tax file + payments read" cost 3
t15 "assessment in memory, $HEADLINE, $(nproc) threads" canbao_batch floor_memory "read every column byte" cost 12
t15 "batch payments (/payments/batch), SQLite" pay_batch_sqlite raw_sqlite "raw commit" rate 20
t15 "batch payments (/payments/batch), PostgreSQL" pay_batch_postgresql raw_postgresql "raw commit" rate 20
t15 "assess CSV->JSONL, no trace" canbao_jsonl floor_csv_reader "CSV read+split (canbao reader)" cost 2
t15 "PostgreSQL fixture of $(get "$HEADLINE" fixture_postgresql_n 3) persons (bench_payments)" fixture_postgresql - "" none "COPY-speed loads"
echo "(CSV->JSONL against the least any reader must do, bench_floor scan: $(get "$HEADLINE" floor_scan 3) s; payments: bench_payments ${COMPARE_PAY_ARGS:---clients 128 --seconds 4 --mode both})"

# --- growth plot ------------------------------------------------------------------------------
if [[ $PLOT == 1 && ${#SIZES[@]} -ge 2 ]]; then
  TSV="$ROOT/docs/performance-growth.tsv"
  {
    echo -e "# persons\tcanbao_batch_s\tcanbao_csv_s\tpg_statement_s\tpandas_total_s\tfloor_scan_s\timport_sqlite_s\tprogress_s\treconcile_s\tcanbao_batch_mb\tcanbao_csv_mb\tpg_statement_mb\tpandas_total_mb\timport_sqlite_mb"
    for N in $(printf '%s\n' "${SIZES[@]}" | sort -n); do
      line="$N"
      for k in canbao_batch canbao_csv pg_statement pandas_total floor_scan import_sqlite progress reconcile; do
        v=$(get "$N" $k 3); line+=$'\t'"${v:-NaN}"
      done
      for k in canbao_batch canbao_csv pg_statement pandas_total import_sqlite; do
        v=$(get "$N" $k 4); [[ -z "$v" || "$v" == nan ]] && v=NaN || v=$(echo "$v / 1024" | bc -l | xargs printf '%.1f'); line+=$'\t'"$v"
      done
      echo "$line"
    done
  } | sed 's/\tnan/\tNaN/g' >"$TSV"
  if command -v gnuplot >/dev/null; then
    gnuplot -e "data='$TSV'; out='$ROOT/docs/performance-growth.png'" "$HERE/plot.gp" 2>&1 | grep -v 'no valid points' >&2 || true
    echo
    echo "plot: docs/performance-growth.png (data docs/performance-growth.tsv)"
  else
    echo "compare: gnuplot missing (apt-get install -y gnuplot-nox); data in $TSV" >&2
  fi
fi
echo "raw figures: $RESULTS"
