// Readable descriptions of policy parts (zh-CN), shared by `canbao policy
// show` and the policy API, and the edits a what-if applies to a copy.
#pragma once
#include <string>

#include "policy/policy.h"

namespace canbao {

// "低保对象或特困人员，户籍在本地" — "所有人" when the condition is empty.
std::string condition_text(const Condition& c);

// Sets subsidy rule `rule` of `p` to a fixed amount (what-if). With one
// payer the payer's share follows; with several, `payer_fen` gives each
// share in payer order (their sum must equal the amount). Returns an error
// text (zh) or "" on success. Amount must lie in [0, the individual standard].
std::string set_subsidy_amount(Policy& p, int rule, Money amount, const std::vector<Money>& payer_fen = {});

}  // namespace canbao
