// canbao regions import [FILE|DIR] --db DB — NBS 统计用区划代码 (five levels).
// Without FILE: data/regions/seed-jurisdictions-2023.csv (the five seed
// jurisdictions), looked up in the working directory, then beside the binary
// (../../data, ../data, ../share/canbao) — see data/regions/README.md.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "cli/commands.h"
#include "registry/regions.h"

namespace canbao::cli {

namespace {
std::string default_regions_file() {
  const char* rel = "data/regions/seed-jurisdictions-2023.csv";
  std::vector<std::filesystem::path> cands = {rel};
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto d = exe.parent_path();
    cands.push_back(d / "../.." / rel);
    cands.push_back(d / ".." / rel);
    cands.push_back(d / "../share/canbao/regions/seed-jurisdictions-2023.csv");
  }
  for (auto& c : cands)
    if (std::filesystem::exists(c)) return c.lexically_normal().string();
  return rel;
}
}  // namespace

void add_regions_commands(CLI::App& app, int& exit_code) {
  auto* reg = app.add_subcommand("regions", "区划代码 / division codes");
  reg->require_subcommand(1);
  struct Args {
    std::string file, db;
  };
  auto a = std::make_shared<Args>();
  auto* imp = reg->add_subcommand("import", "导入统计用区划代码（省/市/县/乡/村）/ load NBS division codes");
  imp->add_option("file", a->file, "CSV/XLSX（code,name）或目录（其中所有 .csv）；默认 data/regions 种子数据");
  imp->add_option("--db", a->db, "数据库")->required();
  imp->callback([a, &exit_code] {
    try {
      std::string path = a->file.empty() ? default_regions_file() : a->file;
      if (!std::filesystem::exists(path)) {
        fmt::print(stderr, "canbao: {}: 文件不存在 / no such file\n", path);
        exit_code = 1;
        return;
      }
      auto st = store::open_store(a->db);
      auto r = registry::import_regions(*st, path);
      for (auto& p : r.problems)
        fmt::print(stderr, "{}第{}行 {}：{}\n", p.value.empty() ? "" : p.value + " ", p.row, p.column, p.reason);
      if (!r.ok()) {
        fmt::print(stderr, "canbao: 区划导入被拒绝：{} 行有错误，未写入 / rejected, nothing written\n",
                   r.problems.size());
        exit_code = 1;
        return;
      }
      fmt::print(stderr, "canbao: 已导入 {} 个区划（省 {}，市 {}，县 {}，乡 {}，村 {}）自 {}\n", r.written, r.by_level[2],
                 r.by_level[4], r.by_level[6], r.by_level[9], r.by_level[12], path);
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace canbao::cli
