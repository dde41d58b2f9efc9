// The assessment engine. One code path serves the single-person view (with a
// trace) and the batch path (trace == nullptr): everything that allocates is
// behind `if (trace)`, so the batch path does no heap work per person.
#include <fmt/format.h>

#include <algorithm>

#include "assess/assessment.h"

namespace canbao {

namespace {

// Categories that count for a rule: drops those certified after the rule's
// list as-of date, and reads 重度残疾 from the grade when the rule bounds it.
CategoryMask effective_mask(const PersonFacts& f, const Condition& c, const std::optional<Date>& list_as_of) {
  CategoryMask m = f.categories;
  if (list_as_of && !f.dated.empty()) {
    CategoryMask in_time = 0, late = 0;
    for (const auto& d : f.dated) (d.since <= *list_as_of ? in_time : late) |= bit(d.category);
    m &= ~(late & ~in_time);
  }
  if (c.disability_grade_max > 0 && f.disability_grade > 0) {
    if (f.disability_grade <= c.disability_grade_max) m |= bit(Category::severe_disability);
    else m &= ~bit(Category::severe_disability);
  }
  return m;
}

void append_labels(std::string& s, CategoryMask m) {
  bool first = true;
  for (int i = 0; i < kCategoryCount; ++i)
    if (m & (CategoryMask{1} << i)) {
      if (!first) s += "、";
      first = false;
      s += category_label(static_cast<Category>(i));
    }
}

// Does the person's event (or birth) satisfy the condition's event tests,
// counted up to `ref`? Sets *ev to the event day.
bool event_matches(const Condition& c, const PersonFacts& f, Date ref, Date* ev, std::string* why) {
  for (Event e : c.events) {
    Date d;
    if (e == Event::birth) d = f.birth;
    else if (f.event == e) d = f.event_date;
    else continue;
    if (c.event_on_or_after && d < *c.event_on_or_after) {
      if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "{}日{}早于{}", event_label(e), d.str(), c.event_on_or_after->str());
      continue;
    }
    if (ref < d) {
      if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "{}日{}晚于缴费/登记日{}", event_label(e), d.str(), ref.str());
      continue;
    }
    if (c.within_days >= 0 && d.plus_days(c.within_days) < ref) {
      if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "{}日{}起{}天内（至{}）未办理，办理日为{}", event_label(e), d.str(), c.within_days,
                                  d.plus_days(c.within_days).str(), ref.str());
      continue;
    }
    if (c.within_months >= 0 && d.plus_months(c.within_months) < ref) {
      if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "{}日{}起{}个月内（至{}）未办理，办理日为{}", event_label(e), d.str(), c.within_months,
                                  d.plus_months(c.within_months).str(), ref.str());
      continue;
    }
    *ev = d;
    return true;
  }
  if (why && why->empty()) {
    std::string names;
    for (Event e : c.events) names += (names.empty() ? "" : "、") + std::string(event_label(e));
    why->clear(), fmt::format_to(std::back_inserter(*why), "无{}事件", names);
  }
  return false;
}

bool matches(const Policy& p, const Condition& c, const PersonFacts& f, CategoryMask m, Date ref, Date* ev,
             std::string* why) {
  if (c.any && !(m & c.any)) {
    if (why) why->assign("不属于"), append_labels(*why, c.any);
    return false;
  }
  if ((m & c.all) != c.all) {
    if (why) why->assign("须同时属于"), append_labels(*why, c.all);
    return false;
  }
  if (m & c.none) {
    if (why) why->assign("已属于"), append_labels(*why, m & c.none), why->append("（本项不含）");
    return false;
  }
  if (c.born_on_or_before && *c.born_on_or_before < f.birth) {
    if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "出生日{}晚于{}", f.birth.str(), c.born_on_or_before->str());
    return false;
  }
  if (c.born_on_or_after && f.birth < *c.born_on_or_after) {
    if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "出生日{}早于{}", f.birth.str(), c.born_on_or_after->str());
    return false;
  }
  if (c.hukou_in_region && !f.hukou.inside(p.region)) {
    if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "户籍{}不在{}，须在户籍所在地参保方可享受", f.hukou.str(), p.region.str());
    return false;
  }
  if (c.employee_months_min >= 0 && f.employee_months < c.employee_months_min) {
    if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "职工医保连续缴费{}个月，不足{}个月", f.employee_months < 0 ? 0 : f.employee_months,
                                c.employee_months_min);
    return false;
  }
  if (c.parent_insured == 1 && f.parent_insured != 1) {
    if (why) why->assign("父母均未参保（或未登记）");
    return false;
  }
  if (!c.events.empty() && !event_matches(c, f, ref, ev, why)) return false;
  return true;
}

