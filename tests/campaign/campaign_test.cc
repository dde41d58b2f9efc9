// Campaign golden tests on a generated 贵池 county: targets, counters and
// roll-ups, weekly report, reconciliation with planted mismatches, fund
// flows against the ledger, lists and the public notice (never unmasked).
// SQLite always; PostgreSQL when CANBAO_PG_URL is set (own schema).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "../store/store_fixture.h"
#include "assess/assessment.h"
#include "campaign/funds.h"
#include "campaign/lists.h"
#include "campaign/progress.h"
#include "campaign/reconcile.h"
#include "campaign/weekly.h"
#include "core/id_number.h"
#include "io/gen.h"
#include "io/table.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "registry/facts_builder.h"
#include "registry/import.h"
#include "registry/rules.h"
#include "store/sql_store.h"

using namespace canbao;
using namespace canbao::campaign;
namespace fs = std::filesystem;

namespace {

const RegionCode kGuichi = *RegionCode::parse("341702");
const Date kToday = Date::from_ymd(2023, 12, 22);

RegionCode R(const char* s) { return *RegionCode::parse(s); }

store::detail::SqlStore& raw(store::Store& s) { return dynamic_cast<store::detail::SqlStore&>(s); }

int64_t q1(store::Store& s, const std::string& sql, std::initializer_list<store::detail::Param> ps = {}) {
  int64_t v = 0;
  raw(s).sql_query(sql, ps, [&](const store::detail::RowView& r) { v = r.null(0) ? 0 : r.i(0); });
  return v;
}

fs::path tmpfile(const std::string& name) {
  return fs::temp_directory_path() / (canbao::testing::unique_name("canbao_camp_") + "_" + name);
}

// A generated county with regions, targets, enrollments and ledger payments.
struct World {
  std::string engine, url, schema;
  store::OpenOptions opt;
  std::unique_ptr<ledger::StorePool> pool;
  ledger::PolicySet policies;
  std::unique_ptr<ledger::Ledger> led;
  std::vector<std::string> townships;  // codes
  std::map<std::string, std::vector<store::Person>> households;
  int64_t paid_rows = 0;

