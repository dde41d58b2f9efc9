// bench_campaign: progress queries and a full reconciliation on the 晋城
// population (1,583,685 persons; CANBAO_BENCH_PERSONS to change), SQLite.
//
//   1. generate the roster, import it (registry import);
//   2. enroll everyone (bulk INSERT … SELECT; the counter triggers fire per row);
//   3. record payments for ~60% in bulk (INSERT … SELECT into payments + the
//      enrollment status update; triggers again) — bulk SQL, not Ledger::pay:
//      the ledger's own figures are the ledger's; here we measure the counters;
//   4. rebuild the counters from scratch (full recount) for comparison;
//   5. progress queries (root children; whole tree to villages);
//   6. a full reconciliation: tax file of every payment + treasury per county,
//      beside its floor measured in the same run (the tax file read by the
//      same reader + one sequential read of the year's payment rows) and the
//      ratio figure / floor; then a rerun of the same inputs, also against it;
//   7. progress on synthetic counters shaped like a 10M-person province
//      (CANBAO_BENCH_PLACES villages × 120 days; 0 skips it).
// CANBAO_BENCH_DB=path keeps the SQLite database of steps 1–4 there (built
// when absent, else copied and reused: steps 1–4 skipped) so reconciliation
// can be measured again in seconds. CANBAO_BENCH_PG_URL=postgresql://… also
// runs steps 1–6 on that (throwaway) database, reusing its rows when the
// year's payments are already there (CANBAO_BENCH_PG_PERSONS, default as
// SQLite). Prints ms and rows/s. Never asserted.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "campaign/progress.h"
#include "campaign/reconcile.h"
#include "io/gen.h"
#include "io/table.h"
#include "ledger/ledger.h"
#include "registry/import.h"
#include "store/sql_store.h"