bool same_outcome(const SubsidyRule& a, const SubsidyRule& b) {
  if (a.amount != b.amount || a.mode != b.mode || a.payers.size() != b.payers.size()) return false;
  for (size_t i = 0; i < a.payers.size(); ++i)
    if (a.payers[i].payer != b.payers[i].payer || a.payers[i].amount != b.payers[i].amount) return false;
  return true;
}

// Appends a trace line "<prefix>.<id>" → outcome (+ tail). Strings are
// copied into the reused entry, so a warm trace allocates nothing here.
void note(Trace* t, std::string_view prefix, std::string_view id, std::string_view cite, std::string_view outcome,
          std::string_view tail = {}) {
  if (!t) return;
  auto& e = t->add();
  e.rule.append(prefix);
  if (!id.empty()) e.rule.append(".").append(id);
  e.cite.append(cite);
  e.outcome.append(outcome).append(tail);
}

constexpr int kMaxRules = 64;

void choose_subsidy(const Policy& p, const PersonFacts& f, Date reg_day, Assessment& a, Trace* t) {
  const int n = std::min<int>(static_cast<int>(p.subsidies.size()), kMaxRules);
  bool applies[kMaxRules] = {};
  int8_t overridden_by[kMaxRules];
  std::fill(overridden_by, overridden_by + kMaxRules, int8_t{-1});
  std::string why;
  for (int i = 0; i < n; ++i) {
    const auto& r = p.subsidies[i];
    Date ev;
    if (t) why.clear();
    CategoryMask m = effective_mask(f, r.when, r.list_as_of);
    applies[i] = matches(p, r.when, f, m, reg_day, &ev, t ? &why : nullptr);
    if (t && !applies[i]) {
      // Name the list as-of date when that is what excluded the person.
      if (m != f.categories && r.when.any && (f.categories & r.when.any) && !(m & r.when.any))
        why.clear(), fmt::format_to(std::back_inserter(why), "身份认定日期晚于名单截止日{}，本年度不享受", r.list_as_of->str());
      note(t, "subsidy", r.id, r.source.cite, "不适用：", why);
    }
  }
  for (int i = 0; i < n; ++i)
    if (applies[i])
      for (int o : p.subsidies[i].overrides)
        if (o < n && applies[o]) overridden_by[o] = static_cast<int8_t>(i);

  int best = -1;
  bool conflict = false;
  for (int i = 0; i < n; ++i) {
    const auto& r = p.subsidies[i];
    if (!applies[i] || overridden_by[i] >= 0 || r.kind == AmountKind::unspecified) continue;
    if (best < 0 || r.amount > p.subsidies[best].amount) { best = i; conflict = false; continue; }
    if (r.amount < p.subsidies[best].amount) continue;
    const auto& b = p.subsidies[best];
    if (same_outcome(r, b)) continue;  // equal in every way: the first in the file stands
    if (r.rank < b.rank) { best = i; conflict = false; }
    else if (r.rank == b.rank) conflict = true;
  }
  int unspecified = -1;
  bool unspecified_all_reimbursed = true;
  for (int i = 0; i < n; ++i)
    if (applies[i] && overridden_by[i] < 0 && p.subsidies[i].kind == AmountKind::unspecified) {
      if (unspecified < 0) unspecified = i;
      if (p.subsidies[i].mode != SubsidyMode::reimbursed) unspecified_all_reimbursed = false;
    }

  if (conflict) {
    a.open |= open_conflict;
    a.subsidy_known = a.due_known = false;
  }
  if (best >= 0) {
    const auto& r = p.subsidies[best];
    a.winner = static_cast<int16_t>(best);
    a.subsidy = r.amount;
    a.mode = r.mode;
    a.due = r.mode == SubsidyMode::reimbursed ? a.standard : a.standard - r.amount;
    a.nlines = static_cast<uint8_t>(std::min<size_t>(r.payers.size(), 4));
    for (int k = 0; k < a.nlines; ++k) a.lines[k] = {static_cast<int16_t>(best), static_cast<int8_t>(k), r.payers[k].amount};
  }
  if (unspecified >= 0) {
    a.unspecified_rule = static_cast<int16_t>(unspecified);
    bool decided = best >= 0 && p.subsidies[best].amount == a.standard && !conflict;
    if (!decided) {
      a.open |= open_subsidy_unspecified;
      a.subsidy_known = false;
      // Under 先缴后补 the person pays the full standard first, whatever the
      // subsidy later turns out to be; otherwise the amount due is open too.
      bool best_reimbursed = best < 0 || p.subsidies[best].mode == SubsidyMode::reimbursed;
      if (unspecified_all_reimbursed && best_reimbursed) a.due = a.standard;
      else a.due_known = false;
      if (p.subsidies[unspecified].mode == SubsidyMode::reimbursed) a.mode = SubsidyMode::reimbursed;
    }
  }

  if (!t) return;
  for (int i = 0; i < n; ++i) {
    if (!applies[i]) continue;
    const auto& r = p.subsidies[i];
    if (overridden_by[i] >= 0) {
      note(t, "subsidy", r.id, r.source.cite, fmt::format("符合但不适用：由例外规则“{}”取代", p.subsidies[overridden_by[i]].label));
    } else if (r.kind == AmountKind::unspecified) {
      bool decided = !(a.open & open_subsidy_unspecified);
      note(t, "subsidy", r.id, r.source.cite,
           decided ? fmt::format("符合但无需配置：已获全额资助，本项不会更高（{}）", r.unspecified_reason)
                   : "需本地配置：", r.unspecified_reason);
    } else if (i == best) {
      std::string payers;
      for (auto& pl : r.payers) payers += fmt::format("{}{}{}元", payers.empty() ? "" : "、", pl.payer, pl.amount.yuan());
      note(t, "subsidy", r.id, r.source.cite,
           fmt::format("适用（{}）：{}，{}{}", r.label, payers, mode_label(r.mode),
                       r.mode == SubsidyMode::reimbursed ? "，个人先全额缴费" : ""));
    } else if (conflict && r.amount == p.subsidies[best].amount && r.rank == p.subsidies[best].rank) {
      note(t, "subsidy", r.id, r.source.cite, fmt::format("冲突：与“{}”同额{}元、资助部门不同且无先后顺序，需政策明确", p.subsidies[best].label, r.amount.yuan()));
    } else if (r.amount == p.subsidies[best].amount) {
      note(t, "subsidy", r.id, r.source.cite, fmt::format("符合但未采用：与“{}”同额{}元，按文件顺序由后者资助", p.subsidies[best].label, r.amount.yuan()));
    } else {
      note(t, "subsidy", r.id, r.source.cite, fmt::format("符合但未采用：{}元低于“{}”的{}元（就高不就低，不重复资助）", r.amount.yuan(),
                                             p.subsidies[best].label, p.subsidies[best].amount.yuan()));
    }
  }
}