  ~World() {
    led.reset();
    pool.reset();
    if (engine == "postgresql") canbao::testing::pg_drop_schema(schema);
    else {
      std::error_code ec;
      for (auto s : {"", "-wal", "-shm"}) fs::remove(url + s, ec);
    }
  }
};

std::unique_ptr<World> build_world(const std::string& engine) {
  auto w = std::make_unique<World>();
  w->engine = engine;
  if (engine == "postgresql") {
    w->url = canbao::testing::pg_url();
    w->schema = canbao::testing::unique_name("canbao_camp");
    w->opt.pg_schema = w->schema;
  } else {
    w->url = tmpfile("world.db").string();
  }
  w->pool = std::make_unique<ledger::StorePool>(w->url, w->opt, 4);
  w->policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
  const Policy* guichi = w->policies.find(kGuichi, 2024);
  if (!guichi) throw std::runtime_error("no guichi policy");
  auto csv = tmpfile("roster.csv");
  {
    std::ofstream out(csv);
    io::GenOptions g;
    g.region = kGuichi;
    g.persons = 2500;
    g.seed = 11;
    g.window_open = Date::from_ymd(2023, 9, 10);
    g.window_close = Date::from_ymd(2023, 12, 31);
    io::generate_roster(g, out);
  }
  auto l = w->pool->lease();
  registry::ImportOptions io;
  io.today = kToday;
  io.mode = registry::ImportMode::partial;
  auto ir = registry::import_roster(*l, csv.string(), io);
  fs::remove(csv);
  if (ir.rows_written < 2000) throw std::runtime_error("roster import wrote too few rows");
  // Division tree: townships named after the document's units, villages numbered.
  std::set<RegionCode> villages, towns;
  l->scan_persons(kGuichi, 5000, [&](std::span<const store::Person> ps) {
    for (auto& p : ps) {
      w->households[p.household].push_back(p);
      if (p.hukou.level() == RegionCode::village && p.hukou.inside(kGuichi)) {
        villages.insert(p.hukou);
        towns.insert(p.hukou.at_level(RegionCode::township));
      }
    }
  });
  std::vector<store::Region> regs = {{R("34"), "安徽省"}, {R("3417"), "池州市"}, {kGuichi, "贵池区"}};
  std::vector<std::string> names;
  for (auto& t : guichi->targets)
    if (t.unit != "经济开发区" && t.unit != "高校") names.push_back(t.unit);
  std::map<RegionCode, std::string> tn;
  size_t k = 0;
  for (auto& t : towns) {
    tn[t] = k < names.size() ? names[k] : "乡镇" + std::to_string(k);
    regs.push_back({t, tn[t]});
    w->townships.push_back(t.str());
    ++k;
  }
  std::map<RegionCode, int> nv;
  for (auto& v : villages) regs.push_back({v, tn[v.at_level(RegionCode::township)] + std::to_string(++nv[v.at_level(RegionCode::township)]) + "村"});
  l->put_regions(regs);
  targets_from_policy(*l, *guichi);
  // Enroll ~90% of households (whole households), on spread days.
  std::mt19937_64 rng(5);
  for (auto& [hh, members] : w->households) {
    if (hh.empty() || rng() % 10 == 0) continue;
    auto h = l->household(hh);
    if (!h || !h->region.inside(kGuichi)) continue;
    std::vector<std::string> ids;
    for (auto& m : registry::household_status(*l, hh, 2024, {}, kToday))
      if (m.why == registry::Accounted::not_accounted) ids.push_back(m.id_number);
    if (ids.empty()) continue;
    Date day = Date::from_ymd(2023, 9, 10).plus_days(int(rng() % 90));
    try {
      registry::enroll_household(*l, {hh, ids, 2024, h->region, day, "test"});
    } catch (const registry::RegistryError&) {
    }
  }
  // Pay for ~65% of enrolled households through the ledger.
  w->led = std::make_unique<ledger::Ledger>(*w->pool, w->policies);
  std::vector<ledger::PaymentRequest> reqs;
  for (auto& [hh, members] : w->households) {
    if (rng() % 100 >= 65) continue;
    Date day = Date::from_ymd(2023, 9, 10).plus_days(int(rng() % 104));  // to 2023-12-22
    for (auto& p : members) {
      auto enr = l->enrollments_of(p.id_number, 2024);
      if (enr.empty() || enr[0].status != store::EnrollmentStatus::registered) continue;
      const Policy* pol = w->policies.find(enr[0].place, 2024);
      registry::FactsChunk fc;
      registry::fill_facts(*l, {p}, 2024, fc);
      auto f = fc.facts.at(0);
      f.has_paid_on = true;
      f.paid_on = day;
      Assessment a;
      assess(*pol, f, day, a);
      if (!a.eligible || !a.due_known || a.payment != PaymentStatus::accepted) continue;
      ledger::PaymentRequest r;
      r.idempotency_key = "t-" + std::to_string(reqs.size() + 1);
      r.person = p.id_number;
      r.year = 2024;
      r.amount_fen = a.due.fen;
      static const char* chans[] = {"wechat", "village_collector", "alipay", "tax_hall"};
      r.channel = chans[rng() % 4];
      r.external_txn = "TX" + std::to_string(reqs.size() + 1);
      r.paid_on = day;
      reqs.push_back(r);
    }
  }
  {
    auto drop = std::move(l);
  }
  std::atomic<int64_t> ok{0};
  std::vector<std::thread> ts;
  ledger::Actor actor{"test", "admin", kGuichi, ""};
  for (size_t t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (size_t i = t; i < reqs.size(); i += 8)
        if (w->led->pay(actor, reqs[i], kToday).ok) ++ok;
    });
  for (auto& t : ts) t.join();
  w->paid_rows = ok.load();
  return w;
}

class CampaignTest : public ::testing::TestWithParam<std::string> {
 protected:
  static std::map<std::string, std::unique_ptr<World>>& worlds() {
    static std::map<std::string, std::unique_ptr<World>> m;
    return m;
  }
  static void TearDownTestSuite() { worlds().clear(); }
  void SetUp() override {
    if (GetParam() == "postgresql" && canbao::testing::pg_url().empty())
      GTEST_SKIP() << "PostgreSQL tests skipped: CANBAO_PG_URL is not set";
    auto& w = worlds()[GetParam()];
    if (!w) w = build_world(GetParam());
    w_ = w.get();
  }
  World* w_ = nullptr;
  ledger::Actor admin_{"test", "admin", kGuichi, ""};
};

