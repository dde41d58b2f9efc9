#include "io/policy_set.h"

#include <stdexcept>

#include "io/policy_file.h"

namespace canbao::io {

PolicySet PolicySet::load_dir(const std::string& dir) {
  std::vector<Policy> ps;
  for (const auto& f : policy_files_in(dir)) {
    auto load = load_policy_file(f);
    if (!load.ok()) {
      std::string msg = load.errors.empty() ? f : load.errors.front().str();
      throw std::runtime_error("政策文件有误 / bad policy file: " + msg);
    }
    ps.push_back(std::move(*load.policy));
  }
  return PolicySet(std::move(ps));
}

const Policy* PolicySet::find(RegionCode place, int year) const {
  const Policy* best = nullptr;
  for (const auto& p : ps_)
    if (p.year == year && place.inside(p.region) && (!best || p.region.level() > best->region.level())) best = &p;
  return best;
}

}  // namespace canbao::io
