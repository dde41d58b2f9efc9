// Policy routes (issue 5 §7, issue 6 §7): the loaded policies as readable
// tables with their citations, a diff of two, and what-if over the registry.
//
//   GET  /api/v1/policies                 list (?year=)
//   GET  /api/v1/policies/diff?a=&b=      DiffRow rows
//   GET  /api/v1/policies/{id}            one policy, every rule with its cite and note
//   POST /api/v1/policies/whatif          a changed copy over the stored persons in scope
#include <fmt/format.h>

#include <algorithm>

#include "assess/batch.h"
#include "assess/whatif.h"
#include "policy/describe.h"
#include "policy/diff.h"
#include "registry/facts_builder.h"
#include "server/api.h"

namespace canbao::server {

namespace {

json source_json(const Source& s) {
  return {{"cite", s.cite}, {"note", s.note.empty() ? json() : json(s.note)}};
}

json categories_json(CategoryMask m) {
  json a = json::array();
  for (int i = 0; i < kCategoryCount; ++i)
    if (m & (CategoryMask{1} << i)) a.push_back(std::string(category_id(static_cast<Category>(i))));
  return a;
}

json opt_date(const std::optional<Date>& d) { return d ? json(d->str()) : json(); }

json policy_summary(const Policy& p) {
  return {{"id", p.id},       {"jurisdiction", p.jurisdiction}, {"region", p.region.str()},
          {"year", p.year},   {"document", p.document},         {"title", p.title},
          {"standard_fen", p.individual_standard.fen}};
}

json policy_json(const Policy& p) {
  json j = policy_summary(p);
  j["standard_cite"] = p.standard_source.cite;
  j["standard_note"] = source_json(p.standard_source)["note"];
  j["fiscal_fen"] = p.fiscal_subsidy ? json(p.fiscal_subsidy->fen) : json();
  j["fiscal_cite"] = p.fiscal_source.cite;
  j["fiscal_note"] = source_json(p.fiscal_source)["note"];
  j["total_per_person_fen"] = p.fiscal_subsidy ? json((p.individual_standard + *p.fiscal_subsidy).fen) : json();
  json fs = json::array();
  for (auto& s : p.fiscal_split)
    fs.push_back({{"level", s.level}, {"name", s.name}, {"share_text", s.share_text}, {"fen", s.amount.fen},
                  {"cite", s.source.cite}, {"note", source_json(s.source)["note"]}});
  j["fiscal_split"] = fs;
  j["agent_fee_fen"] = p.agent_fee_per_person ? json(p.agent_fee_per_person->fen) : json();
  j["agent_fee_cite"] = p.agent_fee_per_person ? json(p.agent_fee_source.cite) : json();
  j["agent_fee_note"] = p.agent_fee_per_person ? source_json(p.agent_fee_source)["note"] : json();
  json elig = source_json(p.eligibility_source);
  elig["hukou_or_residence_in"] = json::array();
  for (auto r : p.enroll_hukou_or_residence_in) elig["hukou_or_residence_in"].push_back(r.str());
  elig["regardless_of_place"] = categories_json(p.enroll_regardless_of_place);
  elig["excluded"] = categories_json(p.excluded);
  elig["text"] = eligibility_text(p);
  json school = json::object();
  for (auto& [c, rc] : p.school_in) school[std::string(category_id(c))].push_back(rc.str());
  elig["school_in"] = school;
  j["eligibility"] = elig;
  json cov = source_json(p.coverage_source);
  cov["start"] = p.coverage_period.first.str();
  cov["end"] = p.coverage_period.last.str();
  j["coverage"] = cov;
  json comb = source_json(p.combine_source);
  comb["label"] = "就高不就低，不重复资助";
  comb["text"] = combine_text(p);
  comb["lists_as_of"] = opt_date(p.lists_as_of);
  comb["newly_special"] = categories_json(p.newly_special_categories);
  {
    std::vector<const SubsidyRule*> ranked;
    for (auto& r : p.subsidies)
      if (r.rank > 0) ranked.push_back(&r);
    std::sort(ranked.begin(), ranked.end(), [](auto* a, auto* b) { return a->rank < b->rank; });
    json order = json::array();
    for (auto* r : ranked) order.push_back(r->id);
    comb["order"] = order;
  }
  j["combine"] = comb;
  json ws = json::array();
  for (auto& w : p.windows) {
    json x = source_json(w.source);
    x.update({{"id", w.id}, {"label", w.label}, {"open", w.open.str()}, {"close", opt_date(w.close)},
              {"days_of_month", {w.day_min, w.day_max}}, {"for", condition_text(w.applies_to)},
              {"coverage", std::string(coverage_start_id(w.coverage))},
              {"coverage_text", std::string(coverage_start_text(w.coverage))},
              {"days_text", window_days_text(w)}});
    ws.push_back(x);
  }
  j["windows"] = ws;
  json lps = json::array();
  for (auto& l : p.late_paths) {
    json x = source_json(l.source);
    x.update({{"id", l.id}, {"label", l.label}, {"condition", condition_text(l.when)},
              {"coverage", std::string(coverage_start_id(l.coverage))}, {"waiting_months", l.waiting_months},
              {"accept_until", opt_date(l.accept_until)},
              {"coverage_text", std::string(coverage_start_text(l.coverage))},
              {"counted_to", l.counted_to_registration ? "registration" : "payment"}});
    lps.push_back(x);
  }
  j["late_paths"] = lps;
  json subs = json::array(), unspec = json::array();
  for (auto& r : p.subsidies) {
    json x = source_json(r.source);
    bool unspecified = r.kind == AmountKind::unspecified;
    json payers = json::array();
    for (auto& pl : r.payers)
      payers.push_back({{"payer", pl.payer},
                        {"fen", unspecified ? json() : json(pl.amount.fen)},
                        {"unconfigured", pl.configured() ? json() : json(pl.unconfigured)}});
    auto due = individual_due(p, r);
    json individual = due ? json(due->fen) : json();
    // Only a rule that tests a category reads a department list; `as_of` keeps its old name.
    json list_day = opt_date(rule_list_day(r));
    json overrides = json::array();
    for (int o : r.overrides) overrides.push_back(p.subsidies[size_t(o)].id);
    x.update({{"id", r.id},
              {"label", r.label},
              {"categories", categories_json(r.when.any | r.when.all)},
              {"condition", condition_text(r.when)},
              {"amount_fen", unspecified ? json() : json(r.amount.fen)},
              {"amount_text", r.amount_text},
              {"individual_fen", individual},
              {"individual_text", individual_text(p, r)},
              {"payers", payers},
              {"mode", std::string(mode_id(r.mode))},
              {"mode_label", std::string(mode_label(r.mode))},
              {"as_of", list_day},
              {"list_as_of", list_day},
              {"rank", r.rank > 0 ? json(r.rank) : json()},
              {"overrides", overrides},
              {"unspecified_reason", unspecified ? json(r.unspecified_reason) : json()},
              {"grade_required", r.grade_required},
              {"personal_window_unspecified",
               r.personal_window_unspecified.empty() ? json() : json(r.personal_window_unspecified)}});
    subs.push_back(x);
    if (unspecified)
      unspec.push_back({{"id", r.id}, {"label", r.label}, {"reason", r.unspecified_reason}, {"cite", r.source.cite}});
  }
  j["subsidies"] = subs;
  j["unspecified"] = unspec;
  j["refund"] = {{"rule", p.refund == Policy::Refund::allowed                    ? "allowed"
                          : p.refund == Policy::Refund::not_after_coverage_start ? "not_after_coverage_start"
                                                                                  : "unspecified"},
                 {"cite", p.refund_source.cite},
                 {"note", source_json(p.refund_source)["note"]},
                 {"text", refund_text(p)}};
  j["family_account"] = {{"allowed", p.family_account_payment},
                         {"text", family_account_text(p)},
                         {"cite", p.family_account_source.cite.empty() ? json() : json(p.family_account_source.cite)},
                         {"note", source_json(p.family_account_source)["note"]}};
  j["registration"] = p.register_before_self_payment
                         ? json{{"before_self_payment", "new_or_lapsed"},
                                {"text", registration_text(p)},
                                {"cite", p.register_first_source.cite},
                                {"note", source_json(p.register_first_source)["note"]}}
                         : json();
  json remarks = json::array();
  for (auto& r : p.remarks) remarks.push_back(source_json(r));
  j["remarks"] = remarks;
  json stages = json::array();
  for (auto& s : p.stages)
    stages.push_back({{"id", s.id}, {"label", s.label}, {"from", s.range.first.str()}, {"to", s.range.last.str()},
                      {"cite", s.source.cite}, {"note", source_json(s.source)["note"]}});
  j["stages"] = stages;
  json targets = json::array();
  for (auto& t : p.targets) {
    json extra = json::object();
    for (auto& [k, v] : t.extra) extra[k] = v;
    targets.push_back({{"unit", t.unit}, {"region", t.region}, {"target", t.target}, {"extra", extra}});
  }
  j["targets"] = targets;
  j["targets_cite"] = p.targets_source.cite;
  j["targets_note"] = source_json(p.targets_source)["note"];
  return j;
}

const Policy& find_policy(Api& api, const std::string& id, const char* field) {
  for (auto& p : api.policies.all())
    if (p.id == id) return p;
  fail(404, "not_found", fmt::format("没有政策 {}", id), field);
}

// "minimum_living_veteran", or the same with the policy's short prefix
// ("guichi.minimum_living_veteran") as the UI writes rule ids.
int find_rule(const Policy& p, const std::string& rule) {
  int i = p.find_subsidy(rule);
  if (i >= 0) return i;
  auto dot = rule.find('.');
  if (dot != std::string::npos && p.id.rfind(rule.substr(0, dot), 0) == 0) return p.find_subsidy(rule.substr(dot + 1));
  return -1;
}

}  // namespace

void add_policy_routes(Api& api) {
  using Ctx = Api::Ctx;
  using Access = Api::Access;

  api.route("GET", "/api/v1/policies", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int64_t year = Api::qyear(c);
    json items = json::array();
    for (auto& p : api.policies.all())
      if (!year || p.year == year) items.push_back(policy_summary(p));
    Api::send_json(c.res, 200, {{"items", items}});
  });

