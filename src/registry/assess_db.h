// Assessment of the registry (`canbao assess --db`): every person actively
// enrolled for the year is assessed with the policy bound to their
// enrollment place (the loaded policy whose region contains the place, the
// most specific one winning) and the result — due, subsidy lines, coverage,
// payment status — is stored in `assessments`, one transaction per chunk.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "store/store.h"

namespace canbao::registry {

struct AssessDbOptions {
  int year = 2024;
  RegionCode scope;   // enrollment places inside it (empty = all)
  Date as_of;         // day of the work (stands in for registration days)
  size_t chunk = 20000;
  std::function<void(int64_t persons_done)> progress;
};

struct AssessDbResult {
  int64_t persons = 0;          // persons read
  int64_t assessed = 0;         // written to assessments
  int64_t not_enrolled = 0;     // no active enrollment for the year
  int64_t no_policy = 0;        // enrolled at a place no loaded policy covers
  int64_t ineligible = 0, open = 0;
  int64_t due_fen = 0, subsidy_fen = 0;
};

// `policies` must outlive the call; those of other years are ignored.
AssessDbResult assess_registry(store::Store& st, const std::vector<Policy>& policies, const AssessDbOptions& opt);

}  // namespace canbao::registry
