#include "policy/policy.h"

namespace canbao {

bool Condition::empty() const {
  return !any && !all && !none && !disability_grade_max && !born_on_or_before && !born_on_or_after &&
         !hukou_in_region && events.empty() && employee_months_min < 0 && parent_insured < 0;
}

std::string_view mode_id(SubsidyMode m) {
  switch (m) {
    case SubsidyMode::paid_on_behalf: return "paid_on_behalf";
    case SubsidyMode::reimbursed: return "reimbursed";
    case SubsidyMode::waived: return "waived";
  }
  return "?";
}

std::string_view mode_label(SubsidyMode m) {
  switch (m) {
    case SubsidyMode::paid_on_behalf: return "代缴";
    case SubsidyMode::reimbursed: return "先缴后补";
    case SubsidyMode::waived: return "免缴";
  }
  return "?";
}

std::string_view coverage_start_id(CoverageStart s) {
  switch (s) {
    case CoverageStart::period_start: return "period_start";
    case CoverageStart::later_of_period_and_day_after_payment: return "later_of_period_and_day_after_payment";
    case CoverageStart::event_date: return "event_date";
    case CoverageStart::payment_month: return "payment_month";
    case CoverageStart::day_after_payment: return "day_after_payment";
    case CoverageStart::after_waiting: return "after_waiting";
    case CoverageStart::unspecified: return "unspecified";
  }
  return "?";
}

bool CollectionWindow::allows(Date d) const {
  if (d < open || (close && *close < d)) return false;
  int day = d.day();
  return day >= day_min && day <= day_max;
}

int Policy::find_subsidy(std::string_view id) const {
  for (size_t i = 0; i < subsidies.size(); ++i)
    if (subsidies[i].id == id) return static_cast<int>(i);
  return -1;
}

}  // namespace canbao
