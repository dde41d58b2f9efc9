#include "ledger/person_facts.h"

#include <span>

#include "registry/facts_builder.h"

namespace canbao::ledger {

void person_facts(store::Store& st, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled) {
  const Date year_start = Date::from_ymd(year, 1, 1);
  PersonFacts f = registry::person_base_facts(p);
  out.dated.clear();
  for (const auto& c : st.categories_of(p.id_number)) registry::add_category(f, out.dated, 0, c, year_start);
  std::vector<store::Enrollment> read;
  if (!enrolled) read = st.enrollments_of(p.id_number, year);
  for (const auto& e : enrolled ? *enrolled : read) {
    if (!store::is_active(e.status)) continue;
    if (e.paid_on) { f.has_paid_on = true; f.paid_on = *e.paid_on; }
    if (e.registered_on) { f.has_registered_on = true; f.registered_on = *e.registered_on; }
  }
  f.dated = std::span<const DatedCategory>(out.dated);
  out.facts = f;
}

}  // namespace canbao::ledger
