#include "server/server.h"
#include "server/web_root.h"

#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <sstream>
#include <unordered_map>

#include "assess/assessment.h"
#include "assess/report.h"
#include "core/id_number.h"
#include "core/money.h"
#include "core/pinyin.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "registry/facts_builder.h"
#include "registry/import.h"
#include "io/xlsx_writer.h"
#include "registry/rules.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/uploads.h"
#include "server/conn_threads.h"
#include "store/sql_store.h"

namespace canbao::server {

using json = nlohmann::json;
using store::detail::Param;
using store::detail::RowView;
using store::detail::SqlStore;
using store::detail::region_p;
using store::detail::region_range;

namespace {

std::string mime_of(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  return "application/octet-stream";
}

}  // namespace

struct Server::Impl : Api {
  RateLimiter login_user{opt.login_failures, std::chrono::minutes(15)};
  RateLimiter login_ip{opt.login_failures * 4, std::chrono::minutes(15)};
  RateLimiter public_ip{opt.public_per_minute, std::chrono::minutes(1)};
  int bound_port = -1;
  std::mutex run_mu;  // run()/stop() hand-over
  bool stop_requested = false, running = false;
  std::atomic<bool> listen_returned{false};
  int listen_fd = -1;  // the listening socket (set by httplib's socket-options hook)

  explicit Impl(ServerOptions o) : Api(std::move(o)) {
    if (!opt.web_dir.empty()) web_root = std::make_unique<WebRoot>(opt.web_dir);
    setup();
  }
  std::unique_ptr<WebRoot> web_root;  // --web, resolved once

  // ------------------------------------------------------------ persons

  struct PersonRow {
    store::Person p;
    int64_t enr_id = 0;
    std::string status;
    RegionCode place;
    std::optional<Date> paid_on;
  };

  json person_item(store::Store& st, const PersonRow& r, int year, bool unmask = false) {
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
                {"person_key", keys->encode(r.p.id_number)},
                {"name", unmask ? r.p.name : mask_name(r.p.name)},
                {"sex", r.p.male ? "M" : "F"},
                {"birth", r.p.birth.str()},
                {"household", r.p.household},
                {"hukou_region", r.p.hukou.str()},
                {"region_name", region_name(st, r.p.hukou)},
                {"categories", cats},
                {"psn_insu_stas", r.enr_id ? "1" : "0"},
                {"deceased", r.p.deceased_on.has_value()},
                {"deceased_on", r.p.deceased_on ? json(r.p.deceased_on->str()) : json()},
                {"enrollment", enr}};
  }

