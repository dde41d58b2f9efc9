#include "ledger/person_facts.h"

#include <span>

#include "registry/facts_builder.h"

namespace canbao::ledger {

BatchSource::BatchSource(store::Store& st, std::span<const std::string_view> ids, int year_from, int year_to)
    : st_(st), year_from_(year_from), year_to_(year_to) {
  auto r = st.persons_read(ids, year_from, year_to);
  of_.reserve(ids.size());
  for (auto id : ids) of_.try_emplace(std::string(id));
  for (auto& p : r.persons) {
    auto it = of_.find(p.id_number);
    if (it != of_.end()) it->second.person = std::move(p);
  }
  // The read keeps each person's rows in the order the one-person calls give.
  for (auto& e : r.enrollments)
    if (auto it = of_.find(e.person); it != of_.end()) it->second.enrollments.push_back(std::move(e));
  for (auto& c : r.categories)
    if (auto it = of_.find(c.person); it != of_.end()) it->second.categories.push_back(std::move(c));
  for (auto& e : r.employee)
    if (auto it = of_.find(e.person); it != of_.end()) it->second.employee.push_back(std::move(e));
}

const BatchSource::Of* BatchSource::find(std::string_view id) const {
  auto it = of_.find(std::string(id));
  return it == of_.end() ? nullptr : &it->second;
}

std::optional<store::Person> BatchSource::person(std::string_view id) {
  const Of* o = find(id);
  return o ? o->person : st_.person(id);
}

std::vector<store::Enrollment> BatchSource::enrollments_of(std::string_view id, int year) {
  const Of* o = find(id);
  if (!o || year < year_from_ || year_to_ < year) return st_.enrollments_of(id, year);
  std::vector<store::Enrollment> out;
  for (const auto& e : o->enrollments)
    if (e.year == year) out.push_back(e);
  return out;
}

std::vector<store::PersonCategory> BatchSource::categories_of(std::string_view id) {
  const Of* o = find(id);
  return o ? o->categories : st_.categories_of(id);
}

std::vector<store::EmployeeInsured> BatchSource::employee_insured(std::string_view id) {
  const Of* o = find(id);
  return o ? o->employee : st_.employee_insured(id);
}

void person_facts(store::Store& st, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled) {
  StoreSource src(st);
  person_facts(src, p, year, out, enrolled);
}

void person_facts(PersonSource& st, const store::Person& p, int year, OneFacts& out,
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
