// Policy diff: two policies side by side (e.g. 贵池 vs 晋城 — the same 380
// standard, different subsidy tables). Compares the figures a clerk compares:
// standard, fiscal subsidy, windows, coverage, and for each person category
// the subsidy a person with only that category would get, and from whom.
#pragma once
#include <string>
#include <vector>

#include "policy/policy.h"

namespace canbao {

struct DiffRow {
  std::string section;  // "标准" / "征缴期" / "资助：低保对象" …
  std::string left, right;
  bool differs = false;
};

std::vector<DiffRow> diff_policies(const Policy& a, const Policy& b);

// What a person holding only `c` (hukou inside the region, aged 40, no
// events) gets under `p`: "342.00（区财政，代缴）", "需本地配置", "—".
std::string subsidy_for_category(const Policy& p, Category c);

}  // namespace canbao
