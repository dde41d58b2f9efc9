// Reconciliation routes (数据核对): upload the tax detail and treasury files
// for a run, rerun one against the ledger as it is now, list and read runs.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "campaign/reconcile.h"
#include "io/table.h"
#include "server/routes.h"
#include "server/uploads.h"
#include "store/reconcile_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

// A reconciliation run is visible to an actor whose region contains the
// run's scope (an unscoped run: only to unscoped actors).
bool run_visible(const ledger::Actor& a, RegionCode run_scope) {
  return a.scope.empty() || (!run_scope.empty() && run_scope.inside(a.scope));
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

void add_reconcile_routes(Api& api) {
  api.route("GET", "/api/v1/reconciliations", Access::session, [&api](Ctx& c) {
    Api::need(c, "read.reconcile");
    int year = api.year_of(c);
    auto l = api.pool->lease();
    // Each run's stored summary: row counts and findings by kind.
    std::map<int64_t, json> sums;
    for (auto& t : l->reconcile().run_totals(year)) {
      auto sj = json::parse(t.summary, nullptr, false);
      sums[t.id] = {{"tax_rows", t.tax_rows},
                    {"treasury_rows", t.treasury_rows},
                    {"matched", sj.is_object() ? sj.value("matched", json()) : json()},
                    {"by_kind", sj.is_object() ? sj.value("by_kind", json()) : json()}};
    }
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
      j["items"] = page_slice(j["items"], pg, ps);
      j["page"] = pg;
      j["page_size"] = ps;
    }
    Api::send_json(c.res, 200, j);
  });
}

}  // namespace canbao::server
