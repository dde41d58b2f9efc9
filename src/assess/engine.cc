// The assessment engine. One code path serves the single-person view (with a
// trace) and the batch path (trace == nullptr): everything that allocates is
// behind `if (trace)`, so the batch path does no heap work per person.
#include <fmt/format.h>

#include <algorithm>

#include "assess/assessment.h"

namespace canbao {

namespace {

// What took categories away from a rule, strongest proof first, so the trace
// can name the fact rather than a bare date.
enum class Late : uint8_t { none, born, newly_special, dated };

struct Effective {
  CategoryMask mask = 0;
  CategoryMask late = 0;       // held but not on the lists as they stood on the rule's list day
  Late why = Late::none;
  bool grade_unknown = false;  // 重度残疾 withheld: the rule needs a grade the facts lack
};

// Categories that count for a rule. The lists are read as they stood on the
// rule's list day (贵池 三.9: "9月1日后特殊群体属性的变更，不享受今年政府资助"):
// a category certified later does not count, nor does one the facts prove
// came later — a 动态新增 event after that day, or a birth after it (a baby
// was on no list). An undated category counts as listed in time. 重度残疾 is
// read from the grade when the rule bounds it.
Effective effective_mask(const Policy& p, const PersonFacts& f, const SubsidyRule& r) {
  Effective e;
  CategoryMask m = f.categories;
  if (const auto& day = r.list_as_of) {
    CategoryMask in_time = 0, dated_late = 0;
    for (const auto& d : f.dated) (d.since <= *day ? in_time : dated_late) |= bit(d.category);
    if (*day < f.birth) {
      e.late = m & ~in_time;
      e.why = Late::born;
    } else if (f.event == Event::newly_special && *day < f.event_date) {
      CategoryMask added = p.newly_special_categories ? p.newly_special_categories : m;
      e.late = m & added & ~in_time;
      e.why = Late::newly_special;
    }
    if (CategoryMask d = dated_late & ~in_time & ~e.late) {
      e.late |= d;
      if (e.why == Late::none) e.why = Late::dated;
    }
    if (!e.late) e.why = Late::none;
  }
  const auto severe = bit(Category::severe_disability);
  if (r.when.disability_grade_max > 0) {
    if (f.disability_grade > 0) {
      if (f.disability_grade <= r.when.disability_grade_max) m |= severe;
      else m &= ~severe;
    } else if (r.grade_required && (m & severe & ~e.late)) {
      m &= ~severe;
      e.grade_unknown = true;
    }
  }
  // After the grade: a grade cannot bring back a category that came too late.
  e.mask = m & ~e.late;
  return e;
}

bool payers_configured(const SubsidyRule& r) {
  for (const auto& pl : r.payers)
    if (!pl.configured()) return false;
  return true;
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
    if (c.within_days >= 0 && period_last_day(d, c.within_days, PeriodUnit::days) < ref) {
      if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "{}日{}起{}天内（至{}）未办理，办理日为{}", event_label(e), d.str(), c.within_days,
                                  period_last_day(d, c.within_days, PeriodUnit::days).str(), ref.str());
      continue;
    }
    if (c.within_months >= 0 && period_last_day(d, c.within_months, PeriodUnit::months) < ref) {
      if (why) why->clear(), fmt::format_to(std::back_inserter(*why), "{}日{}起{}个月内（至{}）未办理，办理日为{}", event_label(e), d.str(), c.within_months,
                                  period_last_day(d, c.within_months, PeriodUnit::months).str(), ref.str());
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
  if (c.parent_insured >= 0 && f.parent_insured != c.parent_insured) {
    if (why)
      why->assign(f.parent_insured < 0      ? "父母参保情况未登记（需核实）"
                  : c.parent_insured == 1 ? "父母均未在省内参保"
                                          : "父母一方已在省内参保（适用另一情形）");
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

// Rules [0, n) whose category tests the person could pass, as a bit set.
// effective_mask only takes categories away, except that a grade can add
// 重度残疾 (and the missing-grade check retries with it added), so testing
// any/all against held ∪ {重度残疾 when graded} never drops a rule that could
// apply or ask for a grade. Most persons hold no subsidised category: this
// lets them skip every rule's mask and condition work. Computed without
// branches so a roster mixing categories row by row costs no mispredictions.
uint64_t candidate_rules(const Policy& p, const PersonFacts& f, int n) {
  const CategoryMask held =
      f.categories | (bit(Category::severe_disability) & -static_cast<CategoryMask>(f.disability_grade > 0));
  uint64_t maybe = 0;
  for (int i = 0; i < n; ++i) {
    const Condition& w = p.subsidies[static_cast<size_t>(i)].when;
    const uint64_t any_ok = static_cast<uint64_t>(w.any == 0) | static_cast<uint64_t>((held & w.any) != 0);
    const uint64_t all_ok = static_cast<uint64_t>((held & w.all) == w.all);
    maybe |= (any_ok & all_ok) << i;
  }
  return maybe;
}

void choose_subsidy(const Policy& p, const PersonFacts& f, Date reg_day, Assessment& a, Trace* t) {
  const int n = std::min<int>(static_cast<int>(p.subsidies.size()), kMaxRules);
  // With a trace every rule is explained, so none is skipped.
  const uint64_t maybe = t ? ~uint64_t{0} : candidate_rules(p, f, n);
  if (!maybe) return;  // no rule applies, none asks for a grade: the standard stands, nothing is open
  bool applies[kMaxRules] = {};
  int8_t overridden_by[kMaxRules];
  std::fill(overridden_by, overridden_by + kMaxRules, int8_t{-1});
  bool grade_unknown[kMaxRules] = {};
  std::string why;
  for (int i = 0; i < n; ++i) {
    if (!((maybe >> i) & 1)) continue;  // applies[i] and grade_unknown[i] stay false
    const auto& r = p.subsidies[i];
    Date ev;
    if (t) why.clear();
    const Effective e = effective_mask(p, f, r);
    const CategoryMask m = e.mask;
    applies[i] = matches(p, r.when, f, m, reg_day, &ev, t ? &why : nullptr);
    // Only a missing grade that alone kept the rule away asks for the grade.
    grade_unknown[i] = !applies[i] && e.grade_unknown &&
                       matches(p, r.when, f, m | bit(Category::severe_disability), reg_day, &ev, nullptr);
    if (t && !applies[i]) {
      // Name what excluded the person when it is the list day or the grade, not a bare category test.
      const bool held_any = r.when.any && (f.categories & r.when.any) && !(m & r.when.any);
      const bool held_all = r.when.all && (f.categories & r.when.all) == r.when.all && (m & r.when.all) != r.when.all;
      if (grade_unknown[i]) {
        why.clear(), fmt::format_to(std::back_inserter(why), "需核实残疾等级：文件规定重度残疾为残疾等级1至{}级，名单未注明等级，暂不资助",
                                    r.when.disability_grade_max);
      } else if ((held_any || held_all) && e.why != Late::none) {
        why.clear();
        auto out = std::back_inserter(why);
        if (e.why == Late::born)
          fmt::format_to(out, "出生日{}晚于名单截止日{}（此后的身份变更本年度不享受资助）", f.birth.str(), r.list_as_of->str());
        else if (e.why == Late::newly_special)
          fmt::format_to(out, "{}日{}晚于名单截止日{}（此后的身份变更本年度不享受资助）", event_label(Event::newly_special),
                         f.event_date.str(), r.list_as_of->str());
        else
          fmt::format_to(out, "身份认定日期晚于名单截止日{}，本年度不享受", r.list_as_of->str());
      }
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
    // Equal amounts: the identity whose payer the document names can be paid
    // on behalf now; the other would hold the 代缴 until one is configured.
    if (payers_configured(r) != payers_configured(b)) {
      if (payers_configured(r)) { best = i; conflict = false; }
      continue;
    }
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
    if (!payers_configured(r)) a.open |= open_payer_unconfigured;
    if (!r.personal_window_unspecified.empty() && a.due.fen > 0) a.open |= open_personal_window;
  }
  for (int i = 0; i < n; ++i)
    if (grade_unknown[i] && (best < 0 || p.subsidies[best].amount < p.subsidies[i].amount)) a.open |= open_disability_grade;
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
      for (auto& pl : r.payers)
        payers += pl.configured() ? fmt::format("{}{}{}元", payers.empty() ? "" : "、", pl.payer, pl.amount.yuan())
                                  : fmt::format("{}资助部门需本地配置（{}）{}元", payers.empty() ? "" : "、", pl.unconfigured,
                                                pl.amount.yuan());
      note(t, "subsidy", r.id, r.source.cite,
           fmt::format("适用（{}）：{}，{}{}{}", r.label, payers, mode_label(r.mode),
                       r.mode == SubsidyMode::reimbursed ? "，个人先全额缴费" : "",
                       payers_configured(r) ? "" : "（个人部分可先缴，代缴待配置资助部门后记账）"));
    } else if (conflict && r.amount == p.subsidies[best].amount && r.rank == p.subsidies[best].rank) {
      note(t, "subsidy", r.id, r.source.cite, fmt::format("冲突：与“{}”同额{}元、资助部门不同且无先后顺序，需政策明确", p.subsidies[best].label, r.amount.yuan()));
    } else if (r.amount == p.subsidies[best].amount) {
      note(t, "subsidy", r.id, r.source.cite,
           fmt::format("符合但未采用：与“{}”同额{}元，{}", p.subsidies[best].label, r.amount.yuan(),
                       payers_configured(r) != payers_configured(p.subsidies[best]) ? "文件写明后者的资助部门，由后者资助"
                                                                                      : "按文件顺序由后者资助"));
    } else {
      note(t, "subsidy", r.id, r.source.cite, fmt::format("符合但未采用：{}元低于“{}”的{}元（就高不就低，不重复资助）", r.amount.yuan(),
                                             p.subsidies[best].label, p.subsidies[best].amount.yuan()));
    }
  }
}

// 肖岭 一 waives a newborn's share when a parent is insured in the province, or
// when neither is and the baby's hukou is local. An empty roster cell decides
// neither: the amount stays open until the clerk verifies (a clerk would not
// charge 380, nor waive it blindly).
void flag_unknown_parent(const Policy& p, const PersonFacts& f, Date reg_day, Assessment& a, Trace* t) {
  if (f.parent_insured >= 0) return;
  for (const auto& r : p.subsidies) {
    if (r.when.parent_insured < 0) continue;
    PersonFacts known = f;
    known.parent_insured = static_cast<int8_t>(r.when.parent_insured);
    Date ev;
    if (!matches(p, r.when, known, effective_mask(p, known, r).mask, reg_day, &ev, nullptr)) continue;
    if (a.due_known && r.amount <= a.subsidy) continue;  // nothing turns on it
    a.open |= open_parent_insured;
    a.subsidy_known = a.due_known = false;
    note(t, "subsidy", r.id, r.source.cite, "需核实父母参保情况：", "花名册未填写父母是否在省内参保，本项是否适用取决于此");
    return;
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
      // The same count as every "N 个月内" (民法典 201/202): the payment day is
      // not counted, so a payment on 05-31 waits through 08-31.
      Date until = period_last_day(paid, waiting_months, PeriodUnit::months);
      if (p.coverage_period.first <= until) {
        a.has_waiting = true;
        a.waiting_until = until;
      }
      return until.plus_days(1);
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

// Cover never starts before the period, nor before the person is born
// (贵池 四.1: a baby's cover runs from birth at the earliest).
void set_coverage(const Policy& p, const PersonFacts& f, Date start, Assessment& a) {
  if (start < p.coverage_period.first) start = p.coverage_period.first;
  if (start < f.birth) start = f.birth;
  if (p.coverage_period.last < start) {
    a.payment = PaymentStatus::too_late;
    a.has_coverage = false;
    return;
  }
  a.has_coverage = true;
  a.coverage_start = start;
  a.coverage_end = p.coverage_period.last;
}

// The day a late path's "N 天内 / N 个月内" runs to: the registration when the
// document counts to it and the roster gives one, else the payment.
Date deadline_ref(const LatePath& lp, const PersonFacts& f, Date pay) {
  return lp.counted_to_registration && f.has_registered_on ? f.registered_on : pay;
}

// No payment yet: what paying on `as_of` (or at birth, for a baby not yet
// born) would give — or, once every window and late path has closed, that
// nothing this year can. A clerk must never be shown cover for someone who
// can no longer pay, nor cover before birth.
void project_unpaid(const Policy& p, const PersonFacts& f, Date as_of, Assessment& a, Trace* t) {
  a.payment = PaymentStatus::not_paid;
  const Date pay = std::max(as_of, f.birth);
  auto open_until = [&](const LatePath& lp) { return lp.accept_until.value_or(p.coverage_period.last); };
  // A newborn still inside the registration period is covered from birth, window or not.
  for (const auto& lp : p.late_paths) {
    Date ev;
    if (lp.coverage != CoverageStart::event_date || open_until(lp) < pay ||
        !matches(p, lp.when, f, f.categories, deadline_ref(lp, f, pay), &ev, nullptr))
      continue;
    set_coverage(p, f, ev, a);
    if (t) note(t, "late_path", lp.id, lp.source.cite, fmt::format("未缴费：若在期限内办理，待遇自{}起", a.has_coverage ? a.coverage_start.str() : "—"));
    return;
  }
  bool close_unknown = false;
  for (const auto& w : p.windows) {
    if (!window_applies(w, f.categories)) continue;
    // Before the year a window without a closing day is certainly still open;
    // inside the year the missing closing day decides, and we do not guess it.
    if (!w.close && !(pay < p.coverage_period.first)) { close_unknown = true; continue; }
    if (w.close && *w.close < pay) continue;
    Date day = std::max(pay, w.open);
    set_coverage(p, f, start_for(w.coverage, p, day, day, 0, a), a);
    if (t && a.has_coverage)
      note(t, "coverage", "", p.coverage_source.cite,
           fmt::format("未缴费：按{}内缴费预计，待遇享受期{}至{}", w.label, a.coverage_start.str(), a.coverage_end.str()));
    return;
  }
  for (const auto& lp : p.late_paths) {
    Date ev;
    if (lp.coverage == CoverageStart::event_date || open_until(lp) < pay ||
        !matches(p, lp.when, f, f.categories, deadline_ref(lp, f, pay), &ev, nullptr))
      continue;
    set_coverage(p, f, start_for(lp.coverage, p, pay, ev, lp.waiting_months, a), a);
    if (t)
      note(t, "late_path", lp.id, lp.source.cite,
           fmt::format("未缴费：若于{}缴费（{}），待遇自{}起{}", pay.str(), lp.label, a.has_coverage ? a.coverage_start.str() : "—",
                       a.has_waiting ? fmt::format("，等待期至{}", a.waiting_until.str()) : ""));
    return;
  }
  if (close_unknown) {
    a.open |= open_window_close;
    a.payment = PaymentStatus::undetermined;
    if (t) note(t, "payment", "", p.coverage_source.cite, fmt::format("未缴费：{}已进入待遇年度，文件未规定征缴截止日，能否缴费需本地配置", pay.str()));
    return;
  }
  a.payment = PaymentStatus::window_closed;
  if (t)
    note(t, "payment", "", p.coverage_source.cite,
         fmt::format("未缴费：征缴期{}，也不符合新生儿、退役等中途参保情形，本年度已无法参保缴费，无待遇享受期",
                     a.has_window && a.window_close_known ? fmt::format("已于{}结束", a.window_close.str()) : std::string("已结束")));
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
    project_unpaid(p, f, as_of, a, t);
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
    set_coverage(p, f, start_for(w.coverage, p, ref, ref, 0, a), a);
    if (t) note(t, "window", w.id, w.source.cite,
                fmt::format("缴费日{}在{}内，待遇自{}起", ref.str(), w.label, a.has_coverage ? a.coverage_start.str() : "—"));
    return;
  }
  std::string why;
  for (size_t i = 0; i < p.late_paths.size(); ++i) {
    const auto& lp = p.late_paths[i];
    Date ev;
    if (t) why.clear();
    if (!matches(p, lp.when, f, f.categories, deadline_ref(lp, f, ref), &ev, t ? &why : nullptr)) {
      if (t && has_event_of(lp.when, f, p))
        note(t, "late_path", lp.id, lp.source.cite, "不适用：", why);
      continue;
    }
    Date until = lp.accept_until.value_or(p.coverage_period.last);
    if (until < ref) continue;
    a.late_path = static_cast<int16_t>(i);
    a.payment = PaymentStatus::accepted;
    set_coverage(p, f, start_for(lp.coverage, p, ref, ev, lp.waiting_months, a), a);
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

// 乌拉特前旗 五 注: 断保或新参保人员 pay by themselves only after registering.
// A roster does not say how a payment came in, so a payment dated before the
// registration is flagged for the clerk to verify rather than refused; the
// ledger, which knows the channel, refuses it.
void check_registration_first(const Policy& p, const PersonFacts& f, Assessment& a, Trace* t) {
  if (!p.register_before_self_payment || f.insured_last_year != 0 || !f.has_paid_on) return;
  const auto& src = p.register_first_source;
  if (f.has_registered_on && f.paid_on < f.registered_on) {
    a.open |= open_registration_first;
    if (t) note(t, "registration", "", src.cite,
                fmt::format("需核实：上年度未在本地参保（断保或新参保），缴费日{}早于参保登记日{}。文件：", f.paid_on.str(),
                            f.registered_on.str()),
                p.register_first_words);
    return;
  }
  if (t) note(t, "registration", "", src.cite,
              fmt::format("上年度未在本地参保（断保或新参保）：参保登记于{}，缴费于{}，先登记后缴费",
                          (f.has_registered_on ? f.registered_on : f.paid_on).str(), f.paid_on.str()));
}

// 乌拉特前旗 单纯低保户 "具体缴费时间另行通知": the person's own share has a time
// of its own that the document leaves to a later notice. Until it is
// configured locally no window of the file is theirs, so a payment placed by
// one cannot be confirmed (late paths keep their own terms). Runs after
// place_payment so that function stays the one place windows are read.
void hold_personal_window(const Policy& p, Assessment& a, Trace* t) {
  if (!(a.open & open_personal_window) || a.winner < 0) return;
  const auto& r = p.subsidies[a.winner];
  a.has_window = a.window_close_known = false;
  if (a.window >= 0) {
    a.window = -1;
    a.payment = PaymentStatus::undetermined;
    a.has_coverage = a.has_waiting = false;
    a.open &= ~open_window_close;  // the general window's closing day is not what is open here
  }
  if (t) note(t, "subsidy", r.id, r.source.cite, "个人缴费时间需本地配置：", r.personal_window_unspecified);
}

}  // namespace

void assess(const Policy& p, const PersonFacts& f, Date as_of, Assessment& a, Trace* t) {
  // Reset by copying a constant fresh value: `a = Assessment{}` built a
  // temporary and copied it with wide loads over its just-written narrow
  // fields (a store-forwarding stall), and re-constructing in place zeroes
  // with `rep stos` (slow to start); either was a third or more of this
  // function's time in the batch path.
  static const Assessment kFresh{};
  a = kFresh;
  a.standard = p.individual_standard;
  a.due = a.standard;

  if (f.categories & p.excluded) {
    a.ineligible = Ineligible::employee_insured;
    a.due = Money{};
    if (t) note(t, "eligibility", "", p.excluded_source.cite, "不符合：已参加职工医保，不能同时参加居民医保");
    return;
  }
  // Students are admitted regardless of hukou only where their school is
  // (贵池 二.3 "本区行政区划内…在册学生", 新城子 五(一) "县内…在校学生");
  // a school elsewhere, or none given, leaves them to hukou/residence.
  const bool student = (f.categories & p.enroll_regardless_of_place) != 0;
  RegionCode school_area;  // the area the school was found in, empty when not
  if (student && !f.school_region.empty())
    for (int c = 0; c < kCategoryCount && school_area.empty(); ++c) {
      if (!(f.categories & p.enroll_regardless_of_place & bit(static_cast<Category>(c)))) continue;
      bool listed = false;
      for (const auto& [cat, area] : p.school_in)
        if (cat == static_cast<Category>(c)) {
          listed = true;
          if (f.school_region.inside(area)) school_area = area;
        }
      if (!listed && f.school_region.inside(p.region)) school_area = p.region;
    }
  std::string school_note;
  if (t && student && school_area.empty())
    school_note = f.school_region.empty() ? "（学生未填学校所在地，按户籍/居住地判断）"
                                          : fmt::format("（学生学校所在地{}不在本区，按户籍/居住地判断）", f.school_region.str());
  if (!p.enroll_hukou_or_residence_in.empty() && school_area.empty()) {
    bool in = false;
    for (const auto& r : p.enroll_hukou_or_residence_in) in = in || f.hukou.inside(r) || f.residence.inside(r);
    if (!in) {
      a.ineligible = Ineligible::outside_region;
      a.due = Money{};
      if (t) note(t, "eligibility", "", p.eligibility_source.cite,
                  fmt::format("不符合：户籍{}、居住地{}均不在{}", f.hukou.str(), f.residence.empty() ? "（无）" : f.residence.str(), p.region.str()),
                  school_note);
      return;
    }
  }
  a.eligible = true;
  if (t) {
    std::string where = !school_area.empty() ? fmt::format("学生学校所在地{}在{}内，在校参保不限户籍", f.school_region.str(), school_area.str())
                        : f.hukou.inside(p.region) ? fmt::format("户籍{}在本统筹区", f.hukou.str())
                        : f.residence.inside(p.region) ? fmt::format("居住地{}在本统筹区（非本地户籍）", f.residence.str())
                                                       : std::string("户籍或居住地在参保范围内");
    where += school_note;
    note(t, "eligibility", "", p.eligibility_source.cite, "符合参保条件：", where);
    note(t, "standard", "", p.standard_source.cite, fmt::format("个人缴费标准{}元", p.individual_standard.yuan()));
  }

  Date reg_day = f.has_registered_on ? f.registered_on : f.has_paid_on ? f.paid_on : as_of;
  choose_subsidy(p, f, reg_day, a, t);
  flag_unknown_parent(p, f, reg_day, a, t);
  place_payment(p, f, as_of, a, t);
  hold_personal_window(p, a, t);
  check_registration_first(p, f, a, t);
  if (t && p.refund == Policy::Refund::not_after_coverage_start)
    note(t, "refund", "", p.refund_source.cite, fmt::format("进入待遇享受期（{}起）不予退费", p.coverage_period.first.str()));
}

std::string assessment_reason(const Policy& p, const Assessment& a) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "；") + s; };
  if (a.ineligible == Ineligible::employee_insured) add("已参加职工医保，不能同时参加居民医保");
  if (a.ineligible == Ineligible::outside_region) add("户籍和居住地均不在本统筹区");
  if (a.open & open_registration_first)
    add("断保或新参保人员须先参保登记方可自主缴费，缴费日期早于参保登记日期：需核实（" + p.register_first_source.cite + "）");
  if (a.open & open_conflict) add("多项资助同额但资助部门不同且无先后顺序：政策冲突，需明确");
  if ((a.open & open_subsidy_unspecified) && a.unspecified_rule >= 0)
    add("需本地配置：" + p.subsidies[a.unspecified_rule].unspecified_reason);
  if ((a.open & open_payer_unconfigured) && a.winner >= 0)
    for (const auto& pl : p.subsidies[a.winner].payers)
      if (!pl.configured())
        add(fmt::format("资助部门需本地配置：{}（资助{}元照常，个人部分可缴，代缴待配置资助部门后记账）", pl.unconfigured,
                        pl.amount.yuan()));
  if (a.open & open_disability_grade) add("需核实残疾等级：文件规定的重度残疾以残疾等级认定，名单未注明等级，暂不资助");
  if ((a.open & open_personal_window) && a.winner >= 0) add("需本地配置：" + p.subsidies[a.winner].personal_window_unspecified);
  if (a.open & open_window_close) add("文件未规定征缴截止日，待遇年度内缴费需本地配置");
  if (a.open & open_coverage) add("待遇起始日文件未规定，需本地配置");
  if (a.payment == PaymentStatus::outside_window) add("缴费日期不在征缴期内，且不符合特殊参保情形");
  if (a.payment == PaymentStatus::too_late) add("缴费过晚，待遇起始日已超出本年度待遇享受期");
  if (a.payment == PaymentStatus::window_closed)
    add(a.has_window && a.window_close_known
            ? fmt::format("征缴期已于{}结束，且不符合中途参保情形：本年度已无法参保缴费", a.window_close.str())
            : std::string("征缴期已结束，且不符合中途参保情形：本年度已无法参保缴费"));
  if (a.open & open_parent_insured) add("需核实父母参保情况：新生儿是否免缴取决于父母是否在省内参保（花名册未填写）");
  return out;
}

}  // namespace canbao
