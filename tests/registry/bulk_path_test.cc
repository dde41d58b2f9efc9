// The first-load path of roster imports (indexes dropped and rebuilt, the
// enrollment counters' trigger paused and one recount) against the path every
// later import takes (indexes and trigger live, upserts, one lookup per slice
// for active enrollments): the same roster gives the same persons,
// households, enrollments and counters, and counters == recount — on both
// engines, for a first load and for a changed roster imported on top.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "../store/store_fixture.h"
#include "registry/import.h"
#include "store/bulk_load.h"
#include "store/campaign_store.h"

using namespace canbao;
using namespace canbao::registry;
using canbao::testing::EngineTest;
using canbao::testing::make_id;

namespace {

// Villages of 贵池 341702100 (201…), households of 1–4 persons, every fifth
// with a category, every third paid on a day of the collection window.
std::string roster(int persons, bool changed) {
  std::string out = "身份证号,姓名,户号,户籍地区划,人员类别,缴费日期\n";
  for (int i = 0; i < persons; ++i) {
    std::string birth = std::to_string(1950 + i % 60) + "0" + std::to_string(1 + i % 9) + "1" + std::to_string(i % 9);
    std::string id = make_id("341702", birth, i / 180);  // (birth, sequence) unique up to 180 × 1000
    int village = 201 + (i / 3) % 7;
    std::string hh = "H" + std::to_string(village) + "-" + std::to_string(i / 3);
    std::string name = (changed && i % 4 == 0 ? "改名" : "人") + std::to_string(i);
    std::string cat = i % 5 == 0 ? (changed ? "脱贫人口" : "低保") : "";
    std::string paid = i % 3 == 0 || (changed && i % 3 == 1) ? "2023-10-0" + std::to_string(1 + i % 9) : "";
    out += id + "," + name + "," + hh + ",341702100" + std::to_string(village) + "," + cat + "," + paid + "\n";
  }
  if (changed)  // newcomers too
    for (int i = 0; i < 20; ++i)
      out += make_id("341702", "2001020" + std::to_string(1 + i % 9), 900 + i) + ",新人" + std::to_string(i) +
             ",HN-" + std::to_string(i) + ",341702100202,,\n";
  return out;
}

struct Snapshot {
  std::map<std::string, std::tuple<std::string, std::string, int64_t, std::string, std::string, int64_t>> persons;
  std::map<std::string, std::tuple<int64_t, std::string>> households;
  std::vector<std::tuple<int64_t, std::string, int64_t, std::string, std::string, std::string, std::string>> enrollments;
  std::vector<std::tuple<int, int64_t, int, std::string, int64_t, int64_t, int64_t>> counters, recount;
  bool operator==(const Snapshot&) const = default;
};

std::string date_text(const std::optional<Date>& d) { return d ? d->str() : ""; }

// Everything in 341702 (the sentinel of the live path lives in 140502).
Snapshot snapshot(store::Store& st, int year) {
  Snapshot s;
  const RegionCode scope = *RegionCode::parse("341702");
  st.scan_persons(scope, 1000, [&](std::span<const store::Person> ps) {
    for (const auto& p : ps) {
      s.persons[p.id_number] = {p.name, p.household, int64_t(p.hukou.padded_number()), p.birth.str(),
                                std::to_string(p.categories), p.import_batch};
      if (!p.household.empty() && !s.households.count(p.household)) {
        auto h = st.household(p.household);
        EXPECT_TRUE(h) << p.household;
        if (h) s.households[p.household] = {int64_t(h->region.padded_number()), h->head};
      }
    }
  });
  for (const auto& e : st.enrollments_in(scope, year))
    s.enrollments.push_back({e.id, e.person, int64_t(e.place.padded_number()), e.household,
                             std::string(store::status_id(e.status)), date_text(e.registered_on),
                             date_text(e.paid_on)});
  auto row = [](std::vector<std::tuple<int, int64_t, int, std::string, int64_t, int64_t, int64_t>>& v) {
    return [&v](const store::CounterRow& r) {
      v.push_back({r.lvl, r.region, r.year, r.day, r.counts.registered, r.counts.paid, r.counts.subsidised});
    };
  };
  for (int lvl : {12, 9, 6}) st.campaign().counter_rows(lvl, row(s.counters));
  st.campaign().total_rows(row(s.counters));
  st.campaign().recount(row(s.recount));
  std::sort(s.counters.begin(), s.counters.end());
  std::sort(s.recount.begin(), s.recount.end());
  return s;
}

// The day rows at lvl 12 of a snapshot (what the recount recomputes).
std::vector<std::tuple<int, int64_t, int, std::string, int64_t, int64_t, int64_t>> place_days(const Snapshot& s) {
  std::vector<std::tuple<int, int64_t, int, std::string, int64_t, int64_t, int64_t>> out;
  for (const auto& r : s.counters)
    if (std::get<0>(r) == 12 && !std::get<3>(r).empty()) out.push_back(r);
  return out;
}

std::string write(const std::string& text) {
  auto p = (std::filesystem::temp_directory_path() / (canbao::testing::unique_name("canbao_bulk") + ".csv")).string();
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

ImportOptions opts(int year) {
  ImportOptions o;
  o.actor = "tester";
  o.today = *Date::parse("2023-12-31");
  o.enroll_year = year;
  o.chunk = 700;  // several chunks, so the writer thread hands over more than one
  return o;
}

}  // namespace

class BulkPathTest : public EngineTest {};
CANBAO_ENGINES(BulkPathTest);

TEST_P(BulkPathTest, FirstLoadAndLivePathGiveTheSameRegistry) {
  const int year = 2024;
  const auto first = write(roster(3000, false)), second = write(roster(3000, true));
  struct Rm {
    std::vector<std::string> ps;
    ~Rm() {
      for (auto& p : ps) std::filesystem::remove(p);
    }
  } rm{{first, second}};

  // Bulk: an empty registry takes the first-load path.
  store::Store* bulk = st_.get();
  // Live: one person already registered elsewhere (晋城) makes it a later import.
  auto live_st = db_->open();
  {
    RegionCode v = *RegionCode::parse("140502001001");
    std::string id = make_id("140502", "19700101", 1);
    store::Person p;
    p.id_number = id;
    p.name = "哨兵";
    p.birth = *Date::parse("1970-01-01");
    p.household = "SENTINEL";
    p.hukou = v;
    auto tx = live_st->transaction();
    live_st->put_households(std::vector<store::Household>{{"SENTINEL", v, id, ""}});
    live_st->put_persons(std::vector<store::Person>{p});
    tx.commit();
  }

  auto rb = import_roster(*bulk, first, opts(year));
  ASSERT_TRUE(rb.committed) << rb.report_json();
  auto rl = import_roster(*live_st, first, opts(year));
  ASSERT_TRUE(rl.committed) << rl.report_json();
  EXPECT_EQ(rb.rows_written, 3000);
  EXPECT_EQ(rl.rows_written, 3000);
  Snapshot a = snapshot(*bulk, year), b = snapshot(*live_st, year);
  EXPECT_EQ(a.persons.size(), 3000u);
  EXPECT_EQ(a.enrollments.size(), 3000u);
  EXPECT_FALSE(a.counters.empty());
  EXPECT_EQ(a.persons, b.persons);
  EXPECT_EQ(a.households, b.households);
  EXPECT_EQ(a.enrollments, b.enrollments);
  EXPECT_EQ(a.counters, b.counters);
  EXPECT_EQ(place_days(a), a.recount);
  EXPECT_EQ(place_days(b), b.recount);

  // A changed roster on top: updates, newcomers, the existing enrollments kept.
  auto rb2 = import_roster(*bulk, second, opts(year));
  ASSERT_TRUE(rb2.committed) << rb2.report_json();
  auto rl2 = import_roster(*live_st, second, opts(year));
  ASSERT_TRUE(rl2.committed) << rl2.report_json();
  Snapshot a2 = snapshot(*bulk, year), b2 = snapshot(*live_st, year);
  EXPECT_EQ(a2.persons.size(), 3020u);
  EXPECT_EQ(a2.enrollments.size(), 3020u);
  EXPECT_EQ(a2.persons, b2.persons);
  EXPECT_EQ(a2.households, b2.households);
  EXPECT_EQ(a2.enrollments, b2.enrollments);
  EXPECT_EQ(a2.counters, b2.counters);
  EXPECT_EQ(place_days(a2), a2.recount);
  EXPECT_NE(a2.persons, a.persons);  // the second roster did change something
}

// The pause is a no-op once enrollments exist, and a rolled-back load leaves
// the trigger counting.
TEST_P(BulkPathTest, CountersPauseOnlyOnAnEmptyTableAndRollbackRestoresTheTrigger) {
  const std::string id = make_id("341702", "19800101", 7);
  RegionCode v = *RegionCode::parse("341702100201");
  store::Person p;
  p.id_number = id;
  p.name = "甲";
  p.birth = *Date::parse("1980-01-01");
  p.household = "H1";
  p.hukou = v;
  store::Enrollment e;
  e.person = id;
  e.year = 2024;
  e.place = v;
  e.registered_on = *Date::parse("2023-09-01");
  {
    auto tx = st_->transaction();
    st_->put_households(std::vector<store::Household>{{"H1", v, id, ""}});
    st_->put_persons(std::vector<store::Person>{p});
    store::EnrollmentCountersPaused paused(*st_);
    EXPECT_TRUE(paused.paused());
    st_->add_enrollments(std::vector<store::Enrollment>{e}, false);
    // no finish(), no commit: rolled back
  }
  {
    auto tx = st_->transaction();
    st_->put_households(std::vector<store::Household>{{"H1", v, id, ""}});
    st_->put_persons(std::vector<store::Person>{p});
    st_->add_enrollment(e);  // the trigger counts it
    tx.commit();
  }
  EXPECT_EQ(st_->campaign().counter_totals({}, 2024).registered, 1);
  auto tx = st_->transaction();
  store::EnrollmentCountersPaused paused(*st_);
  EXPECT_FALSE(paused.paused());
  paused.finish();
  tx.commit();
}
