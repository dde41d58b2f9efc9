// PolicySet: the year's policies, loaded from a directory of policy files; a
// place is covered by the policy whose region contains it most narrowly.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/region_code.h"
#include "policy/policy.h"

namespace canbao::io {

class PolicySet {
 public:
  PolicySet() = default;
  explicit PolicySet(std::vector<Policy> ps) : ps_(std::move(ps)) {}
  // Loads every *.toml of a directory; throws std::runtime_error naming the
  // first bad file with its line, so a server never starts on half a set.
  static PolicySet load_dir(const std::string& dir);
  // The deepest policy of `year` whose region contains `place`; nullptr when none covers it.
  const Policy* find(RegionCode place, int year) const;
  const std::vector<Policy>& all() const { return ps_; }

 private:
  std::vector<Policy> ps_;
};

}  // namespace canbao::io