// Σ children == parent at every node; every report level sums to the root.
void expect_adds_up(const ProgressTree& t) {
  for (auto& n : t.nodes) {
    if (n.children.empty()) continue;
    Counts now, week;
    int64_t target = 0;
    bool any_target = false;
    for (int c : n.children) {
      now += t.nodes[size_t(c)].now;
      week += t.nodes[size_t(c)].week_ago;
      if (t.nodes[size_t(c)].has_target) {
        any_target = true;
        target += t.nodes[size_t(c)].target;
      }
    }
    EXPECT_EQ(now, n.now) << n.label();
    EXPECT_EQ(week, n.week_ago) << n.label();
    if (any_target) EXPECT_EQ(target, n.target) << n.label();
  }
  for (int d = 1; d <= t.max_depth(); ++d) {
    Counts sum;
    for (int i : t.level_rows(d)) sum += t.nodes[size_t(i)].now;
    EXPECT_EQ(sum, t.root().now) << "level " << d;
  }
}

}  // namespace

// ---------------------------------------------------------------- targets

TEST(CampaignTargets, SeedTotalsThroughTheStore) {
  auto policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
  struct Case {
    const char* region;
    int64_t total;
    size_t units;
  } cases[] = {{"341702", 510000, 22}, {"421223200", 31053, 10}, {"140500", 1583685, 6}, {"150424101", 10793, 1}};
  for (auto& c : cases) {
    auto db = tmpfile("targets.db");
    auto st = store::open_store(db.string());
    const Policy* p = policies.find(R(c.region), 2024);
    ASSERT_NE(p, nullptr) << c.region;
    auto r = targets_from_policy(*st, *p);
    EXPECT_EQ(r.rows, int64_t(c.units));
    EXPECT_EQ(r.total, c.total);
    auto t = progress(*st, p->region, 2024, kToday);
    ASSERT_TRUE(t.root().has_target) << c.region;
    EXPECT_EQ(t.root().target, c.total) << c.region;
    expect_adds_up(t);
    if (std::string(c.region) == "421223200") {
      int64_t pop = 0, xhb = 0;
      for (int ch : t.root().children) {
        auto j = nlohmann::json::parse(t.nodes[size_t(ch)].target_extra);
        pop += j.value("总人口", int64_t{0});
        xhb += j.value("咸惠保应参保人数", int64_t{0});
      }
      EXPECT_EQ(pop, 39140);
      EXPECT_EQ(xhb, 7997);
    }
    if (std::string(c.region) == "140500") {
      EXPECT_EQ(t.root().children.size(), 6u);  // six county rows with their own codes
      for (int ch : t.root().children) EXPECT_EQ(t.nodes[size_t(ch)].region.level(), RegionCode::county);
    }
    st.reset();
    std::error_code ec;
    for (auto s : {"", "-wal", "-shm"}) fs::remove(db.string() + s, ec);
  }
}

TEST(CampaignWeeks, IsoWeeks) {
  auto w = parse_iso_week("2023-W51");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->monday.str(), "2023-12-18");
  EXPECT_EQ(w->friday.str(), "2023-12-22");
  EXPECT_EQ(iso_week_of(Date::from_ymd(2024, 12, 30)).str(), "2025-W01");
  EXPECT_EQ(iso_week_of(Date::from_ymd(2021, 1, 3)).str(), "2020-W53");
  EXPECT_FALSE(parse_iso_week("2023-W53"));
  EXPECT_FALSE(parse_iso_week("2023-13"));
  EXPECT_EQ(campaign_year_of(Date::from_ymd(2023, 11, 3)), 2024);
}

// ----------------------------------------------------- counters & progress

