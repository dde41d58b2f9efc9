#include "ledger/checks.h"

#include <fmt/format.h>

#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/person_facts.h"

namespace canbao::ledger {

namespace {

// Insured here the year before: a paid enrollment of year - 1 inside the
// policy's region (what the registry knows of 续费 vs 断保/新参保).
bool insured_here_last_year(PersonSource& st, std::string_view id, int year, const Policy& pol) {
  for (const auto& e : st.enrollments_of(id, year - 1))
    if (e.place.inside(pol.region) && (e.paid_on || e.status == store::EnrollmentStatus::paid)) return true;
  return false;
}

Refusal registration_required(const Policy& pol, std::string why) {
  return refusal(ErrorKind::refused, "registration_required",
                 fmt::format("{}（{}）。该人员上年度未在本地参加居民医保（断保或新参保），{}", pol.register_first_words,
                             pol.register_first_source.cite, why),
                 "person", nlohmann::json{{"cite", pol.register_first_source.cite}});
}

}  // namespace

bool check_person(store::Store& st, const io::PolicySet& policies, const Actor& actor, std::string_view id, int year,
                  Date day, bool need_unpaid, Checked& c, Refusal& ref, const Channel* ch) {
  StoreSource src(st);
  return check_person(src, policies, actor, id, year, day, need_unpaid, c, ref, ch);
}

bool check_person(PersonSource& st, const io::PolicySet& policies, const Actor& actor, std::string_view id, int year,
                  Date day, bool need_unpaid, Checked& c, Refusal& ref, const Channel* ch) {
  auto person = st.person(id);
  auto enr = person ? st.enrollments_of(id, year) : std::vector<store::Enrollment>{};
  bool visible = person && actor.in_scope(person->hukou);
  for (auto& e : enr) visible |= actor.in_scope(e.place);
  if (!person || !visible) {
    ref = refusal(ErrorKind::not_found, "not_found", "未找到该人员（或不在您的管辖范围内）", "person");
    return false;
  }
  c.person = *person;
  std::vector<store::Enrollment> active;
  for (auto& e : enr)
    if (store::is_active(e.status)) active.push_back(e);
  if (active.empty()) {
    // Where the document makes new residents register before paying by
    // themselves, say so with its words rather than the generic refusal.
    const Policy* here = person->residence.empty() ? nullptr : policies.find(person->residence, year);
    if (!here) here = policies.find(person->hukou, year);
    if (ch && ch->self_service && here && here->register_before_self_payment &&
        !insured_here_last_year(st, id, year, *here)) {
      ref = registration_required(*here, fmt::format("尚未办理 {} 年度参保登记，须先到医保经办机构或基层医保服务站（点）登记后方可自主缴费", year));
      return false;
    }
    ref = refusal(ErrorKind::refused, "not_enrolled", fmt::format("该人员尚未办理 {} 年度参保登记，请先登记", year), "person");
    return false;
  }
  if (active.size() > 1) {
    ref = refusal(ErrorKind::conflict, "duplicate_enrollment", "该人员本年度存在多条有效参保登记（重复参保），请先办理参保暂停", "person");
    return false;
  }
  c.enrollment = active[0];
  if (!actor.in_scope(c.enrollment.place)) {
    ref = refusal(ErrorKind::forbidden, "out_of_scope", "该人员的参保地不在您的管辖范围内", "person");
    return false;
  }
  if (need_unpaid && c.enrollment.status == store::EnrollmentStatus::paid) {
    ref = refusal(ErrorKind::conflict, "already_paid", "该人员本年度已缴费，不能重复缴费");
    return false;
  }
  c.policy = policies.find(c.enrollment.place, year);
  if (!c.policy) {
    ref = refusal(ErrorKind::refused, "no_policy", fmt::format("参保地 {} 没有 {} 年度的政策", c.enrollment.place.str(), year));
    return false;
  }
  for (const auto& e : st.employee_insured(id)) {
    bool from_ok = !e.insured_from || *e.insured_from <= day;
    bool to_ok = !e.insured_to || day <= *e.insured_to;
    if (from_ok && to_ok) {
      ref = refusal(ErrorKind::refused, "employee_insured", "该人员已参加职工基本医疗保险，不能参加城乡居民医保（重复参保）");
      return false;
    }
  }
  int8_t last_year = -1;
  if (c.policy->register_before_self_payment) {
    last_year = insured_here_last_year(st, id, year, *c.policy) ? 1 : 0;
    if (ch && ch->self_service && last_year == 0 && c.enrollment.registered_on && day < *c.enrollment.registered_on) {
      ref = registration_required(*c.policy, fmt::format("缴费日期 {} 早于参保登记日期 {}，须登记后方可自主缴费", day.str(),
                                                         c.enrollment.registered_on->str()));
      return false;
    }
  }
  OneFacts of;
  person_facts(st, *person, year, of, &enr);  // enrollments read above
  PersonFacts f = of.facts;
  f.insured_last_year = last_year;
  f.has_paid_on = true;
  f.paid_on = day;
  if (c.enrollment.registered_on) {
    f.has_registered_on = true;
    f.registered_on = *c.enrollment.registered_on;
  }
  assess(*c.policy, f, day, c.a);
  if (!c.a.eligible) {
    if (c.a.ineligible == Ineligible::employee_insured)
      ref = refusal(ErrorKind::refused, "employee_insured", "该人员已参加职工基本医疗保险，不能参加城乡居民医保（重复参保）");
    else
      ref = refusal(ErrorKind::refused, "not_eligible", "该人员不符合本统筹区参保条件：" + assessment_reason(*c.policy, c.a));
    return false;
  }
  return true;
}

bool check_window(const Policy& pol, const Assessment& a, Date day, Refusal& ref) {
  if (a.payment == PaymentStatus::accepted) return true;
  nlohmann::json det = {{"window_open", a.has_window ? nlohmann::json(a.window_open.str()) : nlohmann::json()},
                        {"window_close", a.has_window && a.window_close_known ? nlohmann::json(a.window_close.str())
                                                                              : nlohmann::json()},
                        {"paid_on", day.str()}};
  std::string win = a.has_window ? fmt::format("{} 至 {}", a.window_open.str(),
                                               a.window_close_known ? a.window_close.str() : std::string("（未定）"))
                                 : std::string("（无）");
  switch (a.payment) {
    case PaymentStatus::outside_window: {
      for (const auto& w : pol.windows) {
        bool in_dates = w.open <= day && (!w.close || day <= *w.close);
        if (in_dates && !w.allows(day)) {
          det["allowed_days"] = {w.day_min, w.day_max};
          ref = refusal(ErrorKind::refused, "day_not_allowed",
                        fmt::format("缴费日期 {} 不在允许缴费的日期内：每月 {}–{} 日（集中征缴期 {}）", day.str(),
                                    w.day_min, w.day_max, win),
                        "paid_on", det);
          return false;
        }
      }
      ref = refusal(ErrorKind::refused, "outside_window",
                    fmt::format("缴费日期 {} 不在集中征缴期内（{}），且不符合中途参保条件", day.str(), win),
                    "paid_on", det);
      return false;
    }
    case PaymentStatus::too_late:
      ref = refusal(ErrorKind::refused, "too_late", fmt::format("缴费日期 {} 过晚：待遇享受期将在生效前结束", day.str()), "paid_on", det);
      return false;
    case PaymentStatus::undetermined:
      // Two documents leave the time open in different ways: 乌拉特前旗 names
      // no closing day; its 单纯低保户 pay "具体缴费时间另行通知".
      ref = refusal(ErrorKind::refused, "undetermined",
                    (a.open & open_personal_window)
                        ? fmt::format("{} 的缴费需本地确认后办理：{}", day.str(), assessment_reason(pol, a))
                        : fmt::format("政策文件未规定集中征缴期截止日，{} 的缴费需本地确认后办理", day.str()),
                    "paid_on", det);
      return false;
    default:
      ref = refusal(ErrorKind::refused, "outside_window", fmt::format("缴费日期 {} 无法确认是否可以缴费", day.str()), "paid_on", det);
      return false;
  }
}

std::optional<Refusal> backdate_refusal(const Actor& actor, const std::string& reason, Date day, Date today,
                                        bool tax_record) {
  if (actor.backdate_days < 0 || tax_record) return std::nullopt;
  Date earliest = today.plus_days(-actor.backdate_days);
  if (!(day < earliest)) return std::nullopt;
  if (actor.role == "admin" && !reason.empty()) return std::nullopt;
  return refusal(ErrorKind::refused, "backdated",
                 fmt::format("缴费日期 {} 早于允许补录的期限：最多可填写 {} 天前的日期（{} 起）；更早的日期须由管理员"
                             "填写补录原因（backdate_reason）办理",
                             day.str(), actor.backdate_days, earliest.str()),
                 "paid_on", nlohmann::json{{"earliest", earliest.str()}, {"backdate_days", actor.backdate_days}});
}

}  // namespace canbao::ledger
