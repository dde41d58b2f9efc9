// canbao import payments FILE — tax-bureau payment files into the ledger.
#include <fmt/format.h>

#include "cli/commands.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"

namespace canbao::cli {

void add_import_payments_command(CLI::App& app, int& exit_code) {
  CLI::App* imp = import_group(app);
  struct Args {
    std::string db, file, policies = "policies/2024", actor = "tax", today, region;
    int year = 2024;
  };
  auto a = std::make_shared<Args>();
  auto* p = imp->add_subcommand("payments", "导入税务缴费明细（按电子税票号码幂等）/ tax payment file");
  p->add_option("file", a->file, "CSV 或 XLSX 文件")->required();
  p->add_option("--db", a->db, "数据库")->required();
  p->add_option("--policies", a->policies, "政策文件目录");
  p->add_option("--year", a->year, "缴费年度（文件无 缴费年度 列时）");
  p->add_option("--actor", a->actor, "经办人（审计记录）");
  p->add_option("--today", a->today, "业务日期 YYYY-MM-DD");
  p->add_option("--region", a->region, "限定区划");
  p->callback([a, &exit_code] {
    try {
      Date today = business_day(a->today);
      ledger::StorePool pool(a->db, {}, 8);
      auto policies = ledger::PolicySet::load_dir(a->policies);
      ledger::Ledger led(pool, policies);
      ledger::Actor actor{a->actor, "tax", {}, ""};
      if (!a->region.empty()) actor.scope = RegionCode::parse(a->region).value_or(RegionCode{});
      auto r = ledger::import_tax_payments(led, actor, a->file, a->year, today);
      fmt::print("{}\n", r.report().dump(2));
      if (r.rows_rejected) exit_code = 1;
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace canbao::cli
