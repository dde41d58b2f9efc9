#include "registry/assess_db.h"

#include <fmt/format.h>

#include <unordered_map>

#include "assess/assessment.h"
#include "registry/facts_builder.h"

namespace canbao::registry {

namespace {
std::string_view payment_id(PaymentStatus p) {
  switch (p) {
    case PaymentStatus::not_paid: return "not_paid";
    case PaymentStatus::accepted: return "accepted";
    case PaymentStatus::outside_window: return "outside_window";
    case PaymentStatus::too_late: return "too_late";
    case PaymentStatus::undetermined: return "undetermined";
    case PaymentStatus::window_closed: return "window_closed";
  }
  return "not_paid";
}
std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}
}  // namespace

AssessDbResult assess_registry(store::Store& st, const std::vector<Policy>& policies, const AssessDbOptions& opt) {
  AssessDbResult res;
  std::vector<const Policy*> ps;
  for (const auto& p : policies)
    if (p.year == opt.year) ps.push_back(&p);
  auto policy_for = [&](RegionCode place) -> const Policy* {
    const Policy* best = nullptr;
    for (auto* p : ps)
      if (place.inside(p->region) && (!best || p->region.level() > best->region.level())) best = p;
    return best;
  };
  const Date year_start = Date::from_ymd(opt.year, 1, 1);
  FactsChunk fc;
  std::vector<store::StoredAssessment> out;
  Assessment a;
  st.scan_persons({}, opt.chunk, [&](std::span<const store::Person> chunk) {
    std::vector<store::Person> keep;
    keep.reserve(chunk.size());
    for (const auto& p : chunk)
      if (!p.deceased_on || *p.deceased_on >= year_start) keep.push_back(p);
    res.persons += int64_t(chunk.size());
    auto enrolls = st.enrollments_for(keep, opt.year);
    std::unordered_map<std::string_view, const store::Enrollment*> active;
    for (const auto& e : enrolls)
      if (store::is_active(e.status)) active[e.person] = &e;  // the latest active one
    fill_facts(st, std::move(keep), opt.year, fc);
    out.clear();
    for (size_t i = 0; i < fc.facts.size(); ++i) {
      const auto& person = fc.persons[i];
      auto it = active.find(person.id_number);
      if (it == active.end()) { ++res.not_enrolled; continue; }
      const store::Enrollment& e = *it->second;
      if (!opt.scope.empty() && !e.place.inside(opt.scope)) continue;
      const Policy* pol = policy_for(e.place);
      if (!pol) { ++res.no_policy; continue; }
      assess(*pol, fc.facts[i], opt.as_of, a, nullptr);
      store::StoredAssessment s;
      s.person = person.id_number;
      s.year = opt.year;
      s.policy = pol->id;
      s.place = e.place;
      s.enrollment = e.id;
      s.enrollment_status = store::status_id(e.status);
      s.eligible = a.eligible;
      if (a.ineligible == Ineligible::employee_insured) s.ineligible = "employee_insured";
      else if (a.ineligible == Ineligible::outside_region) s.ineligible = "outside_region";
      s.standard_fen = a.standard.fen;
      s.subsidy_fen = a.subsidy.fen;
      s.due_fen = a.due.fen;
      s.amounts_known = a.due_known && a.subsidy_known;
      if (a.winner >= 0) {
        const auto& rule = pol->subsidies[size_t(a.winner)];
        s.subsidy_rule = rule.id;
        s.subsidy_mode = mode_id(a.mode);
      }
      s.subsidy_lines_json = "[";
      for (int k = 0; k < a.nlines; ++k) {
        const auto& l = a.lines[k];
        std::string rule_id = l.rule >= 0 ? pol->subsidies[size_t(l.rule)].id : "";
        std::string payer = l.rule >= 0 && l.payer >= 0 ? pol->subsidies[size_t(l.rule)].payers[size_t(l.payer)].payer : "";
        s.subsidy_lines_json += fmt::format(R"({}{{"rule":"{}","payer":"{}","amount_fen":{}}})", k ? "," : "",
                                            json_escape(rule_id), json_escape(payer), l.amount.fen);
      }
      s.subsidy_lines_json += "]";
      s.payment_status = payment_id(a.payment);
      if (a.has_coverage) {
        s.coverage_start = a.coverage_start;
        s.coverage_end = a.coverage_end;
      }
      if (a.has_waiting) s.waiting_until = a.waiting_until;
      if (!a.eligible || a.open || a.payment == PaymentStatus::window_closed) s.reason = assessment_reason(*pol, a);
      if (!a.eligible) ++res.ineligible;
      if (a.open) ++res.open;
      res.due_fen += a.due.fen;
      res.subsidy_fen += a.subsidy.fen;
      out.push_back(std::move(s));
    }
    if (!out.empty()) {
      auto tx = st.transaction();
      st.put_assessments(out);
      tx.commit();
      res.assessed += int64_t(out.size());
    }
    if (opt.progress) opt.progress(res.persons);
  });
  return res;
}

}  // namespace canbao::registry
