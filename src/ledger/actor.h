// Actor: who is writing or reading the ledger, with the region subtree they may touch.
#pragma once
#include <string>

#include "core/region_code.h"

namespace canbao::ledger {

struct Actor {
  std::string username = "system";
  std::string role = "admin";
  RegionCode scope;         // empty = everything
  std::string department;   // department users: their department
  // How many days before today a payment this actor enters may be dated
  // (paid_on); -1: no limit (imports and tax-bureau records keep their dates).
  // Older only for an admin with a backdate_reason, which is audited.
  int backdate_days = -1;
  bool in_scope(RegionCode r) const { return scope.empty() || (!r.empty() && r.inside(scope)); }
};

}  // namespace canbao::ledger
