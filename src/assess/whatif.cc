#include "assess/whatif.h"

namespace canbao {

namespace {
void tally(const Policy& p, const Assessment& a, WhatIfSide& s) {
  if (!a.eligible) return;
  ++s.eligible;
  if (a.winner >= 0) ++s.subsidised;
  if (!a.due_known) { ++s.unknown_due; return; }
  s.individual_total += a.due;
  for (int i = 0; i < a.nlines; ++i)
    s.by_payer[p.subsidies[a.lines[i].rule].payers[a.lines[i].payer].payer] += a.lines[i].amount;
}
}  // namespace

WhatIf what_if(const Policy& base, const Policy& variant, const PersonColumns& persons, Date as_of) {
  WhatIf w;
  Assessment a, b;
  for (size_t i = 0; i < persons.size(); ++i) {
    PersonFacts f = persons.facts(i);
    assess(base, f, as_of, a);
    assess(variant, f, as_of, b);
    ++w.persons;
    tally(base, a, w.base);
    tally(variant, b, w.variant);
    if (a.due_known && b.due_known && a.due != b.due) {
      ++w.due_changed;
      (b.due > a.due ? w.pay_more : w.pay_less)++;
    }
    std::string ra = a.winner >= 0 ? base.subsidies[a.winner].id : "";
    std::string rb = b.winner >= 0 ? variant.subsidies[b.winner].id : "";
    if (ra != rb) ++w.moves[{ra, rb}];
  }
  return w;
}

}  // namespace canbao
