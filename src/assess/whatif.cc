#include "assess/whatif.h"

#include <nlohmann/json.hpp>

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

void add_whatif(WhatIf& t, const WhatIf& p) {
  for (auto [ts, ps] : {std::pair{&t.base, &p.base}, std::pair{&t.variant, &p.variant}}) {
    ts->eligible += ps->eligible;
    ts->subsidised += ps->subsidised;
    ts->unknown_due += ps->unknown_due;
    ts->individual_total += ps->individual_total;
    for (auto& [k, v] : ps->by_payer) ts->by_payer[k] += v;
  }
  t.persons += p.persons;
  t.due_changed += p.due_changed;
  t.pay_more += p.pay_more;
  t.pay_less += p.pay_less;
  for (auto& [k, n] : p.moves) t.moves[k] += n;
}

namespace {
nlohmann::json side_json(const WhatIfSide& s) {
  nlohmann::json by = nlohmann::json::object();
  for (auto& [k, v] : s.by_payer) by[k] = v.fen;
  return {{"eligible", s.eligible}, {"subsidised", s.subsidised}, {"unknown_due", s.unknown_due},
          {"individual_total_fen", s.individual_total.fen}, {"by_payer", by}};
}
}  // namespace

nlohmann::json whatif_json(const WhatIf& w) {
  std::map<std::string, std::pair<Money, Money>> payers;
  for (auto& [k, v] : w.base.by_payer) payers[k].first = v;
  for (auto& [k, v] : w.variant.by_payer) payers[k].second = v;
  nlohmann::json pj = nlohmann::json::array();
  for (auto& [k, v] : payers)
    pj.push_back({{"payer", k}, {"base_fen", v.first.fen}, {"variant_fen", v.second.fen},
                  {"change_fen", (v.second - v.first).fen}});
  nlohmann::json mv = nlohmann::json::array();
  for (auto& [k, n] : w.moves)
    mv.push_back({{"from", k.first.empty() ? nlohmann::json() : nlohmann::json(k.first)},
                  {"to", k.second.empty() ? nlohmann::json() : nlohmann::json(k.second)},
                  {"persons", n}});
  return {{"persons", w.persons},
          {"due_changed", w.due_changed},
          {"pay_more", w.pay_more},
          {"pay_less", w.pay_less},
          {"base", side_json(w.base)},
          {"variant", side_json(w.variant)},
          {"individual_change_fen", (w.variant.individual_total - w.base.individual_total).fen},
          {"payers", pj},
          {"moves", mv}};
}

}  // namespace canbao
