// The demo database lives in real places (issue 14 §7): every task unit of
// the 贵池 policy sits on an NBS code of data/regions/ under 341702 with that
// table's name (经济开发区 on 池州经济技术开发区), 高校 on the county's own code
// (students are counted by their school), and every generated person lives in
// a village of the table. SQLite only: the demo builder opens its own pool on
// a path or URL without a per-test PostgreSQL schema.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>

#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "registry/regions.h"
#include "server/demo.h"
#include "store/store.h"

using namespace canbao;

namespace {

const RegionCode kGuichi = *RegionCode::parse("341702");

// code → name of the division table as shipped.
std::map<std::string, std::string> nbs_table() {
  auto dir = std::filesystem::temp_directory_path() / "canbao-demo-test";
  std::filesystem::create_directories(dir);
  auto p = (dir / "regions.db").string();
  for (auto suf : {"", "-wal", "-shm"}) std::filesystem::remove(p + suf);
  auto st = store::open_store(p, {});
  auto r = registry::import_regions(*st, std::string(CANBAO_SOURCE_DIR) + "/data/regions/seed-jurisdictions-2023.csv");
  EXPECT_TRUE(r.ok());
  std::map<std::string, std::string> names;
  for (auto& reg : st->regions_under(kGuichi)) names[reg.code.str()] = reg.name;
  return names;
}

TEST(Demo, TargetUnitsSitOnRealPlaces) {
  auto dir = std::filesystem::temp_directory_path() / "canbao-demo-test";
  std::filesystem::create_directories(dir);
  auto db = (dir / "demo.db").string();
  for (auto suf : {"", "-wal", "-shm"}) std::filesystem::remove(db + suf);
  server::DemoOptions o;
  o.db = db;
  o.policies_dir = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
  o.regions_file = std::string(CANBAO_SOURCE_DIR) + "/data/regions/seed-jurisdictions-2023.csv";
  o.persons = 600;
  auto users = server::build_demo(o, false);
  ASSERT_FALSE(users.empty());
  const auto nbs = nbs_table();

  auto st = store::open_store(db, {});
  std::map<std::string, std::string> shown;  // the demo's own region names
  for (auto& reg : st->regions_under(kGuichi)) shown[reg.code.str()] = reg.name;
  auto policies = ledger::PolicySet::load_dir(o.policies_dir);
  const Policy* guichi = nullptr;
  for (auto& p : policies.all())
    if (p.region == kGuichi && !p.targets.empty()) guichi = &p;
  ASSERT_NE(guichi, nullptr);
  auto targets = st->targets(kGuichi, guichi->year);
  ASSERT_EQ(targets.size(), guichi->targets.size());
  int universities = 0;
  for (auto& t : targets) {
    std::string code = t.region.str();
    if (t.unit == "高校") {  // a unit without a place: the county's own code
      EXPECT_EQ(t.region, kGuichi);
      ++universities;
      continue;
    }
    EXPECT_EQ(t.region.level(), RegionCode::township) << t.unit << " " << code;
    EXPECT_TRUE(t.region.inside(kGuichi)) << t.unit;
    ASSERT_TRUE(nbs.count(code)) << t.unit << " on " << code << ", not an NBS code";
    EXPECT_EQ(shown[code], nbs.at(code));
    if (t.unit == "经济开发区") {
      EXPECT_EQ(code, "341702401");
      EXPECT_EQ(nbs.at(code), "池州经济技术开发区");
    } else {
      EXPECT_EQ(nbs.at(code), t.unit);
    }
  }
  EXPECT_EQ(universities, 1);
  // No invented names survive, and every region the demo shows is the table's.
  std::regex invented("[0-9]+(社区|村)$|^第[0-9]+乡镇$");
  for (auto& [code, name] : shown) {
    EXPECT_FALSE(std::regex_search(name, invented)) << code << " " << name;
    if (code != kGuichi.str()) EXPECT_EQ(nbs.count(code), 1u) << code << " " << name;
  }
  // Everyone lives in a village of the table; the collector's village is one.
  int64_t persons = 0, placed = 0;
  st->scan_persons(kGuichi, 1000, [&](std::span<const store::Person> ps) {
    for (auto& p : ps) {
      ++persons;
      auto home = p.hukou.inside(kGuichi) ? p.hukou : p.residence;
      placed += home.level() == RegionCode::village && nbs.count(home.str());
    }
  });
  EXPECT_GT(persons, 500);
  EXPECT_EQ(placed, persons);
  for (auto& u : users)
    if (u.role == "village") EXPECT_EQ(nbs.count(u.region), 1u) << u.region;
}

}  // namespace
