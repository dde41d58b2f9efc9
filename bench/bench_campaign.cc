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
//   6. a full reconciliation: tax file of every payment + treasury per county;
//   7. progress on synthetic counters shaped like a 10M-person province
//      (CANBAO_BENCH_PLACES villages × 120 days).
// Prints ms and rows/s. Never asserted.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "campaign/progress.h"
#include "campaign/reconcile.h"
#include "io/gen.h"
#include "ledger/ledger.h"
#include "registry/import.h"
#include "store/sql_store.h"

using namespace canbao;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
static store::detail::SqlStore& raw(store::Store& s) { return dynamic_cast<store::detail::SqlStore&>(s); }
static int64_t env_int(const char* name, int64_t def) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : def;
}

int main() {
  const int64_t persons = env_int("CANBAO_BENCH_PERSONS", 1583685);
  const RegionCode root = *RegionCode::parse("140500");
  fs::path dir = fs::temp_directory_path() / fmt::format("canbao-bench-campaign-{}", ::getpid());
  fs::create_directories(dir);
  std::string db = (dir / "jincheng.db").string(), csv = (dir / "roster.csv").string();
  auto policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
  const Policy* pol = policies.find(root, 2024);

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
  auto st = store::open_store(db);
  auto& s = raw(*st);
  st->set_bulk_mode(true);
  t = Clock::now();
  registry::ImportOptions io;
  io.today = Date::from_ymd(2023, 12, 25);
  io.mode = registry::ImportMode::partial;
  auto ir = registry::import_roster(*st, csv, io);
  double ms = ms_since(t);
  fmt::print("import roster         {:>10} rows {:>9.0f} ms {:>10.0f} rows/s\n", ir.rows_written, ms,
             ir.rows_written / ms * 1000);
  fs::remove(csv);
  if (pol) campaign::targets_from_policy(*st, *pol);

  // Enroll everyone (registered over 2023-09-01..12-25, 1–25 of each month).
  t = Clock::now();
  {
    auto tx = st->transaction();
    s.sql_exec(
        "INSERT INTO enrollments (person, year, place_region, household, status, registered_on, note, region) "
        "SELECT id_number, 2024, hukou_region, household, 'registered', "
        "printf('2023-%02d-%02d', 9 + (abs(hukou_region + length(id_number) * 7 + CAST(substr(id_number, 15, 3) AS "
        "INTEGER)) % 4), 1 + CAST(substr(id_number, 15, 3) AS INTEGER) % 25), '', hukou_region FROM persons",
        {});
    tx.commit();
  }
  int64_t enrolled = 0;
  s.sql_query("SELECT COUNT(*) FROM enrollments", {}, [&](const store::detail::RowView& v) { enrolled = v.i(0); });
  ms = ms_since(t);
  fmt::print("enroll (triggers)     {:>10} rows {:>9.0f} ms {:>10.0f} rows/s\n", enrolled, ms, enrolled / ms * 1000);

  // Pay ~60%: payment rows with receipts, then the enrollment status (both fire triggers).
  t = Clock::now();
  {
    auto tx = st->transaction();
    s.sql_exec(
        "INSERT INTO payments (kind, person, year, enrollment, amount, channel, payer_kind, idem_key, external_txn, "
        "request_hash, collector, paid_on, created_at, receipt_region, receipt_seq, receipt_no, verify_code, clct_way, "
        "clct_type, policy, region) "
        "SELECT 'payment', person, year, id, 38000, 'wechat', 'self', 'bench-' || id, 'TX' || id, 'x', 'bench', "
        "registered_on, '2023-12-25T00:00:00Z', 140500, id, '140500-2024-' || printf('%08d', id), 'BENCH', '02', '10', "
        "'jincheng-2024', place_region FROM enrollments WHERE id % 10 < 6",
        {});
    s.sql_exec("UPDATE enrollments SET status = 'paid', paid_on = registered_on WHERE id % 10 < 6", {});
    tx.commit();
  }
  int64_t paid = 0;
  s.sql_query("SELECT COUNT(*) FROM payments", {}, [&](const store::detail::RowView& v) { paid = v.i(0); });
  ms = ms_since(t);
  fmt::print("pay 60% (triggers)    {:>10} rows {:>9.0f} ms {:>10.0f} rows/s (payment + status update)\n", paid, ms,
             paid / ms * 1000);

  t = Clock::now();
  campaign::rebuild_counters(*st);
  fmt::print("rebuild counters      {:>10} rows {:>9.0f} ms (full recount, for comparison)\n", enrolled + paid,
             ms_since(t));
  int64_t places = 0, dayrows = 0;
  s.sql_query("SELECT COUNT(*) FROM progress_totals", {}, [&](const store::detail::RowView& v) { places = v.i(0); });
  s.sql_query("SELECT COUNT(*) FROM progress_counters", {}, [&](const store::detail::RowView& v) { dayrows = v.i(0); });
  st->set_bulk_mode(false);

  Date asof = Date::from_ymd(2023, 12, 22);
  auto time_progress = [&](store::Store& x, RegionCode r, int depth, const char* label) {
    campaign::ProgressOptions o;
    o.depth = depth;
    campaign::progress(x, r, 2024, asof, o);  // warm
    const int n = 20;
    t = Clock::now();
    size_t nodes = 0;
    int64_t paidsum = 0;
    for (int i = 0; i < n; ++i) {
      auto tr = campaign::progress(x, r, 2024, asof, o);
      nodes = tr.nodes.size();
      paidsum = tr.root().now.paid;
    }
    fmt::print("{:<22}{:>10} nodes {:>8.2f} ms/query (paid {})\n", label, nodes, ms_since(t) / n, paidsum);
  };
  fmt::print("counters: {} places, {} day rows\n", places, dayrows);
  time_progress(*st, root, 1, "progress depth 1");
  time_progress(*st, root, 3, "progress depth 3");

  // Full reconciliation: tax file of every payment, treasury per county.
  std::string tax = (dir / "tax.csv").string(), tre = (dir / "treasury.csv").string();
  t = Clock::now();
  {
    std::ofstream o(tax);
    o << "elec_taxrpt_no,certno,psn_clct_amt,clct_time,taxdept_code,revs_flag,cashym,insuplc_admdvs\n";
    s.sql_query("SELECT external_txn, person, paid_on, region FROM payments ORDER BY id", {},
                [&](const store::detail::RowView& v) {
                  o << v.s(0) << ',' << v.s(1) << ",380.00," << v.s(2) << " 10:00:00,11405000000,Z,2024,"
                    << v.region(3).at_level(RegionCode::county).str() << '\n';
                });
    std::ofstream tr(tre);
    tr << "区划代码,入库人数,入库金额\n";
    for (const char* c : {"140502", "140521", "140522", "140524", "140525", "140581"}) {
      auto ct = campaign::counter_totals(*st, *RegionCode::parse(c), 2024);
      tr << c << ',' << ct.paid << ',' << Money::from_fen(ct.collected_fen + ct.subsidy_fen).yuan() << '\n';
    }
  }
  fmt::print("write tax file        {:>10} rows {:>9.0f} ms\n", paid, ms_since(t));
  campaign::ReconcileOptions ro;
  ro.year = 2024;
  ro.scope = root;
  ro.today = Date::from_ymd(2024, 3, 5);
  t = Clock::now();
  auto run = campaign::reconcile_files(*st, tax, tre, ro);
  ms = ms_since(t);
  fmt::print("reconcile (full)      {:>10} rows {:>9.0f} ms {:>10.0f} rows/s, {} mismatches, {} matched\n",
             run.tax_rows, ms, run.tax_rows / ms * 1000, run.items.size(), run.matched);
  t = Clock::now();
  auto again = campaign::rerun(*st, run.id, ro);
  ms = ms_since(t);
  fmt::print("reconcile rerun       {:>10} rows {:>9.0f} ms {:>10.0f} rows/s\n", again.tax_rows, ms,
             again.tax_rows / ms * 1000);
  st.reset();

  // Counters shaped like a 10M-person province: progress is O(places + recent day rows).
  {
    const int64_t nplaces = env_int("CANBAO_BENCH_PLACES", 32000);
    std::string db2 = (dir / "province.db").string();
    auto p = store::open_store(db2);
    auto& ps = raw(*p);
    t = Clock::now();
    {
      auto tx = p->transaction();
      int64_t k = 0;
      std::vector<std::string> days;
      for (int d = 0; d < 120; ++d) days.push_back(Date::from_ymd(2023, 9, 1).plus_days(d).str());
      for (int county = 0; county < 100 && k < nplaces; ++county)
        for (int town = 1; town <= 16 && k < nplaces; ++town)
          for (int vil = 1; vil <= 20 && k < nplaces; ++vil, ++k) {
            int64_t code = (140500 + (county / 20) * 100 + county % 20 + 1) * 1000000LL + (100 + town) * 1000 + vil;
            for (auto& day : days)
              ps.sql_exec("INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, "
                          "collected_fen, subsidy_fen) VALUES (12, ?, 2024, ?, 3, 2, 0, 76000, 0)",
                          {code, std::string_view(day)});
          }
      tx.commit();
    }
    campaign::rebuild_rollups(*p);
    fmt::print("synthetic counters    {:>10} places × 120 days ({} persons at 3/day) {:>9.0f} ms\n", nplaces,
               nplaces * 360, ms_since(t));
    time_progress(*p, *RegionCode::parse("14"), 1, "province depth 1");
    time_progress(*p, *RegionCode::parse("14"), 2, "province depth 2");
    time_progress(*p, *RegionCode::parse("140501"), 3, "county depth 3");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
