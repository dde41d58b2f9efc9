// A collector's households (issue 14): what each member owes, the household
// search, the phone's offline cache of the collector's own villages, contact
// phones. Names are masked and ID numbers shown as their last 4 digits: a
// phone in a village is easily lost, and the door-to-door work needs no more.
//
//   GET /api/v1/households?q=&year=&page=&page_size=   search (name, initials, last digits, 户号)
//   GET /api/v1/households/{id}/due?year=              members with dues, subsidies, status; total
//   PUT /api/v1/households/{id}/contact {"phone"}      set or clear ("") the contact phone
//   GET /api/v1/collect/cache?year=                    village/township: the offline cache
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/id_number.h"
#include "core/pinyin.h"
#include "ledger/household_due.h"
#include "server/api.h"
#include "store/admin_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

std::string last4(std::string_view id) { return std::string(id.size() >= 4 ? id.substr(id.size() - 4) : id); }

// 3+4 like 138****5678; a landline keeps its first 3 and last 4 characters the same way.
json masked_phone(const std::string& p) {
  if (p.empty()) return nullptr;
  if (p.size() <= 7) return std::string(p.size(), '*');
  return p.substr(0, 3) + "****" + p.substr(p.size() - 4);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// A mainland mobile (1[3-9] + 9 digits) or a landline with its area code
// (0 + 2–3 digits, an optional '-', 7–8 digits). Spaces are dropped; nullopt: invalid.
std::optional<std::string> normalized_phone(std::string s) {
  std::erase(s, ' ');
  if (s.size() == 11 && all_digits(s) && s[0] == '1' && s[1] >= '3' && s[1] <= '9') return s;
  std::string area = s, local;
  if (auto dash = s.find('-'); dash != std::string::npos) {
    area = s.substr(0, dash);
    local = s.substr(dash + 1);
  } else if (all_digits(s) && s.size() >= 10 && s.size() <= 12 && s[0] == '0') {
    // Without the dash the area code's length is ambiguous; any split is valid here.
    return s;
  }
  bool area_ok = all_digits(area) && area[0] == '0' && area.size() >= 3 && area.size() <= 4;
  bool local_ok = all_digits(local) && local.size() >= 7 && local.size() <= 8 && local[0] != '0';
  if (area_ok && local_ok) return area + "-" + local;
  return std::nullopt;
}

// Pinyin initials of each character (the first reading of a polyphone), so
// the phone finds 张三 by "zs" without the server.
std::string name_initials(std::string_view name) {
  std::string out;
  for (char32_t cp : utf8_decode(name)) {
    auto in = pinyin_initials(cp);
    if (!in.empty()) out += in[0];
  }
  return out;
}

json categories_json(const std::vector<Category>& cs) {
  json a = json::array();
  for (auto c : cs) a.push_back({{"id", std::string(category_id(c))}, {"label", std::string(category_label(c))}});
  return a;
}

// One member as the household card and the cache show it (`subsidies`: only the card).
json member_json(Api& api, const ledger::MemberDue& m, bool subsidies) {
  json j = {{"person", api.keys->encode(m.person.id_number)},
            {"name", mask_name(m.person.name)},
            {"id_last4", last4(m.person.id_number)},
            {"categories", categories_json(m.categories)},
            {"individual_due_fen", m.individual_due_fen ? json(*m.individual_due_fen) : json()},
            {"status", std::string(ledger::due_status_id(m.status))},
            {"status_label", std::string(ledger::due_status_label(m.status))}};
  if (subsidies) {
    json s = json::array();
    for (const auto& l : m.subsidies) s.push_back({{"payer", l.payer}, {"label", l.label}, {"amount_fen", l.amount_fen}});
    j["subsidies"] = s;
  }
  if (!m.receipt_no.empty()) j["receipt_no"] = m.receipt_no;
  if (!m.reason.empty()) j["reason"] = m.reason;
  return j;
}

ledger::HouseholdDue due_or_404(Api& api, Ctx& c, store::Store& st, const std::string& hid, int year) {
  auto d = ledger::household_due(st, api.policies, c.actor, hid, year, api.today());
  if (!d) fail(404, "not_found", "未找到该户（或不在您的管辖范围内）");
  return std::move(*d);
}

void household_due_route(Api& api, Ctx& c) {
  Api::need(c, "read.payments");
  std::string hid = c.req.matches[1].str();
  int year = api.year_of(c);
  auto l = api.pool->lease();
  auto d = due_or_404(api, c, *l, hid, year);
  json mem = json::array();
  for (const auto& m : d.members) mem.push_back(member_json(api, m, true));
  Api::send_json(c.res, 200,
                 {{"household", d.household.id}, {"region", d.household.region.str()},
                  {"region_name", api.region_name(*l, d.household.region)}, {"year", year},
                  {"phone", masked_phone(d.household.phone)}, {"members", mem}, {"total_due_fen", d.total_due_fen}});
}


void household_search(Api& api, Ctx& c) {
  Api::need(c, "read.payments");
  std::string q = Api::str_field(json{{"q", Api::qp(c, "q")}}, "q", false, 64);
  int year = api.year_of(c);
  auto [pg, ps] = api.page(c);
  ps = std::min<int64_t>(ps, 100);  // each row assesses its members
  auto l = api.pool->lease();
  auto page = l->admin().find_households(person_filter(api, c.actor, year, q, {}, {}, {}), q, (pg - 1) * ps, ps);
  json items = json::array();
  for (const auto& hid : page.ids) {
    auto d = ledger::household_due(*l, api.policies, c.actor, hid, year, api.today());
    if (!d) continue;
    int64_t owing = 0, paid = 0;
    std::string head;
    for (const auto& m : d->members) {
      owing += m.status == ledger::DueStatus::owing;
      paid += m.status == ledger::DueStatus::paid;
      if (m.person.id_number == d->household.head) head = m.person.name;
    }
    if (head.empty() && !d->members.empty()) head = d->members.front().person.name;
    items.push_back({{"household", hid}, {"region", d->household.region.str()},
                     {"region_name", api.region_name(*l, d->household.region)}, {"head_name", mask_name(head)},
                     {"phone", masked_phone(d->household.phone)}, {"members", int64_t(d->members.size())},
                     {"owing", owing}, {"paid", paid}, {"total_due_fen", d->total_due_fen}});
  }
  Api::send_json(c.res, 200, {{"items", items}, {"total", page.total}, {"page", pg}, {"page_size", ps}});
}

void set_contact(Api& api, Ctx& c) {
  if (c.actor.role != "admin" && c.actor.role != "township" && c.actor.role != "village")
    fail(403, "forbidden", "您的角色无权修改联系电话");
  std::string hid = c.req.matches[1].str();
  auto b = Api::body(c);
  if (!b.contains("phone")) fail(400, "missing_field", "缺少字段 phone（清除联系电话请传空字符串）", "phone");
  std::string raw = Api::str_field(b, "phone", false, 20);
  std::string phone;
  if (!raw.empty()) {
    auto p = normalized_phone(raw);
    if (!p)
      fail(400, "bad_field", "联系电话无效：须为 11 位手机号码（1 开头，第二位 3–9）或带区号的固定电话（如 0566-1234567）",
           "phone");
    phone = *p;
  }
  auto l = api.pool->lease();
  auto h = l->household(hid);
  bool vis = h && c.actor.in_scope(h->region);
  if (h && !vis)
    for (const auto& m : l->household_members(hid)) vis |= c.actor.in_scope(m.hukou);
  if (!vis) fail(404, "not_found", "未找到该户（或不在您的管辖范围内）");
  auto tx = l->transaction();
  l->set_household_phone(hid, phone);
  l->audit({"", c.actor.username, "household.contact", "household", hid,
            json{{"phone", masked_phone(h->phone)}}.dump(), json{{"phone", masked_phone(phone)}}.dump(), h->region});
  tx.commit();
  Api::send_json(c.res, 200, {{"household", hid}, {"phone", masked_phone(phone)}});
}

// The collector's own villages: the village of a village user, every village
// under a township user's township.
std::vector<store::Region> own_villages(store::Store& st, const ledger::Actor& a) {
  std::vector<store::Region> out;
  for (auto& r : st.regions_under(a.scope))
    if (r.code.level() == RegionCode::village) out.push_back(std::move(r));
  return out;
}

void collect_cache(Api& api, Ctx& c) {
  if (c.actor.role != "village" && c.actor.role != "township")
    fail(403, "forbidden", "离线缓存仅供村（社区）协理员和乡镇（街道）经办人员使用");
  if (c.actor.scope.empty()) fail(403, "forbidden", "您的账号未绑定管辖区域");
  int year = api.year_of(c);
  Date today = api.today();
  auto l = api.pool->lease();
  json villages = json::array(), households = json::array();
  int64_t persons = 0;
  for (const auto& v : own_villages(*l, c.actor)) {
    villages.push_back({{"code", v.code.str()}, {"name", v.name}});
    for (const auto& h : l->admin().households_in(v.code)) {
      auto d = ledger::household_due(*l, api.policies, c.actor, h.id, year, today);
      if (!d) continue;
      json mem = json::array();
      for (const auto& m : d->members) {
        json j = member_json(api, m, false);
        j["initials"] = name_initials(m.person.name);
        mem.push_back(std::move(j));
      }
      persons += int64_t(d->members.size());
      households.push_back({{"household", h.id}, {"region", h.region.str()}, {"region_name", v.name},
                            {"total_due_fen", d->total_due_fen}, {"members", mem}});
    }
  }
  // One audit row for the whole download: what went to the phone, never who.
  auto tx = l->transaction();
  l->audit({"", c.actor.username, "collect.cache", "region", c.actor.scope.str(), "",
            json{{"year", year}, {"villages", int64_t(villages.size())}, {"households", int64_t(households.size())},
                 {"persons", persons}}
                .dump(),
            c.actor.scope});
  tx.commit();
  Api::send_json(c.res, 200, {{"year", year}, {"generated_at", today.str()}, {"villages", villages},
                              {"households", households}});
}

}  // namespace

void add_household_routes(Api& api) {
  api.route("GET", "/api/v1/households", Access::session, [&api](Ctx& c) { household_search(api, c); });
  api.route("GET", R"(/api/v1/households/([^/]+)/due)", Access::session,
            [&api](Ctx& c) { household_due_route(api, c); });
  api.route("PUT", R"(/api/v1/households/([^/]+)/contact)", Access::session, [&api](Ctx& c) { set_contact(api, c); });
  api.route("GET", "/api/v1/collect/cache", Access::session, [&api](Ctx& c) { collect_cache(api, c); });
}

}  // namespace canbao::server
