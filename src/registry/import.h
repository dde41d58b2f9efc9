// Imports into the registry from CSV/XLSX (io::open_table), Chinese or
// English headers:
//   roster           DESIGN.md §5 (身份证号, 姓名, 户号, 户籍地区划, …)
//   subsidy list     部门, 人员类别, 截止日期, 身份证号, 姓名 [, 列入日期]
//   employee roster  身份证号, 姓名 [, 单位, 参保日期, 停保日期]
//   targets          单位/村名/县区 [, 区划代码], 任务数 / 应参保人数 / 参保目标 [, other numbers]
//
// Rosters are read by io::RosterReader (io/roster.h), the reader `assess`
// uses: one header table and one set of messages (docs/roster.md). The
// registry adds two checks of its own: a person once per file, and rows
// inside the importer's scope.
//
// Every kind reads a path or an upload held in memory (ImportFile: bytes,
// not a path, so an upload is never written to disk and read back).
//
// Each import is one batch: by default all-or-nothing (any bad row → nothing
// written, and a report of every bad row: row, column, masked value, reason
// in Chinese); `partial` writes the good rows and reports the rest. A file
// already imported (same kind and SHA-256) is a no-op. The batch, its counts
// and report are kept in import_batches, and an audit row is written in the
// same transaction.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/region_code.h"
#include "policy/category.h"
#include "store/store.h"

namespace canbao::registry {

enum class ImportMode { all_or_nothing, partial };

struct ImportOptions {
  ImportMode mode = ImportMode::all_or_nothing;
  std::string actor = "system";
  Date today;                // bounds ID birth dates (core reads no clock)
  RegionCode scope;          // when set, rows outside it are rejected
  size_t chunk = 20000;      // rows per bulk write
  // Roster only: also register every written person for this policy year
  // (参保登记; place = residence when given, else hukou; status paid when the
  // row has 缴费日期). 0 = persons only. A person already actively enrolled
  // for the year keeps that enrollment. A first load (empty registry) writes
  // the enrollments with the progress counters' trigger paused and recounts
  // them once before commit (store/bulk_load.h); later loads count per row.
  int enroll_year = 0;
  std::function<void(int64_t rows)> progress;  // called every chunk
};

// An uploaded file held in memory. `name` is the name the user gave it: the
// batch records it, its extension says .csv or .xlsx (checked against the
// content, as for a path), and messages about the file quote it.
struct ImportFile {
  std::string name;
  std::string bytes;
};

struct RowProblem {
  int64_t row = 0;        // as Excel shows it; 0 = the whole file
  std::string column;     // header as written in the file
  std::string value;      // masked (IDs 341702********1234, names 张*)
  std::string reason;     // Chinese, for users
  std::string reason_en;  // the same in English where the roster reader gave it, else empty
};

// A finding that is not an error (e.g. 剔重: a person on two departments' lists).
struct Finding {
  int64_t row = 0;
  std::string code;       // "cross_department", …
  std::string message;    // Chinese, masked
};

struct ImportResult {
  int64_t batch_id = 0;
  bool already_imported = false;  // same file imported before: nothing done
  bool committed = false;
  std::string fingerprint;
  int64_t rows_total = 0, rows_written = 0, rows_rejected = 0;
  std::vector<RowProblem> problems;
  std::vector<Finding> findings;
  // `problems` as the batch record keeps them (import_batches.report_json):
  // [{"row","column","value","reason"}]. A response renders the struct
  // itself rather than parsing this string again.
  std::string report_json() const;
};

// Throws io::Error when the file cannot be read at all (not a table, empty,
// .xls …); a missing required column is a rejected batch with one problem.
ImportResult import_roster(store::Store& st, ImportFile file, const ImportOptions& opt);
ImportResult import_roster(store::Store& st, const std::string& path, const ImportOptions& opt);

// department/category/as_of come from the file's columns when present, else
// from these defaults (a file per department and category is common).
struct SubsidyListDefaults {
  std::string department;
  std::optional<Category> category;
  std::optional<Date> as_of;
};
ImportResult import_subsidy_list(store::Store& st, ImportFile file, const ImportOptions& opt,
                                 const SubsidyListDefaults& defaults = {});
ImportResult import_subsidy_list(store::Store& st, const std::string& path, const ImportOptions& opt,
                                 const SubsidyListDefaults& defaults = {});

ImportResult import_employee_roster(store::Store& st, ImportFile file, const ImportOptions& opt, Date as_of);
ImportResult import_employee_roster(store::Store& st, const std::string& path, const ImportOptions& opt,
                                    Date as_of);

// Units are matched to region codes by a code column, else by name among the
// regions under `parent` (spaces ignored), else get `parent`'s code (高校,
// 经济开发区). Rows named 合计/总计 are checked against the sum, not stored.
ImportResult import_targets(store::Store& st, ImportFile file, const ImportOptions& opt, int year, RegionCode parent);
ImportResult import_targets(store::Store& st, const std::string& path, const ImportOptions& opt, int year,
                            RegionCode parent);

// The header row of an import file (Chinese names as the readers above accept
// them; optional columns after the required ones), for the template download.
// `kind`: roster | subsidy_list | employee_roster | targets | payments (the
// tax bureau's detail, read by ledger/tax_import). Empty for an unknown kind.
std::vector<std::string> import_template_header(std::string_view kind);

}  // namespace canbao::registry
