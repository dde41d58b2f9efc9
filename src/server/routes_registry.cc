// Registry routes: regions, persons and households, enrollments (newborns,
// moves, suspensions). Answers mask ID numbers and names unless the role may
// unmask; a person outside the actor's scope is 404, not 403, so a lookup
// tells nothing of who exists elsewhere.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "assess/assessment.h"
#include "assess/report.h"
#include "core/id_number.h"
#include "core/pinyin.h"
#include "registry/rules.h"
#include "server/api.h"
#include "server/uploads.h"
#include "store/admin_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

struct PersonRow {
  store::Person p;
  int64_t enr_id = 0;
  std::string status;
  RegionCode place;
  std::optional<Date> paid_on;
};

json person_item(Api& api, store::Store& st, const PersonRow& r, int year, bool unmask = false) {
  json cats = json::array();
  for (const auto& c : st.categories_of(r.p.id_number)) {
    std::string id(category_id(c.category));
    if (std::find(cats.begin(), cats.end(), id) == cats.end()) cats.push_back(id);
  }
  json enr = nullptr;
  if (r.enr_id) {
    auto s = store::parse_status(r.status).value_or(store::EnrollmentStatus::registered);
    enr = {{"id", r.enr_id},
           {"year", year},
           {"status", r.status},
           {"status_label", store::status_label(s)},
           {"place", r.place.str()},
           {"paid_on", r.paid_on ? json(r.paid_on->str()) : json()}};
  }
  return json{{"id_number", unmask ? r.p.id_number : mask_id(r.p.id_number)},
              {"person_key", api.keys->encode(r.p.id_number)},
              {"name", unmask ? r.p.name : mask_name(r.p.name)},
              {"sex", r.p.male ? "M" : "F"},
              {"birth", r.p.birth.str()},
              {"household", r.p.household},
              {"hukou_region", r.p.hukou.str()},
              {"region_name", api.region_name(st, r.p.hukou)},
              {"categories", cats},
              {"psn_insu_stas", r.enr_id ? "1" : "0"},
              {"deceased", r.p.deceased_on.has_value()},
              {"deceased_on", r.p.deceased_on ? json(r.p.deceased_on->str()) : json()},
              {"enrollment", enr}};
}


// Persons in the actor's scope (by hukou or by enrollment place), one page;
// `total` counts every match.
std::vector<PersonRow> search_persons(Api& api, store::Store& st, const ledger::Actor& a, int year, const std::string& q,
                                      RegionCode village, const std::string& household, const std::string& status,
                                      int64_t offset, int64_t limit, int64_t* total) {
  auto page = st.admin().find_persons(person_filter(api, a, year, q, village, household, status), offset, limit);
  *total = page.total;
  std::vector<PersonRow> out;
  for (auto& row : page.rows) {
    PersonRow r;
    r.p.id_number = std::move(row.id_number);
    r.enr_id = row.enrollment;
    r.status = std::move(row.status);
    r.place = row.place;
    r.paid_on = row.paid_on;
    out.push_back(std::move(r));
  }
  for (auto& r : out)
    if (auto p = st.person(r.p.id_number)) r.p = *p;
  return out;
}

// The person if visible to the actor (hukou or an enrollment place in scope).
std::optional<PersonRow> visible_person(store::Store& st, const ledger::Actor& a, const std::string& id, int year) {
  auto p = st.person(id);
  if (!p) return std::nullopt;
  bool vis = a.in_scope(p->hukou);
  PersonRow r;
  r.p = *p;
  for (auto& e : st.enrollments_of(id, std::nullopt)) {
    vis |= a.in_scope(e.place);
    if (e.year == year && store::is_active(e.status)) {
      r.enr_id = e.id;
      r.status = store::status_id(e.status);
      r.place = e.place;
      r.paid_on = e.paid_on;
    }
  }
  if (!vis) return std::nullopt;
  return r;
}

