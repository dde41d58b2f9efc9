// canbao reconcile — 数据核对: the tax bureau's payment detail and the
// treasury's deposit summary against the ledger and enrollments.
//   canbao reconcile --db DB --tax FILE [--treasury FILE] --year Y [--region R] [--out report.xlsx]
//   canbao reconcile --db DB --rerun RUN [--out report.xlsx]     (same inputs, ledger as it is now)
//   canbao reconcile --db DB --list --year Y
#include <fmt/format.h>

#include "campaign/reconcile.h"
#include "campaign/weekly.h"
#include "cli/commands.h"
#include "ledger/ledger.h"

namespace canbao::cli {

// In cmd_report.cc.
RegionCode campaign_region(store::Store& st, const ledger::PolicySet& ps, const std::string& text, int year);

void add_reconcile_command(CLI::App& app, int& exit_code) {
  struct Args {
    std::string db, tax, treasury, region, out, today, actor = "cli", policies = "policies/2024", pg_schema;
    int year = 0;
    int64_t rerun = 0;
    bool list = false, json = false, unmask = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("reconcile", "数据核对：税务缴费明细、国库入库与平台台账 / reconciliation");
  c->add_option("--db", a->db, "数据库")->required();
  c->add_option("--tax", a->tax, "税务居民缴费明细（CSV/XLSX：elec_taxrpt_no, certno, psn_clct_amt, clct_time, …）");
  c->add_option("--treasury", a->treasury, "国库入库汇总（单位/区划代码, 入库人数, 入库金额）");
  c->add_option("--year", a->year, "年度");
  c->add_option("--region", a->region, "核对范围（区划代码）");
  c->add_option("--out", a->out, "核对报告 .xlsx");
  c->add_option("--rerun", a->rerun, "按某次核对的输入重新核对");
  c->add_option("--today", a->today, "业务日期 YYYY-MM-DD");
  c->add_option("--actor", a->actor, "经办人（审计记录）");
  c->add_option("--policies", a->policies, "政策文件目录");
  c->add_option("--pg-schema", a->pg_schema, "PostgreSQL schema");
  c->add_flag("--list", a->list, "列出已保存的核对批次");
  c->add_flag("--json", a->json, "JSON 输出（身份证号脱敏）");
  c->add_flag("--unmask", a->unmask, "报告中显示完整身份证号（仅限有权限的经办人员，写入审计）");
  c->callback([a, &exit_code] {
    try {
      store::OpenOptions o;
      o.pg_schema = a->pg_schema;
      auto st = store::open_store(a->db, o);
      campaign::ReconcileOptions ro;
      ro.today = business_day(a->today);
      ro.year = a->year ? a->year : campaign::campaign_year_of(ro.today.plus_days(-180));
      ro.actor = a->actor;
      if (a->list) {
        for (auto& r : campaign::list_runs(*st, ro.year))
          fmt::print("{:>5}  {}  {}  不一致 {}{}\n", r.id, r.created_at, r.actor, r.mismatches,
                     r.inputs_from ? fmt::format("（重新核对批次 {} 的输入）", r.inputs_from) : "");
        return;
      }
      campaign::ReconcileRun run;
      if (a->rerun) {
        run = campaign::rerun(*st, a->rerun, ro);
      } else {
        if (a->tax.empty()) throw std::runtime_error("需要 --tax 文件（或 --rerun / --list）");
        if (!a->region.empty()) {
          auto r = RegionCode::parse(a->region);
          if (!r) throw std::runtime_error("区划代码无效: " + a->region);
          ro.scope = *r;
        } else {
          auto ps = ledger::PolicySet::load_dir(a->policies);
          ro.scope = campaign_region(*st, ps, "", ro.year);
        }
        run = campaign::reconcile_files(*st, a->tax, a->treasury, ro);
      }
      if (!a->out.empty()) {
        campaign::write_reconcile_xlsx(run, a->out, a->unmask);
        if (a->unmask)
          st->audit({"", a->actor, "export.unmasked", "reconciliation", std::to_string(run.id), "", "{}", run.scope});
      }
      if (a->json) {
        fmt::print("{}\n", run.to_json(false).dump(2));
      } else {
        fmt::print("核对批次 {}（{} 年度，范围 {}）：税务明细 {} 行 / {} 人，平台已缴费 {} 人，一致 {} 人\n", run.id,
                   run.year, run.scope.empty() ? std::string("全部") : run.scope.str(), run.tax_rows, run.tax_persons,
                   run.platform_paid, run.matched);
        for (auto& [k, n] : run.count_by_kind())
          fmt::print("  {:<18} {:>7}  {}\n", k, n, campaign::mismatch_label(*campaign::parse_mismatch(k)));
        for (auto& p : run.problems) fmt::print("  无法读取：{} 第 {} 行 {} {}：{}\n", p.file, p.row, p.column, p.value, p.reason);
        if (!a->out.empty()) fmt::print("报告：{}\n", a->out);
      }
      if (!run.items.empty()) exit_code = 2;  // mismatches found (the report says which)
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace canbao::cli
