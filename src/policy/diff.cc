#include "policy/diff.h"

#include <fmt/format.h>

namespace canbao {

namespace {

std::string window_text(const Policy& p) {
  std::string s;
  for (const auto& w : p.windows) {
    if (!s.empty()) s += "；";
    s += fmt::format("{} {}至{}", w.label, w.open.str(), w.close ? w.close->str() : "未规定");
    if (w.day_min > 1 || w.day_max < 31) s += fmt::format("（每月{}—{}日）", w.day_min, w.day_max);
  }
  return s;
}

// Pure rule matching on categories only (what the subsidy table says about a
// category); age, hukou and event conditions are read as satisfied except
// rules that need an event or an age limit, which a plain category holder lacks.
bool category_rule_applies(const SubsidyRule& r, Category c) {
  const auto& w = r.when;
  CategoryMask m = bit(c);
  if (!w.events.empty() || w.born_on_or_before || w.born_on_or_after || w.parent_insured == 1) return false;
  if (w.any && !(m & w.any)) return false;
  if ((m & w.all) != w.all) return false;
  if (m & w.none) return false;
  return w.any || w.all;
}

}  // namespace

std::string subsidy_for_category(const Policy& p, Category c) {
  int best = -1;
  bool unspecified = false;
  for (size_t i = 0; i < p.subsidies.size(); ++i) {
    const auto& r = p.subsidies[i];
    if (!category_rule_applies(r, c)) continue;
    if (r.kind == AmountKind::unspecified) { unspecified = true; continue; }
    if (best < 0 || r.amount > p.subsidies[best].amount ||
        (r.amount == p.subsidies[best].amount && r.rank < p.subsidies[best].rank))
      best = static_cast<int>(i);
  }
  if (best < 0) return unspecified ? "需本地配置" : "—";
  const auto& r = p.subsidies[best];
  std::string payers;
  for (const auto& pl : r.payers) payers += (payers.empty() ? "" : "+") + pl.payer;
  std::string s = fmt::format("{}（{}，{}）", r.amount.yuan(), payers, mode_label(r.mode));
  if (unspecified && r.amount != p.individual_standard) s += "；另有需本地配置项";
  return s;
}

std::vector<DiffRow> diff_policies(const Policy& a, const Policy& b) {
  std::vector<DiffRow> rows;
  auto add = [&](std::string section, std::string l, std::string r) {
    bool d = l != r;
    rows.push_back({std::move(section), std::move(l), std::move(r), d});
  };
  add("地区", a.jurisdiction + "（" + a.region.str() + "）", b.jurisdiction + "（" + b.region.str() + "）");
  add("文号", a.document, b.document);
  add("年度", std::to_string(a.year), std::to_string(b.year));
  add("个人缴费标准", a.individual_standard.yuan(), b.individual_standard.yuan());
  add("财政补助", a.fiscal_subsidy ? a.fiscal_subsidy->yuan() : "未规定", b.fiscal_subsidy ? b.fiscal_subsidy->yuan() : "未规定");
  auto split = [](const Policy& p) {
    std::string s;
    for (const auto& f : p.fiscal_split) s += (s.empty() ? "" : "；") + fmt::format("{} {} {}", f.name, f.share_text, f.amount.yuan());
    return s.empty() ? std::string("—") : s;
  };
  add("财政补助分担", split(a), split(b));
  add("代办经费", a.agent_fee_per_person ? a.agent_fee_per_person->yuan() + "/人" : "—",
      b.agent_fee_per_person ? b.agent_fee_per_person->yuan() + "/人" : "—");
  add("征缴期", window_text(a), window_text(b));
  add("待遇享受期", a.coverage_period.first.str() + "至" + a.coverage_period.last.str(),
      b.coverage_period.first.str() + "至" + b.coverage_period.last.str());
  add("进入待遇期退费", a.refund == Policy::Refund::not_after_coverage_start ? "不予退费" : "未规定",
      b.refund == Policy::Refund::not_after_coverage_start ? "不予退费" : "未规定");
  add("家庭共济账户缴费", a.family_account_payment ? "可" : "未规定", b.family_account_payment ? "可" : "未规定");
  for (int i = 0; i < kCategoryCount; ++i) {
    auto c = static_cast<Category>(i);
    if (c == Category::employee_insured || c == Category::student || c == Category::university_student ||
        c == Category::migrant_worker)
      continue;
    add(fmt::format("资助：{}", category_label(c)), subsidy_for_category(a, c), subsidy_for_category(b, c));
  }
  return rows;
}

}  // namespace canbao
