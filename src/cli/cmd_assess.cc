// canbao assess — assess every person of a roster file against a policy.
#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "assess/report.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "io/assess_roster.h"
#include "io/policy_file.h"
#include "io/roster.h"
#include "registry/assess_db.h"
#include "store/store.h"

namespace canbao::cli {

namespace {
struct AssessOptions {
  std::string policy, input, as_of, format = "jsonl", out;
  bool no_trace = false;
};

int run_assess(const AssessOptions& o) {
  auto load = io::load_policy_file(o.policy);
  if (!load.ok()) {
    for (auto& e : load.errors) fmt::print(stderr, "{}\n", e.str());
    return 1;
  }
  const Policy& p = *load.policy;
  Date as_of = business_day("");
  if (!o.as_of.empty()) {
    auto d = Date::parse(o.as_of);
    if (!d) { fmt::print(stderr, "canbao: --as-of '{}' is not a date (YYYY-MM-DD)\n", o.as_of); return 2; }
    as_of = *d;
  }
  if (o.format != "jsonl" && o.format != "csv") {
    fmt::print(stderr, "canbao: --format must be jsonl or csv\n");
    return 2;
  }
  std::FILE* out = stdout;
  if (!o.out.empty() && !(out = std::fopen(o.out.c_str(), "wb"))) {
    fmt::print(stderr, "canbao: cannot write {}\n", o.out);
    return 1;
  }
  std::unique_ptr<io::RosterReader> reader;
  try {
    // ID birth dates may not lie after the later of today and the as-of day.
    reader = std::make_unique<io::RosterReader>(io::open_table(o.input), std::max(as_of, business_day("")));
  } catch (const io::Error& e) {
    fmt::print(stderr, "canbao: {}: {}\n", o.input, e.what());
    if (out != stdout) std::fclose(out);
    return 1;
  }
  io::RosterAssessOptions ro;
  ro.format = o.format == "csv" ? io::AssessFormat::csv : io::AssessFormat::jsonl;
  ro.trace = !o.no_trace;
  Progress progress("assess");
  io::RosterAssessSink sink;
  sink.write = [&](std::string_view b) { std::fwrite(b.data(), 1, b.size(), out); };
  sink.row_error = [](const io::RowError& e) { fmt::print(stderr, "{}\n", e.str()); };
  sink.progress = [&](int64_t rows, double fraction) { progress.update(rows, fraction); };
  const auto r = io::assess_roster(*reader, p, as_of, ro, sink);
  const int64_t good = r.good, bad = r.bad;
  const std::string& read_error = r.read_error;
  progress.finish(good + bad);
  if (!read_error.empty()) {
    fmt::print(stderr, "canbao: {}: {}\n", o.input, read_error);
    if (out != stdout) std::fclose(out);
    return 1;
  }
  if (out != stdout && std::fclose(out) != 0) {
    fmt::print(stderr, "canbao: error writing {}\n", o.out);
    return 1;
  }
  if (bad) {
    fmt::print(stderr, "canbao: {} row(s) assessed, {} row(s) rejected (see messages above)\n", good, bad);
    return 1;
  }
  return 0;
}

// --db mode: every enrolled person of the registry, with the policy bound to
// their enrollment place, results stored in `assessments`.
struct DbAssessOptions {
  std::string db, region, policies = "policies/2024";
  int year = 2024;
};

int run_assess_db(const DbAssessOptions& d, const AssessOptions& o) {
  std::vector<Policy> policies;
  for (const auto& f : io::policy_files_in(d.policies)) {
    auto load = io::load_policy_file(f);
    if (!load.ok()) {
      for (auto& e : load.errors) fmt::print(stderr, "{}\n", e.str());
      return 1;
    }
    policies.push_back(std::move(*load.policy));
  }
  if (policies.empty()) {
    fmt::print(stderr, "canbao: {} 中没有政策文件 / no policy files\n", d.policies);
    return 1;
  }
  registry::AssessDbOptions opt;
  opt.year = d.year;
  opt.as_of = business_day("");
  if (!o.as_of.empty()) {
    auto a = Date::parse(o.as_of);
    if (!a) { fmt::print(stderr, "canbao: --as-of '{}' is not a date (YYYY-MM-DD)\n", o.as_of); return 2; }
    opt.as_of = *a;
  }
  if (!d.region.empty()) {
    auto r = RegionCode::parse(d.region);
    if (!r) { fmt::print(stderr, "canbao: --region '{}' 不是区划代码\n", d.region); return 2; }
    opt.scope = *r;
  }
  auto st = store::open_store(d.db);
  Progress progress("assess --db");
  opt.progress = [&](int64_t n) { progress.update(n, -1); };
  auto r = registry::assess_registry(*st, policies, opt);
  progress.finish(r.persons);
  fmt::print(stderr,
             "canbao: {} 年度核定 {} 人（读取 {} 人，未参保登记 {}，无适用政策 {}，不符合参保条件 {}，待定 {}）；"
             "个人应缴合计 {:.2f} 元，资助合计 {:.2f} 元，已写入 assessments\n",
             d.year, r.assessed, r.persons, r.not_enrolled, r.no_policy, r.ineligible, r.open, r.due_fen / 100.0,
             r.subsidy_fen / 100.0);
  return 0;
}
}  // namespace

void add_assess_command(CLI::App& app, int& exit_code) {
  static AssessOptions o;
  static DbAssessOptions d;
  auto* cmd = app.add_subcommand("assess", "核定个人缴费、资助与待遇期 (assess a roster file, or the registry with --db)");
  cmd->add_option("--policy", o.policy, "policy .toml file (roster-file mode)");
  cmd->add_option("--input", o.input, "roster .csv or .xlsx (DESIGN.md §5)");
  cmd->add_option("--db", d.db, "assess every enrolled person of this database; results go to its assessments table");
  cmd->add_option("--year", d.year, "--db: policy year (default 2024)");
  cmd->add_option("--region", d.region, "--db: only enrollment places inside this region");
  cmd->add_option("--policies", d.policies, "--db: directory of policy files (default policies/2024)");
  cmd->add_option("--as-of", o.as_of, "day of the work, YYYY-MM-DD (default: today)");
  cmd->add_option("--format", o.format, "jsonl (default) or csv");
  cmd->add_option("--out", o.out, "output file (default: stdout)");
  cmd->add_flag("--no-trace", o.no_trace, "leave the per-rule trace out of jsonl");
  cmd->callback([&exit_code] {
    if (!d.db.empty()) {
      try {
        exit_code = run_assess_db(d, o);
      } catch (const std::exception& e) {
        fmt::print(stderr, "canbao: {}\n", e.what());
        exit_code = 1;
      }
      return;
    }
    if (o.policy.empty() || o.input.empty()) {
      fmt::print(stderr, "canbao: assess needs --policy and --input (or --db)\n");
      exit_code = 2;
      return;
    }
    exit_code = run_assess(o);
  });
}

}  // namespace canbao::cli