  api.route("GET", "/api/v1/policies/diff", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto a = Api::qp(c, "a"), b = Api::qp(c, "b");
    if (a.empty()) fail(400, "missing_field", "缺少参数 a", "a");
    if (b.empty()) fail(400, "missing_field", "缺少参数 b", "b");
    const Policy& pa = find_policy(api, a, "a");
    const Policy& pb = find_policy(api, b, "b");
    json rows = json::array();
    for (auto& r : diff_policies(pa, pb))
      rows.push_back({{"section", r.section}, {"left", r.left}, {"right", r.right}, {"differs", r.differs}});
    Api::send_json(c.res, 200, {{"a", policy_summary(pa)}, {"b", policy_summary(pb)}, {"rows", rows}});
  });

  api.route("GET", R"(/api/v1/policies/([A-Za-z0-9_\-]+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    Api::send_json(c.res, 200, policy_json(find_policy(api, c.req.matches[1].str(), "id")));
  });

  // What-if: a copy of the policy with subsidy amounts changed, over every
  // stored person (alive at the year's start) whose hukou lies in both the
  // actor's scope and the policy's region. Facts come from the registry's
  // builder (the same path as `canbao assess --db`), a chunk at a time.
  api.route("POST", "/api/v1/policies/whatif", Access::session, [&api](Ctx& c) {
    Api::need(c, "policy.whatif");
    auto b = Api::body(c);
    const Policy& base = find_policy(api, Api::str_field(b, "policy", true), "policy");
    if (!b.contains("changes") || !b["changes"].is_array())
      fail(400, "missing_field", "缺少 changes（数组）", "changes");
    Policy variant = base;
    json applied = json::array();
    for (size_t k = 0; k < b["changes"].size(); ++k) {
      const json& ch = b["changes"][k];
      if (!ch.is_object()) fail(400, "bad_field", "changes 的每一项须为对象", "changes");
      std::string rule = Api::str_field(ch, "rule", true);
      int i = find_rule(variant, rule);
      if (i < 0) fail(422, "unknown_rule", fmt::format("政策 {} 没有资助规则 {}", base.id, rule), "changes");
      Money amount{Api::int_field(ch, "amount_fen", true)};
      std::vector<Money> shares;
      if (ch.contains("payers")) {
        if (!ch["payers"].is_array()) fail(400, "bad_field", "payers 须为数组", "changes");
        for (auto& pj : ch["payers"]) shares.push_back(Money{Api::int_field(pj, "fen", true)});
      }
      Money before = variant.subsidies[size_t(i)].amount;
      if (auto err = set_subsidy_amount(variant, i, amount, shares); !err.empty())
        fail(422, "bad_change", err, "changes", json{{"index", k}, {"rule", rule}});
      applied.push_back({{"rule", variant.subsidies[size_t(i)].id},
                         {"label", variant.subsidies[size_t(i)].label},
                         {"from_fen", before.fen},
                         {"to_fen", amount.fen}});
    }
    Date as_of = Api::date_field(b, "as_of").value_or(api.today());
    // The population: the actor's scope within the policy's region.
    RegionCode scope = base.region;
    if (!c.actor.scope.empty()) {
      if (c.actor.scope.inside(base.region)) scope = c.actor.scope;
      else if (!base.region.inside(c.actor.scope)) fail(404, "not_found", "该政策的地区不在您的管辖范围内", "policy");
    }
    WhatIf total;
    auto l = api.pool->lease();
    registry::build_facts(*l, scope, base.year, 20000, [&](const registry::FactsChunk& fc) {
      PersonColumns cols;
      cols.reserve(fc.facts.size());
      for (auto& f : fc.facts) cols.push_back(f);
      add_whatif(total, what_if(base, variant, cols, as_of));
    });
    json j = whatif_json(total);
    j["policy"] = base.id;
    j["scope"] = scope.str();
    j["as_of"] = as_of.str();
    j["changes"] = applied;
    Api::send_json(c.res, 200, j);
  });
}

}  // namespace canbao::server
