// Import routes: uploads of rosters, department lists, employee rosters,
// targets and tax payment files; the batches they leave and their problem
// reports (as an .xlsx too); blank templates; the targets they loaded.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "io/xlsx_writer.h"
#include "registry/import.h"
#include "server/api.h"
#include "server/uploads.h"
#include "store/admin_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

// The tax bureau's payment file: the ledger reads it from a path, so it goes
// through a private directory under its own name (the batch records it),
// removed when the request ends.
template <class Reading>
void import_tax_upload(Api& api, Ctx& c, const std::string& content, const std::string& base, Reading& reading) {
  auto updir = std::filesystem::temp_directory_path() / fmt::format("canbao-upload-{}", random_token(8));
  std::filesystem::create_directory(updir);
  struct Rm {
    std::filesystem::path p;
    ~Rm() { std::error_code ec; std::filesystem::remove_all(p, ec); }
  } rm{updir};
  auto path = updir / base;
  {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), std::streamsize(content.size()));
  }
  int year = Api::qyear(c);
  auto field = [&](const char* k) { return c.req.has_file(k) ? c.req.get_file_value(k).content : std::string(); };
  if (auto y = field("year"); !y.empty()) year = Api::year_text(y, "year");
  if (!year) year = api.year_of(c);
  auto r = reading(path.string(), [&] {
    return ledger::import_tax_payments(*api.ledger, c.actor, path.string(), year, api.today());
  });
  json rep = r.report();
  rep["kind"] = "payments";
  Api::send_json(c.res, 200, rep);
}

void import_upload(Api& api, Ctx& c, const std::string& kind) {
  static const std::vector<std::string> kinds = {"roster", "subsidy_list", "employee_roster", "targets", "payments"};
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) fail(404, "not_found", "未知的导入类型");
  Api::need(c, "import." + kind);
  if (!c.req.is_multipart_form_data() || !c.req.has_file("file"))
    fail(400, "missing_field", "请以 multipart/form-data 上传文件（字段 file）", "file");
  UploadSlot slot(api, c, kind);
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
  std::string base = upload_base_name(f.filename);
  if (base.empty()) base = "upload" + ext;
  // A file the readers refuse (empty, UTF-16, not a zip, a bomb …) is the
  // user's to fix: 422 naming the problem, the rolled-back import wrote nothing.
  auto reading = [&](const std::string& temp_path, auto&& run) {
    try {
      return run();
    } catch (const io::Error& e) {
      fail_bad_file(e, temp_path, base);
    }
  };
  if (kind == "payments") return import_tax_upload(api, c, f.content, base, reading);
  registry::ImportOptions o;
  o.actor = c.actor.username;
  o.today = api.today();
  o.scope = c.actor.scope;
  if (field("mode") == "partial") o.mode = registry::ImportMode::partial;
  auto l = api.pool->lease();
  registry::ImportResult r;
  if (kind == "roster") {
    r = reading("", [&] { return registry::import_roster(*l, registry::ImportFile{base, std::move(f.content)}, o); });
  } else if (kind == "subsidy_list") {
    registry::SubsidyListDefaults d;
    d.department = c.actor.role == "department" ? c.actor.department : field("department");
    if (auto cat = field("category"); !cat.empty()) {
      d.category = parse_category(cat);
      if (!d.category) fail(400, "bad_field", "人员类别无效", "category");
    }
    d.as_of = form_date("as_of");
    r = reading("", [&] { return registry::import_subsidy_list(*l, registry::ImportFile{base, std::move(f.content)}, o, d); });
  } else if (kind == "employee_roster") {
    auto a = form_date("as_of");
    r = reading("", [&] {
      return registry::import_employee_roster(*l, registry::ImportFile{base, std::move(f.content)}, o,
                                              a.value_or(api.today()));
    });
  } else {
    int year = field("year").empty() ? api.year_of(c) : Api::year_text(field("year"), "year");
    RegionCode parent = c.actor.scope;
    if (auto p = field("parent"); !p.empty()) {
      auto pr = RegionCode::parse(p);
      if (!pr || !c.actor.in_scope(*pr)) fail(403, "out_of_scope", "上级区划不在您的管辖范围内", "parent");
      parent = *pr;
    }
    r = reading("", [&] { return registry::import_targets(*l, registry::ImportFile{base, std::move(f.content)}, o, year, parent); });
  }
  json problems = json::array();
  for (const auto& p : r.problems)
    problems.push_back({{"row", p.row}, {"column", p.column}, {"value", p.value}, {"reason", p.reason}});
  json rep = {{"batch_id", r.batch_id}, {"kind", kind}, {"already_imported", r.already_imported},
              {"committed", r.committed}, {"rows_total", r.rows_total}, {"rows_written", r.rows_written},
              {"rows_rejected", r.rows_rejected}, {"problems", problems}, {"findings", json::array()}};
  for (auto& fd : r.findings) rep["findings"].push_back({{"row", fd.row}, {"code", fd.code}, {"message", fd.message}});
  Api::send_json(c.res, 200, rep);
}

