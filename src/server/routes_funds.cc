// Fund flow routes: where the year's money came from (individuals, each
// department's subsidies) and the subsidies by payer for the dashboard.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "campaign/funds.h"
#include "server/routes.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

}  // namespace

void add_fund_routes(Api& api) {
  api.route("GET", "/api/v1/funds", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    auto l = api.pool->lease();
    auto f = campaign::fund_flows(*l, year, under, api.policies.find(under, year));
    if (Api::wants_xlsx(c))
      return Api::send_xlsx(c, fmt::format("基金筹资-{}-{}.xlsx", under.str(), year),
                            [&](const std::string& p) { campaign::write_funds_xlsx(f, p); });
    Api::send_json(c.res, 200, f.to_json());
  });

  // Department subsidies by payer (both modes together) for the dashboard.
  api.route("GET", "/api/v1/funds/subsidies", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    auto l = api.pool->lease();
    auto f = campaign::fund_flows(*l, year, under, nullptr);
    std::vector<std::string> order;
    std::map<std::string, json> by;
    for (auto& s : f.subsidies) {
      auto [it, fresh] = by.try_emplace(s.payer, json{{"payer", s.payer}, {"persons", 0}, {"rows", 0},
                                                      {"paid_on_behalf_fen", 0}, {"reimbursed_fen", 0},
                                                      {"amount_fen", 0}});
      if (fresh) order.push_back(s.payer);
      auto& j = it->second;
      j["persons"] = j["persons"].get<int64_t>() + s.persons;
      j["rows"] = j["rows"].get<int64_t>() + s.rows;
      j["amount_fen"] = j["amount_fen"].get<int64_t>() + s.amount_fen;
      const char* k = s.mode == "reimbursed" ? "reimbursed_fen" : "paid_on_behalf_fen";
      j[k] = j[k].get<int64_t>() + s.amount_fen;
    }
    json items = json::array();
    for (auto& p : order) items.push_back(by[p]);
    std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
      return a["amount_fen"].get<int64_t>() > b["amount_fen"].get<int64_t>();
    });
    Api::send_json(c.res, 200, {{"year", year}, {"region", under.str()}, {"by_payer", items},
                                {"total_fen", f.subsidy_fen}});
  });
}

}  // namespace canbao::server