TEST_P(CampaignTest, CountersEqualRecountAndRollUpsAddUp) {
  auto l = w_->pool->lease();
  ASSERT_GT(w_->paid_rows, 500);
  EXPECT_EQ(verify_counters(*l, 2024), std::vector<std::string>{});
  auto t = progress(*l, kGuichi, 2024, kToday);
  EXPECT_EQ(t.root().target, 510000);
  EXPECT_EQ(t.root().now.registered,
            q1(*l, "SELECT COUNT(*) FROM enrollments WHERE year = 2024 AND status IN ('registered', 'paid')"));
  EXPECT_EQ(t.root().now.paid, q1(*l, "SELECT COUNT(*) FROM enrollments WHERE year = 2024 AND status = 'paid'"));
  EXPECT_EQ(t.root().now.collected_fen,
            q1(*l, "SELECT SUM(amount) FROM payments WHERE year = 2024 AND payer_kind <> 'department'"));
  EXPECT_EQ(t.root().now.subsidy_fen,
            q1(*l, "SELECT SUM(amount) FROM payments WHERE year = 2024 AND payer_kind = 'department'"));
  EXPECT_EQ(t.root().now.subsidised,
            q1(*l, "SELECT COUNT(DISTINCT person) FROM payments WHERE year = 2024 AND kind = 'subsidy'"));
  EXPECT_EQ(t.root().change().paid,
            q1(*l, "SELECT COUNT(*) FROM enrollments WHERE year = 2024 AND status = 'paid' AND paid_on > '2023-12-15' "
                   "AND paid_on <= '2023-12-22'"));
  // As of an earlier day: a recount of rows dated up to that day.
  auto early = progress(*l, kGuichi, 2024, Date::from_ymd(2023, 10, 31));
  EXPECT_EQ(early.root().now.paid, q1(*l, "SELECT COUNT(*) FROM enrollments WHERE year = 2024 AND status = 'paid' AND "
                                          "paid_on <= '2023-10-31'"));
  expect_adds_up(t);
  expect_adds_up(early);
  // Depth 1 reads the township roll-ups (lvl 9), depth 3 the places: same figures.
  for (Date d : {kToday, Date::from_ymd(2023, 10, 31)}) {
    ProgressOptions o1;
    o1.depth = 1;
    auto a = progress(*l, kGuichi, 2024, d, o1), b = progress(*l, kGuichi, 2024, d);
    ASSERT_EQ(a.root().children.size(), b.root().children.size());
    EXPECT_EQ(a.root().now, b.root().now);
    EXPECT_EQ(a.root().week_ago, b.root().week_ago);
    for (size_t i = 0; i < a.root().children.size(); ++i) {
      auto& x = a.nodes[size_t(a.root().children[i])];
      auto& y = b.nodes[size_t(b.root().children[i])];
      EXPECT_EQ(x.label(), y.label());
      EXPECT_EQ(x.now, y.now) << x.label();
      EXPECT_EQ(x.week_ago, y.week_ago) << x.label();
      EXPECT_EQ(x.rank, y.rank) << x.label();
    }
    // and a city root reads the county roll-ups (lvl 6)
    auto c = progress(*l, R("3417"), 2024, d, o1);
    EXPECT_EQ(c.root().now, b.root().now);
  }
  // Generated townships carry the first document names; the other target
  // units (and 经济开发区, 高校) have no code and stay rows under 贵池区.
  int units = 0, towns = 0;
  for (int c : t.root().children) {
    auto& n = t.nodes[size_t(c)];
    if (n.kind == ProgressNode::Kind::unit) ++units;
    if (n.kind == ProgressNode::Kind::region) ++towns;
    if (n.has_target) EXPECT_GE(n.rank, 1);
  }
  EXPECT_EQ(towns, int(w_->townships.size()));
  EXPECT_EQ(units, 22 - towns);
  auto j = t.to_json();
  EXPECT_EQ(j["total"]["target"], 510000);
  EXPECT_EQ(j["items"].size(), t.root().children.size());

  // A reversal: counters follow in the same transaction.
  auto rows = w_->led->list(*l, admin_, {2024, {}, "", "", "payment", std::nullopt, std::nullopt, 0, 1}, nullptr);
  ASSERT_FALSE(rows.empty());
  auto before = counter_totals(*l, kGuichi, 2024);
  auto rv = w_->led->reverse(admin_, rows[0].id, "测试冲正", "rev-test-1", kToday);
  ASSERT_TRUE(rv.ok) << rv.refusal.message;
  auto after = counter_totals(*l, kGuichi, 2024);
  EXPECT_EQ(after.paid, before.paid - 1);
  EXPECT_EQ(after.collected_fen, before.collected_fen - rows[0].amount_fen);
  EXPECT_EQ(verify_counters(*l, 2024), std::vector<std::string>{});
  // Rebuild gives the same counters.
  rebuild_counters(*l);
  EXPECT_EQ(counter_totals(*l, kGuichi, 2024), after);
  EXPECT_EQ(verify_counters(*l, 2024), std::vector<std::string>{});
}