Date start_for(CoverageStart cs, const Policy& p, Date paid, Date ev, int waiting_months, Assessment& a) {
  switch (cs) {
    case CoverageStart::period_start: return p.coverage_period.first;
    case CoverageStart::later_of_period_and_day_after_payment: return std::max(p.coverage_period.first, paid.plus_days(1));
    case CoverageStart::event_date: return ev;
    case CoverageStart::payment_month: return paid.first_of_month();
    case CoverageStart::day_after_payment: return paid.plus_days(1);
    case CoverageStart::after_waiting: {
      Date s = paid.plus_months(waiting_months);
      if (p.coverage_period.first <= s.plus_days(-1)) {
        a.has_waiting = true;
        a.waiting_until = s.plus_days(-1);
      }
      return s;
    }
    case CoverageStart::unspecified: a.open |= open_coverage; return p.coverage_period.first;
  }
  return p.coverage_period.first;
}

// Worth a trace line: the person has one of the path's events (a birth only
// counts when recent enough to matter for this year).
bool has_event_of(const Condition& c, const PersonFacts& f, const Policy& p) {
  for (Event e : c.events)
    if (e == Event::birth ? p.coverage_period.first.plus_months(-12) <= f.birth : f.event == e) return true;
  return false;
}

bool window_applies(const CollectionWindow& w, CategoryMask m) {
  if (w.applies_to.any && !(m & w.applies_to.any)) return false;
  if (m & w.applies_to.none) return false;
  return true;
}