using namespace canbao;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using store::detail::RowView;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
static store::detail::SqlStore& raw(store::Store& s) { return dynamic_cast<store::detail::SqlStore&>(s); }
static int64_t env_int(const char* name, int64_t def) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : def;
}
static std::string env_str(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
static int64_t count(store::Store& st, const char* sql) {
  int64_t n = 0;
  raw(st).sql_query(sql, {}, [&](const RowView& v) { n = v.i(0); });
  return n;
}

// Steps 1–4 on an empty store: roster, enrollments, payments, counters.
// The campaign runs in the autumn before the policy's year (registration
// from 1 September, the roster taken on 25 December).
static void build_population(store::Store& st, int64_t persons, RegionCode root, const Policy& pol,
                             const fs::path& dir) {
  auto& s = raw(st);
  const int year = pol.year, before = pol.year - 1;
  const bool pg = s.sql_dialect() == store::Dialect::postgresql;
  std::string csv = (dir / "roster.csv").string();
  auto t = Clock::now();
  {
    std::ofstream out(csv);
    io::GenOptions g;
    g.region = root;
    g.persons = persons;
    g.seed = 3;
    g.allowed_day_max = 25;
    io::generate_roster(g, out);
  }
  fmt::print("gen roster            {:>10} rows {:>9.0f} ms\n", persons, ms_since(t));
  st.set_bulk_mode(true);
  t = Clock::now();
  registry::ImportOptions io;
  io.today = Date::from_ymd(before, 12, 25);
  io.mode = registry::ImportMode::partial;
  auto ir = registry::import_roster(st, csv, io);
  double ms = ms_since(t);
  fmt::print("import roster         {:>10} rows {:>9.0f} ms {:>10.0f} rows/s\n", ir.rows_written, ms,
             ir.rows_written / ms * 1000);
  fs::remove(csv);
  campaign::targets_from_policy(st, pol);

  // Enroll everyone (registered over 09-01..12-25 of the year before, 1–25 of each month).
  t = Clock::now();
  {
    auto tx = st.transaction();
    if (!pg)
      s.sql_exec(fmt::format(
          "INSERT INTO enrollments (person, year, place_region, household, status, registered_on, note, region) "
          "SELECT id_number, {}, hukou_region, household, 'registered', "
          "printf('{}-%02d-%02d', 9 + (abs(hukou_region + length(id_number) * 7 + CAST(substr(id_number, 15, 3) AS "
          "INTEGER)) % 4), 1 + CAST(substr(id_number, 15, 3) AS INTEGER) % 25), '', hukou_region FROM persons",
          year, before), {});
    else
      s.sql_exec(fmt::format(
          "INSERT INTO enrollments (person, year, place_region, household, status, registered_on, note, region) "
          "SELECT id_number, {}, hukou_region, household, 'registered', "
          "'{}-' || lpad((9 + abs(hukou_region + length(id_number) * 7 + CAST(substr(id_number, 15, 3) AS "
          "INTEGER)) % 4)::text, 2, '0') || '-' || lpad((1 + CAST(substr(id_number, 15, 3) AS INTEGER) % 25)::text, 2, "
          "'0'), '', hukou_region FROM persons",
          year, before), {});
    tx.commit();
  }
  int64_t enrolled = count(st, "SELECT COUNT(*) FROM enrollments");
  ms = ms_since(t);
  fmt::print("enroll (triggers)     {:>10} rows {:>9.0f} ms {:>10.0f} rows/s\n", enrolled, ms, enrolled / ms * 1000);

  // Pay ~60%: payment rows with receipts, then the enrollment status (both fire triggers).
  t = Clock::now();
  {
    auto tx = st.transaction();
    s.sql_exec(fmt::format(
                   "INSERT INTO payments (kind, person, year, enrollment, amount, channel, payer_kind, idem_key, "
                   "external_txn, request_hash, collector, paid_on, created_at, receipt_region, receipt_seq, receipt_no, "
                   "verify_code, clct_way, clct_type, policy, region) "
                   "SELECT 'payment', person, year, id, 38000, 'wechat', 'self', 'bench-' || id, 'TX' || id, 'x', "
                   "'bench', registered_on, '{}-12-25T00:00:00Z', 140500, id, '140500-{}-' || {}"
                   ", 'BENCH', '02', '10', '{}', place_region FROM enrollments WHERE id % 10 < 6",
                   before, year, pg ? "lpad(id::text, 8, '0')" : "printf('%08d', id)", pol.id),
               {});
    s.sql_exec("UPDATE enrollments SET status = 'paid', paid_on = registered_on WHERE id % 10 < 6", {});
    tx.commit();
  }
  int64_t paid = count(st, "SELECT COUNT(*) FROM payments");
  ms = ms_since(t);
  fmt::print("pay 60% (triggers)    {:>10} rows {:>9.0f} ms {:>10.0f} rows/s (payment + status update)\n", paid, ms,
             paid / ms * 1000);

  t = Clock::now();
  campaign::rebuild_counters(st);
  fmt::print("rebuild counters      {:>10} rows {:>9.0f} ms (full recount, for comparison)\n", enrolled + paid,
             ms_since(t));
  st.set_bulk_mode(false);
}

static void time_progress(store::Store& x, RegionCode r, int year, int depth, const char* label) {
  Date asof = Date::from_ymd(year - 1, 12, 22);  // late in the campaign, before the year
  campaign::ProgressOptions o;
  o.depth = depth;
  campaign::progress(x, r, year, asof, o);  // warm
  const int n = 20;
  auto t = Clock::now();
  size_t nodes = 0;
  int64_t paidsum = 0;
  for (int i = 0; i < n; ++i) {
    auto tr = campaign::progress(x, r, year, asof, o);
    nodes = tr.nodes.size();
    paidsum = tr.root().now.paid;
  }
  fmt::print("{:<22}{:>10} nodes {:>8.2f} ms/query (paid {})\n", label, nodes, ms_since(t) / n, paidsum);
}

// The floor of a reconciliation: the tax file read by the reader
// reconcile_files uses, and one sequential read of the year's payment rows
// (the columns the platform side needs). Nothing is kept or compared.
static double reconcile_floor(store::Store& st, const std::string& tax, int year, int64_t& tax_rows,
                              int64_t& payment_rows) {
  auto t = Clock::now();
  size_t bytes = 0;
  tax_rows = 0;
  {
    auto tbl = io::open_table(tax);
    io::Row row;
    while (tbl->next(row)) {
      tax_rows++;
      for (auto& c : row.cells) bytes += c.size();
    }
  }
  payment_rows = 0;
  raw(st).sql_query("SELECT person, amount, payer_kind, external_txn, enrollment FROM payments WHERE year = ?",
                    {year}, [&](const RowView& v) {
                      payment_rows++;
                      bytes += v.s(0).size() + size_t(v.i(1)) + v.s(2).size() + v.s(3).size() + size_t(v.i(4));
                    });
  double ms = ms_since(t);
  if (bytes == 1) fmt::print("");  // keeps the reads from being optimised away
  return ms;
}

// Step 6 on one engine: inputs from the store's own payments, floor, run, rerun.
static void reconcile_bench(store::Store& st, const char* engine, RegionCode root, int year, const fs::path& dir) {
  auto& s = raw(st);
  std::string tax = (dir / fmt::format("tax-{}.csv", engine)).string();
  std::string tre = (dir / fmt::format("treasury-{}.csv", engine)).string();
  auto t = Clock::now();
  int64_t paid = 0;
  {
    std::ofstream o(tax);
    o << "elec_taxrpt_no,certno,psn_clct_amt,clct_time,taxdept_code,revs_flag,cashym,insuplc_admdvs\n";
    s.sql_query("SELECT external_txn, person, paid_on, region FROM payments WHERE year = ? ORDER BY id", {year},
                [&](const RowView& v) {
                  paid++;
                  o << v.s(0) << ',' << v.s(1) << ",380.00," << v.s(2) << " 10:00:00,11405000000,Z," << year << ','
                    << v.region(3).at_level(RegionCode::county).str() << '\n';
                });
    std::ofstream tr(tre);
    tr << "区划代码,入库人数,入库金额\n";
    for (const char* c : {"140502", "140521", "140522", "140524", "140525", "140581"}) {
      auto ct = campaign::counter_totals(st, *RegionCode::parse(c), year);
      tr << c << ',' << ct.paid << ',' << Money::from_fen(ct.collected_fen + ct.subsidy_fen).yuan() << '\n';
    }
  }
  fmt::print("[{}] write tax file   {:>10} rows {:>9.0f} ms\n", engine, paid, ms_since(t));
  int64_t frows = 0, prows = 0;
  reconcile_floor(st, tax, year, frows, prows);  // warm the page cache like the run after it
  double floor = reconcile_floor(st, tax, year, frows, prows);
  fmt::print("[{}] floor            {:>10} rows {:>9.0f} ms (tax file read {} rows + payments read {} rows)\n", engine,
             frows, floor, frows, prows);
  campaign::ReconcileOptions ro;
  ro.year = year;
  ro.scope = root;
  ro.today = Date::from_ymd(year, 3, 5);
  t = Clock::now();
  auto run = campaign::reconcile_files(st, tax, tre, ro);
  double ms = ms_since(t);
  fmt::print("[{}] reconcile (full) {:>10} rows {:>9.0f} ms {:>10.0f} rows/s, {:.2f}× floor; {} mismatches, {} matched\n",
             engine, run.tax_rows, ms, run.tax_rows / ms * 1000, ms / floor, run.items.size(), run.matched);
  t = Clock::now();
  auto again = campaign::rerun(st, run.id, ro);
  ms = ms_since(t);
  fmt::print("[{}] reconcile rerun  {:>10} rows {:>9.0f} ms {:>10.0f} rows/s, {:.2f}× floor; {} mismatches, {} matched\n",
             engine, again.tax_rows, ms, again.tax_rows / ms * 1000, ms / floor, again.items.size(), again.matched);
}

int main() {
  const int64_t persons = env_int("CANBAO_BENCH_PERSONS", 1583685);
  const RegionCode root = *RegionCode::parse("140500");
  fs::path dir = fs::temp_directory_path() / fmt::format("canbao-bench-campaign-{}", ::getpid());
  fs::create_directories(dir);
  std::string db = (dir / "jincheng.db").string();
  // The year is the policy's: the newest one covering root among the
  // policy sets (one directory per year) of the source tree.
  std::optional<Policy> pol;
  for (auto& d : fs::directory_iterator(fs::path(CANBAO_SOURCE_DIR) / "policies")) {
    if (!d.is_directory()) continue;
    auto set = ledger::PolicySet::load_dir(d.path().string());
    for (auto& p : set.all())
      if (const Policy* f = set.find(root, p.year); f && (!pol || f->year > pol->year)) pol = *f;
  }
  if (!pol) {
    fmt::print(stderr, "no policy under {}/policies covers {}\n", CANBAO_SOURCE_DIR, root.str());
    return 1;
  }
  const int year = pol->year;

  const std::string keep = env_str("CANBAO_BENCH_DB");
  if (!keep.empty() && fs::exists(keep)) {
    auto t = Clock::now();
    fs::copy_file(keep, db);
    fmt::print("reuse {}          {:>9.0f} ms (steps 1–4 skipped)\n", keep, ms_since(t));
  }
  auto st = store::open_store(db);
  if (count(*st, "SELECT COUNT(*) FROM payments") == 0) {
    build_population(*st, persons, root, *pol, dir);
    if (!keep.empty()) {
      st.reset();
      fs::copy_file(db, keep, fs::copy_options::overwrite_existing);
      st = store::open_store(db);
    }
  }
  fmt::print("counters: {} places, {} day rows\n", count(*st, "SELECT COUNT(*) FROM progress_totals"),
             count(*st, "SELECT COUNT(*) FROM progress_counters"));
  time_progress(*st, root, year, 1, "progress depth 1");
  time_progress(*st, root, year, 3, "progress depth 3");

  // Full reconciliation: tax file of every payment, treasury per county.
  reconcile_bench(*st, "sqlite", root, year, dir);
  st.reset();

  if (std::string pg_url = env_str("CANBAO_BENCH_PG_URL"); !pg_url.empty()) {
    auto pg = store::open_store(pg_url);
    if (count(*pg, "SELECT COUNT(*) FROM payments") == 0)
      build_population(*pg, env_int("CANBAO_BENCH_PG_PERSONS", persons), root, *pol, dir);
    else
      fmt::print("[postgresql] reusing the {} payments already in {}\n", count(*pg, "SELECT COUNT(*) FROM payments"),
                 "CANBAO_BENCH_PG_URL");
    time_progress(*pg, root, year, 1, "[pg] progress depth 1");
    time_progress(*pg, root, year, 3, "[pg] progress depth 3");
    reconcile_bench(*pg, "postgresql", root, year, dir);
  }

  // Counters shaped like a 10M-person province: progress is O(places + recent day rows).
  if (const int64_t nplaces = env_int("CANBAO_BENCH_PLACES", 32000); nplaces > 0) {
    std::string db2 = (dir / "province.db").string();
    auto p = store::open_store(db2);
    auto& ps = raw(*p);
    auto t = Clock::now();
    {
      auto tx = p->transaction();
      int64_t k = 0;
      std::vector<std::string> days;
      for (int d = 0; d < 120; ++d) days.push_back(Date::from_ymd(year - 1, 9, 1).plus_days(d).str());
      for (int county = 0; county < 100 && k < nplaces; ++county)
        for (int town = 1; town <= 16 && k < nplaces; ++town)
          for (int vil = 1; vil <= 20 && k < nplaces; ++vil, ++k) {
            int64_t code = (140500 + (county / 20) * 100 + county % 20 + 1) * 1000000LL + (100 + town) * 1000 + vil;
            for (auto& day : days)
              ps.sql_exec("INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, "
                          "collected_fen, subsidy_fen) VALUES (12, ?, ?, ?, 3, 2, 0, 76000, 0)",
                          {code, year, std::string_view(day)});
          }
      tx.commit();
    }
    campaign::rebuild_rollups(*p);
    fmt::print("synthetic counters    {:>10} places × 120 days ({} persons at 3/day) {:>9.0f} ms\n", nplaces,
               nplaces * 360, ms_since(t));
    time_progress(*p, *RegionCode::parse("14"), year, 1, "province depth 1");
    time_progress(*p, *RegionCode::parse("14"), year, 2, "province depth 2");
    time_progress(*p, *RegionCode::parse("140501"), year, 3, "county depth 3");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
