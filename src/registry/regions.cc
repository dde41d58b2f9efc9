#include "registry/regions.h"

#include <algorithm>
#include <filesystem>

#include "io/table.h"

namespace canbao::registry {

namespace {
int find_col(const std::vector<std::string>& h, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    for (size_t i = 0; i < h.size(); ++i) {
      std::string_view x = h[i];
      if (x.starts_with("\xEF\xBB\xBF")) x.remove_prefix(3);
      if (x == n) return int(i);
    }
  return -1;
}

void read_one(const std::string& path, std::vector<store::Region>& out, RegionsResult& res) {
  auto t = io::open_table(path);
  const auto& h = t->header();
  int c_code = find_col(h, {"code", "区划代码", "统计用区划代码", "行政区划代码"});
  int c_name = find_col(h, {"name", "名称", "区划名称", "单位名称"});
  std::string fname = std::filesystem::path(path).filename().string();
  if (c_code < 0 || c_name < 0) {
    res.problems.push_back({t->header_row(), c_code < 0 ? "code" : "name", fname,
                            "缺少必填列“区划代码/code”或“名称/name”"});
    return;
  }
  io::Row row;
  while (t->next(row)) {
    ++res.rows;
    auto cell = [&](int c) -> std::string_view {
      return size_t(c) < row.cells.size() ? std::string_view(row.cells[size_t(c)]) : std::string_view();
    };
    auto code = RegionCode::parse(cell(c_code));
    if (!code) {
      res.problems.push_back({row.number, h[size_t(c_code)], std::string(cell(c_code)),
                              "区划代码无效（应为2、4、6、9或12位数字）"});
      continue;
    }
    if (cell(c_name).empty()) {
      res.problems.push_back({row.number, h[size_t(c_name)], "", "名称不能为空"});
      continue;
    }
    out.push_back({*code, std::string(cell(c_name))});
  }
}
}  // namespace

RegionsResult import_regions(store::Store& st, const std::string& path) {
  RegionsResult res;
  std::vector<store::Region> regions;
  std::vector<std::string> files;
  if (std::filesystem::is_directory(path)) {
    for (auto& e : std::filesystem::directory_iterator(path))
      if (e.path().extension() == ".csv") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) res.problems.push_back({0, "", path, "目录中没有 .csv 文件"});
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    try {
      read_one(f, regions, res);
    } catch (const io::Error& e) {
      res.problems.push_back({e.row, e.column, std::filesystem::path(f).filename().string(), e.zh});
    }
  }
  if (!res.problems.empty()) return res;
  auto tx = st.transaction();
  st.put_regions(regions);
  st.audit({"", "system", "regions_import", "regions", "", "",
            "{\"rows\":" + std::to_string(regions.size()) + "}", {}});
  tx.commit();
  res.written = int64_t(regions.size());
  for (auto& r : regions) ++res.by_level[r.code.level()];
  return res;
}

}  // namespace canbao::registry
