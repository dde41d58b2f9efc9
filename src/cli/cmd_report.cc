// canbao report … — campaign reports (src/campaign):
//   report progress      progress tree from the counters (table or JSON; --verify recounts)
//   report targets       load the policy files' target tables into the store
//   report weekly        weekly report (.xlsx, one sheet per level; --json)
//   report mobilisation  unpaid / lapsed / subsidised-not-enrolled / newborn lists (.xlsx)
//   report notice        public notice (.html printable or .xlsx), names and IDs masked
//   report funds         fund flows (fiscal split, departments, agent fees) (.xlsx / JSON)
#include <fmt/format.h>

#include <fstream>

#include "campaign/funds.h"
#include "campaign/lists.h"
#include "campaign/progress.h"
#include "campaign/weekly.h"
#include "cli/commands.h"
#include "core/money.h"
#include "ledger/ledger.h"

namespace canbao::cli {

RegionCode campaign_region(store::Store& st, const ledger::PolicySet& ps, const std::string& text, int year) {
  if (!text.empty()) {
    auto r = RegionCode::parse(text);
    if (!r) throw std::runtime_error("区划代码无效 / bad region code: " + text);
    return *r;
  }
  // The policy region of the year that has data in this store.
  for (auto& p : ps.all())
    if (p.year == year && campaign::counter_totals(st, p.region, year).registered > 0) return p.region;
  for (auto& p : ps.all())
    if (p.year == year && !st.targets(p.region, year).empty()) return p.region;
  throw std::runtime_error("请用 --region 指定区划 / pass --region");
}

namespace {

struct Common {
  std::string db, policies = "policies/2024", region, today, out, pg_schema;
  int year = 0;
  bool json = false;
};

void common_opts(CLI::App* c, Common& a, bool out_required) {
  c->add_option("--db", a.db, "数据库（SQLite 文件或 postgresql://…）")->required();
  c->add_option("--region", a.region, "区划代码（默认：政策所在地区）");
  c->add_option("--year", a.year, "年度（默认：按日期推算的缴费年度）");
  c->add_option("--policies", a.policies, "政策文件目录");
  c->add_option("--today", a.today, "业务日期 YYYY-MM-DD（默认：今天）");
  c->add_option("--pg-schema", a.pg_schema, "PostgreSQL schema");
  auto* o = c->add_option("--out", a.out, "输出文件");
  if (out_required) o->required();
}

std::unique_ptr<store::Store> open_db(const Common& a) {
  store::OpenOptions o;
  o.pg_schema = a.pg_schema;
  return store::open_store(a.db, o);
}

// What every report resolves from the common options: the store, the policy
// files, the business day, the policy year and the region reported on.
struct Campaign {
  std::unique_ptr<store::Store> st;
  ledger::PolicySet ps;
  Date today;
  int year = 0;
  RegionCode scope;
  const Policy* policy() const { return ps.find(scope, year); }
};

// `year_day`: the day whose campaign year applies when --year is absent
// (the report week's Friday for weekly; default today).
Campaign open_campaign(const Common& a, std::optional<Date> year_day = std::nullopt) {
  Campaign c;
  c.st = open_db(a);
  c.ps = ledger::PolicySet::load_dir(a.policies);
  c.today = business_day(a.today);
  c.year = a.year ? a.year : campaign::campaign_year_of(year_day.value_or(c.today));
  c.scope = campaign_region(*c.st, c.ps, a.region, c.year);
  return c;
}

template <class F>
void guarded(int& exit_code, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    fmt::print(stderr, "canbao: {}\n", e.what());
    exit_code = 1;
  }
}

void print_tree(const campaign::ProgressTree& t, int max_depth) {
  fmt::print("{} {} 年度 截至 {}\n", t.root().label(), t.year, t.as_of.str());
  fmt::print("{:<28} {:>9} {:>9} {:>9} {:>8} {:>7} {:>14} {:>5}\n", "单位", "任务数", "登记", "缴费", "完成率",
             "本周+", "个人缴费(元)", "排名");
  std::function<void(int)> walk = [&](int i) {
    const auto& n = t.nodes[size_t(i)];
    std::string name = std::string(size_t(n.depth) * 2, ' ') + n.label();
    fmt::print("{:<28} {:>9} {:>9} {:>9} {:>7.2f}% {:>7} {:>14} {:>5}\n", name,
               n.has_target ? std::to_string(n.target) : "—", n.now.registered, n.now.paid, n.rate() * 100,
               n.change().paid, Money::from_fen(n.now.collected_fen).yuan(), n.rank ? std::to_string(n.rank) : "");
    if (n.depth < max_depth)
      for (int c : n.children) walk(c);
  };
  walk(0);
}

void add_progress_command(CLI::App* rep, int& exit_code) {
  auto a = std::make_shared<Common>();
  auto depth = std::make_shared<int>(1);
  auto verify = std::make_shared<bool>(false);
  auto* c = rep->add_subcommand("progress", "参保进度（计数器，不扫描人员）/ progress from the counters");
  common_opts(c, *a, false);
  c->add_option("--depth", *depth, "显示层级数");
  c->add_flag("--json", a->json, "输出 JSON（同 GET /api/v1/progress）");
  c->add_flag("--verify", *verify, "全量重算核对计数器 / recount and compare");
  c->callback([a, depth, verify, &exit_code] {
    guarded(exit_code, [&] {
      auto k = open_campaign(*a);
      if (*verify) {
        auto diffs = campaign::verify_counters(*k.st, k.year);
        for (auto& d : diffs) fmt::print(stderr, "counter mismatch: {}\n", d);
        if (!diffs.empty()) {
          exit_code = 1;
          return;
        }
        fmt::print(stderr, "计数器与全量重算一致 / counters equal the recount\n");
      }
      campaign::ProgressOptions o;
      o.depth = std::max(1, *depth);
      auto t = campaign::progress(*k.st, k.scope, k.year, k.today, o);
      if (a->json) fmt::print("{}\n", t.to_json(*depth).dump(2));
      else print_tree(t, *depth);
    });
  });
}

void add_targets_command(CLI::App* rep, int& exit_code) {
  auto a = std::make_shared<Common>();
  auto* c = rep->add_subcommand("targets", "按政策文件的任务表写入任务数 / load target tables from policy files");
  common_opts(c, *a, false);
  c->callback([a, &exit_code] {
    guarded(exit_code, [&] {
      auto st = open_db(*a);
      auto ps = ledger::PolicySet::load_dir(a->policies);
      Date today = business_day(a->today);
      int year = a->year ? a->year : campaign::campaign_year_of(today);
      RegionCode only = a->region.empty() ? RegionCode{} : *RegionCode::parse(a->region);
      for (auto& p : ps.all()) {
        if (p.year != year || p.targets.empty() || (!only.empty() && !(p.region == only))) continue;
        auto r = campaign::targets_from_policy(*st, p);
        fmt::print("{} {}: {} 个单位，合计 {}（{} 个匹配到区划代码）\n", p.id, p.jurisdiction, r.rows, r.total,
                   r.matched);
      }
    });
  });
}

void add_weekly_command(CLI::App* rep, int& exit_code) {
  auto a = std::make_shared<Common>();
  auto week = std::make_shared<std::string>();
  auto json_out = std::make_shared<std::string>();
  auto depth = std::make_shared<int>(3);
  auto* c = rep->add_subcommand("weekly", "每周进度报告（周五为统计截止日）/ weekly report");
  common_opts(c, *a, false);
  c->add_option("--week", *week, "ISO 周，如 2023-W47（默认：本周）");
  c->add_option("--json-out", *json_out, "同时写出 JSON 文件");
  c->add_option("--depth", *depth, "层级数（县/乡镇/村）");
  c->add_flag("--json", a->json, "JSON 输出到标准输出");
  c->callback([a, week, json_out, depth, &exit_code] {
    guarded(exit_code, [&] {
      Date today = business_day(a->today);
      auto w = week->empty() ? std::optional(campaign::iso_week_of(today)) : campaign::parse_iso_week(*week);
      if (!w) throw std::runtime_error("--week 格式应为 YYYY-Www / expected YYYY-Www: " + *week);
      auto k = open_campaign(*a, w->friday);
      auto r = campaign::weekly_report(*k.st, k.scope, k.year, *w, *depth);
      if (!a->out.empty()) {
        campaign::write_weekly_xlsx(r, a->out);
        fmt::print(stderr, "周报 {}（截至 {}）写入 {}\n", w->str(), w->friday.str(), a->out);
      }
      if (!json_out->empty()) std::ofstream(*json_out) << r.to_json().dump(2) << "\n";
      if (a->json || (a->out.empty() && json_out->empty())) fmt::print("{}\n", r.to_json().dump(2));
    });
  });
}

void add_mobilisation_command(CLI::App* rep, int& exit_code) {
  auto a = std::make_shared<Common>();
  auto unmask = std::make_shared<bool>(false);
  auto* c = rep->add_subcommand("mobilisation", "动员名单：未缴费、往年参保本年未参、资助对象未参保、新生儿未参保");
  common_opts(c, *a, true);
  c->add_flag("--unmask", *unmask, "显示完整身份证号和姓名（仅限有权限的经办人员）");
  c->callback([a, unmask, &exit_code] {
    guarded(exit_code, [&] {
      auto k = open_campaign(*a);
      campaign::ListOptions o;
      o.today = k.today;
      o.year = k.year;
      o.scope = k.scope;
      auto m = campaign::mobilisation_lists(*k.st, k.ps, o);
      campaign::write_mobilisation_xlsx(m, a->out, *unmask);
      if (*unmask)
        k.st->audit({"", "cli", "export.unmasked", "mobilisation", o.scope.str(), "", "{}", o.scope});
      fmt::print("未缴费 {} 人，往年参保本年未参 {} 人，资助对象未参保 {} 人，新生儿未参保 {} 人 → {}\n",
                 m.unpaid.size(), m.lapsed.size(), m.subsidised_unenrolled.size(), m.newborns.size(), a->out);
    });
  });
}

void add_notice_command(CLI::App* rep, int& exit_code) {
  auto a = std::make_shared<Common>();
  auto* c = rep->add_subcommand("notice", "村（社区）参保缴费公示（姓名、身份证号脱敏）/ public notice (.html or .xlsx)");
  common_opts(c, *a, true);
  c->callback([a, &exit_code] {
    guarded(exit_code, [&] {
      auto k = open_campaign(*a);
      auto n = campaign::public_notice(*k.st, k.year, k.scope, k.policy());
      bool html = a->out.size() >= 5 && (a->out.ends_with(".html") || a->out.ends_with(".htm"));
      if (html) {
        std::ofstream f(a->out);
        f << campaign::notice_html(n);
        if (!f) throw std::runtime_error("无法写入 " + a->out);
      } else {
        campaign::write_notice_xlsx(n, a->out);
      }
      fmt::print("公示 {} 人 → {}\n", n.rows.size(), a->out);
    });
  });
}

void add_funds_command(CLI::App* rep, int& exit_code) {
  auto a = std::make_shared<Common>();
  auto* c = rep->add_subcommand("funds", "资金：财政补助分担、资助部门、代办经费 / fund flows");
  common_opts(c, *a, false);
  c->add_flag("--json", a->json, "JSON 输出");
  c->callback([a, &exit_code] {
    guarded(exit_code, [&] {
      auto k = open_campaign(*a);
      auto f = campaign::fund_flows(*k.st, k.year, k.scope, k.policy());
      if (!a->out.empty()) campaign::write_funds_xlsx(f, a->out);
      if (a->json) {
        fmt::print("{}\n", f.to_json().dump(2));
        return;
      }
      auto y = [](int64_t fen) { return Money::from_fen(fen).yuan(); };
      fmt::print("{} 年度 {}：参保缴费 {} 人，人均筹资 {} 元（财政 {} + 个人 {}）\n", k.year, k.scope.str(), f.insured,
                 y(f.total_per_person_fen), y(f.fiscal_per_person_fen), y(f.standard_fen));
      for (auto& x : f.fiscal)
        fmt::print("  财政 {:<10} {:<12} 人均 {:>8} 合计 {:>14}\n", x.name, x.share, y(x.per_person_fen), y(x.total_fen));
      for (auto& x : f.subsidies)
        fmt::print("  资助 {:<12} {:<14} {:>7} 人 {:>14} 元\n", x.payer, x.mode, x.persons, y(x.amount_fen));
      fmt::print("  个人缴费 {} 元，资助 {} 元，台账合计 {} 元，基金筹资合计 {} 元，代办经费 {} 元\n", y(f.individual_fen),
                 y(f.subsidy_fen), y(f.ledger_total_fen), y(f.fund_total_fen), y(f.agent_fee_total_fen));
    });
  });
}

}  // namespace

void add_report_commands(CLI::App& app, int& exit_code) {
  auto* rep = app.add_subcommand("report", "参保缴费进度、周报、动员名单、公示、资金 / campaign reports");
  rep->require_subcommand(1);
  add_progress_command(rep, exit_code);
  add_targets_command(rep, exit_code);
  add_weekly_command(rep, exit_code);
  add_mobilisation_command(rep, exit_code);
  add_notice_command(rep, exit_code);
  add_funds_command(rep, exit_code);
}

}  // namespace canbao::cli
