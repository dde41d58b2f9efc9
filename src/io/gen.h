// Synthetic roster generator (`canbao gen`): a realistic-looking resident
// roster for one region, in the roster interchange format of DESIGN.md §5
// (UTF-8 CSV, English header row).
//
// What the rows look like:
//  - households of 1–7 persons (mean ≈ 3.1), head (户主) first, members in
//    consecutive rows; household_id "H<12-digit village>-<6+ digit seq>";
//  - ID numbers valid under GB 11643 (MOD 11-2), prefix = the county of the
//    person's hukou, birth date fitting the age, sequence odd for men; unique
//    within a run by construction (a per (prefix, birth day, sex) counter
//    drives a permutation of the 500 sequence numbers; a full day moves the
//    birth to the next free day of the same year);
//  - an age pyramid like a rural county (many 40–70, few children), a few
//    newborns born in the coverage year (event=birth, parent_insured);
//  - categories at rural-county rates, household-level ones (低保, 脱贫,
//    监测, …) shared by every member; age-based ones (student, university
//    student, migrant worker, employee_insured) per person;
//  - ~3% households with hukou in another county and residence inside the
//    region (居住证 holders);
//  - paid_on for about `paid_share` of persons, whole households at once,
//    on allowed days of the collection window (employee_insured members and
//    coverage-year newborns never carry a payment).
// Memory is constant in the number of rows (one household at a time plus a
// fixed counter table of ~40k days × sexes per county prefix).
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <vector>

#include "core/date.h"
#include "core/region_code.h"
#include "policy/policy.h"

namespace canbao::io {

struct GenOptions {
  RegionCode region;   // the policy's region: province, city (140500), county (341702),
                       // township (150424101) or village
  int year = 2024;     // policy (coverage) year; ages and birth dates are relative to it
  // Collection window; paid_on dates fall inside it on allowed days. When both are
  // left at the default (1970-01-01) the window is Sep 1 – Dec 31 of year - 1.
  Date window_open, window_close;
  int allowed_day_max = 31;  // 晋城 accepts payments only on days 1–25 of each month
  uint64_t seed = 1;
  int64_t persons = 1000;    // exact number of data rows written
  double paid_share = 0.0;   // fraction of persons with a paid_on date (0 = none)
  // Real villages to place households in, each with a weight (its share of
  // the population, relative to the others). When given they replace the map
  // otherwise made up from the region's code, so the codes are those of a
  // loaded division table (the demo: data/regions/) and carry its names.
  struct Place {
    RegionCode village;
    uint64_t weight = 1;
  };
  std::vector<Place> villages;
};

// The CSV header line written first (no trailing newline).
extern const char* const kRosterHeader;

// Streams the roster to `out`. Deterministic for (options, seed). Calls
// progress(rows_done) every 65536 rows and once at the end. Throws
// std::invalid_argument for an empty region or a year outside 1900..2199.
// Options for a policy's population: its region and year, payments inside
// its first (general) window on the window's allowed days.
GenOptions gen_options_for(const Policy& p, int64_t persons, uint64_t seed = 1, double paid_share = 0.6);

void generate_roster(const GenOptions& opt, std::ostream& out,
                     const std::function<void(int64_t)>& progress = {});

}  // namespace canbao::io
