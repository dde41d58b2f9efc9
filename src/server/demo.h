// The demo database (`canbao serve --demo`, `canbao demo-db`): the five
// policies' 贵池区 campaign replayed on 2023-11-20 — division codes and
// targets, a generated ~5,000-person roster imported and enrolled by
// household, demo users with known passwords, and some payments through the
// ledger (with receipts and department subsidy rows).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/date.h"

namespace canbao::server {

struct DemoUser {
  std::string username, password, role, region, note;
};

struct DemoOptions {
  std::string db;                    // SQLite path (or PG URL)
  std::string policies_dir = "policies/2024";
  int64_t persons = 5000;
  double paid_share = 0.35;
  uint64_t seed = 7;
  Date today = Date::from_ymd(2023, 11, 20);
};

// Builds the demo into an empty database (returns its users); when the
// database already holds users it is left alone and the same list is returned.
std::vector<DemoUser> build_demo(const DemoOptions& opt, bool verbose = true);
std::vector<DemoUser> demo_users();

}  // namespace canbao::server