void add_batch_routes(Api& api) {
  api.route("POST", R"(/api/v1/imports/([a-z_]+))", Access::session,
            [&api](Ctx& c) { import_upload(api, c, c.req.matches[1].str()); });
  api.route("GET", "/api/v1/imports", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto [pg, ps] = api.page(c);
    auto l = api.pool->lease();
    json items = json::array();
    for (auto& b : l->admin().import_batches(c.actor.scope, (pg - 1) * ps, ps))
      items.push_back({{"batch_id", b.id}, {"id", b.id}, {"kind", b.kind}, {"file_name", b.file_name},
                       {"filename", b.file_name},
                       {"committed", b.status == "committed"}, {"rows_total", b.rows_total},
                       {"rows_written", b.rows_written}, {"rows_rejected", b.rows_rejected}, {"actor", b.actor},
                       {"created_at", b.created_at}});
    Api::send_json(c.res, 200, {{"items", items}, {"page", pg}, {"page_size", ps}});
  });
  api.route("GET", R"(/api/v1/imports/(\d+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto l = api.pool->lease();
    auto b = l->admin().import_batch(path_id(c, 1, "未找到该导入批次"), c.actor.scope);
    if (!b) fail(404, "not_found", "未找到该导入批次");
    Api::send_json(c.res, 200,
                   {{"batch_id", b->id}, {"id", b->id}, {"kind", b->kind}, {"file_name", b->file_name},
                    {"filename", b->file_name}, {"committed", b->status == "committed"},
                    {"rows_total", b->rows_total}, {"rows_written", b->rows_written},
                    {"rows_rejected", b->rows_rejected}, {"actor", b->actor}, {"created_at", b->created_at},
                    {"problems", json::parse(b->report_json, nullptr, false)}});
  });

  api.route("GET", R"(/api/v1/imports/templates/([a-z_]+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    std::string kind = c.req.matches[1].str();
    auto header = registry::import_template_header(kind);
    if (header.empty()) fail(404, "not_found", "未知的导入类型");
    Api::send_xlsx(c, fmt::format("导入模板-{}.xlsx", kind), [&](const std::string& path) {
      io::XlsxWriter w(path);
      w.add_sheet(kind, header);
      w.close();
    });
  });
  api.route("GET", R"(/api/v1/imports/(\d+)/problems\.xlsx)", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto l = api.pool->lease();
    std::optional<std::string> report = l->admin().import_report(path_id(c, 1, "未找到该导入批次"), c.actor.scope);
    if (!report) fail(404, "not_found", "未找到该导入批次");
    json probs = json::parse(*report, nullptr, false);
    if (!probs.is_array()) probs = json::array();
    // Values in the report are already masked by the importer.
    Api::send_xlsx(c, fmt::format("导入问题-{}.xlsx", c.req.matches[1].str()), [&](const std::string& path) {
      io::XlsxWriter w(path);
      w.add_sheet("问题", {"行号", "列", "值", "原因"});
      auto str = [](const json& x) { return x.is_string() ? x.get<std::string>() : x.is_null() ? "" : x.dump(); };
      for (auto& p : probs)
        w.add_row({p.value("row", json(0)).is_number_integer() ? io::Cell(p["row"].get<int64_t>()) : io::Cell(),
                   str(p.value("column", json())), str(p.value("value", json())), str(p.value("reason", json()))});
      w.close();
    });
  });
}

}  // namespace

void add_import_routes(Api& api) {
  add_batch_routes(api);

  api.route("GET", "/api/v1/targets", Access::session, [&api](Ctx& c) {
    Api::need(c, "read");
    auto l = api.pool->lease();
    json items = json::array();
    for (auto& t : l->targets(c.actor.scope, api.year_of(c)))
      items.push_back({{"region", t.region.str()}, {"unit", t.unit}, {"target", t.target},
                       {"extra", json::parse(t.extra_json, nullptr, false)}});
    Api::send_json(c.res, 200, {{"items", items}});
  });
}

}  // namespace canbao::server
