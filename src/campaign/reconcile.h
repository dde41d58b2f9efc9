// Reconciliation (数据核对; 新城子: 2024-03-01..03-15, 城政字〔2024〕21号 四(三):
// 税务部门与医保部门核对国家医保平台城乡居民缴费人数与国库入库人数是否一致).
//
// Inputs: the tax bureau's payment detail file (居民缴费明细: elec_taxrpt_no,
// certno/psn_no, psn_clct_amt, clct_time, taxdept_code, revs_flag, cashym,
// and the unit it was collected for — insuplc_admdvs / 区划代码 or 街道乡镇)
// and the treasury's deposit summary (单位/区划代码, 入库人数, 入库金额).
// The platform side is the store: enrollments and the payments ledger.
//
// Every mismatch is listed with both sides. A run, its input rows and its
// findings are stored (reconciliation_* tables of migration 3); rerun()
// compares the same inputs with the ledger as it is now (after corrections,
// which always go through the ledger: a missing payment is recorded, a wrong
// one reversed — nothing here edits a payment or an enrollment).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/date.h"
#include "core/region_code.h"
#include "store/reconcile_store.h"
#include "store/store.h"

namespace canbao::campaign {

enum class MismatchKind {
  tax_only,          // 税务有缴费记录，平台未参保或未缴费
  platform_only,     // 平台已缴费，税务无缴费记录
  amount_differs,    // 金额不一致
  wrong_unit,        // 缴费单位（参保地）不一致
  tax_duplicate,     // 税务重复缴费
  treasury_differs,  // 国库入库人数/金额与平台不一致
};
std::string_view mismatch_id(MismatchKind k);
std::string_view mismatch_label(MismatchKind k);  // Chinese
std::optional<MismatchKind> parse_mismatch(std::string_view s);

struct Mismatch {
  MismatchKind kind{};
  std::string person;        // full ID number (internal; masked in every output unless asked)
  RegionCode unit;           // the unit concerned (enrollment place, tax unit, treasury unit)
  nlohmann::json tax;        // the tax/treasury side (no IDs or names)
  nlohmann::json platform;   // the platform side (no IDs or names)
  std::string action;        // what to do, in Chinese (corrections go through the ledger)
};

struct ReconcileOptions {
  int year = 0;
  RegionCode scope;          // platform side: enrollments/payments inside (empty = all)
  std::string actor = "system";
  Date today;
  // Payments from the employee's family account (个帐代扣, clct_way 31) do
  // not pass through the tax bureau: not reported as platform_only.
  bool skip_family_account = true;
};

struct InputProblem {
  std::string file;  // "tax" | "treasury"
  int64_t row = 0;
  std::string column, value, reason;  // value masked
};

struct ReconcileRun {
  int64_t id = 0;
  int year = 0;
  RegionCode scope;
  int64_t inputs_from = 0;  // the run whose input rows were compared (0 = its own)
  std::string created_at, actor;
  int64_t tax_rows = 0, treasury_rows = 0;
  int64_t tax_persons = 0, platform_paid = 0, matched = 0, out_of_scope = 0, other_year = 0;
  std::vector<Mismatch> items;
  std::vector<InputProblem> problems;
  std::map<std::string, int64_t> count_by_kind() const;
  nlohmann::json summary() const;
  nlohmann::json to_json(bool unmask = false) const;  // summary + items
};

// Reads both files (CSV or XLSX; Chinese or NHSA headers), stores them as a
// run's inputs, compares and stores the findings. treasury_path may be empty.
// Throws io::Error for an unreadable file or missing required columns.
ReconcileRun reconcile_files(store::Store& st, const std::string& tax_path, const std::string& treasury_path,
                             const ReconcileOptions& opt);
// Compares the inputs of run `run_id` again (year and scope of that run) as a
// new run. Throws store::StoreError when there is no such run.
ReconcileRun rerun(store::Store& st, int64_t run_id, const ReconcileOptions& opt);
// A stored run with its findings; nullopt when absent.
std::optional<ReconcileRun> load_run(store::Store& st, int64_t run_id);
using RunInfo = store::ReconcileRunListing;
// The year's runs of every scope, oldest first (callers keep what the actor may see).
std::vector<RunInfo> list_runs(store::Store& st, int year);

// Report workbook: 汇总, one sheet per mismatch kind (both sides), 国库核对.
void write_reconcile_xlsx(const ReconcileRun& run, const std::string& path, bool unmask = false);

}  // namespace canbao::campaign
