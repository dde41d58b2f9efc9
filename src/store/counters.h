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
#include <string>
#include <string_view>

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

// An enrollment counts 1 in `column` while its status satisfies `when`, on
// the day `day` ({r} stands for the row: "", "NEW." or "OLD."). The first
// event's condition holds whenever any other's does.
struct EnrollmentEvent {
  std::string_view column, when, day;
};
inline constexpr std::array<EnrollmentEvent, 2> kEnrollmentEvents{{
    {"registered", "status IN ('registered', 'paid')", "COALESCE({r}registered_on, '1970-01-01')"},
    {"paid", "status = 'paid'", "COALESCE({r}paid_on, {r}registered_on, '1970-01-01')"},
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

}  // namespace canbao::store::counters
