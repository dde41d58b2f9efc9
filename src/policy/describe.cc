#include "policy/describe.h"

#include <fmt/format.h>

namespace canbao {

std::string categories_text(CategoryMask m, const char* sep) {
  std::string s;
  for (int i = 0; i < kCategoryCount; ++i)
    if (m & (CategoryMask{1} << i)) s += (s.empty() ? "" : sep) + std::string(category_label(static_cast<Category>(i)));
  return s;
}

std::string condition_text(const Condition& c) {
  std::vector<std::string> parts;
  auto labels = [](CategoryMask m, const char* sep) { return categories_text(m, sep); };
  if (c.any) parts.push_back(labels(c.any, "或"));
  if (c.all) parts.push_back("同时为" + labels(c.all, "且"));
  if (c.none) parts.push_back("不含" + labels(c.none, "、"));
  if (c.disability_grade_max) parts.push_back(fmt::format("残疾等级1–{}级", c.disability_grade_max));
  if (c.age_at && c.age_min >= 0) parts.push_back(fmt::format("{}时年满{}周岁", c.age_at->str(), c.age_min));
  if (c.age_at && c.age_below >= 0) parts.push_back(fmt::format("{}时未满{}周岁", c.age_at->str(), c.age_below));
  if (!c.age_at && c.born_on_or_before) parts.push_back(fmt::format("{}及以前出生", c.born_on_or_before->str()));
  if (!c.age_at && c.born_on_or_after) parts.push_back(fmt::format("{}及以后出生", c.born_on_or_after->str()));
  if (c.hukou_in_region) parts.push_back("户籍在本地");
  if (!c.events.empty()) {
    std::string ev;
    for (Event e : c.events) ev += (ev.empty() ? "" : "或") + std::string(event_label(e));
    parts.push_back(ev);
  }
  if (c.within_days >= 0) parts.push_back(fmt::format("{}天内", c.within_days));
  if (c.within_months >= 0) parts.push_back(fmt::format("{}个月内", c.within_months));
  if (c.event_on_or_after) parts.push_back(fmt::format("事件在{}及以后", c.event_on_or_after->str()));
  if (c.employee_months_min >= 0) parts.push_back(fmt::format("职工医保连续{}个月以上", c.employee_months_min));
  if (c.parent_insured == 1) parts.push_back("父母一方参保");
  if (c.parent_insured == 0) parts.push_back("父母双方均未在省内参保");
  std::string s;
  for (auto& p : parts) s += (s.empty() ? "" : "，") + p;
  return s.empty() ? "所有人" : s;
}

std::string_view coverage_start_text(CoverageStart s) {
  switch (s) {
    case CoverageStart::period_start: return "待遇享受期起始日起";
    case CoverageStart::later_of_period_and_day_after_payment: return "缴费次日起（不早于待遇享受期起始日）";
    case CoverageStart::event_date: return "自出生（事件发生）之日起";
    case CoverageStart::payment_month: return "缴费当月起";
    case CoverageStart::day_after_payment: return "缴费次日起";
    case CoverageStart::after_waiting: return "等待期满次日起";
    case CoverageStart::unspecified: return "文件未规定";
  }
  return "文件未规定";
}

std::string eligibility_text(const Policy& p) {
  std::string places;
  for (auto& r : p.enroll_hukou_or_residence_in) {
    std::string name = r == p.region ? fmt::format("{}（{}）", p.jurisdiction, r.str()) : r.str();
    places += (places.empty() ? "" : "、") + name;
  }
  std::string s = places.empty() ? "文件未限定户籍或居住地" : "户籍或居住地在" + places;
  if (p.enroll_regardless_of_place) {
    // Students enroll where their school is: name the school area where the file gives one.
    std::string who;
    for (int i = 0; i < kCategoryCount; ++i) {
      auto c = static_cast<Category>(i);
      if (!(p.enroll_regardless_of_place & bit(c))) continue;
      std::string at;
      for (auto& [sc, rc] : p.school_in)
        if (sc == c) at += (at.empty() ? "" : "、") + (rc == p.region ? std::string("本地") : rc.str());
      who += (who.empty() ? "" : "、") + std::string(category_label(c)) + "（学校在" + (at.empty() ? "本地" : at) + "）";
    }
    s += "；不受户籍限制：" + who;
  }
  if (p.excluded) s += "；不含：" + categories_text(p.excluded) + "人员";
  return s;
}

std::string refund_text(const Policy& p) {
  switch (p.refund) {
    case Policy::Refund::not_after_coverage_start:
      return fmt::format("进入待遇享受期（{}起）后不予退费", p.coverage_period.first.str());
    case Policy::Refund::allowed: return "可办理退费";
    case Policy::Refund::unspecified: break;
  }
  return "文件未规定退费";
}

std::string registration_text(const Policy& p) {
  if (!p.register_before_self_payment) return "";
  return p.register_first_words.empty() ? "断保或新参保人员须先办理参保登记，方可自主缴费" : p.register_first_words;
}

std::string family_account_text(const Policy& p) {
  // The file keeps only a flag; the words are 晋城's (三(三)), the one document that allows it.
  if (p.family_account_payment) return "参加职工医保的人员可通过家庭共济账户为参加居民医保的家庭成员缴费";
  return "文件未规定";
}

std::string combine_text(const Policy& p) {
  std::string s = "符合多项的只按一项、取最高一项（就高不就低，不重复资助）";
  for (auto& r : p.subsidies)
    if (r.rank > 0) return s + "；金额相同时按文件所列顺序（序号小者优先）";
  return s;
}

std::string window_days_text(const CollectionWindow& w) {
  if (w.day_min <= 1 && w.day_max >= 31) return "";
  return fmt::format("每月{}—{}日", w.day_min, w.day_max);
}

std::optional<Date> rule_list_day(const SubsidyRule& r) {
  if (!(r.when.any | r.when.all | r.when.none)) return std::nullopt;
  return r.list_as_of;
}

std::optional<Money> individual_due(const Policy& p, const SubsidyRule& r) {
  // Under 先缴后补 the person pays the whole standard whatever the later reimbursement.
  if (r.mode == SubsidyMode::reimbursed) return p.individual_standard;
  if (r.kind == AmountKind::unspecified) return std::nullopt;
  return p.individual_standard - r.amount;
}

std::string individual_text(const Policy& p, const SubsidyRule& r) {
  std::string amount = r.kind == AmountKind::unspecified ? "需本地配置" : r.amount.yuan();
  switch (r.mode) {
    case SubsidyMode::reimbursed:
      return fmt::format("个人先缴 {}，再补 {}", p.individual_standard.yuan(), amount);
    case SubsidyMode::waived:
      if (r.kind != AmountKind::unspecified && r.amount == p.individual_standard) return "个人免缴";
      if (r.kind == AmountKind::unspecified) return "免缴金额需本地配置";
      return fmt::format("免缴 {}，个人 {}", amount, (p.individual_standard - r.amount).yuan());
    case SubsidyMode::paid_on_behalf: break;
  }
  if (r.kind == AmountKind::unspecified) return "个人 需本地配置";
  return fmt::format("个人 {}", (p.individual_standard - r.amount).yuan());
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
