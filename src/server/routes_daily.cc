// The daily handover (日结) and the ledger export (issue 14 §5).
//
//   GET /api/v1/collections/daily?date=&collector=&format=json|xlsx|html
//       one collector's day by channel with its items, or (bureau view, no
//       collector) every collector's day in the caller's scope
//   GET /api/v1/payments/export?<the filters of GET /api/v1/payments>
//       every matching ledger row as .xlsx (masked), not one page
//
// A day is the rows' paid_on, the collection date the collector wrote (an
// offline payment synced days later still belongs to the day it was taken);
// the recording time is shown beside it so a late sync is visible.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "core/id_number.h"
#include "core/money.h"
#include "io/xlsx_writer.h"
#include "server/api.h"
#include "store/auth_store.h"
#include "store/ledger_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

std::string channel_label(const std::string& id) {
  const auto* ch = ledger::find_channel(id);
  return ch ? std::string(ch->label) : id;
}

// Sums by channel, in the vocabulary's order (unknown channels after it).
struct ChannelSums {
  std::map<std::string, std::pair<int64_t, int64_t>> by;  // channel → (count, fen)
  int64_t count = 0, fen = 0;

  // A reversal takes back its payment's count as well as its amount, so a
  // payment reversed the same day nets to nothing.
  void add(const store::Payment& r) {
    int64_t n = r.kind == store::PaymentKind::reversal ? -1 : 1;
    auto& s = by[r.channel];
    s.first += n;
    s.second += r.amount_fen;
    count += n;
    fen += r.amount_fen;
  }
  std::vector<std::string> order() const {
    std::vector<std::string> out;
    for (const auto& ch : ledger::channels())
      if (by.count(std::string(ch.id))) out.emplace_back(ch.id);
    for (const auto& [id, s] : by)
      if (!ledger::find_channel(id)) out.push_back(id);
    return out;
  }
  json to_json() const {
    json a = json::array();
    for (const auto& id : order()) {
      const auto& [n, fen] = by.at(id);
      a.push_back({{"channel", id}, {"label", channel_label(id)}, {"count", n}, {"amount_fen", fen}});
    }
    return a;
  }
};

struct CollectorDay {
  std::string collector, display_name;
  ChannelSums sums;
  std::vector<const store::CollectedRow*> rows;
};

struct Day {
  Date date;
  std::vector<store::CollectedRow> rows;
  std::vector<CollectorDay> collectors;  // by username
  ChannelSums sums;
};

// Person id → (masked name, household) for the rows shown, one read each.
using People = std::unordered_map<std::string, std::pair<std::string, std::string>>;

const std::pair<std::string, std::string>& person_of(store::Store& st, People& people, const std::string& id) {
  auto it = people.find(id);
  if (it == people.end()) {
    auto p = st.person(id);
    it = people.emplace(id, p ? std::make_pair(mask_name(p->name), p->household) : std::make_pair("", "")).first;
  }
  return it->second;
}

json item_json(store::Store& st, People& people, const store::Payment& r) {
  const auto& [name, household] = person_of(st, people, r.person);
  bool reversal = r.kind == store::PaymentKind::reversal;
  return {{"id", r.id},
          {"kind", reversal ? "reversal" : "payment"},
          {"receipt_no", r.receipt_no.empty() ? json() : json(r.receipt_no)},
          {"household", household.empty() ? json() : json(household)},
          {"name", name.empty() ? json() : json(name)},
          {"amount_fen", r.amount_fen},
          {"channel", r.channel},
          {"channel_label", channel_label(r.channel)},
          {"paid_on", r.paid_on.str()},
          {"recorded_at", r.created_at},
          {"reversed", reversal || r.reversed_by != 0}};
}

// Whose day the caller asks for: a village collector only their own; the
// others any user inside their scope, or everyone (empty) when not named.
std::string which_collector(Ctx& c, store::Store& st) {
  std::string named = Api::qp(c, "collector");
  if (c.actor.role == "village") {
    if (!named.empty() && named != c.actor.username)
      fail(403, "forbidden", "村（社区）协理员只能查看本人的日结", "collector");
    return c.actor.username;
  }
  if (named.empty() || named == c.actor.username) return named;
  auto u = st.auth().user_named(named);
  // Someone outside the scope reads as absent, as rows outside it do.
  if (!u || !c.actor.in_scope(u->scope)) fail(404, "not_found", "未找到该收款人", "collector");
  return named;
}

