#include "policy/describe.h"

#include <fmt/format.h>

namespace canbao {

std::string condition_text(const Condition& c) {
  std::vector<std::string> parts;
  auto labels = [](CategoryMask m, const char* sep) {
    std::string s;
    for (int i = 0; i < kCategoryCount; ++i)
      if (m & (CategoryMask{1} << i)) s += (s.empty() ? "" : sep) + std::string(category_label(static_cast<Category>(i)));
    return s;
  };
  if (c.any) parts.push_back(labels(c.any, "或"));
  if (c.all) parts.push_back("同时为" + labels(c.all, "且"));
  if (c.none) parts.push_back("不含" + labels(c.none, "、"));
  if (c.disability_grade_max) parts.push_back(fmt::format("残疾等级1–{}级", c.disability_grade_max));
  if (c.age_at && c.age_min >= 0) parts.push_back(fmt::format("{}时年满{}周岁", c.age_at->str(), c.age_min));
  if (c.age_at && c.age_below >= 0) parts.push_back(fmt::format("{}时未满{}周岁", c.age_at->str(), c.age_below));
  if (!c.age_at && c.born_on_or_before) parts.push_back(fmt::format("{}及以前出生", c.born_on_or_before->str()));
  if (!c.age_at && c.born_on_or_after) parts.push_back(fmt::format("{}及以后出生", c.born_on_or_after->str()));
  if (c.hukou_in_region) parts.push_back("户籍在本地");
  for (Event e : c.events) parts.push_back(std::string(event_label(e)));
  if (c.within_days >= 0) parts.push_back(fmt::format("{}天内", c.within_days));
  if (c.within_months >= 0) parts.push_back(fmt::format("{}个月内", c.within_months));
  if (c.event_on_or_after) parts.push_back(fmt::format("事件在{}及以后", c.event_on_or_after->str()));
  if (c.employee_months_min >= 0) parts.push_back(fmt::format("职工医保连续{}个月以上", c.employee_months_min));
  if (c.parent_insured == 1) parts.push_back("父母一方参保");
  std::string s;
  for (auto& p : parts) s += (s.empty() ? "" : "，") + p;
  return s.empty() ? "所有人" : s;
}

std::string set_subsidy_amount(Policy& p, int rule, Money amount, const std::vector<Money>& payer_fen) {
  if (rule < 0 || size_t(rule) >= p.subsidies.size()) return "没有这条资助规则";
  if (amount.fen < 0 || amount > p.individual_standard)
    return fmt::format("资助金额须在 0 至个人缴费标准 {} 元之间", p.individual_standard.yuan());
  SubsidyRule& r = p.subsidies[size_t(rule)];
  if (r.payers.empty()) return "该规则没有资助部门，无法设定金额";
  if (r.payers.size() == 1) {
    if (!payer_fen.empty() && (payer_fen.size() != 1 || payer_fen[0] != amount))
      return "资助部门金额之和须等于资助金额";
    r.payers[0].amount = amount;
  } else {
    if (payer_fen.size() != r.payers.size())
      return fmt::format("该规则有 {} 个资助部门，须逐一给出各部门金额（payers）", r.payers.size());
    Money sum;
    for (auto m : payer_fen) {
      if (m.fen < 0) return "资助部门金额不能为负";
      sum += m;
    }
    if (sum != amount) return "资助部门金额之和须等于资助金额";
    for (size_t i = 0; i < r.payers.size(); ++i) r.payers[i].amount = payer_fen[i];
  }
  r.kind = AmountKind::fixed;
  r.amount = amount;
  r.amount_text = amount.yuan();
  r.unspecified_reason.clear();
  return "";
}

}  // namespace canbao
