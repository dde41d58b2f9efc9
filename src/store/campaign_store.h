// CampaignStore: what the campaign (src/campaign) asks of the database —
// the progress counters of migration 3, the ledger sums behind the fund
// flows and the paid persons of the public notice.
//
// Interface only (plain structs and pure virtuals); the SQL is in
// store/sql_campaign_store.cc and the counters' description in
// store/counters.h. Reached as Store::campaign(): the same connection and
// transaction as the Store. Scopes are region codes (empty = everything);
// "in scope" is the range test of store.h.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace canbao::store {

// The counted figures of one counter row (campaign/progress.h says what
// each counts). The campaign calls them Counts.
struct ProgressCounts {
  int64_t registered = 0, paid = 0, subsidised = 0, collected_fen = 0, subsidy_fen = 0;
  ProgressCounts& operator+=(const ProgressCounts& o) {
    registered += o.registered; paid += o.paid; subsidised += o.subsidised;
    collected_fen += o.collected_fen; subsidy_fen += o.subsidy_fen;
    return *this;
  }
  ProgressCounts& operator-=(const ProgressCounts& o) {
    registered -= o.registered; paid -= o.paid; subsidised -= o.subsidised;
    collected_fen -= o.collected_fen; subsidy_fen -= o.subsidy_fen;
    return *this;
  }
  bool operator==(const ProgressCounts&) const = default;
  bool zero() const { return *this == ProgressCounts{}; }
};

// A place's (or roll-up's) totals for a year.
struct PlaceCounts {
  RegionCode place;
  ProgressCounts counts;
};

// What was counted at a place on one day.
struct PlaceDayCounts {
  RegionCode place;
  std::string day;  // "YYYY-MM-DD" as written on the row ("1970-01-01" = undated)
  ProgressCounts counts;
};

// A stored counter row as the consistency check compares it. `region` is the
// padded 12-digit number as stored: a roll-up's is its place's truncated to
// the township (lvl 9) or county (lvl 6), which need not be a known code.
struct CounterRow {
  int lvl = 12;
  int64_t region = 0;
  int year = 0;
  std::string day;  // empty for a progress_totals row
  ProgressCounts counts;
};
using CounterRowFn = std::function<void(const CounterRow&)>;

// The individual and department payment sums of a scope and year, net of
// reversals (a reversal row carries the negated amount).
struct LedgerSums {
  int64_t individual_fen = 0, subsidy_fen = 0, total_fen = 0;
};

// One department's subsidy rows of a scope and year under one mode.
struct DepartmentSubsidy {
  std::string payer;  // payer_name (民政局 …)
  std::string mode;   // paid_on_behalf | reimbursed | "" when unrecorded
  int64_t persons = 0;  // distinct persons with a subsidy row not reversed
  int64_t rows = 0;     // every row, reversals included
  int64_t amount_fen = 0;
};

// A paid person for the public notice: an individual payment not reversed
// whose enrollment is paid. Holds unmasked values: the receiver masks them
// before keeping anything.
struct NoticePayment {
  RegionCode place;
  std::string person, name;  // id_number and name, unmasked
  int64_t amount_fen = 0;
  std::optional<Date> paid_on;
  std::string receipt_no;  // "" when none
  int64_t subsidy_fen = 0;  // the person's department rows for the year, net
};

class CampaignStore {
 public:
  virtual ~CampaignStore() = default;

  // --- reading the counters (a few rows per shown unit, never the persons)

  // The summed totals of every place in scope for the year (zeros when none).
  virtual ProgressCounts counter_totals(RegionCode scope, int year) = 0;
  // The totals in scope for the year, one row per place at code length
  // `finest` (12 = places; 9 / 6 and shorter read the township / county
  // roll-ups), ordered by code.
  virtual std::vector<PlaceCounts> place_totals(RegionCode scope, int year, int finest) = 0;
  // The day rows after `after` (exclusive) at the same level as
  // place_totals(scope, year, finest): what to subtract to see an earlier day.
  virtual std::vector<PlaceDayCounts> place_days_after(RegionCode scope, int year, int finest, Date after) = 0;
  // Paid persons per place (lvl 12 totals) in scope for the year, ordered by
  // code; places with none may appear with 0.
  virtual std::vector<PlaceCounts> paid_per_place(RegionCode scope, int year) = 0;

  // --- checking and rebuilding the counters (full scans; maintenance only)

  // The per-place day rows recomputed from enrollments and payments (all
  // years; `day` set, lvl 12).
  virtual void recount(const CounterRowFn& fn) = 0;
  // The stored day rows of one level (12, 9 or 6), all years.
  virtual void counter_rows(int lvl, const CounterRowFn& fn) = 0;
  // The day rows summed per level, region and year (`day` empty).
  virtual void counter_row_sums(const CounterRowFn& fn) = 0;
  // The stored progress_totals rows, every level (`day` empty).
  virtual void total_rows(const CounterRowFn& fn) = 0;
  // Replaces every counter and total with the recount at lvl 12 (the
  // roll-ups and totals are then empty: call rebuild_rollups). Run it inside
  // the caller's transaction.
  virtual void recount_places() = 0;
  // Replaces the roll-ups (lvl 9, 6) and all totals from the lvl 12 day rows.
  virtual void rebuild_rollups() = 0;

  // --- the ledger as the campaign reports it

  virtual LedgerSums ledger_sums(RegionCode scope, int year) = 0;
  // Ordered by payer, then mode.
  virtual std::vector<DepartmentSubsidy> department_subsidies(RegionCode scope, int year) = 0;
  // The notice's paid persons in scope for the year, by place, day and
  // payment; streamed so that unmasked values are never held together.
  virtual void notice_payments(int year, RegionCode scope,
                               const std::function<void(const NoticePayment&)>& fn) = 0;
};

}  // namespace canbao::store
