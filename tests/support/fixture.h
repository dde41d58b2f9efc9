// A small synthetic registry for tests and benchmarks: villages of 贵池区
// (341702) and of 晋城市城区 (140502), one-person households of adults with
// no category (individual due = the standard), all enrolled for 2024.
// Built into canbao_test_support (tests/, not the server library); the
// namespace stays canbao::server so the suites call it as before.
#pragma once
#include <string>
#include <vector>

#include "core/region_code.h"
#include "store/store.h"

namespace canbao::server {

struct FixturePerson {
  std::string id_number, name;
  RegionCode village;
};

struct Fixture {
  std::vector<RegionCode> villages;        // 贵池 villages first, then 晋城
  std::vector<FixturePerson> persons;      // village-major order
  std::vector<FixturePerson> unenrolled;   // one per village, not enrolled
};

// villages_guichi × per_village persons in 贵池, villages_jincheng × per_village in 晋城.
Fixture make_fixture(store::Store& st, int villages_guichi, int villages_jincheng, int per_village);

}  // namespace canbao::server