TEST_P(CampaignTest, WeeklyReportXlsxAndJson) {
  auto l = w_->pool->lease();
  auto wk = *parse_iso_week("2023-W51");
  auto r = weekly_report(*l, kGuichi, 2024, wk);
  auto j = r.to_json();
  EXPECT_EQ(j["as_of"], "2023-12-22");
  ASSERT_GE(j["levels"].size(), 2u);
  for (auto& lv : j["levels"]) {
    int64_t paid = 0;
    for (auto& row : lv["rows"]) paid += row["paid"].get<int64_t>();
    EXPECT_EQ(paid, j["total"]["paid"].get<int64_t>()) << lv["label"];
  }
  EXPECT_EQ(j["levels"][0]["label"], "乡镇（街道）");
  EXPECT_EQ(j["levels"][1]["label"], "村（社区）");
  auto out = tmpfile("weekly.xlsx");
  write_weekly_xlsx(r, out.string());
  auto t = io::open_table(out.string(), "乡镇（街道）进度");
  EXPECT_EQ(t->header().at(2), "单位");
  io::Row row;
  std::string last;
  int64_t n = 0;
  while (t->next(row)) {
    last = row.cells.at(0);
    ++n;
  }
  EXPECT_EQ(last, "合计");
  EXPECT_EQ(n, int64_t(j["levels"][0]["rows"].size()) + 1);
  fs::remove(out);
}

// ------------------------------------------------------------ reconciliation