json assessment_json(Api& api, store::Store& st, const store::Person& p, int year, std::optional<Date> paid_on,
                     RegionCode place, bool trace) {
  const Policy* pol = api.policies.find(place.empty() ? p.hukou : place, year);
  if (!pol) pol = api.policies.find(p.hukou, year);
  if (!pol) fail(422, "no_policy", fmt::format("该人员所在地区没有 {} 年度的政策", year));
  ledger::OneFacts of;
  ledger::person_facts(st, p, year, of);
  PersonFacts f = of.facts;
  if (paid_on) {
    f.has_paid_on = true;
    f.paid_on = *paid_on;
  }
  Assessment a;
  Trace tr;
  assess(*pol, f, paid_on.value_or(api.today()), a, trace ? &tr : nullptr);
  std::string line;
  append_jsonl(*pol, f, a, trace ? &tr : nullptr, line);
  while (!line.empty() && (line.back() == '\n')) line.pop_back();
  json j = json::parse(line);
  j["id_number"] = mask_id(p.id_number);
  j["policy"] = pol->id;
  j["jurisdiction"] = pol->jurisdiction;
  for (const auto& w : pol->windows)
    if (w.day_min != 1 || w.day_max != 31) j["allowed_days"] = {w.day_min, w.day_max};
  if (!j.contains("allowed_days")) j["allowed_days"] = {1, 31};
  return j;
}

void add_person_routes(Api& api) {
  // --- regions
  api.route("GET", "/api/v1/regions", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    RegionCode under = api.qregion(c, "under");
    if (under.empty()) under = c.actor.scope;
    if (!under.empty() && !c.actor.in_scope(under)) fail(404, "not_found", "区划不在您的管辖范围内");
    auto l = api.pool->lease();
    json items = json::array();
    for (auto& r : l->regions_under(under))
      items.push_back({{"code", r.code.str()}, {"name", r.name}, {"level", int(r.code.level())}});
    Api::send_json(c.res, 200, {{"items", items}});
  });

  // --- persons
  api.route("GET", "/api/v1/persons", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto [pg, ps] = api.page(c);
    RegionCode v = api.qregion(c, "village");
    if (!v.empty() && !c.actor.in_scope(v) && !(c.actor.scope.empty())) {
      if (!c.actor.scope.inside(v)) fail(404, "not_found", "区划不在您的管辖范围内");
    }
    int year = api.year_of(c);
    auto l = api.pool->lease();
    int64_t total = 0;
    auto rows = search_persons(api, *l, c.actor, year, Api::qp(c, "q"), v, Api::qp(c, "household"), Api::qp(c, "status"),
                               (pg - 1) * ps, ps, &total);
    json items = json::array();
    for (auto& r : rows) items.push_back(person_item(api, *l, r, year));
    Api::send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
  });
  api.route("GET", R"(/api/v1/enrollments)", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto [pg, ps] = api.page(c);
    int year = api.year_of(c);
    auto st = Api::qp(c, "status");
    auto l = api.pool->lease();
    int64_t total = 0;
    auto rows = search_persons(api, *l, c.actor, year, Api::qp(c, "q"), api.qregion(c, "village"), "",
                               st.empty() ? "enrolled" : st, (pg - 1) * ps, ps, &total);
    json items = json::array();
    for (auto& r : rows)
      if (r.enr_id || st == "none") items.push_back(person_item(api, *l, r, year));
    Api::send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
  });
  api.route("GET", R"(/api/v1/persons/([A-Za-z0-9]+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    std::string id = api.person_id(c.req.matches[1].str());
    bool unmask = Api::qp(c, "unmask") == "1";
    if (unmask) Api::need(c, "unmask");
    int year = api.year_of(c);
    auto l = api.pool->lease();
    auto r = visible_person(*l, c.actor, id, year);
    if (!r) fail(404, "not_found", "未找到该人员（或不在您的管辖范围内）");
    json j = person_item(api, *l, *r, year, unmask);
    json cats = json::array();
    for (const auto& pc : l->categories_of(id))
      cats.push_back({{"category", category_id(pc.category)}, {"label", category_label(pc.category)},
                      {"source", pc.source}, {"as_of", pc.as_of ? json(pc.as_of->str()) : json()}});
    j["category_details"] = cats;
    json enrs = json::array();
    for (const auto& e : l->enrollments_of(id, std::nullopt))
      enrs.push_back({{"id", e.id}, {"year", e.year}, {"place", e.place.str()}, {"status", store::status_id(e.status)},
                      {"status_label", store::status_label(e.status)},
                      {"registered_on", e.registered_on ? json(e.registered_on->str()) : json()},
                      {"paid_on", e.paid_on ? json(e.paid_on->str()) : json()}});
    j["enrollments"] = enrs;
    if (role_may(c.actor.role, "read.payments")) {
      ledger::Ledger::Filter f;
      f.person = id;
      f.limit = 100;
      json pays = json::array();
      for (auto& row : api.ledger->list(*l, c.actor, f, nullptr)) pays.push_back(ledger::row_json(row));
      j["payments"] = pays;
    }
    json mem = json::array();
    if (!r->p.household.empty())
      for (auto& m : l->household_members(r->p.household))
        mem.push_back({{"id_number", mask_id(m.id_number)}, {"name", mask_name(m.name)},
                       {"person_key", api.keys->encode(m.id_number)}});
    j["household_members"] = mem;
    if (unmask) {
      auto tx = l->transaction();
      l->audit({"", c.actor.username, "person.unmask", "person", mask_id(id), "",
                json{{"id_number_hash", api.keys->encode(id)}}.dump(), r->place.empty() ? r->p.hukou : r->place});
      tx.commit();
    }
    Api::send_json(c.res, 200, j);
  });
  api.route("GET", R"(/api/v1/persons/([A-Za-z0-9]+)/assessment)", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    std::string id = api.person_id(c.req.matches[1].str());
    int year = api.year_of(c);
    std::optional<Date> paid_on;
    if (auto s = Api::qp(c, "paid_on"); !s.empty()) {
      paid_on = Date::parse(s);
      if (!paid_on) fail(400, "bad_field", "paid_on 须为日期", "paid_on");
    }
    auto l = api.pool->lease();
    auto r = visible_person(*l, c.actor, id, year);
    if (!r) fail(404, "not_found", "未找到该人员（或不在您的管辖范围内）");
    if (!paid_on && r->paid_on) paid_on = r->paid_on;
    Api::send_json(c.res, 200, assessment_json(api, *l, r->p, year, paid_on, r->place, true));
  });
  api.route("GET", R"(/api/v1/households/([^/]+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    std::string hid = c.req.matches[1].str();
    int year = api.year_of(c);
    auto l = api.pool->lease();
    auto h = l->household(hid);
    if (!h) fail(404, "not_found", "未找到该户");
    json mem = json::array();
    bool vis = c.actor.in_scope(h->region);
    for (auto& m : l->household_members(hid)) {
      auto r = visible_person(*l, c.actor, m.id_number, year);
      if (!r) continue;
      vis = true;
      mem.push_back(person_item(api, *l, *r, year));
    }
    if (!vis) fail(404, "not_found", "未找到该户");
    Api::send_json(c.res, 200, {{"id", h->id}, {"region", h->region.str()}, {"region_name", api.region_name(*l, h->region)},
                           {"head", h->head.empty() ? json() : json(mask_id(h->head))}, {"members", mem}});
  });
}

