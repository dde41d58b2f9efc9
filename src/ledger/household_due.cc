#include "ledger/household_due.h"

#include <fmt/format.h>

#include "ledger/checks.h"
#include "ledger/person_facts.h"
#include "store/admin_store.h"

namespace canbao::ledger {

std::string_view due_status_id(DueStatus s) {
  switch (s) {
    case DueStatus::owing: return "owing";
    case DueStatus::paid: return "paid";
    case DueStatus::not_required: return "not_required";
    case DueStatus::cannot_pay: return "cannot_pay";
  }
  return "cannot_pay";
}

std::string_view due_status_label(DueStatus s) {
  switch (s) {
    case DueStatus::owing: return "待缴费";
    case DueStatus::paid: return "已缴费";
    case DueStatus::not_required: return "无需缴费";
    case DueStatus::cannot_pay: return "暂不能缴费";
  }
  return "暂不能缴费";
}

namespace {

std::vector<Category> categories_of(CategoryMask m) {
  std::vector<Category> out;
  for (int i = 0; i < kCategoryCount; ++i)
    if (m & bit(Category(i))) out.push_back(Category(i));
  return out;
}

void set_subsidies(const Policy& pol, const Assessment& a, MemberDue& m) {
  for (int k = 0; k < a.nlines; ++k) {
    const auto& rule = pol.subsidies.at(size_t(a.lines[k].rule));
    m.subsidies.push_back({rule.payers.at(size_t(a.lines[k].payer)).payer, rule.label, a.lines[k].amount.fen});
  }
}

// A refusal the collector cannot fix at the door because the person does not
// pay here at all: 职工医保 members and students insured through their school.
bool not_required(const Refusal& ref, const PersonFacts& f, MemberDue& m) {
  if (ref.code == "employee_insured") {
    m.reason = ref.message;
    return true;
  }
  bool elsewhere = ref.code == "not_enrolled" || ref.code == "out_of_scope" || ref.code == "registration_required";
  if (elsewhere && f.has(Category::university_student)) {
    m.reason = "在校大学生由所在高校统一办理参保缴费";
    return true;
  }
  return false;
}

}  // namespace

MemberDue member_due(store::Store& st, const io::PolicySet& policies, const Actor& actor, const store::Person& p,
                     int year, Date day) {
  MemberDue m;
  m.person = p;
  OneFacts of;
  person_facts(st, p, year, of);
  m.categories = categories_of(of.facts.categories);
  if (p.deceased_on && !(day < *p.deceased_on)) {
    m.status = DueStatus::not_required;
    m.code = "deceased";
    m.reason = fmt::format("该人员已于 {} 死亡", p.deceased_on->str());
    return m;
  }
  // need_unpaid=false: a paid member is reported with their receipt, not refused.
  Checked c;
  Refusal ref;
  if (!check_person(st, policies, actor, p.id_number, year, day, false, c, ref, nullptr)) {
    m.code = ref.code;
    if (not_required(ref, of.facts, m)) {
      m.status = DueStatus::not_required;
    } else {
      m.status = DueStatus::cannot_pay;
      m.reason = ref.message;
    }
    return m;
  }
  set_subsidies(*c.policy, c.a, m);
  if (c.a.due_known) m.individual_due_fen = c.a.due.fen;
  if (c.enrollment.status == store::EnrollmentStatus::paid) {
    m.status = DueStatus::paid;
    auto receipts = st.admin().standing_receipts(p.id_number, year);
    if (!receipts.empty()) m.receipt_no = receipts.back();
    return m;
  }
  if (!check_window(*c.policy, c.a, day, ref)) {
    m.status = DueStatus::cannot_pay;
    m.code = ref.code;
    m.reason = ref.message;
    return m;
  }
  if (!c.a.due_known) {
    m.status = DueStatus::cannot_pay;
    m.code = "due_unknown";
    m.reason = "政策文件未明确该人员的个人缴费金额（需本地配置），暂不能收费：" + assessment_reason(*c.policy, c.a);
    return m;
  }
  m.status = DueStatus::owing;
  return m;
}

std::optional<HouseholdDue> household_due(store::Store& st, const io::PolicySet& policies, const Actor& actor,
                                          std::string_view household_id, int year, Date day) {
  auto h = st.household(household_id);
  if (!h) return std::nullopt;
  auto people = st.household_members(household_id);
  bool visible = actor.in_scope(h->region);
  for (const auto& p : people) visible |= actor.in_scope(p.hukou);
  if (!visible) return std::nullopt;
  HouseholdDue out;
  out.household = *h;
  out.year = year;
  out.day = day;
  for (const auto& p : people) {
    auto m = member_due(st, policies, actor, p, year, day);
    // A member the actor may not see stays out of the card (name and all).
    if (m.code == "not_found") continue;
    if (m.status == DueStatus::owing) out.total_due_fen += *m.individual_due_fen;
    out.members.push_back(std::move(m));
  }
  return out;
}

}  // namespace canbao::ledger