TEST_P(CampaignTest, ReconciliationFindsExactlyThePlantedMismatches) {
  auto l = w_->pool->lease();
  auto& s = raw(*l);
  // The tax bureau's file from the ledger (individual payments > 0, not reversed).
  struct TaxRow {
    std::string txn, id, name, amount, time, unit;
  };
  std::vector<TaxRow> rows;
  s.sql_query("SELECT p.external_txn, p.person, pe.name, p.amount, p.paid_on, p.region FROM payments p JOIN persons pe "
              "ON pe.id_number = p.person WHERE p.kind = 'payment' AND p.year = 2024 AND p.amount > 0 AND NOT EXISTS "
              "(SELECT 1 FROM payments r WHERE r.reverses = p.id) ORDER BY p.id",
              {}, [&](const store::detail::RowView& v) {
                auto unit = v.region(5).at_level(RegionCode::township);
                rows.push_back({std::string(v.s(0)), std::string(v.s(1)), std::string(v.s(2)),
                                Money::from_fen(v.i(3)).yuan(), std::string(v.s(4)) + " 10:00:00", unit.str()});
              });
  ASSERT_GT(rows.size(), 50u);
  // Plant one of each kind.
  std::string dropped = rows[3].id;              // platform_only
  rows.erase(rows.begin() + 3);
  std::string amount_person = rows[5].id;        // amount_differs
  rows[5].amount = Money::from_fen(Money::parse_yuan(rows[5].amount)->fen + 100).yuan();
  std::string unit_person = rows[7].id;          // wrong_unit
  for (auto& t : w_->townships)
    if (t != rows[7].unit) {
      rows[7].unit = t;
      break;
    }
  std::string dup_person = rows[9].id;           // tax_duplicate
  rows.push_back(rows[9]);
  rows.back().txn = "DUP-1";
  // tax_only: an enrolled person who has not paid, with the amount due.
  std::string unpaid_id;
  int64_t due = 0;
  {
    registry::FactsChunk fc;
    s.sql_query("SELECT person FROM enrollments WHERE year = 2024 AND status = 'registered' ORDER BY id", {},
                [&](const store::detail::RowView& v) {
                  if (!unpaid_id.empty()) return;
                  auto p = l->person(v.s(0));
                  registry::fill_facts(*l, {*p}, 2024, fc);
                  auto f = fc.facts.at(0);
                  f.has_paid_on = true;
                  f.paid_on = Date::from_ymd(2023, 12, 20);
                  Assessment a;
                  assess(*w_->policies.find(kGuichi, 2024), f, f.paid_on, a);
                  if (a.eligible && a.due_known && a.due.fen > 0 && a.payment == PaymentStatus::accepted) {
                    unpaid_id = p->id_number;
                    due = a.due.fen;
                  }
                });
  }
  ASSERT_FALSE(unpaid_id.empty());
  auto unpaid_enr = l->enrollments_of(unpaid_id, 2024).at(0);
  rows.push_back({"LATE-1", unpaid_id, "", Money::from_fen(due).yuan(), "2023-12-20 09:00:00",
                  unpaid_enr.place.at_level(RegionCode::township).str()});
  // Files.
  auto tax = tmpfile("tax.csv"), tre = tmpfile("treasury.csv");
  {
    std::ofstream o(tax);
    o << "elec_taxrpt_no,certno,psn_name,psn_clct_amt,clct_time,taxdept_code,revs_flag,cashym,insuplc_admdvs\n";
    for (auto& r : rows)
      o << r.txn << "," << r.id << "," << r.name << "," << r.amount << "," << r.time << ",13417020000,Z,2024," << r.unit
        << "\n";
  }
  {
    std::ofstream o(tre);
    o << "单位,区划代码,入库人数,入库金额\n";
    bool planted = false;
    for (auto& t : w_->townships) {
      auto c = counter_totals(*l, R(t.c_str()), 2024);
      if (c.paid == 0) continue;
      int64_t n = c.paid;
      if (!planted && t != unpaid_enr.place.at_level(RegionCode::township).str()) {
        n -= 1;  // treasury_differs
        planted = true;
      }
      o << l->region(R(t.c_str()))->name << "," << t << "," << n << ","
        << Money::from_fen(c.collected_fen + c.subsidy_fen).yuan() << "\n";
    }
    o << "合计,,0,0\n";
  }
  ReconcileOptions ro;
  ro.year = 2024;
  ro.scope = kGuichi;
  ro.today = Date::from_ymd(2024, 3, 5);
  auto run = reconcile_files(*l, tax.string(), tre.string(), ro);
  auto by = run.count_by_kind();
  EXPECT_EQ(by["tax_only"], 1);
  EXPECT_EQ(by["platform_only"], 1);
  EXPECT_EQ(by["amount_differs"], 1);
  EXPECT_EQ(by["wrong_unit"], 1);
  EXPECT_EQ(by["tax_duplicate"], 1);
  EXPECT_EQ(by["treasury_differs"], 1);
  EXPECT_EQ(run.items.size(), 6u);
  std::map<std::string, std::string> who;
  for (auto& m : run.items) who[std::string(mismatch_id(m.kind))] = m.person;
  EXPECT_EQ(who["tax_only"], unpaid_id);
  EXPECT_EQ(who["platform_only"], dropped);
  EXPECT_EQ(who["amount_differs"], amount_person);
  EXPECT_EQ(who["wrong_unit"], unit_person);
  EXPECT_EQ(who["tax_duplicate"], dup_person);
  // Both sides shown.
  for (auto& m : run.items) {
    EXPECT_FALSE(m.tax.is_null());
    EXPECT_FALSE(m.platform.is_null());
    EXPECT_FALSE(m.action.empty());
  }
  // Stored; JSON masked.
  auto loaded = load_run(*l, run.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->items.size(), 6u);
  std::string js = run.to_json().dump();
  EXPECT_EQ(js.find(unpaid_id), std::string::npos);
  auto xl = tmpfile("rec.xlsx");
  write_reconcile_xlsx(run, xl.string());
  EXPECT_TRUE(fs::exists(xl));
  // Correction through the ledger: record the late tax payment, then re-run the same inputs.
  ledger::PaymentRequest pr;
  pr.idempotency_key = "tax:LATE-1";
  pr.person = unpaid_id;
  pr.year = 2024;
  pr.amount_fen = due;
  pr.channel = "tax_hall";
  pr.external_txn = "LATE-1";
  pr.paid_on = Date::from_ymd(2023, 12, 20);
  auto po = w_->led->pay(admin_, pr, kToday);
  ASSERT_TRUE(po.ok) << po.refusal.message;
  auto again = rerun(*l, run.id, ro);
  EXPECT_EQ(again.inputs_from, run.id);
  auto by2 = again.count_by_kind();
  EXPECT_EQ(by2["tax_only"], 0);
  EXPECT_EQ(by2["platform_only"], 1);
  EXPECT_EQ(by2["amount_differs"], 1);
  EXPECT_EQ(by2["wrong_unit"], 1);
  EXPECT_EQ(by2["tax_duplicate"], 1);
  EXPECT_GE(list_runs(*l, 2024).size(), 2u);
  for (auto& f : {tax, tre, xl}) fs::remove(f);
}