void add_household_member_routes(Api& api) {
  // Newborn registration (新生儿登记): the person joins the household; when
  // another member is actively enrolled for the year the newborn is enrolled
  // at the same place in the same transaction.
  api.route("POST", R"(/api/v1/households/([^/]+)/members)", Access::session, [&api](Ctx& c) {
    Api::need(c, "write.enroll");
    std::string hid = c.req.matches[1].str();
    auto b = Api::body(c);
    auto id = IdNumber::parse(Api::str_field(b, "id_number", true), api.today());
    if (!id) fail(400, "bad_field", "身份证号无效", "id_number");
    std::string name = Api::name_field(b, "name", true);
    if (name.empty() || name.size() > 90) fail(400, "bad_field", "姓名无效", "name");
    auto birth = Api::date_field(b, "birth");
    if (birth && *birth != id->birth_date()) fail(400, "bad_field", "出生日期与身份证号不符", "birth");
    int year = Api::year_field(b, "year", api.year_of(c));
    auto l = api.pool->lease();
    auto h = l->household(hid);
    if (!h || !c.actor.in_scope(h->region)) fail(404, "not_found", "未找到该户（或不在您的管辖范围内）");
    store::Person p;
    p.id_number = id->str();
    p.name = name;
    p.birth = id->birth_date();
    p.male = id->male();
    p.household = h->id;
    p.hukou = h->region;
    if (b.contains("parent_insured") && !b["parent_insured"].is_null()) {
      if (!b["parent_insured"].is_boolean()) fail(400, "bad_field", "parent_insured 须为 true/false", "parent_insured");
      p.parent_insured = b["parent_insured"].get<bool>() ? 1 : 0;
    }
    RegionCode place;
    for (auto& m : l->household_members(hid))
      for (auto& e : l->enrollments_of(m.id_number, year))
        if (store::is_active(e.status) && place.empty()) place = e.place;
    registry::register_birth(*l, p, c.actor.username);
    // The birth stands even when the enrollment is refused (the refusal is
    // answered beside the person, for the clerk to settle).
    json enroll_error = nullptr;
    if (!place.empty()) {
      registry::EnrollRequest er;
      er.household = hid;
      er.persons = {p.id_number};
      er.year = year;
      er.place = place;
      er.today = api.today();
      er.actor = c.actor.username;
      try {
        registry::enroll_household(*l, er);
      } catch (const registry::RegistryError& e) {
        enroll_error = {{"code", e.code}, {"message", e.zh}};
      }
    }
    auto r = visible_person(*l, c.actor, p.id_number, year);
    if (!r) fail(500, "internal", "登记后未能读取该人员");
    Api::send_json(c.res, 201, {{"person", person_item(api, *l, *r, year)}, {"enrollment_error", enroll_error}});
  });

  // A person moves into another household (existing, or new in `region`).
  api.route("POST", R"(/api/v1/persons/([A-Za-z0-9]+)/move)", Access::session, [&api](Ctx& c) {
    Api::need(c, "write.enroll");
    std::string id = api.person_id(c.req.matches[1].str());
    auto b = Api::body(c);
    std::string hid = Api::str_field(b, "household", true);
    if (hid.empty() || hid.size() > 64) fail(400, "bad_field", "户号无效", "household");
    RegionCode region;
    if (auto r = Api::str_field(b, "region"); !r.empty()) {
      auto rc = RegionCode::parse(r);
      if (!rc) fail(400, "bad_field", "区划代码无效", "region");
      region = *rc;
    }
    Date on = Api::date_field(b, "date").value_or(api.today());
    int year = api.year_of(c);
    auto l = api.pool->lease();
    auto r = visible_person(*l, c.actor, id, year);
    if (!r) fail(404, "not_found", "未找到该人员（或不在您的管辖范围内）");
    if (r->p.household == hid) fail(422, "same_household", "该人员已在此户", "household");
    if (auto h = l->household(hid)) {
      if (!c.actor.in_scope(h->region)) fail(404, "not_found", "未找到该户（或不在您的管辖范围内）", "household");
      if (!region.empty() && region != h->region)
        fail(422, "region_mismatch", "该户的区划与所填区划不一致", "region");
      registry::move_person(*l, id, hid, on, c.actor.username);
    } else {
      if (region.empty()) fail(422, "unknown_household", "户不存在；新立户须填写区划 region", "region");
      if (!c.actor.in_scope(region)) fail(403, "out_of_scope", "迁入区划不在您的管辖范围内", "region");
      registry::move_person_to_new_household(*l, id, hid, region, on, c.actor.username);
    }
    auto moved = visible_person(*l, c.actor, id, year);
    json j = moved ? person_item(api, *l, *moved, year) : json{{"person_key", api.keys->encode(id)}};
    Api::send_json(c.res, 200, {{"person", j}});
  });
}