void set_coverage(const Policy& p, Date start, Assessment& a) {
  if (start < p.coverage_period.first) start = p.coverage_period.first;
  if (p.coverage_period.last < start) {
    a.payment = PaymentStatus::too_late;
    a.has_coverage = false;
    return;
  }
  a.has_coverage = true;
  a.coverage_start = start;
  a.coverage_end = p.coverage_period.last;
}

void place_payment(const Policy& p, const PersonFacts& f, Date as_of, Assessment& a, Trace* t) {
  for (size_t i = 0; i < p.windows.size(); ++i) {
    const auto& w = p.windows[i];
    if (!window_applies(w, f.categories)) continue;
    if (!a.has_window) {
      a.has_window = true;
      a.window_open = w.open;
      a.window_close_known = w.close.has_value();
      if (w.close) a.window_close = *w.close;
    } else {
      a.window_open = std::min(a.window_open, w.open);
      if (!w.close) a.window_close_known = false;
      else if (a.window_close_known) a.window_close = std::max(a.window_close, *w.close);
    }
    if (t)
      note(t, "window", w.id, w.source.cite,
           fmt::format("{}：{}至{}{}", w.label, w.open.str(), w.close ? w.close->str() : "（截止日未规定）",
                       w.day_min > 1 || w.day_max < 31 ? fmt::format("，每月{}—{}日可缴费", w.day_min, w.day_max) : ""));
  }

  Date ref;
  bool has_ref = false;
  if (f.has_paid_on) { ref = f.paid_on; has_ref = true; }
  else if (f.has_registered_on && a.due_known && a.due.fen == 0) { ref = f.registered_on; has_ref = true; }

  if (!has_ref) {
    // Projection for a payment made in time: newborns still inside their
    // registration period are covered from birth, everyone else from the start.
    a.payment = PaymentStatus::not_paid;
    Date start = p.coverage_period.first;
    for (size_t i = 0; i < p.late_paths.size(); ++i) {
      const auto& lp = p.late_paths[i];
      Date ev;
      if (lp.coverage == CoverageStart::event_date && matches(p, lp.when, f, f.categories, as_of, &ev, nullptr)) {
        start = ev;
        if (t) note(t, "late_path", lp.id, lp.source.cite, fmt::format("未缴费：若在期限内办理，待遇自{}起", std::max(ev, p.coverage_period.first).str()));
        break;
      }
    }
    set_coverage(p, start, a);
    if (t && a.has_coverage && start == p.coverage_period.first)
      note(t, "coverage", "", p.coverage_source.cite,
           fmt::format("未缴费：按征缴期内缴费预计，待遇享受期{}至{}", a.coverage_start.str(), a.coverage_end.str()));
    return;
  }

  int open_close_window = -1;
  for (size_t i = 0; i < p.windows.size(); ++i) {
    const auto& w = p.windows[i];
    if (!window_applies(w, f.categories) || !w.allows(ref)) continue;
    if (!w.close && !(ref < p.coverage_period.first)) {
      // Pre-payment before the year is certainly in time; inside the year the
      // document's missing closing day decides, and we do not guess it —
      // unless a late path (newborn …) accepts the payment on its own terms.
      open_close_window = static_cast<int>(i);
      continue;
    }
    a.window = static_cast<int16_t>(i);
    a.payment = PaymentStatus::accepted;
    set_coverage(p, start_for(w.coverage, p, ref, ref, 0, a), a);
    if (t) note(t, "window", w.id, w.source.cite,
                fmt::format("缴费日{}在{}内，待遇自{}起", ref.str(), w.label, a.has_coverage ? a.coverage_start.str() : "—"));
    return;
  }
  std::string why;
  for (size_t i = 0; i < p.late_paths.size(); ++i) {
    const auto& lp = p.late_paths[i];
    Date ev;
    if (t) why.clear();
    if (!matches(p, lp.when, f, f.categories, ref, &ev, t ? &why : nullptr)) {
      if (t && has_event_of(lp.when, f, p))
        note(t, "late_path", lp.id, lp.source.cite, "不适用：", why);
      continue;
    }
    Date until = lp.accept_until.value_or(p.coverage_period.last);
    if (until < ref) continue;
    a.late_path = static_cast<int16_t>(i);
    a.payment = PaymentStatus::accepted;
    set_coverage(p, start_for(lp.coverage, p, ref, ev, lp.waiting_months, a), a);
    if (t)
      note(t, "late_path", lp.id, lp.source.cite,
           fmt::format("适用（{}）：缴费日{}，待遇自{}起{}", lp.label, ref.str(), a.has_coverage ? a.coverage_start.str() : "—",
                       a.has_waiting ? fmt::format("，等待期至{}", a.waiting_until.str()) : ""));
    return;
  }
  if (open_close_window >= 0) {
    const auto& w = p.windows[open_close_window];
    a.open |= open_window_close;
    a.payment = PaymentStatus::undetermined;
    a.window = static_cast<int16_t>(open_close_window);
    if (t) note(t, "window", w.id, w.source.cite, fmt::format("缴费日{}已进入待遇年度，文件未规定截止日：需本地配置", ref.str()));
    return;
  }
  a.payment = PaymentStatus::outside_window;
  if (t) note(t, "payment", "", "", fmt::format("缴费日{}不在本人适用的征缴期内，也不符合新生儿、退役等特殊参保情形", ref.str()));
}

}  // namespace