// ------------------------------------------------------------- fund flows

TEST_P(CampaignTest, FundFlowsEqualTheLedgerToTheFen) {
  auto l = w_->pool->lease();
  const Policy* g = w_->policies.find(kGuichi, 2024);
  auto f = fund_flows(*l, 2024, kGuichi, g);
  EXPECT_EQ(f.total_per_person_fen, 102000);  // 640 + 380
  EXPECT_EQ(f.insured, q1(*l, "SELECT COUNT(*) FROM enrollments WHERE year = 2024 AND status = 'paid'"));
  EXPECT_EQ(f.ledger_total_fen, q1(*l, "SELECT SUM(amount) FROM payments WHERE year = 2024"));
  EXPECT_EQ(f.individual_fen + f.subsidy_fen, f.ledger_total_fen);
  int64_t by_payer = 0;
  for (auto& x : f.subsidies) by_payer += x.amount_fen;
  EXPECT_EQ(by_payer, f.subsidy_fen);
  EXPECT_EQ(f.subsidy_fen, q1(*l, "SELECT SUM(amount) FROM payments WHERE year = 2024 AND payer_kind = 'department'"));
  EXPECT_EQ(f.agent_fee_per_person_fen, 100);
  EXPECT_EQ(f.agent_fee_total_fen, f.insured * 100);
  int64_t fee = 0;
  for (auto& a : f.agent_fees) fee += a.fee_fen;
  EXPECT_EQ(fee, f.agent_fee_total_fen);
  EXPECT_EQ(f.fiscal_total_fen, f.insured * 64000);
  EXPECT_EQ(f.fund_total_fen, f.fiscal_total_fen + f.ledger_total_fen);
  auto xl = tmpfile("funds.xlsx");
  write_funds_xlsx(f, xl.string());
  fs::remove(xl);
}

TEST(CampaignFunds, XinchengziFiscalSplit) {
  auto policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
  const Policy* p = policies.find(R("150424101"), 2024);
  ASSERT_NE(p, nullptr);
  auto db = tmpfile("xcz.db");
  auto st = store::open_store(db.string());
  // 3 paid enrollments written directly (the counters follow by trigger).
  std::string ids[] = {canbao::testing::make_id("150424", "19700101", 11), canbao::testing::make_id("150424", "19800101", 21),
                       canbao::testing::make_id("150424", "19900101", 31)};
  std::vector<store::Person> ps;
  for (auto& id : ids) {
    store::Person x;
    x.id_number = id;
    x.name = "王小明";
    x.birth = Date::from_ymd(1970, 1, 1);
    x.hukou = R("150424101201");
    ps.push_back(x);
  }
  st->put_persons(ps);
  for (auto& id : ids) {
    store::Enrollment e;
    e.person = id;
    e.year = 2024;
    e.place = R("150424101201");
    e.status = store::EnrollmentStatus::paid;
    e.registered_on = e.paid_on = Date::from_ymd(2023, 10, 1);
    st->add_enrollment(e);
  }
  auto f = fund_flows(*st, 2024, p->region, p);
  ASSERT_EQ(f.fiscal.size(), 4u);
  EXPECT_EQ(f.fiscal[0].per_person_fen, 51200);
  EXPECT_EQ(f.fiscal[1].per_person_fen, 8960);
  EXPECT_EQ(f.fiscal[2].per_person_fen, 1280);
  EXPECT_EQ(f.fiscal[3].per_person_fen, 2560);
  int64_t sum = 0;
  for (auto& x : f.fiscal) sum += x.total_fen;
  EXPECT_EQ(f.insured, 3);
  EXPECT_EQ(sum, 3 * 64000);
  EXPECT_EQ(f.total_per_person_fen, 104000);  // 640 + 400
  st.reset();
  std::error_code ec;
  for (auto s : {"", "-wal", "-shm"}) fs::remove(db.string() + s, ec);
}