Day read_day(Ctx& c, store::Store& st, Date date, const std::string& collector) {
  Day d;
  d.date = date;
  d.rows = store::collected_on(st, date, c.actor.scope, collector);
  std::map<std::string, size_t> at;
  for (const auto& r : d.rows) {
    auto [it, fresh] = at.emplace(r.cash_collector, d.collectors.size());
    if (fresh) d.collectors.push_back({r.cash_collector, r.cash_collector, {}, {}});
    auto& cd = d.collectors[it->second];
    cd.sums.add(r.row);
    cd.rows.push_back(&r);
    d.sums.add(r.row);
  }
  // A named collector with nothing that day still answers with an empty day.
  if (!collector.empty() && d.collectors.empty()) d.collectors.push_back({collector, collector, {}, {}});
  for (auto& cd : d.collectors)
    if (auto u = st.auth().user_named(cd.collector); u && !u->display_name.empty()) cd.display_name = u->display_name;
  std::sort(d.collectors.begin(), d.collectors.end(),
            [](const CollectorDay& a, const CollectorDay& b) { return a.collector < b.collector; });
  return d;
}

json day_json(store::Store& st, const Day& d, bool one) {
  People people;
  if (one) {
    const auto& cd = d.collectors.front();
    json items = json::array();
    for (const auto* r : cd.rows) items.push_back(item_json(st, people, r->row));
    return {{"date", d.date.str()},           {"collector", cd.collector}, {"display_name", cd.display_name},
            {"count", cd.sums.count},         {"total_fen", cd.sums.fen},  {"channels", cd.sums.to_json()},
            {"items", items}};
  }
  json cs = json::array();
  for (const auto& cd : d.collectors)
    cs.push_back({{"collector", cd.collector}, {"display_name", cd.display_name}, {"count", cd.sums.count},
                  {"total_fen", cd.sums.fen}, {"channels", cd.sums.to_json()}});
  return {{"date", d.date.str()}, {"collectors", cs}, {"count", d.sums.count}, {"total_fen", d.sums.fen},
          {"channels", d.sums.to_json()}};
}

// The 交款单 workbook: the totals by collector and channel first (what is
// handed over), then every row behind them (names masked).
void write_day_xlsx(store::Store& st, const Day& d, const std::string& path) {
  io::XlsxWriter w(path);
  w.add_sheet("交款单", {"日期", "收款人", "姓名", "渠道", "笔数", "金额（元）"});
  for (const auto& cd : d.collectors) {
    for (const auto& id : cd.sums.order()) {
      const auto& [n, fen] = cd.sums.by.at(id);
      w.add_row({d.date, cd.collector, cd.display_name, channel_label(id), n, Money::from_fen(fen)});
    }
    w.add_row({d.date, cd.collector, cd.display_name, "小计", cd.sums.count, Money::from_fen(cd.sums.fen)});
  }
  w.add_row({d.date, "", "", "合计", d.sums.count, Money::from_fen(d.sums.fen)});
  w.add_sheet("明细", {"收款人", "票据号", "户号", "姓名", "金额（元）", "渠道", "缴费日期", "记录时间", "状态"});
  People people;
  for (const auto& cd : d.collectors)
    for (const auto* r : cd.rows) {
      const auto& p = r->row;
      const auto& [name, household] = person_of(st, people, p.person);
      const char* state = p.kind == store::PaymentKind::reversal ? "冲正" : p.reversed_by ? "已冲正" : "正常";
      w.add_row({cd.collector, p.receipt_no, household, name, Money::from_fen(p.amount_fen), channel_label(p.channel),
                 p.paid_on, p.created_at, state});
    }
  w.close();
}

std::string esc(std::string_view s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += ch;
    }
  }
  return o;
}

// The printable 交款单 (format=html): totals with signature lines, the rows below.
std::string day_html(store::Store& st, const Day& d) {
  std::string body;
  People people;
  for (const auto& cd : d.collectors) {
    body += fmt::format("<h2>{}（{}）</h2><table><tr><th>渠道</th><th>笔数</th><th>金额（元）</th></tr>",
                        esc(cd.display_name), esc(cd.collector));
    for (const auto& id : cd.sums.order()) {
      const auto& [n, fen] = cd.sums.by.at(id);
      body += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(channel_label(id)), n,
                          Money::from_fen(fen).yuan());
    }
    body += fmt::format("<tr><th>小计</th><th>{}</th><th>{}</th></tr></table>", cd.sums.count,
                        Money::from_fen(cd.sums.fen).yuan());
    body += "<table><tr><th>票据号</th><th>户号</th><th>姓名</th><th>金额（元）</th><th>渠道</th><th>记录时间</th></tr>";
    for (const auto* r : cd.rows) {
      const auto& [name, household] = person_of(st, people, r->row.person);
      body += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                          esc(r->row.receipt_no), esc(household), esc(name), Money::from_fen(r->row.amount_fen).yuan(),
                          esc(channel_label(r->row.channel)), esc(r->row.created_at));
    }
    body += "</table><p class=sign>交款人：__________　　收款人：__________</p>";
  }
  return fmt::format(R"HTML(<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>交款单 {0}</title>
<style>body{{font-family:sans-serif;max-width:720px;margin:auto;padding:8px}}table{{border-collapse:collapse;width:100%;margin:8px 0}}
td,th{{border:1px solid #999;padding:4px;font-size:14px}}.sign{{margin:24px 0}}@media print{{button{{display:none}}}}</style></head>
<body><h1>城乡居民医保费交款单</h1><p>日期：{0}　合计：{1} 笔，{2} 元</p>{3}<button onclick="print()">打印</button></body></html>)HTML",
                     d.date.str(), d.sums.count, Money::from_fen(d.sums.fen).yuan(), body);
}

