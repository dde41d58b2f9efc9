// Mobilisation list routes (未缴费, 往年参保本年未参, 资助对象未参保, 新生儿)
// and the public notice (参保缴费公示).
#include <fmt/format.h>

#include <algorithm>

#include "campaign/lists.h"
#include "server/routes.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

// The mobilisation list kinds; the web's subsidised_not_enrolled is an alias.
std::string list_kind(const std::string& k) {
  if (k == "subsidised_not_enrolled") return "subsidised_unenrolled";
  if (k == "unpaid" || k == "lapsed" || k == "subsidised_unenrolled" || k == "newborns") return k;
  return {};
}

const std::vector<campaign::MobilisationRow>& rows_of(const campaign::MobilisationLists& m, const std::string& k) {
  if (k == "unpaid") return m.unpaid;
  if (k == "lapsed") return m.lapsed;
  if (k == "subsidised_unenrolled") return m.subsidised_unenrolled;
  return m.newborns;
}
std::vector<campaign::MobilisationRow>& rows_of(campaign::MobilisationLists& m, const std::string& k) {
  return const_cast<std::vector<campaign::MobilisationRow>&>(rows_of(std::as_const(m), k));
}

std::string_view list_title(const std::string& k) {
  if (k == "unpaid") return "未缴费人员";
  if (k == "lapsed") return "往年参保本年未参";
  if (k == "subsidised_unenrolled") return "资助对象未参保";
  return "新生儿未参保";
}

// The unpaid list as an SMS batch: the phones are in full (that is what the
// county's SMS platform needs), so the export is an unmasked read and audited.
void send_sms(Api& api, Ctx& c, store::Store& st, const campaign::MobilisationLists& m, RegionCode scope, int year) {
  Api::need(c, "unmask");
  auto rows = campaign::sms_rows(st, api.policies, m);
  auto tx = st.transaction();
  st.audit({"", c.actor.username, "list.sms_export", "mobilisation_list", "unpaid", "",
            json{{"year", year}, {"scope", scope.str()}, {"format", "sms"}, {"rows", int64_t(rows.size())}}.dump(),
            scope});
  tx.commit();
  Api::send_xlsx(c, fmt::format("未缴费短信提醒-{}-{}.xlsx", scope.str(), year),
                 [&](const std::string& p) { campaign::write_sms_xlsx(rows, p); });
}

}  // namespace

void add_list_routes(Api& api) {
  api.route("GET", R"(/api/v1/lists/([a-z_]+))", Access::session, [&api](Ctx& c) {
    std::string kind = list_kind(c.req.matches[1].str());
    if (kind.empty()) fail(404, "not_found", "未知的名单类型");
    // Payment status of residents: roles that read payments; a department
    // may read the list of subsidised persons not enrolled (its own work).
    if (!role_may(c.actor.role, "read.payments") &&
        !(kind == "subsidised_unenrolled" && role_may(c.actor.role, "read.subsidy")))
      fail(403, "forbidden", "您的角色无权进行此操作");
    bool sms = Api::qp(c, "format") == "sms";
    if (sms && kind != "unpaid") fail(400, "bad_field", "仅未缴费名单可导出短信提醒（format=sms）", "format");
    bool unmask = Api::qp(c, "unmask") == "1" && !sms;
    if (unmask) Api::need(c, "unmask");
    int year = api.year_of(c);
    RegionCode scope = api.scoped_region(c, "village", year);
    auto [pg, ps] = api.page(c);
    bool xlsx = Api::wants_xlsx(c);
    auto l = api.pool->lease();
    campaign::ListOptions o;
    o.year = year;
    o.scope = scope;
    o.today = api.today();
    auto m = campaign::mobilisation_lists(*l, api.policies, o);
    if (sms) return send_sms(api, c, *l, m, scope, year);
    const auto& all = rows_of(m, kind);
    int64_t total = int64_t(all.size());
    if (unmask) {
      // One audit row per unmasked read (what was shown, never the IDs).
      int64_t shown = xlsx ? total : std::clamp<int64_t>(total - (pg - 1) * ps, 0, ps);
      auto tx = l->transaction();
      l->audit({"", c.actor.username, "list.unmask", "mobilisation_list", kind, "",
                json{{"year", year}, {"scope", scope.str()}, {"format", xlsx ? "xlsx" : "json"}, {"page", pg},
                     {"rows", shown}}
                    .dump(),
                scope});
      tx.commit();
    }
    if (xlsx) {
      return Api::send_xlsx(c, fmt::format("{}-{}-{}.xlsx", list_title(kind), scope.str(), year),
                            [&](const std::string& p) { campaign::write_mobilisation_xlsx(m, p, unmask, kind); });
    }
    // The page only, through the list's own JSON.
    campaign::MobilisationLists pageset;
    pageset.year = m.year;
    pageset.today = m.today;
    pageset.scope = m.scope;
    pageset.village_names = m.village_names;
    auto& rows = rows_of(pageset, kind);
    for (int64_t i = (pg - 1) * ps; i < total && i < pg * ps; ++i) rows.push_back(all[size_t(i)]);
    json items = pageset.to_json(unmask)[kind];
    for (size_t i = 0; i < rows.size(); ++i) {
      items[i]["person_key"] = api.keys->encode(rows[i].person);
      if (kind == "newborns") items[i]["deadline"] = rows[i].birth.plus_days(90).str();
    }
    Api::send_json(c.res, 200, {{"kind", kind}, {"title", list_title(kind)}, {"year", year}, {"scope", scope.str()},
                                {"today", m.today.str()}, {"unmasked", unmask}, {"items", items}, {"total", total},
                                {"page", pg}, {"page_size", ps}});
  });

  // ------------------------------------------------------------ public notice

  api.route("GET", "/api/v1/notices", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode scope = api.scoped_region(c, "village", year);
    auto [pg, ps] = api.page(c);
    auto l = api.pool->lease();
    auto n = campaign::public_notice(*l, year, scope, api.policies.find(scope, year));
    std::string fmt_ = Api::qp(c, "format");
    if (fmt_ == "xlsx")
      return Api::send_xlsx(c, fmt::format("参保缴费公示-{}-{}.xlsx", scope.str(), year),
                            [&](const std::string& p) { campaign::write_notice_xlsx(n, p); });
    if (fmt_ == "html") {
      c.res.status = 200;
      c.res.set_content(campaign::notice_html(n), "text/html; charset=utf-8");
      return;
    }
    if (!fmt_.empty() && fmt_ != "json") fail(400, "bad_field", "参数 format 须为 json、html 或 xlsx", "format");
    json j = n.to_json();
    int64_t sum = 0;
    for (auto& r : n.rows) sum += r.individual_fen;
    j["total"] = int64_t(n.rows.size());
    j["individual_total_fen"] = sum;
    j["items"] = page_slice(j["items"], pg, ps);
    j["page"] = pg;
    j["page_size"] = ps;
    Api::send_json(c.res, 200, j);
  });
}

}  // namespace canbao::server