// ----------------------------------------------------- lists and the notice

TEST_P(CampaignTest, MobilisationLists) {
  auto l = w_->pool->lease();
  ListOptions o;
  o.year = 2024;
  o.scope = kGuichi;
  o.today = kToday;
  auto m = mobilisation_lists(*l, w_->policies, o);
  int64_t registered_unpaid = 0;
  for (auto& r : m.unpaid) {
    EXPECT_NE(r.status, "");
    if (r.status == "已登记未缴费") ++registered_unpaid;
  }
  // Every registered-unpaid enrollment in scope is listed (eligible ones; all are in this county).
  EXPECT_EQ(registered_unpaid, q1(*l, "SELECT COUNT(*) FROM enrollments WHERE year = 2024 AND status = 'registered'"));
  for (auto& r : m.subsidised_unenrolled) EXPECT_TRUE(r.subsidy_fen > 0 || !r.subsidy.empty());
  auto xl = tmpfile("mob.xlsx");
  write_mobilisation_xlsx(m, xl.string());
  auto t = io::open_table(xl.string(), "未缴费人员");
  io::Row row;
  std::regex full_id("[0-9]{17}[0-9X]");
  int64_t n = 0;
  while (t->next(row)) {
    ++n;
    for (auto& c : row.cells) EXPECT_FALSE(std::regex_search(c, full_id)) << c;
  }
  EXPECT_EQ(n, int64_t(m.unpaid.size()));
  fs::remove(xl);
  // Lapsed: a person paid for 2023 but not enrolled for 2024.
  auto any = m.unpaid.empty() ? std::string() : m.unpaid.front().person;
  if (!any.empty()) {
    store::Enrollment e;
    e.person = any;
    e.year = 2023;
    e.place = m.unpaid.front().village;
    e.status = store::EnrollmentStatus::paid;
    e.registered_on = e.paid_on = Date::from_ymd(2022, 10, 1);
    l->add_enrollment(e);
    auto m2 = mobilisation_lists(*l, w_->policies, o);
    bool found = false;
    for (auto& r : m2.lapsed) found |= r.person == any;
    EXPECT_EQ(found, m.unpaid.front().status == "未登记");
  }
}

TEST_P(CampaignTest, PublicNoticeNeverShowsAnUnmaskedIdOrName) {
  auto l = w_->pool->lease();
  auto n = public_notice(*l, 2024, kGuichi, w_->policies.find(kGuichi, 2024));
  ASSERT_GT(n.rows.size(), 100u);
  EXPECT_EQ(int64_t(n.rows.size()),
            q1(*l, "SELECT COUNT(*) FROM payments p JOIN enrollments e ON e.id = p.enrollment WHERE p.kind = 'payment' "
                   "AND p.year = 2024 AND e.status = 'paid' AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = "
                   "p.id)"));
  std::string html = notice_html(n);
  std::string js = n.to_json().dump();
  auto xl = tmpfile("notice.xlsx");
  write_notice_xlsx(n, xl.string());
  std::string cells;
  {
    auto t = io::open_table(xl.string(), "公示");
    io::Row row;
    while (t->next(row))
      for (auto& c : row.cells) cells += c + "\n";
  }
  fs::remove(xl);
  EXPECT_NE(html.find("汇总上报镇（街道）医保站"), std::string::npos);
  std::regex full_id("[0-9]{17}[0-9X]");
  for (auto* text : {&html, &js, &cells}) {
    EXPECT_FALSE(std::regex_search(*text, full_id));
    EXPECT_NE(text->find("********"), std::string::npos);
  }
  // No full ID or name of any person appears.
  int checked = 0;
  l->scan_persons(kGuichi, 5000, [&](std::span<const store::Person> ps) {
    for (auto& p : ps) {
      for (auto* text : {&html, &js, &cells}) {
        ASSERT_EQ(text->find(p.id_number), std::string::npos);
        if (p.name.size() >= 6) ASSERT_EQ(text->find(p.name), std::string::npos) << mask_name(p.name);
      }
      ++checked;
    }
  });
  EXPECT_GT(checked, 2000);
}

INSTANTIATE_TEST_SUITE_P(Engines, CampaignTest, ::testing::Values(std::string("sqlite"), std::string("postgresql")),
                         [](const auto& info) { return info.param; });