void daily(Api& api, Ctx& c) {
  Api::need(c, "read.payments");
  Date date = Api::qdate(c, "date").value_or(api.today());
  std::string format = Api::qp(c, "format");
  if (!format.empty() && format != "json" && format != "xlsx" && format != "html")
    fail(400, "bad_field", "参数 format 须为 json、xlsx 或 html", "format");
  auto l = api.pool->lease();
  std::string collector = which_collector(c, *l);
  Day d = read_day(c, *l, date, collector);
  if (format == "xlsx") {
    std::string who = collector.empty() ? "全部" : collector;
    return Api::send_xlsx(c, fmt::format("交款单-{}-{}.xlsx", who, date.str()),
                          [&](const std::string& p) { write_day_xlsx(*l, d, p); });
  }
  if (format == "html") return c.res.set_content(day_html(*l, d), "text/html; charset=utf-8");
  Api::send_json(c.res, 200, day_json(*l, d, !collector.empty()));
}

// The filters of GET /api/v1/payments (routes_payments.cc), read the same way.
ledger::Ledger::Filter export_filter(Api& api, Ctx& c) {
  ledger::Ledger::Filter f;
  f.year = Api::qyear(c);
  f.under = api.qregion(c, "village");
  if (auto p = Api::qp(c, "person"); !p.empty()) f.person = api.person_id(p);
  f.channel = Api::qp(c, "channel");
  f.kind = Api::qp(c, "kind");
  if (!role_may(c.actor.role, "read.payments")) {  // departments: their own subsidy rows only
    Api::need(c, "read.subsidy");
    if (!f.kind.empty() && f.kind != "subsidy") fail(403, "forbidden", "资助部门只能查看本部门的资助记录");
    f.kind = "subsidy";
    f.channel = "department";
    f.payer_name = c.actor.department;
  }
  f.from = Api::qdate(c, "from");
  f.to = Api::qdate(c, "to");
  return f;
}

void export_payments(Api& api, Ctx& c) {
  auto f = export_filter(api, c);
  auto l = api.pool->lease();
  Api::send_xlsx(c, "缴费台账.xlsx", [&](const std::string& path) {
    io::XlsxWriter w(path);
    w.add_sheet("缴费台账", {"编号", "类型", "票据号", "身份证号", "姓名", "户号", "年度", "金额（元）", "渠道",
                             "缴费人", "缴费日期", "收款人", "记录时间", "区划", "状态"});
    People people;
    // Pages newest first; rows are never deleted, so a row written during the
    // export only shifts later pages, and skipping ids not below the last one
    // seen keeps every row exactly once.
    f.limit = 1000;
    f.offset = 0;
    int64_t below = INT64_MAX;
    for (;;) {
      auto page = api.ledger->list(*l, c.actor, f, nullptr);
      for (const auto& r : page) {
        if (r.id >= below) continue;
        below = r.id;
        const auto& [name, household] = person_of(*l, people, r.person);
        const char* kind = r.kind == store::PaymentKind::reversal ? "冲正"
                           : r.kind == store::PaymentKind::subsidy ? "资助"
                                                                   : "缴费";
        std::string payer = r.payer_kind == "family_account" ? mask_name(r.payer_name) : r.payer_name;
        w.add_row({r.id, kind, r.receipt_no, mask_id(r.person), name, household, r.year, Money::from_fen(r.amount_fen),
                   channel_label(r.channel), payer, r.paid_on, r.collector, r.created_at, r.region.str(),
                   r.reversed_by ? "已冲正" : ""});
      }
      if (int64_t(page.size()) < f.limit) break;
      f.offset += f.limit;
    }
    w.close();
  });
}

}  // namespace

void add_daily_routes(Api& api) {
  api.route("GET", "/api/v1/collections/daily", Access::session, [&api](Ctx& c) { daily(api, c); });
  api.route("GET", "/api/v1/payments/export", Access::session, [&api](Ctx& c) { export_payments(api, c); });
}

}  // namespace canbao::server
