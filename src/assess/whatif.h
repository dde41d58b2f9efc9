// What-if: the same population under two policies (typically a copy of the
// year's policy with one subsidy amount or category changed). Says how many
// people and how much money move between individuals and each paying
// department — exact to the fen.
#pragma once
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "assess/batch.h"

namespace canbao {

struct WhatIfSide {
  int64_t eligible = 0;
  int64_t subsidised = 0;
  int64_t unknown_due = 0;       // persons whose due is left to local configuration
  Money individual_total;        // sum of known individual dues
  std::map<std::string, Money> by_payer;  // 资助部门 → total
};

struct WhatIf {
  WhatIfSide base, variant;
  int64_t persons = 0;
  int64_t due_changed = 0;       // persons whose individual due differs
  int64_t pay_more = 0, pay_less = 0;
  std::map<std::pair<std::string, std::string>, int64_t> moves;  // (base rule, variant rule) → persons, rule "" = none
};

WhatIf what_if(const Policy& base, const Policy& variant, const PersonColumns& persons, Date as_of);
// Adds a part (one chunk of persons) into a running total.
void add_whatif(WhatIf& total, const WhatIf& part);

// {"persons", "due_changed", "pay_more", "pay_less",
//  "base"/"variant": {"eligible", "subsidised", "unknown_due", "individual_total_fen", "by_payer": {payer: fen}},
//  "individual_change_fen",                       variant − base, + = individuals pay more
//  "payers": [{"payer", "base_fen", "variant_fen", "change_fen"}],   every payer of either side
//  "moves": [{"from": rule id | null, "to": rule id | null, "persons"}]}
nlohmann::json whatif_json(const WhatIf& w);

}  // namespace canbao
