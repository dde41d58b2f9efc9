// Progress routes: the counters' figures by region, their weekly trend, the
// individual payments by channel, and the progress and weekly reports.
#include <fmt/format.h>

#include <algorithm>

#include "campaign/progress.h"
#include "campaign/weekly.h"
#include "server/routes.h"
#include "store/reconcile_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

std::string_view channel_label(std::string_view id) {
  if (auto* ch = ledger::find_channel(id)) return ch->label;
  return id;
}

}  // namespace

void add_progress_routes(Api& api) {
  // Children of `under` from the progress counters (never a scan of persons).
  api.route("GET", "/api/v1/progress", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    Date as_of = as_of_param(api, c);
    auto l = api.pool->lease();
    campaign::ProgressOptions po;
    po.depth = 1;
    auto tree = campaign::progress(*l, under, year, as_of, po);
    Api::send_json(c.res, 200, tree.to_json(1));
  });

  // Cumulative figures at the end of each ISO week of the collection window
  // (the last 20 weeks at most, the current week up to today).
  api.route("GET", "/api/v1/progress/weekly", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    Date today = api.today();
    Date from = today.plus_days(-7 * 19), to = today;
    if (const Policy* p = api.policies.find(under, year); p && !p->windows.empty()) {
      Date open = p->windows.front().open;
      std::optional<Date> close;
      bool open_ended = false;
      for (auto& w : p->windows) {
        open = std::min(open, w.open);
        if (!w.close) open_ended = true;
        else if (!close || *w.close > *close) close = *w.close;
      }
      from = open;
      if (close && !open_ended && *close < today) to = *close;
    }
    if (!Api::qp(c, "as_of").empty()) to = std::min(to, as_of_param(api, c));
    auto first = campaign::iso_week_of(from), last = campaign::iso_week_of(to);
    Date start = first.monday;
    if ((last.monday.days - start.days) / 7 + 1 > 20) start = last.monday.plus_days(-7 * 19);
    auto l = api.pool->lease();
    json items = json::array();
    campaign::ProgressOptions po;
    po.depth = 0;
    for (Date m = start; m <= last.monday && m <= to; m = m.plus_days(7)) {
      auto w = campaign::iso_week_of(m);
      Date end = std::min(w.sunday, to);
      auto t = campaign::progress(*l, under, year, end, po);
      const auto& n = t.root().now;
      items.push_back({{"week", w.str()}, {"as_of", end.str()}, {"partial", end < w.sunday},
                       {"enrolled", n.registered}, {"paid", n.paid}, {"paid_fen", n.collected_fen},
                       {"subsidised", n.subsidised}, {"subsidy_fen", n.subsidy_fen}});
    }
    Api::send_json(c.res, 200, {{"year", year}, {"region", under.str()}, {"items", items}});
  });

  // Individual payments net of reversals, by channel (department rows excluded).
  api.route("GET", "/api/v1/progress/channels", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    auto l = api.pool->lease();
    json items = json::array();
    int64_t count = 0, fen = 0;
    for (auto& t : l->reconcile().payments_by_channel(under, year)) {
      if (t.count == 0 && t.amount_fen == 0) continue;
      items.push_back({{"channel", t.channel}, {"label", channel_label(t.channel)}, {"count", t.count},
                       {"amount_fen", t.amount_fen}});
      count += t.count;
      fen += t.amount_fen;
    }
    Api::send_json(c.res, 200, {{"year", year}, {"region", under.str()}, {"items", items},
                                {"total", {{"count", count}, {"amount_fen", fen}}}});
  });

  // ------------------------------------------------------------ reports

  api.route("GET", "/api/v1/reports/progress", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    int year = api.year_of(c);
    RegionCode under = api.scoped_region(c, "under", year);
    Date as_of = as_of_param(api, c);
    int depth = int(std::clamp<int64_t>(Api::qint(c, "depth", 3), 1, 4));
    auto l = api.pool->lease();
    campaign::ProgressOptions po;
    po.depth = depth;
    auto tree = campaign::progress(*l, under, year, as_of, po);
    if (Api::wants_xlsx(c))
      return Api::send_xlsx(c, fmt::format("参保进度-{}-{}.xlsx", under.str(), as_of.str()),
                            [&](const std::string& p) { campaign::write_progress_xlsx(tree, p); });
    json j = tree.to_json(depth);
    j["depth"] = depth;
    Api::send_json(c.res, 200, j);
  });

  api.route("GET", "/api/v1/reports/weekly", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    campaign::IsoWeek week = campaign::iso_week_of(api.today());
    if (auto w = Api::qp(c, "week"); !w.empty()) {
      auto p = campaign::parse_iso_week(w);
      if (!p) fail(400, "bad_field", "参数 week 须为 ISO 周，如 2023-W47", "week");
      week = *p;
    }
    int year = Api::qyear(c);
    if (!year) year = campaign::campaign_year_of(week.friday);
    RegionCode under = api.scoped_region(c, "under", year);
    int depth = int(std::clamp<int64_t>(Api::qint(c, "depth", 3), 1, 4));
    auto l = api.pool->lease();
    auto r = campaign::weekly_report(*l, under, year, week, depth);
    if (Api::wants_xlsx(c))
      return Api::send_xlsx(c, fmt::format("参保缴费周报-{}-{}.xlsx", under.str(), week.str()),
                            [&](const std::string& p) { campaign::write_weekly_xlsx(r, p); });
    Api::send_json(c.res, 200, r.to_json());
  });
}

}  // namespace canbao::server
