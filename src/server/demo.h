// The demo database (`canbao serve --demo`, `canbao demo-db`): the 贵池区
// campaign of its policy replayed ten weeks into the collection window — the
// real NBS division codes and names of data/regions/ with the document's task
// units mapped onto them, a generated ~5,000-person roster living in those
// villages, imported and enrolled by household, demo users with known
// passwords, and some payments through the ledger (with receipts and
// department subsidy rows).
#pragma once
#include <optional>
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
  std::optional<Date> today;         // absent: demo_today() of the 贵池 policy
  // The division table (code,name) whose 贵池区 rows the demo lives in.
  std::string regions_file = "data/regions/seed-jurisdictions-2023.csv";
};

// Builds the demo into an empty database (returns its users); when the
// database already holds users it is left alone and the same list is returned.
std::vector<DemoUser> build_demo(const DemoOptions& opt, bool verbose = true);
std::vector<DemoUser> demo_users();
// The demo's business day: ten weeks and a day after the 贵池 policy's
// collection window opens (a Monday, the weekly report's day).
Date demo_today(const std::string& policies_dir);

}  // namespace canbao::server
