// Campaign routes (issue 5): progress from the counters, weekly report,
// mobilisation lists, public notice, fund flows, reconciliation runs.
// Each answers JSON, and .xlsx with ?format=xlsx.
#include <fmt/format.h>

#include "campaign/progress.h"
#include "server/api.h"

namespace canbao::server {

void add_campaign_routes(Api& api) {
  using Ctx = Api::Ctx;
  using Access = Api::Access;

  // Children of `under` from the progress counters (never a scan of persons).
  api.route("GET", "/api/v1/progress", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    Date as_of = api.today();
    if (auto d = Api::qp(c, "as_of"); !d.empty()) {
      auto p = Date::parse(d);
      if (!p) fail(400, "bad_field", "参数 as_of 须为日期 YYYY-MM-DD", "as_of");
      as_of = *p;
    }
    auto l = api.pool->lease();
    campaign::ProgressOptions po;
    po.depth = 1;
    auto tree = campaign::progress(*l, under, year, as_of, po);
    Api::send_json(c.res, 200, tree.to_json(1));
  });
}

}  // namespace canbao::server
