// Readable descriptions of policy parts (zh-CN), shared by `canbao policy
// show` and the policy API, and the edits a what-if applies to a copy.
#pragma once
#include <string>

#include "policy/policy.h"

namespace canbao {

// "低保对象或特困人员，户籍在本地" — "所有人" when the condition is empty.
std::string condition_text(const Condition& c);

// Category labels joined by `sep`: "在校学生、高校在校大中专学生".
std::string categories_text(CategoryMask m, const char* sep = "、");

// When cover starts, in the document's words: "缴费次日起".
std::string_view coverage_start_text(CoverageStart s);

// 参保对象: where one enrolls, who enrolls regardless of place, who is excluded.
std::string eligibility_text(const Policy& p);

// The refund rule: "进入待遇享受期（<coverage start>起）后不予退费" …
std::string refund_text(const Policy& p);

// [registration]: who must register before paying by themselves, or "".
std::string registration_text(const Policy& p);

// 家庭共济: whether a relative's employee account may pay, or that the file is silent.
std::string family_account_text(const Policy& p);

// 就高不就低 and, where the file orders equal amounts, that order.
std::string combine_text(const Policy& p);

// "每月1—25日", or "" when every day of the month is allowed.
std::string window_days_text(const CollectionWindow& w);

// The list day that matters for this rule: only a rule that tests a
// category reads a department list; birth-date and hukou rules do not.
std::optional<Date> rule_list_day(const SubsidyRule& r);

// What the person pays up front under the rule: the standard less a 代缴 or
// 免缴 amount; under 先缴后补 the whole standard. nullopt when the amount is
// left to local configuration and the person's share depends on it.
std::optional<Money> individual_due(const Policy& p, const SubsidyRule& r);

// "个人 38.00" / "个人先缴 400.00，再补 需本地配置" / "个人免缴".
std::string individual_text(const Policy& p, const SubsidyRule& r);

// Sets subsidy rule `rule` of `p` to a fixed amount (what-if). With one
// payer the payer's share follows; with several, `payer_fen` gives each
// share in payer order (their sum must equal the amount). Returns an error
// text (zh) or "" on success. Amount must lie in [0, the individual standard].
std::string set_subsidy_amount(Policy& p, int rule, Money amount, const std::vector<Money>& payer_fen = {});

}  // namespace canbao
