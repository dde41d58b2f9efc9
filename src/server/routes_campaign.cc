// Campaign routes (issue 5): progress from the counters, weekly trend and
// report, payment channels, mobilisation lists, public notice, fund flows,
// reconciliation runs, one file per topic (server/routes.h). Each answers
// JSON, and .xlsx with ?format=xlsx where docs/api.md says so. Every route is
// limited to the actor's region (404 outside it) and to the roles of
// docs/api.md (403); unmasked lists and reconciliation runs are audited.
#include "server/routes.h"

namespace canbao::server {

Date as_of_param(Api& api, Api::Ctx& c) {
  auto d = Api::qp(c, "as_of");
  if (d.empty()) return api.today();
  auto p = Date::parse(d);
  if (!p) fail(400, "bad_field", "参数 as_of 须为日期 YYYY-MM-DD", "as_of");
  return *p;
}

json page_slice(const json& a, int64_t pg, int64_t ps) {
  json out = json::array();
  int64_t from = (pg - 1) * ps;
  for (int64_t i = from; i < int64_t(a.size()) && i < from + ps; ++i) out.push_back(a[size_t(i)]);
  return out;
}

void add_campaign_routes(Api& api) {
  add_progress_routes(api);
  add_list_routes(api);
  add_fund_routes(api);
  add_reconcile_routes(api);
}

}  // namespace canbao::server
