// canbao import roster|subsidy-list|employee-roster|targets FILE --db DB
//
// One batch per file, all-or-nothing unless --partial; re-importing the same
// file is a no-op. The row report (row, column, masked value, reason) is
// written beside the input as FILE.errors.xlsx and FILE.errors.csv and
// summarised on stderr; exit 1 when the batch was rejected.
#include <fmt/format.h>

#include <ctime>
#include <filesystem>

#include "cli/commands.h"
#include "cli/progress.h"
#include "io/csv.h"
#include "io/xlsx_writer.h"
#include "registry/import.h"
#include "store/store.h"

namespace canbao::cli {

namespace {

struct ImportArgs {
  std::string kind, file, db, actor = "cli", scope, department, category, as_of, parent, today;
  bool partial = false;
  int year = 0;
  size_t chunk = 20000;
};

// Writes FILE.errors.xlsx and FILE.errors.csv; returns the xlsx path.
std::string write_report(const std::string& file, const registry::ImportResult& r) {
  std::string x = file + ".errors.xlsx", c = file + ".errors.csv";
  io::XlsxWriter w(x);
  w.add_sheet("导入错误", {"行号", "列", "值（已脱敏）", "原因"});
  io::CsvWriter cw(c);
  cw.write_row({"行号", "列", "值（已脱敏）", "原因"});
  for (const auto& p : r.problems) {
    w.add_row({p.row, p.column, p.value, p.reason});
    std::string row = p.row ? std::to_string(p.row) : "";
    cw.write_row({std::string_view(row), std::string_view(p.column), std::string_view(p.value),
                  std::string_view(p.reason)});
  }
  if (!r.findings.empty()) {
    w.add_sheet("提示", {"行号", "类别", "说明"});
    for (const auto& f : r.findings) w.add_row({f.row, f.code, f.message});
  }
  w.close();
  cw.close();
  return x;
}

int run_import(const ImportArgs& a) {
  registry::ImportOptions o;
  o.mode = a.partial ? registry::ImportMode::partial : registry::ImportMode::all_or_nothing;
  o.actor = a.actor;
  o.chunk = a.chunk;
  o.today = business_day("");
  if (!a.today.empty()) {
    auto d = Date::parse(a.today);
    if (!d) { fmt::print(stderr, "canbao: --today '{}' 不是日期 (YYYY-MM-DD)\n", a.today); return 2; }
    o.today = *d;
  }
  if (!a.scope.empty()) {
    auto r = RegionCode::parse(a.scope);
    if (!r) { fmt::print(stderr, "canbao: --region '{}' 不是区划代码\n", a.scope); return 2; }
    o.scope = *r;
  }
  if (!std::filesystem::exists(a.file)) {
    fmt::print(stderr, "canbao: {}: 文件不存在 / no such file\n", a.file);
    return 1;
  }
  Progress progress("import " + a.kind);
  o.progress = [&](int64_t rows) { progress.update(rows, -1); };
  auto st = store::open_store(a.db);
  registry::ImportResult r;
  if (a.kind == "roster") {
    o.enroll_year = a.year;
    r = registry::import_roster(*st, a.file, o);
  } else if (a.kind == "subsidy-list") {
    registry::SubsidyListDefaults d;
    d.department = a.department;
    if (!a.category.empty()) {
      d.category = parse_category(a.category);
      if (!d.category) { fmt::print(stderr, "canbao: --category '{}' 不是已知的人员类别\n", a.category); return 2; }
    }
    if (!a.as_of.empty()) {
      d.as_of = Date::parse(a.as_of);
      if (!d.as_of) { fmt::print(stderr, "canbao: --as-of '{}' 不是日期\n", a.as_of); return 2; }
    }
    r = registry::import_subsidy_list(*st, a.file, o, d);
  } else if (a.kind == "employee-roster") {
    Date as_of = o.today;
    if (!a.as_of.empty()) {
      auto d = Date::parse(a.as_of);
      if (!d) { fmt::print(stderr, "canbao: --as-of '{}' 不是日期\n", a.as_of); return 2; }
      as_of = *d;
    }
    r = registry::import_employee_roster(*st, a.file, o, as_of);
  } else {  // targets
    if (!a.year) { fmt::print(stderr, "canbao: import targets 需要 --year\n"); return 2; }
    RegionCode parent;
    if (!a.parent.empty()) {
      auto p = RegionCode::parse(a.parent);
      if (!p) { fmt::print(stderr, "canbao: --parent '{}' 不是区划代码\n", a.parent); return 2; }
      parent = *p;
    }
    r = registry::import_targets(*st, a.file, o, a.year, parent);
  }
  progress.finish(r.rows_total);
  if (r.already_imported) {
    fmt::print(stderr, "canbao: {} 已导入过（批次 {}），未重复写入 / already imported (batch {}): nothing done\n",
               a.file, r.batch_id, r.batch_id);
    return 0;
  }
  std::string report;
  if (!r.problems.empty() || !r.findings.empty()) {
    try {
      report = write_report(a.file, r);
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: 无法写出错误报告 / cannot write the row report: {}\n", e.what());
    }
  }
  size_t shown = 0;
  for (const auto& p : r.problems) {
    if (++shown > 20) break;
    if (p.row) fmt::print(stderr, "第{}行 {}：{}{}\n", p.row, p.column, p.reason, p.value.empty() ? "" : "（" + p.value + "）");
    else fmt::print(stderr, "{}\n", p.reason);
  }
  if (r.problems.size() > 20) fmt::print(stderr, "……另有 {} 条\n", r.problems.size() - 20);
  for (const auto& f : r.findings) fmt::print(stderr, "提示 第{}行：{}\n", f.row, f.message);
  if (!r.committed) {
    fmt::print(stderr, "canbao: 导入被拒绝：{} 行中 {} 行有错误，数据库未作任何改动{} / batch rejected: nothing written\n",
               r.rows_total, r.rows_rejected, report.empty() ? "" : "，明细见 " + report);
    return 1;
  }
  fmt::print(stderr, "canbao: 已导入批次 {}：共 {} 行，写入 {} 行，拒绝 {} 行{}\n", r.batch_id, r.rows_total,
             r.rows_written, r.rows_rejected, report.empty() ? "" : "，明细见 " + report);
  return 0;
}

}  // namespace

void add_import_commands(CLI::App& app, int& exit_code) {
  CLI::App* imp = import_group(app);
  struct Kind {
    const char* name;
    const char* help;
  };
  for (Kind k : {Kind{"roster", "导入人员花名册（DESIGN.md §5）/ person roster"},
                 Kind{"subsidy-list", "导入部门资助名单 / department subsidy list"},
                 Kind{"employee-roster", "导入职工医保参保名单 / employee-insurance roster"},
                 Kind{"targets", "导入参保任务数 / enrollment targets"}}) {
    auto a = std::make_shared<ImportArgs>();
    a->kind = k.name;
    auto* c = imp->add_subcommand(k.name, k.help);
    c->add_option("file", a->file, "CSV 或 XLSX 文件")->required();
    c->add_option("--db", a->db, "数据库（文件路径或 postgresql://…）")->required();
    c->add_flag("--partial", a->partial, "写入正确的行，其余报告 / write the good rows, report the rest");
    c->add_option("--actor", a->actor, "经办人（审计记录）");
    c->add_option("--region", a->scope, "只接受该区划内的行");
    c->add_option("--today", a->today, "业务日期 YYYY-MM-DD（默认今天）");
    c->add_option("--chunk", a->chunk, "每次写入的行数")->check(CLI::Range(size_t{100}, size_t{1000000}));
    std::string kind = k.name;
    if (kind == "roster")
      c->add_option("--year", a->year, "同时登记该年度参保（参保登记）/ also enroll every person for this year");
    if (kind == "targets") {
      c->add_option("--year", a->year, "任务年度")->required();
      c->add_option("--parent", a->parent, "单位名称在此区划下匹配 / match unit names under this region");
    }
    if (kind == "subsidy-list") {
      c->add_option("--department", a->department, "部门（文件无 部门 列时）");
      c->add_option("--category", a->category, "人员类别（文件无 人员类别 列时）");
      c->add_option("--as-of", a->as_of, "名单截止日期（文件无 截止日期 列时）");
      c->add_option("--year", a->year, "(ignored; lists are dated by --as-of)");
    }
    if (kind == "employee-roster") c->add_option("--as-of", a->as_of, "名单日期（默认今天）");
    c->callback([a, &exit_code] {
      try {
        exit_code = run_import(*a);
      } catch (const std::exception& e) {
        fmt::print(stderr, "canbao: {}\n", e.what());
        exit_code = 1;
      }
    });
  }
}

}  // namespace canbao::cli