void add_enrollment_routes(Api& api) {
  // 参保暂停: the enrollment ends on `date` (default today) with the reason kept.
  api.route("POST", R"(/api/v1/enrollments/(\d+)/suspend)", Access::session, [&api](Ctx& c) {
    Api::need(c, "write.enroll");
    auto b = Api::body(c);
    std::string reason = Api::str_field(b, "reason", true);
    if (reason.empty() || reason.size() > 600) fail(400, "bad_field", "请填写暂停原因（200字以内）", "reason");
    Date on = Api::date_field(b, "date").value_or(api.today());
    int64_t eid = path_id(c, 1, "未找到该参保登记");
    auto l = api.pool->lease();
    auto e = l->enrollment(eid);
    if (!e || !c.actor.in_scope(e->place)) fail(404, "not_found", "未找到该参保登记（或不在您的管辖范围内）");
    if (e->registered_on && on < *e->registered_on) fail(422, "bad_field", "暂停日期早于参保登记日期", "date");
    registry::suspend_enrollment(*l, eid, on, c.actor.username, reason);
    auto n = l->enrollment(eid);
    Api::send_json(c.res, 200, {{"enrollment", {{"id", n->id}, {"year", n->year}, {"place", n->place.str()},
                                           {"status", store::status_id(n->status)},
                                           {"status_label", store::status_label(n->status)},
                                           {"ended_on", n->ended_on ? json(n->ended_on->str()) : json()},
                                           {"reason", n->note}, {"person_key", api.keys->encode(n->person)}}}});
  });

  api.route("POST", "/api/v1/enrollments", Access::session, [&api](Ctx& c) {
    Api::need(c, "write.enroll");
    auto b = Api::body(c);
    registry::EnrollRequest er;
    er.household = Api::str_field(b, "household", true);
    er.year = Api::year_field(b, "year", api.year_of(c));
    auto place = RegionCode::parse(Api::str_field(b, "place", true));
    if (!place) fail(400, "bad_field", "参保地区划代码无效", "place");
    if (!c.actor.in_scope(*place)) fail(403, "out_of_scope", "参保地不在您的管辖范围内", "place");
    er.place = *place;
    er.today = api.today();
    er.actor = c.actor.username;
    if (!b.contains("persons") || !b["persons"].is_array()) fail(400, "missing_field", "缺少 persons", "persons");
    for (auto& p : b["persons"]) {
      if (!p.is_string()) fail(400, "bad_field", "persons 须为字符串数组", "persons");
      er.persons.push_back(api.person_id(p.get<std::string>()));
    }
    auto l = api.pool->lease();
    auto h = l->household(er.household);
    if (!h || !c.actor.in_scope(h->region)) fail(404, "not_found", "未找到该户（或不在您的管辖范围内）", "household");
    std::vector<int64_t> ids;
    try {
      ids = registry::enroll_household(*l, er);
    } catch (const registry::RegistryError& e) {
      json det = nullptr;
      if (e.code == "selective_enrollment") {
        det = {{"missing", json::array()}};
        for (auto& m : registry::household_status(*l, er.household, er.year, er.persons, er.today))
          if (m.why == registry::Accounted::not_accounted) det["missing"].push_back(mask_id(m.id_number));
      }
      int http = e.code == "duplicate_enrollment" ? 409 : 422;
      fail(http, e.code, e.zh, "persons", det);
    }
    Api::send_json(c.res, 201, {{"ids", ids}});
  });
}

}  // namespace

// The admin store's person search for the text typed in the search box:
// 15+ digits an ID number, 4+ digits the end of one, anything else the start
// of a name (or its pinyin initials).
store::PersonFilter person_filter(Api& api, const ledger::Actor& a, int year, const std::string& q, RegionCode village,
                                  const std::string& household, const std::string& status) {
  store::PersonFilter f;
  f.scope = a.scope;
  f.year = year;
  f.village = village;
  f.household = household;
  f.status = status;
  if (q.empty()) return f;
  bool digits = std::all_of(q.begin(), q.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) || ch == 'X' || ch == 'x'; });
  if (digits && q.size() >= 15) {
    auto id = IdNumber::parse(q, api.today().plus_days(366));
    f.id_number = id ? id->str() : q;
  } else if (digits && q.size() >= 4) {
    f.id_suffix = q;
  } else {
    f.name_prefix = q;
    if (looks_like_initials(q))
      for (char ch : q) f.initials.push_back(hanzi_with_initial(ch));
  }
  return f;
}

void add_registry_routes(Api& api) {
  add_person_routes(api);
  add_household_member_routes(api);
  add_enrollment_routes(api);
}

}  // namespace canbao::server
