// The audit log route: who did what to which record, newest first, within
// the auditor's scope. Old and new values are the JSON the writers stored
// (already masked); an absent value is null.
#include "server/api.h"
#include "store/admin_store.h"

namespace canbao::server {

void add_audit_routes(Api& api) {
  using Ctx = Api::Ctx;
  using Access = Api::Access;

  api.route("GET", "/api/v1/audit", Access::session, [&api](Ctx& c) {
    Api::need(c, "audit");
    auto [pg, ps] = api.page(c);
    store::AuditFilter f;
    f.scope = c.actor.scope;
    f.entity = Api::qp(c, "entity");
    f.entity_id = Api::qp(c, "entity_id");
    f.actor = Api::qp(c, "actor");
    f.action = Api::qp(c, "action");
    f.from = Api::qp(c, "from");
    auto l = api.pool->lease();
    auto log = l->admin().audit_log(f, (pg - 1) * ps, ps);
    auto text_json = [](const std::optional<std::string>& v) {
      return v ? json::parse(*v, nullptr, false) : json();
    };
    json items = json::array();
    for (auto& r : log.rows)
      items.push_back({{"id", r.id}, {"at", r.at}, {"actor", r.actor}, {"action", r.action}, {"entity", r.entity},
                       {"entity_id", r.entity_id ? json(*r.entity_id) : json()},
                       {"old", text_json(r.old_json)},
                       {"new", text_json(r.new_json)},
                       {"region", r.region.str()}});
    Api::send_json(c.res, 200, {{"items", items}, {"total", log.total}, {"page", pg}, {"page_size", ps}});
  });
}

}  // namespace canbao::server
