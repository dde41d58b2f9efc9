#include "registry/facts_builder.h"

#include <algorithm>
#include <unordered_map>

namespace canbao::registry {

PersonFacts person_base_facts(const store::Person& p) {
  PersonFacts f;
  f.id_number = p.id_number;
  f.birth = p.birth;
  f.hukou = p.hukou;
  f.residence = p.residence;
  f.school_region = p.school_region;
  f.disability_grade = p.disability_grade;
  f.event = p.event;
  if (p.event_date) f.event_date = *p.event_date;
  f.employee_months = p.employee_months;
  f.parent_insured = p.parent_insured;
  return f;
}

void add_category(PersonFacts& f, std::vector<DatedCategory>& dated, size_t first, const store::PersonCategory& c,
                  Date year_start) {
  if (c.valid_to && *c.valid_to < year_start) return;  // ended before the year
  f.categories |= bit(c.category);
  if (!c.valid_from) return;
  // Keep the earliest certification day per category.
  auto pos = std::find_if(dated.begin() + long(first), dated.end(),
                          [&](const DatedCategory& d) { return d.category == c.category; });
  if (pos == dated.end()) dated.push_back({c.category, *c.valid_from});
  else if (*c.valid_from < pos->since) pos->since = *c.valid_from;
}

void fill_facts(store::Store& st, std::vector<store::Person> persons, int year, FactsChunk& out) {
  out.persons = std::move(persons);
  out.dated.clear();
  out.facts.clear();
  const Date year_start = Date::from_ymd(year, 1, 1);
  std::span<const store::Person> chunk(out.persons);
  auto cats = st.categories_for(chunk);
  auto enrolls = st.enrollments_for(chunk, year);
  // Both come ordered by person; index them by id.
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> cat_at, enr_at;
  for (size_t i = 0; i < cats.size();) {
    size_t j = i;
    while (j < cats.size() && cats[j].person == cats[i].person) ++j;
    cat_at[cats[i].person] = {i, j};
    i = j;
  }
  for (size_t i = 0; i < enrolls.size();) {
    size_t j = i;
    while (j < enrolls.size() && enrolls[j].person == enrolls[i].person) ++j;
    enr_at[enrolls[i].person] = {i, j};
    i = j;
  }
  std::vector<std::pair<size_t, size_t>> dated_ranges;
  dated_ranges.reserve(out.persons.size());
  out.facts.reserve(out.persons.size());
  for (const auto& p : out.persons) {
    PersonFacts f = person_base_facts(p);
    size_t d0 = out.dated.size();
    if (auto it = cat_at.find(p.id_number); it != cat_at.end())
      for (size_t k = it->second.first; k < it->second.second; ++k) add_category(f, out.dated, d0, cats[k], year_start);
    // An undated roster entry does not override a dated department list: the
    // list's day decides (the engine compares it with the policy's as-of date).
    dated_ranges.push_back({d0, out.dated.size()});
    if (auto it = enr_at.find(p.id_number); it != enr_at.end()) {
      for (size_t k = it->second.first; k < it->second.second; ++k) {
        const auto& e = enrolls[k];
        if (!store::is_active(e.status)) continue;
        if (e.paid_on) { f.has_paid_on = true; f.paid_on = *e.paid_on; }
        if (e.registered_on) { f.has_registered_on = true; f.registered_on = *e.registered_on; }
      }
    }
    out.facts.push_back(f);
  }
  // Spans only after `dated` stopped growing.
  for (size_t i = 0; i < out.facts.size(); ++i) {
    auto [a, b] = dated_ranges[i];
    out.facts[i].dated = std::span<const DatedCategory>(out.dated.data() + a, b - a);
  }
}

void build_facts(store::Store& st, RegionCode scope, int year, size_t chunk,
                 const std::function<void(const FactsChunk&)>& fn) {
  const Date year_start = Date::from_ymd(year, 1, 1);
  FactsChunk fc;
  st.scan_persons(scope, chunk, [&](std::span<const store::Person> ps) {
    std::vector<store::Person> keep;
    keep.reserve(ps.size());
    for (const auto& p : ps)
      if (!p.deceased_on || *p.deceased_on >= year_start) keep.push_back(p);
    fill_facts(st, std::move(keep), year, fc);
    fn(fc);
  });
}

}  // namespace canbao::registry
