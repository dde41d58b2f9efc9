// CampaignStore over SQL (both engines; '?' placeholders, see sql_store.h).
#include "store/campaign_store.h"
#include "store/counters.h"
#include "store/sql_store.h"

namespace canbao::store::detail {
namespace {

ProgressCounts read_counts(const RowView& v, int c0) {
  return ProgressCounts{v.i(c0), v.i(c0 + 1), v.i(c0 + 2), v.i(c0 + 3), v.i(c0 + 4)};
}

// The counter level that answers for places down to code length `finest`:
// county roll-ups (lvl 6) for anything at county level or above, township
// roll-ups (lvl 9), else the places themselves (lvl 12).
int rollup_level(int finest) { return finest <= 6 ? 6 : finest <= 9 ? 9 : 12; }
int rollup_level(RegionCode scope) { return scope.empty() ? 6 : rollup_level(int(scope.level())); }

// region, year, day, counts → a day row of `lvl`.
CounterRow day_row(const RowView& v, int lvl) {
  return CounterRow{lvl, v.i(0), int(v.i(1)), std::string(v.s(2)), read_counts(v, 3)};
}
// lvl, region, year, counts → a per-year row.
CounterRow year_row(const RowView& v) { return CounterRow{int(v.i(0)), v.i(1), int(v.i(2)), {}, read_counts(v, 3)}; }

class SqlCampaignStore final : public CampaignStore {
 public:
  explicit SqlCampaignStore(SqlStore& s) : s_(s) {}

  ProgressCounts counter_totals(RegionCode scope, int year) override {
    auto [lo, hi] = region_range(scope);
    ProgressCounts c;
    s_.sql_query(
        "SELECT COALESCE(SUM(registered), 0), COALESCE(SUM(paid), 0), COALESCE(SUM(subsidised), 0), "
        "COALESCE(SUM(collected_fen), 0), COALESCE(SUM(subsidy_fen), 0) FROM progress_totals "
        "WHERE lvl = ? AND region BETWEEN ? AND ? AND year = ?",
        {rollup_level(scope), lo, hi, year}, [&](const RowView& v) { c = read_counts(v, 0); });
    return c;
  }

  std::vector<PlaceCounts> place_totals(RegionCode scope, int year, int finest) override {
    auto [lo, hi] = region_range(scope);
    std::vector<PlaceCounts> out;
    s_.sql_query(
        "SELECT region, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_totals "
        "WHERE lvl = ? AND region BETWEEN ? AND ? AND year = ?",
        {rollup_level(finest), lo, hi, year},
        [&](const RowView& v) { out.push_back({v.region(0), read_counts(v, 1)}); });
    return out;
  }

  std::vector<PlaceDayCounts> place_days_after(RegionCode scope, int year, int finest, Date after) override {
    auto [lo, hi] = region_range(scope);
    const int lvl = rollup_level(finest);
    std::string wa = after.str();
    std::vector<PlaceDayCounts> out;
    auto row = [&](const RowView& v) { out.push_back({v.region(0), std::string(v.s(1)), read_counts(v, 2)}); };
    if (lvl == 12)  // a few hundred places: all their days (primary key range)
      s_.sql_query("SELECT region, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters "
                   "WHERE lvl = 12 AND region BETWEEN ? AND ? AND year = ? AND day > ?",
                   {lo, hi, year, std::string_view(wa)}, row);
    else  // roll-ups: the recent days of every township/county ((lvl, year, day) index; `region + 0` keeps it)
      s_.sql_query("SELECT region, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters "
                   "WHERE lvl = ? AND year = ? AND day > ? AND region + 0 BETWEEN ? AND ?",
                   {lvl, year, std::string_view(wa), lo, hi}, row);
    return out;
  }

  std::vector<PlaceCounts> paid_per_place(RegionCode scope, int year) override {
    auto [lo, hi] = region_range(scope);
    std::vector<PlaceCounts> out;
    s_.sql_query("SELECT region, paid FROM progress_totals WHERE lvl = 12 AND region BETWEEN ? AND ? AND year = ? ORDER BY "
                 "region",
                 {lo, hi, year}, [&](const RowView& v) {
                   PlaceCounts p{v.region(0), {}};
                   p.counts.paid = v.i(1);
                   out.push_back(p);
                 });
    return out;
  }

  void recount(const CounterRowFn& fn) override {
    s_.sql_query(counters::recount_select(), {}, [&](const RowView& v) { fn(day_row(v, 12)); });
  }

