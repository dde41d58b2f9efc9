// Facts of one person for one year, from indexed per-person reads
// (registry::fill_facts reads by key range, which suits chunks of a scan, not
// one person). Shared by the ledger's checks and the server's person pages.
#pragma once
#include <vector>

#include "assess/facts.h"
#include "store/store.h"

namespace canbao::ledger {

struct OneFacts {
  std::vector<DatedCategory> dated;
  PersonFacts facts;  // facts.dated points into `dated`: keep them together
};
// `enrolled`: the person's enrollments of `year` when the caller has read them
// already (saves the read); only active enrollments give paid/registered dates.
void person_facts(store::Store& st, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled = nullptr);

}  // namespace canbao::ledger
