// Division codes (统计用区划代码) into the regions table: any CSV/XLSX with a
// code column (code / 区划代码 / 统计用区划代码) and a name column (name / 名称
// / 区划名称), codes of 2, 4, 6, 9 or 12 digits (trailing zero groups allowed),
// e.g. data/regions/seed-jurisdictions-2023.csv or the china-division
// package's dist/*.csv. Township-level 开发区 / 农场 units (9-digit codes
// 4xx) load like any other township. A file with a bad row writes nothing.
#pragma once
#include <string>
#include <vector>

#include "registry/import.h"
#include "store/store.h"

namespace canbao::registry {

struct RegionsResult {
  int64_t rows = 0, written = 0;
  int64_t by_level[13] = {};  // written per level (index 2, 4, 6, 9, 12)
  std::vector<RowProblem> problems;
  bool ok() const { return problems.empty(); }
};

// `path` is a file, or a directory whose *.csv files are read in name order
// (all in one transaction).
RegionsResult import_regions(store::Store& st, const std::string& path);

}  // namespace canbao::registry
