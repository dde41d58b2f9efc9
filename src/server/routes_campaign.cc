// Campaign routes (issue 5): progress from the counters, weekly trend and
// report, payment channels, mobilisation lists, public notice, fund flows,
// reconciliation runs. Each answers JSON, and .xlsx with ?format=xlsx where
// docs/api.md says so. Every route is limited to the actor's region (404
// outside it) and to the roles of docs/api.md (403); unmasked lists and
// reconciliation runs are audited.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "campaign/funds.h"
#include "campaign/lists.h"
#include "campaign/progress.h"
#include "campaign/reconcile.h"
#include "campaign/weekly.h"
#include "core/id_number.h"
#include "io/table.h"
#include "server/api.h"
#include "server/uploads.h"

namespace canbao::server {

using store::detail::RowView;
using store::detail::region_range;

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

Date as_of_param(Api& api, Ctx& c) {
  auto d = Api::qp(c, "as_of");
  if (d.empty()) return api.today();
  auto p = Date::parse(d);
  if (!p) fail(400, "bad_field", "参数 as_of 须为日期 YYYY-MM-DD", "as_of");
  return *p;
}

// Items [from, from + n) of a JSON array.
json slice(const json& a, int64_t pg, int64_t ps) {
  json out = json::array();
  int64_t from = (pg - 1) * ps;
  for (int64_t i = from; i < int64_t(a.size()) && i < from + ps; ++i) out.push_back(a[size_t(i)]);
  return out;
}

std::string_view channel_label(std::string_view id) {
  if (auto* ch = ledger::find_channel(id)) return ch->label;
  return id;
}

// A reconciliation run is visible to an actor whose region contains the
// run's scope (an unscoped run: only to unscoped actors).
bool run_visible(const ledger::Actor& a, RegionCode run_scope) {
  return a.scope.empty() || (!run_scope.empty() && run_scope.inside(a.scope));
}

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

// An uploaded file written to a temp path for the readers; removed with the object.
struct Upload {
  std::filesystem::path path;
  std::string shown;  // the user's file name, for messages in place of `path`
  Upload(const httplib::MultipartFormData& f) : shown(upload_base_name(f.filename)) {
    std::string ext = std::filesystem::path(f.filename).extension().string();
    for (auto& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (ext != ".csv" && ext != ".xlsx" && ext != ".txt") ext = ".csv";
    path = std::filesystem::temp_directory_path() / fmt::format("canbao-upload-{}{}", random_token(8), ext);
    std::ofstream out(path, std::ios::binary);
    out.write(f.content.data(), std::streamsize(f.content.size()));
    if (!out) throw std::runtime_error("cannot write upload " + path.string());
  }
  Upload(const Upload&) = delete;
  ~Upload() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

std::string form_field(Ctx& c, const char* k) {
  return c.req.has_file(k) ? c.req.get_file_value(k).content : std::string();
}

}  // namespace

void add_campaign_routes(Api& api) {
  // ------------------------------------------------------------ progress

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
    auto [lo, hi] = region_range(under);
    auto l = api.pool->lease();
    json items = json::array();
    int64_t count = 0, fen = 0;
    sql(*l).sql_query(
        "SELECT channel, SUM(CASE WHEN kind = 'payment' THEN 1 WHEN kind = 'reversal' THEN -1 ELSE 0 END), "
        "SUM(amount) FROM payments WHERE year = ? AND region BETWEEN ? AND ? AND payer_kind <> 'department' "
        "AND kind IN ('payment', 'reversal') GROUP BY channel ORDER BY channel",
        {year, lo, hi}, [&](const RowView& v) {
          if (v.i(1) == 0 && v.i(2) == 0) return;
          std::string ch(v.s(0));
          items.push_back({{"channel", ch}, {"label", channel_label(ch)}, {"count", v.i(1)}, {"amount_fen", v.i(2)}});
          count += v.i(1);
          fen += v.i(2);
        });
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

  // ------------------------------------------------------------ lists

  api.route("GET", R"(/api/v1/lists/([a-z_]+))", Access::session, [&api](Ctx& c) {
    std::string kind = list_kind(c.req.matches[1].str());
    if (kind.empty()) fail(404, "not_found", "未知的名单类型");
    // Payment status of residents: roles that read payments; a department
    // may read the list of subsidised persons not enrolled (its own work).
    if (!role_may(c.actor.role, "read.payments") &&
        !(kind == "subsidised_unenrolled" && role_may(c.actor.role, "read.subsidy")))
      fail(403, "forbidden", "您的角色无权进行此操作");
    bool unmask = Api::qp(c, "unmask") == "1";
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
    j["items"] = slice(j["items"], pg, ps);
    j["page"] = pg;
    j["page_size"] = ps;
    Api::send_json(c.res, 200, j);
  });

  // ------------------------------------------------------------ funds

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

  // ------------------------------------------------------------ reconciliation

  api.route("GET", "/api/v1/reconciliations", Access::session, [&api](Ctx& c) {
    Api::need(c, "read.reconcile");
    int year = api.year_of(c);
    auto l = api.pool->lease();
    // Each run's stored summary: row counts and findings by kind.
    std::map<int64_t, json> sums;
    sql(*l).sql_query("SELECT id, tax_rows, treasury_rows, summary FROM reconciliation_runs WHERE year = ?", {year},
                      [&](const RowView& v) {
                        auto sj = json::parse(v.s(3), nullptr, false);
                        sums[v.i(0)] = {{"tax_rows", v.i(1)},
                                        {"treasury_rows", v.i(2)},
                                        {"matched", sj.is_object() ? sj.value("matched", json()) : json()},
                                        {"by_kind", sj.is_object() ? sj.value("by_kind", json()) : json()}};
                      });
    json items = json::array();
    for (auto& r : campaign::list_runs(*l, year)) {
      if (!run_visible(c.actor, r.scope)) continue;
      json it = {{"id", r.id}, {"year", r.year}, {"scope", r.scope.empty() ? json() : json(r.scope.str())},
                 {"inputs_from", r.inputs_from ? json(r.inputs_from) : json()}, {"mismatches", r.mismatches},
                 {"created_at", r.created_at}, {"actor", r.actor}};
      if (auto f = sums.find(r.id); f != sums.end()) it.update(f->second);
      items.push_back(std::move(it));
    }
    std::reverse(items.begin(), items.end());  // newest first
    Api::send_json(c.res, 200, {{"year", year}, {"items", items}, {"total", items.size()}});
  });

  api.route("POST", "/api/v1/reconciliations", Access::session, [&api](Ctx& c) {
    Api::need(c, "reconcile");
    if (!c.req.is_multipart_form_data() || !c.req.has_file("tax"))
      fail(400, "missing_field", "请以 multipart/form-data 上传税务缴费明细（字段 tax），国库入库汇总可选（字段 treasury）",
           "tax");
    int year = Api::qyear(c);
    if (auto y = form_field(c, "year"); !y.empty()) year = Api::year_text(y, "year");
    if (!year) year = api.year_of(c);
    RegionCode scope;
    if (auto u = form_field(c, "under"); !u.empty()) {
      auto r = RegionCode::parse(u);
      if (!r) fail(400, "bad_field", "字段 under 不是有效的区划代码", "under");
      if (!c.actor.in_scope(*r)) fail(404, "not_found", "区划不在您的管辖范围内", "under");
      scope = *r;
    } else {
      scope = api.scoped_region(c, "under", year);
    }
    UploadSlot slot(api, c, "reconciliation");
    Upload tax(c.req.get_file_value("tax"));
    std::optional<Upload> treasury;
    if (c.req.has_file("treasury") && !c.req.get_file_value("treasury").content.empty())
      treasury.emplace(c.req.get_file_value("treasury"));
    campaign::ReconcileOptions o;
    o.year = year;
    o.scope = scope;
    o.actor = c.actor.username;
    o.today = api.today();
    auto l = api.pool->lease();
    campaign::ReconcileRun run;
    try {
      run = campaign::reconcile_files(*l, tax.path.string(), treasury ? treasury->path.string() : "", o);
    } catch (const io::Error& e) {
      std::string what = e.what();
      bool is_treasury = treasury && (what.rfind("treasury", 0) == 0 || what.find(treasury->path.string()) != what.npos);
      const Upload& u = is_treasury ? *treasury : tax;
      fail_bad_file(e, u.path.string(), u.shown.empty() ? (is_treasury ? "国库入库汇总" : "税务缴费明细") : u.shown,
                    is_treasury ? "treasury" : "tax");
    }
    Api::send_json(c.res, 201, run.to_json(false));
  });

  api.route("POST", R"(/api/v1/reconciliations/(\d+)/rerun)", Access::session, [&api](Ctx& c) {
    Api::need(c, "reconcile");
    int64_t id = path_id(c, 1, "未找到该核对批次");
    auto l = api.pool->lease();
    auto prev = campaign::load_run(*l, id);
    if (!prev || !run_visible(c.actor, prev->scope)) fail(404, "not_found", "未找到该核对批次");
    campaign::ReconcileOptions o;
    o.actor = c.actor.username;
    o.today = api.today();
    auto run = campaign::rerun(*l, id, o);
    Api::send_json(c.res, 201, run.to_json(false));
  });

  // One run with its findings (IDs always masked); ?kind= keeps one kind.
  api.route("GET", R"(/api/v1/reconciliations/(\d+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read.reconcile");
    int64_t id = path_id(c, 1, "未找到该核对批次");
    std::optional<campaign::MismatchKind> kind;
    if (auto k = Api::qp(c, "kind"); !k.empty()) {
      kind = campaign::parse_mismatch(k);
      if (!kind) fail(400, "bad_field", "参数 kind 不是有效的不一致类型", "kind");
    }
    auto l = api.pool->lease();
    auto run = campaign::load_run(*l, id);
    if (!run || !run_visible(c.actor, run->scope)) fail(404, "not_found", "未找到该核对批次");
    auto by_kind = run->count_by_kind();
    int64_t all = int64_t(run->items.size());
    if (kind) std::erase_if(run->items, [&](const campaign::Mismatch& m) { return m.kind != *kind; });
    if (Api::wants_xlsx(c))
      return Api::send_xlsx(c, fmt::format("数据核对-{}.xlsx", run->id),
                            [&](const std::string& p) { campaign::write_reconcile_xlsx(*run, p, false); });
    json j = run->to_json(false);
    // by_kind and mismatches stay the run's own; items are the chosen kind.
    j["by_kind"] = by_kind;
    j["mismatches"] = all;
    j["kind"] = kind ? json(campaign::mismatch_id(*kind)) : json();
    // Every finding unless a page is asked for.
    j["total"] = j["items"].size();
    if (c.req.has_param("page") || c.req.has_param("page_size")) {
      auto [pg, ps] = api.page(c);
      j["items"] = slice(j["items"], pg, ps);
      j["page"] = pg;
      j["page_size"] = ps;
    }
    Api::send_json(c.res, 200, j);
  });
}

}  // namespace canbao::server