  void counter_rows(int lvl, const CounterRowFn& fn) override {
    if (lvl == 12)
      s_.sql_query(
          "SELECT region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters "
          "WHERE lvl = 12", {}, [&](const RowView& v) { fn(day_row(v, 12)); });
    else
      s_.sql_query("SELECT region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM "
                   "progress_counters WHERE lvl = ?", {lvl}, [&](const RowView& v) { fn(day_row(v, lvl)); });
  }

  void counter_row_sums(const CounterRowFn& fn) override {
    s_.sql_query("SELECT lvl, region, year, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen), "
                 "SUM(subsidy_fen) FROM progress_counters GROUP BY lvl, region, year",
                 {}, [&](const RowView& v) { fn(year_row(v)); });
  }

  void total_rows(const CounterRowFn& fn) override {
    s_.sql_query(
        "SELECT lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_totals", {},
        [&](const RowView& v) { fn(year_row(v)); });
  }

  void recount_places() override {
    s_.sql_exec("DELETE FROM progress_counters", {});
    s_.sql_exec("DELETE FROM progress_totals", {});
    s_.sql_exec(counters::recount_insert(), {});
  }

  void rebuild_rollups() override {
    s_.sql_exec("DELETE FROM progress_counters WHERE lvl <> 12", {});
    s_.sql_exec("DELETE FROM progress_totals", {});
    for (auto& l : counters::kLevels)
      if (l.lvl != 12) s_.sql_exec(counters::rollup_insert(l), {});
    s_.sql_exec(counters::totals_insert(), {});
  }

  LedgerSums ledger_sums(RegionCode scope, int year) override {
    auto [lo, hi] = region_range(scope);
    LedgerSums out;
    s_.sql_query("SELECT COALESCE(SUM(CASE WHEN payer_kind <> 'department' THEN amount ELSE 0 END), 0), "
                 "COALESCE(SUM(CASE WHEN payer_kind = 'department' THEN amount ELSE 0 END), 0), COALESCE(SUM(amount), 0) "
                 "FROM payments WHERE year = ? AND region BETWEEN ? AND ?",
                 {year, lo, hi}, [&](const RowView& v) {
                   out.individual_fen = v.i(0);
                   out.subsidy_fen = v.i(1);
                   out.total_fen = v.i(2);
                 });
    return out;
  }

  std::vector<DepartmentSubsidy> department_subsidies(RegionCode scope, int year) override {
    auto [lo, hi] = region_range(scope);
    std::vector<DepartmentSubsidy> out;
    s_.sql_query("SELECT payer_name, COALESCE(subsidy_mode, ''), COUNT(*), SUM(amount), "
                 "COUNT(DISTINCT CASE WHEN kind = 'subsidy' AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = "
                 "p.id) THEN person END) FROM payments p WHERE payer_kind = 'department' AND year = ? AND region BETWEEN ? "
                 "AND ? GROUP BY payer_name, COALESCE(subsidy_mode, '') ORDER BY payer_name, 2",
                 {year, lo, hi}, [&](const RowView& v) {
                   out.push_back({std::string(v.s(0)), std::string(v.s(1)), v.i(4), v.i(2), v.i(3)});
                 });
    return out;
  }

  void notice_payments(int year, RegionCode scope, const std::function<void(const NoticePayment&)>& fn) override {
    auto [lo, hi] = region_range(scope);
    s_.sql_query(
        "SELECT p.region, p.person, pe.name, p.amount, p.paid_on, p.receipt_no, "
        "(SELECT COALESCE(SUM(d.amount), 0) FROM payments d WHERE d.person = p.person AND d.year = p.year AND "
        "d.payer_kind = 'department') "
        "FROM payments p JOIN persons pe ON pe.id_number = p.person "
        "JOIN enrollments e ON e.id = p.enrollment AND e.status = 'paid' "
        "WHERE p.kind = 'payment' AND p.year = ? AND p.region BETWEEN ? AND ? "
        "AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id) ORDER BY p.region, p.paid_on, p.id",
        {year, lo, hi}, [&](const RowView& v) {
          NoticePayment n;
          n.place = v.region(0);
          n.person = v.s(1);
          n.name = v.s(2);
          n.amount_fen = v.i(3);
          n.paid_on = v.date(4);
          if (!v.null(5)) n.receipt_no = v.s(5);
          n.subsidy_fen = v.i(6);
          fn(n);
        });
  }

 private:
  SqlStore& s_;
};

}  // namespace

std::unique_ptr<CampaignStore> make_campaign_store(SqlStore& s) { return std::make_unique<SqlCampaignStore>(s); }

}  // namespace canbao::store::detail
