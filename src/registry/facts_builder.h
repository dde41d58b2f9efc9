// Builds assessment facts (assess/facts.h) for every person of a region from
// the store, chunk by chunk, so a county of millions is assessed in constant
// memory. Categories come from the roster (undated) and department lists
// (dated by the day the person entered the list: a list entry dated after a
// policy's list as-of date must not grant that year's subsidy — the engine
// decides from PersonFacts.dated). Payment and registration days come from
// the person's active enrollment in the year.
#pragma once
#include <functional>
#include <span>
#include <vector>

#include "assess/facts.h"
#include "store/store.h"

namespace canbao::registry {

// Owns everything the PersonFacts of one chunk point into.
struct FactsChunk {
  std::vector<store::Person> persons;     // same order as facts
  std::vector<DatedCategory> dated;       // spans of facts[i].dated point here
  std::vector<PersonFacts> facts;
};

// Persons deceased before the year starts are left out. `fn` sees each
// chunk once; the spans are valid only during the call.
void build_facts(store::Store& st, RegionCode scope, int year, size_t chunk,
                 const std::function<void(const FactsChunk&)>& fn);

// The facts a stored person carries by itself (no categories, no enrollment days).
PersonFacts person_base_facts(const store::Person& p);
// Folds one stored category into `f`: skipped when it ended before the year;
// its certification day kept in `dated` (entries from `first` on belong to
// this person), the earliest day winning.
void add_category(PersonFacts& f, std::vector<DatedCategory>& dated, size_t first, const store::PersonCategory& c,
                  Date year_start);

// Facts of one chunk of persons (used by build_facts; exposed for tests).
void fill_facts(store::Store& st, std::vector<store::Person> persons, int year, FactsChunk& out);

}  // namespace canbao::registry
