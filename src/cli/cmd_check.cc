// canbao check duplicates --db DB --year Y [--region R] — 重复参保 findings:
// the same person actively enrolled twice for the year (same place or two
// places, i.e. moved without 参保暂停), or enrolled while on the employee-
// insurance roster. One line per finding with both records named; IDs masked.
#include <fmt/format.h>

#include <ctime>

#include "cli/commands.h"
#include "registry/rules.h"

namespace canbao::cli {

void add_check_commands(CLI::App& app, int& exit_code) {
  auto* chk = app.add_subcommand("check", "数据检查 / registry checks");
  chk->require_subcommand(1);
  struct Args {
    std::string db, region, today, format = "text";
    int year = 0;
  };
  auto a = std::make_shared<Args>();
  auto* dup = chk->add_subcommand("duplicates", "重复参保、两地参保、职工医保重复 / duplicate enrollments");
  dup->add_option("--db", a->db, "数据库")->required();
  dup->add_option("--year", a->year, "待遇年度")->required();
  dup->add_option("--region", a->region, "限定参保地区划");
  dup->add_option("--today", a->today, "职工医保在保判断日期（默认今天）");
  dup->add_option("--format", a->format, "text（默认）或 jsonl");
  dup->callback([a, &exit_code] {
    try {
      RegionCode scope;
      if (!a->region.empty()) {
        auto r = RegionCode::parse(a->region);
        if (!r) { fmt::print(stderr, "canbao: --region '{}' 不是区划代码\n", a->region); exit_code = 2; return; }
        scope = *r;
      }
      if (!a->today.empty() && !Date::parse(a->today)) {
        fmt::print(stderr, "canbao: --today '{}' 不是日期\n", a->today);
        exit_code = 2;
        return;
      }
      Date today = business_day(a->today);
      auto st = store::open_store(a->db);
      auto fs = registry::find_conflicts(*st, scope, a->year, today);
      for (const auto& f : fs) {
        if (a->format == "jsonl")
          fmt::print("{{\"code\":\"{}\",\"person\":\"{}\",\"first\":{},\"second\":{}}}\n", f.code, f.person, f.first,
                     f.second);
        else
          fmt::print("{}\t{}\n", f.code, f.zh);
      }
      fmt::print(stderr, "canbao: {} 年度发现 {} 条重复/冲突参保 / {} finding(s)\n", a->year, fs.size(), fs.size());
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace canbao::cli
