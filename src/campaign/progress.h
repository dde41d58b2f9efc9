// Targets and progress (issue 5 §1, DESIGN.md §1 "watches progress").
//
// Progress is read from the counters of migration 3 (progress_counters per
// place, year and day; progress_totals per place and year; both also rolled
// up to township and county codes), which triggers keep in the same
// transaction as every enrollment change and ledger row. A progress query
// reads one total row per shown unit at the finest level it shows plus the
// day rows after the as-of day minus seven — never the persons.
//
// What the counters count (day = the day written on the row):
//   registered     active enrollments (status registered or paid), on registered_on
//   paid           enrollments with status paid, on paid_on
//   subsidised     persons with at least one department subsidy row not reversed
//   collected_fen  individual payments net of reversals (payer not a department)
//   subsidy_fen    department rows (代缴 / 先缴后补) net of reversals
// A reversal dated today subtracts on its own day; a status change removes
// the row's old contribution at the day written on it. So counters always
// equal a recount of the current rows (verify_counters) and figures for a
// past day may move when a payment of that day is corrected later.
//
// The tree: root = the asked region; children are the next levels present
// in the data (regions table, counter places, target codes). Target units
// without a division code (贵池 高校, 经济开发区: stored at the parent's
// code) are their own child rows; counts written at exactly a parent's code
// go to its only code-less unit, else to a "直属" row, so every parent row
// is exactly the sum of its child rows.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/date.h"
#include "core/region_code.h"
#include "policy/policy.h"
#include "store/campaign_store.h"
#include "store/store.h"

namespace canbao::campaign {

// The five counted figures (above); the store's counter row, by the
// campaign's name.
using Counts = store::ProgressCounts;

struct ProgressNode {
  enum class Kind { region, unit, direct };
  Kind kind = Kind::region;
  RegionCode region;        // the node's code; units/direct rows: the parent's code
  std::string name;         // region name, unit name as the document writes it, or "直属（未分单位）"
  int depth = 0;            // 0 = root
  int parent = -1;          // index in ProgressTree::nodes
  std::vector<int> children;
  bool has_target = false;
  int64_t target = 0;
  std::string target_extra = "{}";  // other target columns (总人口 …) of a unit row
  Counts now;               // as of the as-of day (inclusive)
  Counts week_ago;          // as of the as-of day − 7
  Counts change() const { Counts c = now; c -= week_ago; return c; }
  // paid / target (0 without a target)
  double rate() const { return has_target && target > 0 ? double(now.paid) / double(target) : 0.0; }
  int rank = 0;             // 1 = best completion rate among siblings with a target; 0 = not ranked
  std::string label() const;  // name, or the code when unnamed
};

struct ProgressOptions {
  int depth = 3;  // levels below the root to show (deeper places fold into their ancestor)
};

struct ProgressTree {
  int year = 0;
  Date as_of;
  std::vector<ProgressNode> nodes;  // nodes[0] = root; children in code order, units after regions
  const ProgressNode& root() const { return nodes.at(0); }
  // The JSON of docs/api.md GET /progress: the root's children as items, the root as total.
  nlohmann::json to_json(int max_depth = 1) const;
  // Nodes at one depth, in tree order.
  std::vector<int> at_depth(int depth) const;
  // The rows of a report level: nodes at `depth` plus shallower leaves (a
  // code-less unit such as 高校 stays a row on every deeper level), so each
  // level's rows sum to the root.
  std::vector<int> level_rows(int depth) const;
  int max_depth() const;
};

// Progress under `root` for `year`, as of `as_of` (inclusive; pass the last
// day of a report week). Reads counters only.
ProgressTree progress(store::Store& st, RegionCode root, int year, Date as_of, const ProgressOptions& opt = {});

// Totals of a subtree from the counters (one range read).
Counts counter_totals(store::Store& st, RegionCode scope, int year);

// Recounts from enrollments and payments (a full scan) and compares with the
// counters; returns human-readable differences (empty = consistent).
std::vector<std::string> verify_counters(store::Store& st, int year);
// Rebuilds the counters of every year from the rows (after a bulk load that
// bypassed triggers, or to repair). One transaction.
void rebuild_counters(store::Store& st);
// Rebuilds the township/county roll-ups and the totals from the per-place
// day rows (lvl 12), e.g. after loading those rows in bulk.
void rebuild_rollups(store::Store& st);

// Seeds the targets table from a policy file's target table (the document's
// numbers): units matched to regions under the policy region by name, else
// stored at the policy region's code (高校). Returns the rows written.
struct PolicyTargetsResult {
  int64_t rows = 0, total = 0, matched = 0;
};
PolicyTargetsResult targets_from_policy(store::Store& st, const Policy& p);

// ISO 8601 week "2023-W47" → Monday..Sunday; the report day is Friday (晋城:
// 每周五下午17:00前报送). nullopt when malformed.
struct IsoWeek {
  int year = 0, week = 0;
  Date monday, friday, sunday;
  std::string str() const;
};
std::optional<IsoWeek> parse_iso_week(std::string_view text);
IsoWeek iso_week_of(Date d);

}  // namespace canbao::campaign
