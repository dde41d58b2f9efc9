// The progress counters of migration 3, described once.
//
// What is counted (columns), at which levels (the place and its township
// and county roll-ups) and which enrollment states count on which day is a
// small table here; the SQL that keeps the counters (SQLite triggers,
// PostgreSQL plpgsql), fills them (the migration's backfill) and checks
// them (CampaignStore's recount) is rendered from it, so an incremental
// trigger and a recount cannot drift apart. Migration 3 is applied history:
// its rendered text must stay byte-for-byte what it was
// (tests/store/fixtures/migration3*.sql hold the original text,
// tests/store/counters_test.cc compares).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace canbao::store::counters {

// A counted column and its parameter name in PostgreSQL's progress_add().
struct Column {
  std::string_view name, pg_param;
};
inline constexpr std::array<Column, 5> kColumns{{{"registered", "p_reg"},
                                                 {"paid", "p_paid"},
                                                 {"subsidised", "p_sub"},
                                                 {"collected_fen", "p_col"},
                                                 {"subsidy_fen", "p_sf"}}};

// A counter level: lvl 12 counts at the place's own code; 9 and 6 at the
// code truncated to the township / county (code / unit * unit), so a wide
// view reads a few rows per township or county.
struct Level {
  int lvl;
  int64_t unit;  // 1 = the code itself
};
inline constexpr std::array<Level, 3> kLevels{{{12, 1}, {9, 1000}, {6, 1000000}}};

// The enrollment columns the counters read, as the ledger writer holds them
// (dates as stored text, "" for NULL).
struct EnrollmentState {
  int64_t place = 0;  // place_region, padded code
  int year = 0;
  std::string status, registered_on, paid_on;
};

// An enrollment counts 1 in `column` while its status satisfies `when`, on
// the day `day` ({r} stands for the row: "", "NEW." or "OLD."). The first
// event's condition holds whenever any other's does. `holds` and `day_of`
// say the same in C++ for the ledger writer's per-batch deltas (Deltas);
// tests/ledger/writer_counters_test.cc holds them to the recount.
struct EnrollmentEvent {
  std::string_view column, when, day;
  bool (*holds)(std::string_view status);
  std::string_view (*day_of)(const EnrollmentState& e);
};
inline bool counts_registered(std::string_view s) { return s == "registered" || s == "paid"; }
inline bool counts_paid(std::string_view s) { return s == "paid"; }
inline std::string_view registered_day(const EnrollmentState& e) {
  return !e.registered_on.empty() ? std::string_view(e.registered_on) : "1970-01-01";
}
inline std::string_view paid_day(const EnrollmentState& e) {
  return !e.paid_on.empty() ? std::string_view(e.paid_on) : registered_day(e);
}
inline constexpr std::array<EnrollmentEvent, 2> kEnrollmentEvents{{
    {"registered", "status IN ('registered', 'paid')", "COALESCE({r}registered_on, '1970-01-01')", counts_registered,
     registered_day},
    {"paid", "status = 'paid'", "COALESCE({r}paid_on, {r}registered_on, '1970-01-01')", counts_paid, paid_day},
}};
// The enrollment columns the events read: an update touching none of them
// leaves the counters alone.
inline constexpr std::array<std::string_view, 5> kEnrollmentKeys{"status", "place_region", "year", "registered_on",
                                                                 "paid_on"};
// Payments count their amount as collected_fen (an individual payer) or
// subsidy_fen (a department) and mark the first unreversed department
// subsidy of a person and year as subsidised. That rule reads other rows and
// is phrased differently as an increment and as a recount, so the payment
// parts are written out per use in counters.cc, next to each other.

// Migration 3's backfill, roll-ups and totals (between its CREATE TABLEs and
// the reconciliation tables), ';'-terminated statements.
const std::string& migration3_counters();
// Migration 3's per-dialect scripts: the triggers.
const std::string& sqlite_triggers();
const std::string& postgresql_triggers();

// The per-place (lvl 12) day rows recomputed from enrollments and payments:
// region, year, day, then the counted columns.
const std::string& recount_select();
// The same with a leading lvl column 12, as progress_counters' rows.
const std::string& recount_insert();
// Rebuilds one roll-up level (9 or 6) of progress_counters from lvl 12.
std::string rollup_insert(const Level& l);
// Rebuilds progress_totals from progress_counters at every level.
const std::string& totals_insert();

// ------------------------------------------------------------ the ledger writer
// The ledger writer keeps the counters itself: per batch it adds up the
// changes of the rows it wrote (Deltas) and applies them with one multi-row
// upsert per table, instead of one trigger call per row. Migration 8 guards
// the two triggers its rows fire (payments insert, enrollments update) so
// they stand aside inside a writer transaction that took the counters over
// (LedgerStore::take_over_counters) and keep counting for every other writer
// (registry imports, enrollment changes, campaign code, SQL by hand): those
// write few rows per transaction, and a trigger cannot be forgotten by a
// future writer, which a hand-kept delta could.

// The payment trigger's `subsidised` rule for one department row: a subsidy
// counts +1 when it is its person's and year's only standing subsidy, a
// reversal -1 when it leaves none standing. `standing_after`: unreversed
// subsidy rows of the person and year once the row is written (a reversal's
// target no longer counts). Rows of other payers change nothing.
int subsidised_change(std::string_view kind, bool department, int64_t standing_after);

// The counters' change of one writer batch at the place level; the roll-ups
// follow from kLevels when applied.
class Deltas {
 public:
  // An enrollment row moving from `before` to `after` (each event: -1 on the
  // old row's key while its condition held, +1 on the new one's).
  void enrollment(const EnrollmentState& before, const EnrollmentState& after);
  // A payments row (the payment trigger's amounts): `department` rows count in
  // subsidy_fen, others in collected_fen; `subsidised` from subsidised_change.
  void payment(int64_t region, int year, std::string_view paid_on, bool department, int64_t amount, int subsidised);
  bool empty() const;

  // One row to add: day is "" for progress_totals rows.
  struct Row {
    int lvl = 12;
    int64_t region = 0;
    int year = 0;
    std::string day;
    std::array<int64_t, kColumns.size()> values{};
  };
  // Every level's rows for progress_counters (days = true) or progress_totals;
  // one row per key, rows whose values are all 0 left out.
  std::vector<Row> rows(bool days) const;

 private:
  void add(int64_t region, int year, std::string_view day, size_t column, int64_t n);
  std::map<std::tuple<int64_t, int, std::string>, std::array<int64_t, kColumns.size()>> at_;
};

// INSERT of `n` rows into progress_counters (days) or progress_totals that
// adds to the existing rows on conflict; parameters per row: lvl, region,
// year, [day,] then kColumns.
std::string delta_upsert(bool days, size_t n);

// Migration 8 per dialect: the writer's switch (SQLite: the table
// progress_by_writer, a row of it inside the writer's transaction;
// PostgreSQL: the transaction-local setting canbao.counters = 'writer') and
// the payment and enrollment-update triggers re-created to stand aside
// while it is on.
const std::string& migration8_sqlite();
const std::string& migration8_postgresql();

}  // namespace canbao::store::counters