void assess(const Policy& p, const PersonFacts& f, Date as_of, Assessment& a, Trace* t) {
  a = Assessment{};
  a.standard = p.individual_standard;
  a.due = a.standard;

  if (f.categories & p.excluded) {
    a.ineligible = Ineligible::employee_insured;
    a.due = Money{};
    if (t) note(t, "eligibility", "", p.excluded_source.cite, "不符合：已参加职工医保，不能同时参加居民医保");
    return;
  }
  if (!p.enroll_hukou_or_residence_in.empty() && !(f.categories & p.enroll_regardless_of_place)) {
    bool in = false;
    for (const auto& r : p.enroll_hukou_or_residence_in) in = in || f.hukou.inside(r) || f.residence.inside(r);
    if (!in) {
      a.ineligible = Ineligible::outside_region;
      a.due = Money{};
      if (t) note(t, "eligibility", "", p.eligibility_source.cite,
                  fmt::format("不符合：户籍{}、居住地{}均不在{}", f.hukou.str(), f.residence.empty() ? "（无）" : f.residence.str(), p.region.str()));
      return;
    }
  }
  a.eligible = true;
  if (t) {
    std::string where = f.hukou.inside(p.region) ? fmt::format("户籍{}在本统筹区", f.hukou.str())
                        : f.residence.inside(p.region) ? fmt::format("居住地{}在本统筹区（非本地户籍）", f.residence.str())
                                                       : std::string("学生在校参保，不限户籍");
    note(t, "eligibility", "", p.eligibility_source.cite, "符合参保条件：", where);
    note(t, "standard", "", p.standard_source.cite, fmt::format("个人缴费标准{}元", p.individual_standard.yuan()));
  }

  Date reg_day = f.has_registered_on ? f.registered_on : f.has_paid_on ? f.paid_on : as_of;
  choose_subsidy(p, f, reg_day, a, t);
  place_payment(p, f, as_of, a, t);
  if (t && p.refund == Policy::Refund::not_after_coverage_start)
    note(t, "refund", "", p.refund_source.cite, fmt::format("进入待遇享受期（{}起）不予退费", p.coverage_period.first.str()));
}

std::string assessment_reason(const Policy& p, const Assessment& a) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "；") + s; };
  if (a.ineligible == Ineligible::employee_insured) add("已参加职工医保，不能同时参加居民医保");
  if (a.ineligible == Ineligible::outside_region) add("户籍和居住地均不在本统筹区");
  if (a.open & open_conflict) add("多项资助同额但资助部门不同且无先后顺序：政策冲突，需明确");
  if ((a.open & open_subsidy_unspecified) && a.unspecified_rule >= 0)
    add("需本地配置：" + p.subsidies[a.unspecified_rule].unspecified_reason);
  if (a.open & open_window_close) add("文件未规定征缴截止日，待遇年度内缴费需本地配置");
  if (a.open & open_coverage) add("待遇起始日文件未规定，需本地配置");
  if (a.payment == PaymentStatus::outside_window) add("缴费日期不在征缴期内，且不符合特殊参保情形");
  if (a.payment == PaymentStatus::too_late) add("缴费过晚，待遇起始日已超出本年度待遇享受期");
  return out;
}

}  // namespace canbao