  // Persons in the actor's scope (by hukou or by enrollment place), in SQL.
  std::vector<PersonRow> search_persons(store::Store& st, const ledger::Actor& a, int year, const std::string& q,
                                        RegionCode village, const std::string& household, const std::string& status,
                                        int64_t offset, int64_t limit, int64_t* total) {
    auto [lo, hi] = region_range(a.scope);
    std::string where =
        "WHERE (p.region BETWEEN ? AND ? OR e.place_region BETWEEN ? AND ?)";
    std::vector<Param> ps = {year, lo, hi, lo, hi};
    std::string qs;
    if (!q.empty()) {
      bool digits = std::all_of(q.begin(), q.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) || ch == 'X' || ch == 'x'; });
      if (digits && q.size() >= 15) {
        auto id = IdNumber::parse(q, today().plus_days(366));
        qs = id ? id->str() : q;
        where += " AND p.id_number = ?";
      } else if (digits && q.size() >= 4) {
        qs = "%" + q;
        where += " AND p.id_number LIKE ?";
      } else {
        qs = q + "%";
        where += " AND (p.name LIKE ?";
      }
      ps.push_back(Param(qs));
      if (!digits || q.size() < 4) {
        if (looks_like_initials(q)) {
          // Pinyin initials ("zsy" → 张三丫): the name's k-th character is one of
          // the hanzi whose initial is the k-th letter (prefix match).
          where += " OR (";
          for (size_t k = 0; k < q.size(); ++k) {
            const auto& cands = hanzi_with_initial(q[k]);
            where += fmt::format("{}substr(p.name, {}, 1) IN (", k ? " AND " : "", k + 1);
            for (size_t i = 0; i < cands.size(); ++i) {
              where += i ? ",?" : "?";
              ps.push_back(Param(cands[i]));
            }
            if (cands.empty()) where += "NULL";
            where += ")";
          }
          where += ")";
        }
        where += ")";
      }
    }
    std::pair<int64_t, int64_t> vr;
    if (!village.empty()) {
      vr = region_range(village);
      where += " AND (p.region BETWEEN ? AND ? OR e.place_region BETWEEN ? AND ?)";
      ps.insert(ps.end(), {vr.first, vr.second, vr.first, vr.second});
    }
    if (!household.empty()) {
      where += " AND p.household = ?";
      ps.push_back(Param(household));
    }
    if (status == "registered" || status == "paid") {
      where += " AND e.status = ?";
      ps.push_back(Param(status));
    } else if (status == "unpaid") {
      where += " AND e.status = 'registered'";
    } else if (status == "enrolled") {
      where += " AND e.id IS NOT NULL";
    } else if (status == "none") {
      where += " AND e.id IS NULL";
    }
    const std::string from =
        "FROM persons p LEFT JOIN enrollments e ON e.person = p.id_number AND e.year = ? AND e.status IN "
        "('registered', 'paid') ";
    if (total) {
      *total = 0;
      sql(st).sql_query_span("SELECT COUNT(*) " + from + where, ps, [&](const RowView& v) { *total = v.i(0); });
    }
    std::vector<std::string> ids;
    std::vector<PersonRow> out;
    ps.push_back(limit);
    ps.push_back(offset);
    sql(st).sql_query_span("SELECT p.id_number, e.id, e.status, e.place_region, e.paid_on " + from + where +
                               " ORDER BY p.region, p.household, p.id_number LIMIT ? OFFSET ?",
                           ps, [&](const RowView& v) {
                             PersonRow r;
                             r.p.id_number = v.s(0);
                             if (!v.null(1)) {
                               r.enr_id = v.i(1);
                               r.status = v.s(2);
                               r.place = v.region(3);
                               r.paid_on = v.date(4);
                             }
                             out.push_back(std::move(r));
                           });
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

  json assessment_json(store::Store& st, const store::Person& p, int year, std::optional<Date> paid_on,
                       RegionCode place, bool trace) {
    const Policy* pol = policies.find(place.empty() ? p.hukou : place, year);
    if (!pol) pol = policies.find(p.hukou, year);
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
    assess(*pol, f, paid_on.value_or(today()), a, trace ? &tr : nullptr);
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

  // ------------------------------------------------------------ routes

  void setup() {
    // A thread for every connection at once, up to opt.threads (issue 11):
    // httplib's fixed ThreadPool left connection 257 unread behind 256 open
    // keep-alive connections.
    http.new_task_queue = [n = opt.threads] { return new ConnectionThreads(n); };
    // Remember the listening socket: Server::bind() widens its backlog.
    http.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_fd = sock;
    });
    http.set_keep_alive_max_count(1000000);
    http.set_keep_alive_timeout(30);
    // Without it Nagle delays the body of each request behind its headers:
    // +30–60% payments/s in bench_payments.
    http.set_tcp_nodelay(true);
    http.set_payload_max_length(200u << 20);
    http.set_read_timeout(60);

    route("GET", "/api/v1/health", Access::open, [this](Ctx& c) {
      auto l = pool->lease();
      json backdate = {{"default", opt.backdate_days_default}};
      for (auto r : kRoles) backdate[std::string(r)] = backdate_days(r);
      send_json(c.res, 200, {{"ok", true}, {"engine", l->engine()}, {"schema_version", l->schema_version()},
                             {"today", today().str()}, {"backdate_days", backdate}});
    });

    // --- auth
    route("POST", "/api/v1/auth/login", Access::open, [this](Ctx& c) { login(c); });
    route("POST", "/api/v1/auth/logout", Access::any_session, [this](Ctx& c) {
      {
        auto l = pool->lease();
        sessions.drop(*l, c.s->token);
      }
      c.res.set_header("Set-Cookie", session_cookie(""));
      c.res.status = 204;
    });
    route("GET", "/api/v1/auth/me", Access::any_session,
          [this](Ctx& c) {
            auto l = pool->lease();
            send_json(c.res, 200, {{"user", user_json(*l, *c.s)}, {"csrf_token", c.s->csrf}});
          });
    route("GET", "/api/v1/auth/csrf", Access::any_session,
          [this](Ctx& c) { send_json(c.res, 200, {{"csrf_token", c.s->csrf}}); });
    route("POST", "/api/v1/auth/password", Access::any_session, [this](Ctx& c) {
      auto b = body(c);
      auto old_pw = str_field(b, "old_password", true), new_pw = str_field(b, "new_password", true);
      // Guessing old_password is guessing the login password: the same counters as login.
      const std::string ip = c.req.remote_addr;
      if (login_user.blocked(c.s->username) || login_ip.blocked(ip)) {
        c.res.set_header("Retry-After", std::to_string(std::max(login_user.retry_after_seconds(c.s->username),
                                                                login_ip.retry_after_seconds(ip))));
        fail(429, "too_many_requests", "原密码错误次数过多，请15分钟后再试");
      }
      if (auto why = weak_password(new_pw)) fail(400, "bad_field", "新" + *why, "new_password");
      if (new_pw == old_pw) fail(400, "bad_field", "新密码不能与原密码相同", "new_password");
      auto l = pool->lease();
      auto u = find_user(*l, c.s->user_id);
      if (!u || !verify_password(u->password_hash, old_pw)) {
        login_user.hit(c.s->username);
        login_ip.hit(ip);
        fail(401, "bad_credentials", "原密码不正确", "old_password");
      }
      login_user.clear(c.s->username);
      // Ends the user's other sessions (every server), keeps this one.
      set_password(*l, u->id, new_pw, false, u->username, c.s->token);
      c.res.status = 204;
    });

    // --- regions
    route("GET", "/api/v1/regions", Access::session, [this](Ctx& c) {
      need(c, "read");
      RegionCode under = qregion(c, "under");
      if (under.empty()) under = c.actor.scope;
      if (!under.empty() && !c.actor.in_scope(under)) fail(404, "not_found", "区划不在您的管辖范围内");
      auto l = pool->lease();
      json items = json::array();
      for (auto& r : l->regions_under(under))
        items.push_back({{"code", r.code.str()}, {"name", r.name}, {"level", int(r.code.level())}});
      send_json(c.res, 200, {{"items", items}});
    });

    // --- persons
    route("GET", "/api/v1/persons", Access::session, [this](Ctx& c) {
      need(c, "read");
      auto [pg, ps] = page(c);
      RegionCode v = qregion(c, "village");
      if (!v.empty() && !c.actor.in_scope(v) && !(c.actor.scope.empty())) {
        if (!c.actor.scope.inside(v)) fail(404, "not_found", "区划不在您的管辖范围内");
      }
      int year = year_of(c);
      auto l = pool->lease();
      int64_t total = 0;
      auto rows = search_persons(*l, c.actor, year, qp(c, "q"), v, qp(c, "household"), qp(c, "status"),
                                 (pg - 1) * ps, ps, &total);
      json items = json::array();
      for (auto& r : rows) items.push_back(person_item(*l, r, year));
      send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
    });
    route("GET", R"(/api/v1/enrollments)", Access::session, [this](Ctx& c) {
      need(c, "read");
      auto [pg, ps] = page(c);
      int year = year_of(c);
      auto st = qp(c, "status");
      auto l = pool->lease();
      int64_t total = 0;
      auto rows = search_persons(*l, c.actor, year, qp(c, "q"), qregion(c, "village"), "",
                                 st.empty() ? "enrolled" : st, (pg - 1) * ps, ps, &total);
      json items = json::array();
      for (auto& r : rows)
        if (r.enr_id || st == "none") items.push_back(person_item(*l, r, year));
      send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
    });
    route("GET", R"(/api/v1/persons/([A-Za-z0-9]+))", Access::session, [this](Ctx& c) {
      need(c, "read");
      std::string id = person_id(c.req.matches[1].str());
      bool unmask = qp(c, "unmask") == "1";
      if (unmask) need(c, "unmask");
      int year = year_of(c);
      auto l = pool->lease();
      auto r = visible_person(*l, c.actor, id, year);
      if (!r) fail(404, "not_found", "未找到该人员（或不在您的管辖范围内）");
      json j = person_item(*l, *r, year, unmask);
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
        for (auto& row : ledger->list(*l, c.actor, f, nullptr)) pays.push_back(row_json(row));
        j["payments"] = pays;
      }
      json mem = json::array();
      if (!r->p.household.empty())
        for (auto& m : l->household_members(r->p.household))
          mem.push_back({{"id_number", mask_id(m.id_number)}, {"name", mask_name(m.name)},
                         {"person_key", keys->encode(m.id_number)}});
      j["household_members"] = mem;
      if (unmask) {
        auto tx = l->transaction();
        l->audit({"", c.actor.username, "person.unmask", "person", mask_id(id), "",
                  json{{"id_number_hash", keys->encode(id)}}.dump(), r->place.empty() ? r->p.hukou : r->place});
        tx.commit();
      }
      send_json(c.res, 200, j);
    });
    route("GET", R"(/api/v1/persons/([A-Za-z0-9]+)/assessment)", Access::session, [this](Ctx& c) {
      need(c, "read");
      std::string id = person_id(c.req.matches[1].str());
      int year = year_of(c);
      std::optional<Date> paid_on;
      if (auto s = qp(c, "paid_on"); !s.empty()) {
        paid_on = Date::parse(s);
        if (!paid_on) fail(400, "bad_field", "paid_on 须为日期", "paid_on");
      }
      auto l = pool->lease();
      auto r = visible_person(*l, c.actor, id, year);
      if (!r) fail(404, "not_found", "未找到该人员（或不在您的管辖范围内）");
      if (!paid_on && r->paid_on) paid_on = r->paid_on;
      send_json(c.res, 200, assessment_json(*l, r->p, year, paid_on, r->place, true));
    });
    route("GET", R"(/api/v1/households/([^/]+))", Access::session, [this](Ctx& c) {
      need(c, "read");
      std::string hid = c.req.matches[1].str();
      int year = year_of(c);
      auto l = pool->lease();
      auto h = l->household(hid);
      if (!h) fail(404, "not_found", "未找到该户");
      json mem = json::array();
      bool vis = c.actor.in_scope(h->region);
      for (auto& m : l->household_members(hid)) {
        auto r = visible_person(*l, c.actor, m.id_number, year);
        if (!r) continue;
        vis = true;
        mem.push_back(person_item(*l, *r, year));
      }
      if (!vis) fail(404, "not_found", "未找到该户");
      send_json(c.res, 200, {{"id", h->id}, {"region", h->region.str()}, {"region_name", region_name(*l, h->region)},
                             {"head", h->head.empty() ? json() : json(mask_id(h->head))}, {"members", mem}});
    });

    // Newborn registration (新生儿登记): the person joins the household; when
    // another member is actively enrolled for the year the newborn is enrolled
    // at the same place in the same transaction.
    route("POST", R"(/api/v1/households/([^/]+)/members)", Access::session, [this](Ctx& c) {
      need(c, "write.enroll");
      std::string hid = c.req.matches[1].str();
      auto b = body(c);
      auto id = IdNumber::parse(str_field(b, "id_number", true), today());
      if (!id) fail(400, "bad_field", "身份证号无效", "id_number");
      std::string name = name_field(b, "name", true);
      if (name.empty() || name.size() > 90) fail(400, "bad_field", "姓名无效", "name");
      auto birth = date_field(b, "birth");
      if (birth && *birth != id->birth_date()) fail(400, "bad_field", "出生日期与身份证号不符", "birth");
      int year = year_field(b, "year", year_of(c));
      auto l = pool->lease();
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
        er.today = today();
        er.actor = c.actor.username;
        try {
          registry::enroll_household(*l, er);
        } catch (const registry::RegistryError& e) {
          enroll_error = {{"code", e.code}, {"message", e.zh}};
        }
      }
      auto r = visible_person(*l, c.actor, p.id_number, year);
      if (!r) fail(500, "internal", "登记后未能读取该人员");
      send_json(c.res, 201, {{"person", person_item(*l, *r, year)}, {"enrollment_error", enroll_error}});
    });

    // 参保暂停: the enrollment ends on `date` (default today) with the reason kept.
    route("POST", R"(/api/v1/enrollments/(\d+)/suspend)", Access::session, [this](Ctx& c) {
      need(c, "write.enroll");
      auto b = body(c);
      std::string reason = str_field(b, "reason", true);
      if (reason.empty() || reason.size() > 600) fail(400, "bad_field", "请填写暂停原因（200字以内）", "reason");
      Date on = date_field(b, "date").value_or(today());
      int64_t eid = path_id(c, 1, "未找到该参保登记");
      auto l = pool->lease();
      auto e = l->enrollment(eid);
      if (!e || !c.actor.in_scope(e->place)) fail(404, "not_found", "未找到该参保登记（或不在您的管辖范围内）");
      if (e->registered_on && on < *e->registered_on) fail(422, "bad_field", "暂停日期早于参保登记日期", "date");
      registry::suspend_enrollment(*l, eid, on, c.actor.username, reason);
      auto n = l->enrollment(eid);
      send_json(c.res, 200, {{"enrollment", {{"id", n->id}, {"year", n->year}, {"place", n->place.str()},
                                             {"status", store::status_id(n->status)},
                                             {"status_label", store::status_label(n->status)},
                                             {"ended_on", n->ended_on ? json(n->ended_on->str()) : json()},
                                             {"reason", n->note}, {"person_key", keys->encode(n->person)}}}});
    });

    // A person moves into another household (existing, or new in `region`).
    route("POST", R"(/api/v1/persons/([A-Za-z0-9]+)/move)", Access::session, [this](Ctx& c) {
      need(c, "write.enroll");
      std::string id = person_id(c.req.matches[1].str());
      auto b = body(c);
      std::string hid = str_field(b, "household", true);
      if (hid.empty() || hid.size() > 64) fail(400, "bad_field", "户号无效", "household");
      RegionCode region;
      if (auto r = str_field(b, "region"); !r.empty()) {
        auto rc = RegionCode::parse(r);
        if (!rc) fail(400, "bad_field", "区划代码无效", "region");
        region = *rc;
      }
      Date on = date_field(b, "date").value_or(today());
      int year = year_of(c);
      auto l = pool->lease();
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
      json j = moved ? person_item(*l, *moved, year) : json{{"person_key", keys->encode(id)}};
      send_json(c.res, 200, {{"person", j}});
    });

    // --- enrollments
    route("POST", "/api/v1/enrollments", Access::session, [this](Ctx& c) {
      need(c, "write.enroll");
      auto b = body(c);
      registry::EnrollRequest er;
      er.household = str_field(b, "household", true);
      er.year = year_field(b, "year", year_of(c));
      auto place = RegionCode::parse(str_field(b, "place", true));
      if (!place) fail(400, "bad_field", "参保地区划代码无效", "place");
      if (!c.actor.in_scope(*place)) fail(403, "out_of_scope", "参保地不在您的管辖范围内", "place");
      er.place = *place;
      er.today = today();
      er.actor = c.actor.username;
      if (!b.contains("persons") || !b["persons"].is_array()) fail(400, "missing_field", "缺少 persons", "persons");
      for (auto& p : b["persons"]) {
        if (!p.is_string()) fail(400, "bad_field", "persons 须为字符串数组", "persons");
        er.persons.push_back(person_id(p.get<std::string>()));
      }
      auto l = pool->lease();
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
      send_json(c.res, 201, {{"ids", ids}});
    });

    // --- payments
    route("POST", "/api/v1/payments", Access::session, [this](Ctx& c) {
      need(c, "write.payment");
      auto b = body(c);
      ledger::PaymentRequest r;
      r.idempotency_key = key_field(c, b);
      r.person = person_id(str_field(b, "person", true, 64));
      r.year = year_field(b, "year", year_of(c));
      r.amount_fen = int_field(b, "amount_fen", true, 0, 0, 100000000);
      r.channel = str_field(b, "channel", true, 32);
      if (!role_channel(c.actor.role, r.channel))
        fail(403, "forbidden", "您的角色不能使用该缴费渠道", "channel");
      r.payer_kind = str_field(b, "payer_kind", false, 32);
      if (r.payer_kind.empty()) r.payer_kind = c.actor.role == "school" ? "school" : "self";
      r.payer_name = name_field(b, "payer_name");
      r.external_txn = str_field(b, "external_txn_id", false, 64);
      r.paid_on = date_field(b, "paid_on");
      r.backdate_reason = str_field(b, "backdate_reason", false, 200);
      auto o = ledger->pay(c.actor, r, today());
      send_outcome(c, o);
    });
    route("POST", "/api/v1/subsidy-payments", Access::session, [this](Ctx& c) {
      need(c, "write.subsidy");
      auto b = body(c);
      ledger::SubsidyRequest r;
      r.idempotency_key = key_field(c, b);
      r.person = person_id(str_field(b, "person", true, 64));
      r.year = year_field(b, "year", year_of(c));
      r.amount_fen = int_field(b, "amount_fen", true, 0, 0, 100000000);
      r.payer_name = name_field(b, "payer_name");
      if (r.payer_name.empty()) r.payer_name = c.actor.department;
      r.mode = str_field(b, "mode", false, 32);
      if (r.mode.empty()) r.mode = "paid_on_behalf";
      r.paid_on = date_field(b, "paid_on");
      r.backdate_reason = str_field(b, "backdate_reason", false, 200);
      send_outcome(c, ledger->subsidy(c.actor, r, today()));
    });
    route("POST", R"(/api/v1/payments/(\d+)/reverse)", Access::session, [this](Ctx& c) {
      need(c, "reverse");
      auto b = body(c);
      int64_t id = path_id(c, 1, "未找到该缴费记录");
      auto o = ledger->reverse(c.actor, id, str_field(b, "reason", true), key_field(c, b), today());
      send_outcome(c, o);
    });
    route("GET", "/api/v1/payments", Access::session, [this](Ctx& c) {
      bool sub_only = !role_may(c.actor.role, "read.payments");
      if (sub_only) need(c, "read.subsidy");
      auto [pg, ps] = page(c);
      ledger::Ledger::Filter f;
      f.year = qyear(c);
      f.under = qregion(c, "village");
      if (auto p = qp(c, "person"); !p.empty()) f.person = person_id(p);
      f.channel = qp(c, "channel");
      f.kind = qp(c, "kind");
      if (sub_only) {  // departments: their own subsidy rows only
        if (!f.kind.empty() && f.kind != "subsidy") fail(403, "forbidden", "资助部门只能查看本部门的资助记录");
        f.kind = "subsidy";
        f.channel = "department";
        f.payer_name = c.actor.department;  // in the query, so total counts what is shown
      }
      f.from = qdate(c, "from");
      f.to = qdate(c, "to");
      f.offset = (pg - 1) * ps;
      f.limit = ps;
      auto l = pool->lease();
      int64_t total = 0;
      json items = json::array();
      std::unordered_map<std::string, std::string> names;
      for (auto& r : ledger->list(*l, c.actor, f, &total)) items.push_back(pay_json(*l, r, names));
      send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
    });
    route("GET", R"(/api/v1/payments/(\d+))", Access::session, [this](Ctx& c) {
      need(c, "read.payments");
      auto l = pool->lease();
      auto r = ledger->row(*l, c.actor, path_id(c, 1, "未找到该缴费记录"));
      if (!r) fail(404, "not_found", "未找到该缴费记录");
      std::unordered_map<std::string, std::string> names;
      json j = pay_json(*l, *r, names);
      json ch = json::array();
      for (auto& x : ledger->children(*l, r->id)) ch.push_back(pay_json(*l, x, names));
      j["children"] = ch;
      send_json(c.res, 200, {{"payment", j}});
    });

    // --- receipts
    route("GET", R"(/api/v1/receipts/([0-9A-Za-z\-]+))", Access::session, [this](Ctx& c) {
      need(c, "read.payments");
      send_json(c.res, 200, receipt_json(c, c.req.matches[1].str()));
    });
    route("GET", R"(/api/v1/receipts/([0-9A-Za-z\-]+)/print)", Access::session, [this](Ctx& c) {
      need(c, "read.payments");
      json r = receipt_json(c, c.req.matches[1].str());
      c.res.set_content(receipt_html(r), "text/html; charset=utf-8");
    });
    route("GET", "/api/v1/public/receipt-check", Access::open, [this](Ctx& c) {
      if (!public_ip.take(c.req.remote_addr)) fail(429, "too_many_requests", "查询过于频繁，请稍后再试");
      auto l = pool->lease();
      ledger::Actor all;
      auto r = ledger->row_by_receipt(*l, all, qp(c, "number"));
      bool ok = r && r->kind == ledger::Kind::payment && csrf_equal(r->verify_code, qp(c, "code"));
      if (!ok) return send_json(c.res, 200, {{"valid", false}});
      send_json(c.res, 200, {{"valid", true}, {"amount_yuan", Money::from_fen(r->amount_fen).yuan()},
                             {"paid_on", r->paid_on.str()}, {"reversed", r->reversed_by != 0}});
    });

    // --- imports
    route("POST", R"(/api/v1/imports/([a-z_]+))", Access::session, [this](Ctx& c) { import(c, c.req.matches[1].str()); });
    route("GET", "/api/v1/imports", Access::session, [this](Ctx& c) {
      need(c, "read");
      auto [pg, ps] = page(c);
      auto [lo, hi] = region_range(c.actor.scope);
      auto l = pool->lease();
      json items = json::array();
      sql(*l).sql_query(
          "SELECT id, kind, file_name, status, rows_total, rows_written, rows_rejected, actor, created_at, region "
          "FROM import_batches WHERE region BETWEEN ? AND ? ORDER BY id DESC LIMIT ? OFFSET ?",
          {c.actor.scope.empty() ? int64_t(0) : lo, hi, ps, (pg - 1) * ps}, [&](const RowView& v) {
            items.push_back({{"batch_id", v.i(0)}, {"id", v.i(0)}, {"kind", v.s(1)}, {"file_name", v.s(2)},
                             {"filename", v.s(2)},
                             {"committed", v.s(3) == "committed"}, {"rows_total", v.i(4)}, {"rows_written", v.i(5)},
                             {"rows_rejected", v.i(6)}, {"actor", v.s(7)}, {"created_at", v.s(8)}});
          });
      send_json(c.res, 200, {{"items", items}, {"page", pg}, {"page_size", ps}});
    });
    route("GET", R"(/api/v1/imports/(\d+))", Access::session, [this](Ctx& c) {
      need(c, "read");
      auto [lo, hi] = region_range(c.actor.scope);
      auto l = pool->lease();
      json j;
      sql(*l).sql_query(
          "SELECT id, kind, file_name, status, rows_total, rows_written, rows_rejected, actor, created_at, report "
          "FROM import_batches WHERE id = ? AND region BETWEEN ? AND ?",
          {path_id(c, 1, "未找到该导入批次"), c.actor.scope.empty() ? int64_t(0) : lo, hi}, [&](const RowView& v) {
            j = {{"batch_id", v.i(0)}, {"id", v.i(0)}, {"kind", v.s(1)}, {"file_name", v.s(2)}, {"filename", v.s(2)},
                 {"committed", v.s(3) == "committed"},
                 {"rows_total", v.i(4)}, {"rows_written", v.i(5)}, {"rows_rejected", v.i(6)}, {"actor", v.s(7)},
                 {"created_at", v.s(8)}, {"problems", json::parse(v.s(9), nullptr, false)}};
          });
      if (j.is_null()) fail(404, "not_found", "未找到该导入批次");
      send_json(c.res, 200, j);
    });

    route("GET", R"(/api/v1/imports/templates/([a-z_]+))", Access::session, [this](Ctx& c) {
      need(c, "read");
      std::string kind = c.req.matches[1].str();
      auto header = registry::import_template_header(kind);
      if (header.empty()) fail(404, "not_found", "未知的导入类型");
      send_xlsx(c, fmt::format("导入模板-{}.xlsx", kind), [&](const std::string& path) {
        io::XlsxWriter w(path);
        w.add_sheet(kind, header);
        w.close();
      });
    });
    route("GET", R"(/api/v1/imports/(\d+)/problems\.xlsx)", Access::session, [this](Ctx& c) {
      need(c, "read");
      auto [lo, hi] = region_range(c.actor.scope);
      auto l = pool->lease();
      std::optional<std::string> report;
      std::string kind;
      sql(*l).sql_query("SELECT kind, report FROM import_batches WHERE id = ? AND region BETWEEN ? AND ?",
                        {path_id(c, 1, "未找到该导入批次"), c.actor.scope.empty() ? int64_t(0) : lo, hi},
                        [&](const RowView& v) {
                          kind = v.s(0);
                          report = v.null(1) ? "[]" : std::string(v.s(1));
                        });
      if (!report) fail(404, "not_found", "未找到该导入批次");
      json probs = json::parse(*report, nullptr, false);
      if (!probs.is_array()) probs = json::array();
      // Values in the report are already masked by the importer.
      send_xlsx(c, fmt::format("导入问题-{}.xlsx", c.req.matches[1].str()), [&](const std::string& path) {
        io::XlsxWriter w(path);
        w.add_sheet("问题", {"行号", "列", "值", "原因"});
        auto str = [](const json& x) { return x.is_string() ? x.get<std::string>() : x.is_null() ? "" : x.dump(); };
        for (auto& p : probs)
          w.add_row({p.value("row", json(0)).is_number_integer() ? io::Cell(p["row"].get<int64_t>()) : io::Cell(),
                     str(p.value("column", json())), str(p.value("value", json())), str(p.value("reason", json()))});
        w.close();
      });
    });

    // --- targets and progress
    route("GET", "/api/v1/targets", Access::session, [this](Ctx& c) {
      need(c, "read");
      auto l = pool->lease();
      json items = json::array();
      for (auto& t : l->targets(c.actor.scope, year_of(c)))
        items.push_back({{"region", t.region.str()}, {"unit", t.unit}, {"target", t.target},
                         {"extra", json::parse(t.extra_json, nullptr, false)}});
      send_json(c.res, 200, {{"items", items}});
    });

    // --- audit
    route("GET", "/api/v1/audit", Access::session, [this](Ctx& c) {
      need(c, "audit");
      auto [pg, ps] = page(c);
      auto [lo, hi] = region_range(c.actor.scope);
      std::string where = "WHERE region BETWEEN ? AND ?";
      std::vector<std::string> keep;
      std::vector<Param> params = {c.actor.scope.empty() ? int64_t(0) : lo, hi};
      for (const char* k : {"entity", "entity_id", "actor", "action"}) {
        auto v = qp(c, k);
        if (v.empty()) continue;
        keep.push_back(v);
        where += fmt::format(" AND {} = ?", k);
      }
      for (auto& v : keep) params.push_back(Param(v));
      std::string from = qp(c, "from");
      if (!from.empty()) { where += " AND at >= ?"; params.push_back(Param(from)); }
      auto l = pool->lease();
      int64_t total = 0;
      sql(*l).sql_query_span("SELECT COUNT(*) FROM audit_log " + where, params, [&](const RowView& v) { total = v.i(0); });
      params.push_back(ps);
      params.push_back((pg - 1) * ps);
      json items = json::array();
      sql(*l).sql_query_span(
          "SELECT id, at, actor, action, entity, entity_id, old_value, new_value, region FROM audit_log " + where +
              " ORDER BY id DESC LIMIT ? OFFSET ?",
          params, [&](const RowView& v) {
            items.push_back({{"id", v.i(0)}, {"at", v.s(1)}, {"actor", v.s(2)}, {"action", v.s(3)}, {"entity", v.s(4)},
                             {"entity_id", v.null(5) ? json() : json(v.s(5))},
                             {"old", v.null(6) ? json() : json::parse(v.s(6), nullptr, false)},
                             {"new", v.null(7) ? json() : json::parse(v.s(7), nullptr, false)},
                             {"region", v.region(8).str()}});
          });
      send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
    });

    // --- users
    route("GET", "/api/v1/users", Access::session, [this](Ctx& c) {
      need(c, "users");
      auto l = pool->lease();
      json items = json::array();
      for (auto& u : list_users(*l, c.actor.scope)) items.push_back(user_json(*l, u));
      send_json(c.res, 200, {{"items", items}});
    });
    route("POST", "/api/v1/users", Access::session, [this](Ctx& c) {
      need(c, "users");
      auto b = body(c);
      User u;
      u.username = str_field(b, "username", true);
      u.display_name = str_field(b, "display_name");
      u.role = str_field(b, "role", true);
      if (!valid_role(u.role))
        fail(422, "bad_field", "角色无效，可选：admin、township、village、school、tax、department、auditor", "role");
      u.department = str_field(b, "department");
      auto reg = str_field(b, "region");
      if (!reg.empty()) {
        auto r = RegionCode::parse(reg);
        if (!r) fail(400, "bad_field", "区划代码无效", "region");
        u.scope = *r;
      }
      if (u.scope.empty()) u.scope = c.actor.scope;
      if (!c.actor.in_scope(u.scope)) fail(403, "out_of_scope", "只能在本管辖区划内创建用户", "region");
      auto l = pool->lease();
      // A collector scoped wider than its village would see and collect for
      // the whole county: the region must exist and sit at the role's level
      // (village → village, township → township, others → county or above).
      if (!role_fits_region(u.role, u.scope))
        fail(422, "bad_field",
             u.scope.empty() ? "该角色必须指定管辖区划"
             : u.role == "village"  ? "村（社区）协理员的管辖区划须为村（社区）级代码（12位）"
             : u.role == "township" ? "乡镇（街道）经办的管辖区划须为乡镇（街道）级代码（9位）"
                                    : std::string(role_label(u.role)) + "的管辖区划须为县级或以上代码",
             "region");
      if (!u.scope.empty() && !l->region(u.scope))
        fail(422, "bad_field", "区划代码不存在：" + u.scope.str(), "region");
      if (u.role == "department" && u.department.empty())
        fail(422, "bad_field", "资助部门用户必须指定部门名称", "department");
      std::string pw;
      try {
        pw = create_user(*l, u, "", c.actor.username);
      } catch (const store::StoreError&) {
        throw;
      } catch (const std::runtime_error& e) {
        fail(422, "bad_field", e.what(), "username");
      }
      auto nu = find_user(*l, u.username);
      send_json(c.res, 201, {{"user", user_json(*l, *nu)}, {"password", pw}});
    });
    route("POST", R"(/api/v1/users/(\d+)/reset-password)", Access::session, [this](Ctx& c) {
      need(c, "users");
      auto l = pool->lease();
      auto u = find_user(*l, path_id(c, 1, "未找到该用户"));
      if (!u || !c.actor.in_scope(u->scope.empty() ? RegionCode{} : u->scope) ||
          (u->scope.empty() && !c.actor.scope.empty()))
        fail(404, "not_found", "未找到该用户");
      std::string pw = random_password();
      set_password(*l, u->id, pw, true, c.actor.username);  // ends the user's sessions
      send_json(c.res, 200, {{"password", pw}});
    });
    route("POST", R"(/api/v1/users/(\d+)/disable)", Access::session, [this](Ctx& c) {
      need(c, "users");
      auto l = pool->lease();
      auto u = find_user(*l, path_id(c, 1, "未找到该用户"));
      if (!u || (u->scope.empty() && !c.actor.scope.empty()) || (!u->scope.empty() && !c.actor.in_scope(u->scope)))
        fail(404, "not_found", "未找到该用户");
      set_disabled(*l, u->id, true, c.actor.username);  // ends the user's sessions
      c.res.status = 204;
    });

    // --- public
    route("GET", "/api/v1/public/status", Access::open, [this](Ctx& c) { public_status(c); });

    add_campaign_routes(*this);
    add_policy_routes(*this);

    // --- anything else under /api → 404; other paths → the web UI
    route("GET", R"(/api/.*)", Access::open, [](Ctx&) { fail(404, "not_found", "没有这个接口"); });
    route("POST", R"(/api/.*)", Access::open, [](Ctx&) { fail(404, "not_found", "没有这个接口"); });
    http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { static_file(req, res); });
  }

  json user_json(store::Store& st, const Session& s) {
    return {{"id", s.user_id}, {"username", s.username}, {"display_name", s.display_name}, {"role", s.role},
            {"role_label", role_label(s.role)}, {"region", s.scope.str()},
            {"region_name", s.scope.empty() ? json() : json(region_name(st, s.scope))}, {"department", s.department},
            {"must_change_password", s.must_change}};
  }
  json user_json(store::Store& st, const User& u) {
    return {{"id", u.id}, {"username", u.username}, {"display_name", u.display_name}, {"role", u.role},
            {"role_label", role_label(u.role)}, {"region", u.scope.str()},
            {"region_name", u.scope.empty() ? json() : json(region_name(st, u.scope))}, {"department", u.department},
            {"disabled", u.disabled}, {"must_change_password", u.must_change}};
  }

  // A ledger row as JSON with the person's masked name (one read per row,
  // cached for the request).
  json pay_json(store::Store& st, const ledger::Row& r, std::unordered_map<std::string, std::string>& names) {
    json j = row_json(r);
    auto it = names.find(r.person);
    if (it == names.end()) {
      auto p = st.person(r.person);
      it = names.emplace(r.person, p ? mask_name(p->name) : "").first;
    }
    j["name"] = it->second.empty() ? json() : json(it->second);
    j["person_key"] = keys->encode(r.person);
    return j;
  }

  void login(Ctx& c) {
    auto b = body(c);
    auto user = str_field(b, "username", true), pw = str_field(b, "password", true);
    const std::string ip = c.req.remote_addr;
    if (login_user.blocked(user) || login_ip.blocked(ip)) {
      c.res.set_header("Retry-After", std::to_string(login_user.retry_after_seconds(user)));
      fail(429, "too_many_requests", "登录失败次数过多，请15分钟后再试");
    }
    auto l = pool->lease();
    auto u = find_user(*l, user);
    bool ok = u && !u->disabled && verify_password(u->password_hash, pw);
    if (!u) {
      // Same work whether or not the user exists.
      static const std::string dummy = hash_password("canbao-dummy-password");
      verify_password(dummy, pw);
    }
    {
      auto tx = l->transaction();
      l->audit({"", user.substr(0, 64), ok ? "login" : "login.failed", "user", u ? std::to_string(u->id) : "",
                "", json{{"ip", ip}}.dump(), u ? u->scope : RegionCode{}});
      tx.commit();
    }
    if (!ok) {
      login_user.hit(user);
      login_ip.hit(ip);
      fail(401, "bad_credentials", "用户名或密码不正确");
    }
    login_user.clear(user);
    auto s = sessions.create(*l, *u);
    c.res.set_header("Set-Cookie", session_cookie(s.token));
    send_json(c.res, 200, {{"user", user_json(*l, s)}, {"csrf_token", s.csrf}});
  }

  void send_outcome(Ctx& c, const ledger::Outcome& o) {
    if (!o.ok) fail(o.refusal.http, o.refusal.code, o.refusal.message, o.refusal.field, o.refusal.details);
    json row = row_json(o.row);
    row["person_key"] = keys->encode(o.row.person);
    json j = {{"payment", row}, {"replayed", o.replayed}};
    if (!o.row.receipt_no.empty())
      j["receipt"] = {{"number", o.row.receipt_no}, {"verify_code", o.row.verify_code},
                      {"url", "/api/v1/receipts/" + o.row.receipt_no}};
    json subs = json::array();
    for (auto& ch : o.children)
      subs.push_back({{"id", ch.id}, {"payer", ch.payer_name}, {"amount_fen", ch.amount_fen},
                      {"mode", ch.subsidy_mode}, {"kind", ledger::kind_id(ch.kind)}});
    j["subsidies"] = subs;
    send_json(c.res, o.replayed ? 200 : 201, j);
  }

  json receipt_json(Ctx& c, const std::string& number) {
    auto l = pool->lease();
    auto r = ledger->row_by_receipt(*l, c.actor, number);
    if (!r) fail(404, "not_found", "未找到该缴费凭证");
    auto p = l->person(r->person);
    const Policy* pol = policies.find(r->region, r->year);
    const ledger::Channel* ch = ledger::find_channel(r->channel);
    json j = {{"number", r->receipt_no}, {"seq", r->receipt_seq}, {"region", r->receipt_region.str()},
              {"year", r->year}, {"payment_id", r->id}, {"id_number", mask_id(r->person)},
              {"name", p ? mask_name(p->name) : ""}, {"amount_fen", r->amount_fen},
              {"amount_yuan", Money::from_fen(r->amount_fen).yuan()}, {"amount_words", ledger::amount_words(r->amount_fen)},
              {"paid_on", r->paid_on.str()}, {"channel", r->channel}, {"channel_label", ch ? ch->label : ""},
              {"clct_way", r->clct_way}, {"collector", r->collector}, {"issued_at", r->created_at},
              {"verify_code", r->verify_code}, {"reversed", r->reversed_by != 0}, {"policy", r->policy},
              {"jurisdiction", pol ? pol->jurisdiction : ""}, {"insutype", "390"}};
    if (pol) {
      j["coverage_start"] = pol->coverage_period.first.str();
      j["coverage_end"] = pol->coverage_period.last.str();
    }
    return j;
  }

  static std::string receipt_html(const json& r) {
    auto s = [&](const char* k) { return html_escape(r[k].is_string() ? r[k].get<std::string>() : r[k].dump()); };
    return fmt::format(R"HTML(<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>缴费凭证 {0}</title>
<style>@page{{size:A5 landscape;margin:12mm}}body{{font-family:"Noto Serif CJK SC","SimSun",serif;margin:0}}
.r{{border:2px solid #a00;padding:16px 24px;max-width:720px;margin:16px auto}}h1{{text-align:center;color:#a00;font-size:22px;margin:4px 0 12px}}
table{{width:100%;border-collapse:collapse}}td{{border:1px solid #999;padding:6px 8px;font-size:14px}}td.k{{width:22%;background:#f7f0f0}}
.v{{font-family:monospace;font-size:16px;letter-spacing:1px}}.void{{color:#a00;font-weight:bold;text-align:center;font-size:20px}}
@media print{{.noprint{{display:none}}}}</style></head><body><div class="r">
<h1>城乡居民基本医疗保险缴费凭证</h1>
{11}
<table><tr><td class="k">凭证号</td><td class="v">{0}</td><td class="k">缴费年度</td><td>{1}</td></tr>
<tr><td class="k">姓名</td><td>{2}</td><td class="k">身份证号</td><td class="v">{3}</td></tr>
<tr><td class="k">金额（大写）</td><td>{4}</td><td class="k">金额（小写）</td><td>¥{5}</td></tr>
<tr><td class="k">缴费日期</td><td>{6}</td><td class="k">缴费渠道</td><td>{7}</td></tr>
<tr><td class="k">经办人</td><td>{8}</td><td class="k">险种</td><td>城乡居民基本医疗保险（390）</td></tr>
<tr><td class="k">统筹区</td><td colspan="3">{9}</td></tr>
<tr><td class="k">校验码</td><td colspan="3" class="v">{10}</td></tr></table>
<p style="font-size:12px;color:#555">凭凭证号和校验码可在 /api/v1/public/receipt-check 核验真伪。</p>
<p class="noprint"><button onclick="window.print()">打印</button></p></div></body></html>)HTML",
                       s("number"), s("year"), s("name"), s("id_number"), s("amount_words"), s("amount_yuan"),
                       s("paid_on"), s("channel_label"), s("collector"), s("jurisdiction"), s("verify_code"),
                       r["reversed"].get<bool>() ? "<p class=\"void\">已冲正（作废）</p>" : "");
  }

  void import(Ctx& c, const std::string& kind) {
    static const std::vector<std::string> kinds = {"roster", "subsidy_list", "employee_roster", "targets", "payments"};
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) fail(404, "not_found", "未知的导入类型");
    need(c, "import." + kind);
    if (!c.req.is_multipart_form_data() || !c.req.has_file("file"))
      fail(400, "missing_field", "请以 multipart/form-data 上传文件（字段 file）", "file");
    UploadSlot slot(*this, c, kind);
    auto f = c.req.get_file_value("file");
    auto field = [&](const char* k) { return c.req.has_file(k) ? c.req.get_file_value(k).content : std::string(); };
    auto form_date = [&](const char* k) -> std::optional<Date> {
      auto v = field(k);
      if (v.empty()) return std::nullopt;
      auto d = Date::parse(v);
      if (!d) fail(400, "bad_field", fmt::format("字段 {} 须为日期 YYYY-MM-DD", k), k);
      return d;
    };
    std::string ext = std::filesystem::path(f.filename).extension().string();
    if (ext != ".csv" && ext != ".xlsx" && ext != ".txt") ext = ".csv";
    auto dir = std::filesystem::temp_directory_path();
    std::string base = upload_base_name(f.filename);
    if (base.empty()) base = "upload" + ext;
    // The upload keeps its own name (the batch records it) inside a private directory.
    auto updir = dir / fmt::format("canbao-upload-{}", random_token(8));
    std::filesystem::create_directory(updir);
    struct Rm {
      std::filesystem::path p;
      ~Rm() { std::error_code ec; std::filesystem::remove_all(p, ec); }
    } rm{updir};
    auto path = updir / base;
    {
      std::ofstream out(path, std::ios::binary);
      out.write(f.content.data(), std::streamsize(f.content.size()));
    }
    // A file the readers refuse (empty, UTF-16, not a zip, a bomb …) is the
    // user's to fix: 422 naming the problem, the rolled-back import wrote nothing.
    auto reading = [&](auto&& run) {
      try {
        return run();
      } catch (const io::Error& e) {
        fail_bad_file(e, path.string(), base);
      }
    };
    json rep;
    if (kind == "payments") {
      int year = qyear(c);
      if (auto y = field("year"); !y.empty()) year = year_text(y, "year");
      if (!year) year = year_of(c);
      auto r = reading([&] { return ledger::import_tax_payments(*ledger, c.actor, path.string(), year, today()); });
      rep = r.report();
      rep["kind"] = kind;
      return send_json(c.res, 200, rep);
    }
    registry::ImportOptions o;
    o.actor = c.actor.username;
    o.today = today();
    o.scope = c.actor.scope;
    if (field("mode") == "partial") o.mode = registry::ImportMode::partial;
    auto l = pool->lease();
    registry::ImportResult r;
    if (kind == "roster") {
      r = reading([&] { return registry::import_roster(*l, path.string(), o); });
    } else if (kind == "subsidy_list") {
      registry::SubsidyListDefaults d;
      d.department = c.actor.role == "department" ? c.actor.department : field("department");
      if (auto cat = field("category"); !cat.empty()) {
        d.category = parse_category(cat);
        if (!d.category) fail(400, "bad_field", "人员类别无效", "category");
      }
      d.as_of = form_date("as_of");
      r = reading([&] { return registry::import_subsidy_list(*l, path.string(), o, d); });
    } else if (kind == "employee_roster") {
      auto a = form_date("as_of");
      r = reading([&] { return registry::import_employee_roster(*l, path.string(), o, a.value_or(today())); });
    } else {
      int year = field("year").empty() ? year_of(c) : year_text(field("year"), "year");
      RegionCode parent = c.actor.scope;
      if (auto p = field("parent"); !p.empty()) {
        auto pr = RegionCode::parse(p);
        if (!pr || !c.actor.in_scope(*pr)) fail(403, "out_of_scope", "上级区划不在您的管辖范围内", "parent");
        parent = *pr;
      }
      r = reading([&] { return registry::import_targets(*l, path.string(), o, year, parent); });
    }
    rep = {{"batch_id", r.batch_id}, {"kind", kind}, {"already_imported", r.already_imported},
           {"committed", r.committed}, {"rows_total", r.rows_total}, {"rows_written", r.rows_written},
           {"rows_rejected", r.rows_rejected}, {"problems", json::parse(r.report_json())},
           {"findings", json::array()}};
    for (auto& fd : r.findings) rep["findings"].push_back({{"row", fd.row}, {"code", fd.code}, {"message", fd.message}});
    send_json(c.res, 200, rep);
  }

  void public_status(Ctx& c) {
    if (!public_ip.take(c.req.remote_addr)) fail(429, "too_many_requests", "查询过于频繁，请稍后再试");
    static const json nothing = {{"found", false}, {"message", "未查询到匹配的参保信息，请核对身份证号和姓名"}};
    auto id = IdNumber::parse(qp(c, "id_number"), today().plus_days(366));
    std::string name = qp(c, "name");
    int year = year_of(c);
    auto l = pool->lease();
    std::optional<store::Person> p = id ? l->person(id->str()) : std::nullopt;
    // Constant-time name comparison; any mismatch answers exactly like an unknown person.
    bool match = p && !name.empty() && p->name.size() == name.size() &&
                 sodium_memcmp(p->name.data(), name.data(), name.size()) == 0;
    if (!match) return send_json(c.res, 200, nothing);
    std::optional<store::Enrollment> enr;
    for (auto& e : l->enrollments_of(p->id_number, year))
      if (store::is_active(e.status)) enr = e;
    json j = {{"found", true}, {"name", mask_name(p->name)}, {"id_number", mask_id(p->id_number)}, {"year", year},
              {"enrolled", enr.has_value()}, {"status", enr ? store::status_id(enr->status) : "none"},
              {"status_label", enr ? store::status_label(enr->status) : "未参保"},
              {"psn_insu_stas", enr ? "1" : "0"}};
    const Policy* pol = policies.find(enr ? enr->place : p->hukou, year);
    if (pol) {
      ledger::OneFacts of;
      ledger::person_facts(*l, *p, year, of);
      Assessment a;
      assess(*pol, of.facts, today(), a);
      j["individual_due_fen"] = a.due_known ? json(a.due.fen) : json();
      j["subsidy_fen"] = a.subsidy.fen;
      json subs = json::array();
      for (int k = 0; k < a.nlines; ++k)
        subs.push_back({{"payer", pol->subsidies.at(size_t(a.lines[k].rule)).payers.at(size_t(a.lines[k].payer)).payer},
                        {"fen", a.lines[k].amount.fen}});
      j["subsidies"] = subs;
      j["coverage_start"] = a.has_coverage ? json(a.coverage_start.str()) : json();
      j["coverage_end"] = a.has_coverage ? json(a.coverage_end.str()) : json();
      // A resident who can no longer pay this year must read why, not blank cover dates.
      j["payment_status"] = std::string(payment_status_id(a.payment));
      if (a.payment == PaymentStatus::window_closed || a.payment == PaymentStatus::undetermined)
        j["payment_note"] = assessment_reason(*pol, a);
    }
    json rec = json::array();
    sql(*l).sql_query("SELECT p.receipt_no FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'payment' "
                      "AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id) ORDER BY p.id",
                      {p->id_number, year}, [&](const RowView& v) { rec.push_back(std::string(v.s(0))); });
    j["receipts"] = rec;
    send_json(c.res, 200, j);
  }

  void static_file(const httplib::Request& req, httplib::Response& res) {
    if (!web_root) {
      res.status = 404;
      res.set_content("canbao: no web UI (--web DIR)", "text/plain; charset=utf-8");
      return;
    }
    namespace fs = std::filesystem;
    // Only files inside the web root; a path that tries to leave it is 404,
    // any other unknown path inside it is the SPA's index.html.
    std::optional<fs::path> file = web_root->file(req.path);
    if (!file && web_root->inside(req.path)) file = web_root->index();
    std::ifstream in;
    if (file) in.open(*file, std::ios::binary);
    if (!file || !in) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return;
    }
    const fs::path& p = *file;
    std::ostringstream ss;
    ss << in.rdbuf();
    if (p.filename() != "index.html") res.set_header("Cache-Control", "public, max-age=3600");
    std::string mime = mime_of(p.string());
    auto body = std::make_shared<const std::string>(ss.str());
    bool compressible = mime.rfind("text/", 0) == 0 || mime.rfind("application/json", 0) == 0 || mime == "image/svg+xml";
    if (compressible && body->size() >= 1024) {
      res.set_header("Vary", "Accept-Encoding");
      if (accepts_gzip(req.get_header_value("Accept-Encoding"))) {
        if (auto gz = gzipped(p, *body)) {
          res.set_header("Content-Encoding", "gzip");
          body = gz;
        }
      }
    }
    // A provider with a known length: httplib sends it as is (its own
    // compression, which ignores q=0, is not applied).
    res.set_content_provider(body->size(), mime, [body](size_t off, size_t len, httplib::DataSink& sink) {
      sink.write(body->data() + off, len);
      return true;
    });
  }

  static bool accepts_gzip(const std::string& ae) {
    // "gzip", "deflate, gzip;q=0.8", "*" — but not "gzip;q=0".
    std::istringstream in(ae);
    std::string tok;
    while (std::getline(in, tok, ',')) {
      tok.erase(std::remove(tok.begin(), tok.end(), ' '), tok.end());
      std::string name = tok.substr(0, tok.find(';'));
      if (name != "gzip" && name != "*") continue;
      auto q = tok.find(";q=");
      if (q == std::string::npos) return true;
      try {
        return std::stod(tok.substr(q + 3)) > 0;
      } catch (...) {
        return false;
      }
    }
    return false;
  }

  // The gzip form of a static file: a precompressed FILE.gz beside it when
  // at least as new, else compressed once and kept in memory (keyed by path,
  // size and modification time, so a rebuilt web/dist is picked up).
  std::mutex gz_mu;
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const std::string>>> gz_cache;
  std::shared_ptr<const std::string> gzipped(const std::filesystem::path& p, const std::string& body) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto mt = fs::last_write_time(p, ec);
    std::string stamp = fmt::format("{}:{}", body.size(), ec ? 0 : mt.time_since_epoch().count());
    {
      std::lock_guard g(gz_mu);
      if (auto it = gz_cache.find(p.string()); it != gz_cache.end() && it->second.first == stamp) return it->second.second;
    }
    std::string out;
    fs::path side = p.string() + ".gz";
    std::error_code ec2;
    if (fs::is_regular_file(side, ec2) && !ec && fs::last_write_time(side, ec2) >= mt && !ec2) {
      std::ifstream in(side, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      out = ss.str();
    }
    if (out.size() < 2 || out[0] != '\x1f' || out[1] != '\x8b') {
      out.clear();
      httplib::detail::gzip_compressor z;
      bool ok = z.compress(body.data(), body.size(), true, [&](const char* d, size_t n) {
        out.append(d, n);
        return true;
      });
      if (!ok) return nullptr;
    }
    auto gz = std::make_shared<const std::string>(std::move(out));
    std::lock_guard g(gz_mu);
    gz_cache[p.string()] = {stamp, gz};
    return gz;
  }
};

Server::Server(ServerOptions opt) : impl_(std::make_unique<Impl>(std::move(opt))) {}
Server::~Server() {
  stop();
  impl_->ledger->stop();
}

int Server::bind() {
  auto& i = *impl_;
  if (i.opt.port == 0) i.bound_port = i.http.bind_to_any_port(i.opt.bind);
  else i.bound_port = i.http.bind_to_port(i.opt.bind, i.opt.port) ? i.opt.port : -1;
  if (i.bound_port > 0 && i.listen_fd >= 0) {
    // Debian's compiled cpp-httplib 0.11.4 listens with a backlog of 5: a burst
    // of connections (128 clients starting, phones reconnecting) overflowed the
    // SYN and accept queues, and clients whose handshake the kernel dropped got
    // a reset after sending their request ("error: -1 Read", issue 11).
    // listen() again on a listening socket only sets its backlog (Linux; the
    // kernel caps it at net.core.somaxconn).
    ::listen(i.listen_fd, kListenBacklog);
  }
  raise_open_files_limit(i.opt.threads + 256);
  return i.bound_port;
}

void Server::run() {
  auto& i = *impl_;
  {
    std::lock_guard lk(i.run_mu);
    if (i.stop_requested) {
      i.ledger->stop();
      return;
    }
    i.running = true;
  }
  i.http.listen_after_bind();
  i.listen_returned = true;
  // listen_after_bind returns after stop(): the thread pool finished in-flight requests.
  i.ledger->stop();
}

void Server::stop() {
  auto& i = *impl_;
  {
    std::lock_guard lk(i.run_mu);
    i.stop_requested = true;
    if (!i.running) return;  // run() has not started: it will see the request and return
  }
  // httplib's stop() does nothing before its accept loop is live (and the loop
  // would then wait in accept() for ever): wait until it is live, or over.
  while (!i.http.is_running() && !i.listen_returned) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  i.http.stop();
}
int Server::port() const { return impl_->bound_port; }
Server::LedgerFigures Server::ledger_figures() const {
  auto f = impl_->ledger->stats();
  return {f.batches, f.writes, f.apply_us, f.commit_us};
}
Date Server::today() const { return impl_->today(); }

}  // namespace canbao::server
