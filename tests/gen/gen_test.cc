// Tests for the synthetic roster generator (src/io/gen.h).
#include "io/gen.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/id_number.h"
#include "core/region_code.h"
#include "policy/category.h"

namespace canbao::io {
namespace {

enum Col { kId, kName, kHousehold, kHukou, kResidence, kCategories, kGrade, kEvent, kEventDate,
           kEmployeeMonths, kParentInsured, kPaidOn, kCols };

RegionCode region(const char* s) { return *RegionCode::parse(s); }

GenOptions options(const char* reg, int64_t persons, uint64_t seed = 1) {
  GenOptions o;
  o.region = region(reg);
  o.year = 2024;
  o.window_open = Date::from_ymd(2023, 9, 1);
  o.window_close = Date::from_ymd(2023, 12, 31);
  o.persons = persons;
  o.seed = seed;
  return o;
}

std::string generate(const GenOptions& o) {
  std::ostringstream s;
  generate_roster(o, s);
  return s.str();
}

// Calls f(fields) for each data row; returns the row count. Checks the header.
template <class F>
int64_t each_row(const std::string& csv, F&& f) {
  size_t pos = csv.find('\n');
  EXPECT_EQ(csv.substr(0, pos), kRosterHeader);
  std::array<std::string_view, kCols> fields;
  int64_t rows = 0;
  std::string_view all(csv);
  for (size_t start = pos + 1; start < all.size();) {
    size_t end = all.find('\n', start);
    std::string_view line = all.substr(start, end - start);
    size_t n = 0, a = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ',') {
        if (n < kCols) fields[n] = line.substr(a, i - a);
        ++n;
        a = i + 1;
      }
    }
    EXPECT_EQ(n, static_cast<size_t>(kCols)) << line;
    f(fields);
    ++rows;
    start = end + 1;
  }
  return rows;
}

CategoryMask parse_categories(std::string_view s) {
  CategoryMask m = 0;
  while (!s.empty()) {
    size_t semi = s.find(';');
    auto c = parse_category(s.substr(0, semi));
    EXPECT_TRUE(c.has_value()) << s;
    if (c) m |= bit(*c);
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return m;
}

int age_in_year(std::string_view id, int year) { return year - std::stoi(std::string(id.substr(6, 4))); }

TEST(Gen, HeaderAndExactRowCount) {
  auto csv = generate(options("341702", 12345));
  EXPECT_EQ(each_row(csv, [](auto&) {}), 12345);
  EXPECT_EQ(csv.back(), '\n');
}

TEST(Gen, DeterministicForASeed) {
  auto a = generate(options("341702", 20000, 7));
  auto b = generate(options("341702", 20000, 7));
  auto c = generate(options("341702", 20000, 8));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // A prefix of a longer run is the shorter run, except the truncated last household.
  auto longer = generate(options("341702", 40000, 7));
  EXPECT_EQ(longer.substr(0, a.size() / 2), a.substr(0, a.size() / 2));
}

TEST(Gen, ProgressEvery64kRowsAndAtTheEnd) {
  std::vector<int64_t> calls;
  std::ostringstream s;
  generate_roster(options("341702", 150000), s, [&](int64_t n) { calls.push_back(n); });
  EXPECT_EQ(calls, (std::vector<int64_t>{65536, 131072, 150000}));
}

TEST(Gen, IdsValidAndFitPrefixAndBirth) {
  // City level: 晋城's six county-level units.
  auto o = options("140500", 100000);
  auto csv = generate(o);
  const std::set<std::string> counties = {"140502", "140521", "140522", "140524", "140525", "140581"};
  const Date end_of_year = Date::from_ymd(2024, 12, 31);
  std::map<std::string, int> per_county;
  int64_t outsiders = 0;
  each_row(csv, [&](auto& f) {
    IdError err;
    auto id = IdNumber::parse(f[kId], end_of_year, &err);
    ASSERT_TRUE(id.has_value()) << f[kId] << " " << id_error_message(err);
    EXPECT_EQ(id->str(), f[kId]);
    EXPECT_EQ(f[kId].substr(0, 6), f[kHukou].substr(0, 6));  // registered where the hukou is
    std::string prefix(f[kId].substr(0, 6));
    if (counties.count(prefix)) ++per_county[prefix];
    else ++outsiders;
    int age = age_in_year(f[kId], 2024);
    EXPECT_GE(age, 0);
    EXPECT_LE(age, 100);
  });
  EXPECT_EQ(per_county.size(), 6u);
  // 泽州 (391890 target) is larger than 沁水 (152048).
  EXPECT_GT(per_county["140525"], per_county["140521"]);
  EXPECT_GT(outsiders, 1500);
  EXPECT_LT(outsiders, 5000);
}

TEST(Gen, CountyAndTownshipPrefixes) {
  each_row(generate(options("341702", 20000)), [&](auto& f) {
    if (f[kResidence].size() == 12 && f[kResidence] != f[kHukou]) { EXPECT_NE(f[kId].substr(0, 6), "341702"); }
    else { EXPECT_EQ(f[kId].substr(0, 6), "341702"); }
  });
  each_row(generate(options("150424101", 20000)), [&](auto& f) {
    if (f[kHukou].substr(0, 9) == "150424101") EXPECT_EQ(f[kId].substr(0, 6), "150424");
    else EXPECT_EQ(f[kResidence].substr(0, 9), "150424101");
  });
}

TEST(Gen, UniqueIdsOverAMillionRows) {
  // A single township: one prefix, the tightest ID space.
  auto csv = generate(options("150424101", 1'000'000, 3));
  std::unordered_set<uint64_t> seen;
  seen.reserve(1'100'000);
  int64_t dups = 0;
  const int64_t rows = each_row(csv, [&](auto& f) {
    uint64_t v = std::stoull(std::string(f[kId].substr(0, 17)));  // the check char follows from these
    if (!seen.insert(v).second) ++dups;
  });
  EXPECT_EQ(rows, 1'000'000);
  EXPECT_EQ(dups, 0);
}

TEST(Gen, HouseholdsConsecutiveOneToSeven) {
  auto csv = generate(options("341702", 200000));
  std::unordered_set<std::string> closed;
  std::string current;
  std::string current_hukou, current_residence;
  int size = 0;
  std::map<int, int64_t> sizes;
  int64_t households = 0, persons = 0;
  auto close = [&] {
    if (size == 0) return;
    EXPECT_GE(size, 1);
    EXPECT_LE(size, 7);
    ++sizes[size];
    ++households;
    persons += size;
    EXPECT_TRUE(closed.insert(current).second) << "household split: " << current;
  };
  each_row(csv, [&](auto& f) {
    std::string hh(f[kHousehold]);
    if (hh != current) {
      close();
      current = hh;
      size = 0;
      current_hukou = f[kHukou];
      current_residence = f[kResidence];
      // "H341702100201-000123": H + 12-digit village + '-' + at least 6 digits.
      ASSERT_GE(hh.size(), 20u);
      EXPECT_EQ(hh[0], 'H');
      EXPECT_EQ(hh[13], '-');
      EXPECT_EQ(hh.substr(1, 6), "341702");
    }
    EXPECT_EQ(f[kHukou], current_hukou);  // a household shares its hukou and residence
    EXPECT_EQ(f[kResidence], current_residence);
    ++size;
  });
  close();
  double mean = static_cast<double>(persons) / households;
  EXPECT_GT(mean, 2.8);
  EXPECT_LT(mean, 3.4);
  EXPECT_EQ(sizes.size(), 7u);
  EXPECT_GT(sizes[1], households / 10);
}

TEST(Gen, HukouInsideRegion) {
  for (const char* reg : {"341702", "140500", "150424101"}) {
    auto rc = region(reg);
    int64_t rows = 0, outside = 0, same = 0, empty = 0;
    each_row(generate(options(reg, 50000)), [&](auto& f) {
      ++rows;
      auto hukou = RegionCode::parse(f[kHukou]);
      ASSERT_TRUE(hukou.has_value());
      EXPECT_EQ(hukou->level(), RegionCode::village) << f[kHukou];
      if (hukou->inside(rc)) {
        if (f[kResidence].empty()) ++empty;
        else { EXPECT_EQ(f[kResidence], f[kHukou]); ++same; }
      } else {
        ++outside;  // 居住证: residence inside the region
        auto res = RegionCode::parse(f[kResidence]);
        ASSERT_TRUE(res.has_value()) << f[kResidence];
        EXPECT_TRUE(res->inside(rc)) << f[kResidence];
        EXPECT_NE(f[kHukou].substr(0, 6), f[kResidence].substr(0, 6));  // another county
      }
    });
    EXPECT_GT(outside, rows * 15 / 1000) << reg;
    EXPECT_LT(outside, rows * 45 / 1000) << reg;
    EXPECT_GT(empty, same) << reg;
  }
}

TEST(Gen, CategoryRatesLikeARuralCounty) {
  auto csv = generate(options("341702", 200000, 11));
  std::array<int64_t, kCategoryCount> count{};
  int64_t rows = 0, two_or_more = 0, grade34 = 0, students = 0, age3_18 = 0, migrants = 0, age18_55 = 0,
          university = 0, age18_22 = 0;
  std::map<std::string, CategoryMask> household_cats;
  constexpr CategoryMask kHouseholdLevel = bit(Category::minimum_living) | bit(Category::lifted_from_poverty) |
                                           bit(Category::monitored) | bit(Category::low_income);
  each_row(csv, [&](auto& f) {
    ++rows;
    CategoryMask m = parse_categories(f[kCategories]);
    for (int c = 0; c < kCategoryCount; ++c) count[c] += (m >> c) & 1;
    if (std::popcount(m) >= 2) ++two_or_more;
    int age = age_in_year(f[kId], 2024);
    if (m & bit(Category::severe_disability)) {
      EXPECT_TRUE(f[kGrade] == "1" || f[kGrade] == "2") << f[kGrade];
    } else if (!f[kGrade].empty()) {
      EXPECT_TRUE(f[kGrade] == "3" || f[kGrade] == "4") << f[kGrade];
      ++grade34;
    }
    if (age >= 3 && age <= 18) { ++age3_18; students += (m & bit(Category::student)) != 0; }
    if (age >= 18 && age <= 22) { ++age18_22; university += (m & bit(Category::university_student)) != 0; }
    if (age >= 18 && age <= 55) { ++age18_55; migrants += (m & bit(Category::migrant_worker)) != 0; }
    if (m & bit(Category::student)) { EXPECT_GE(age, 3); EXPECT_LE(age, 18); }
    if (m & bit(Category::university_student)) { EXPECT_GE(age, 18); EXPECT_LE(age, 22); }
    // Household-level categories are shared by every member.
    std::string hh(f[kHousehold]);
    auto [it, fresh] = household_cats.emplace(hh, m & kHouseholdLevel);
    if (!fresh) { EXPECT_EQ(it->second, m & kHouseholdLevel) << hh; }
  });
  auto share = [&](Category c) { return static_cast<double>(count[static_cast<int>(c)]) / rows; };
  EXPECT_GE(share(Category::minimum_living), 0.03);
  EXPECT_LE(share(Category::minimum_living), 0.05);
  EXPECT_GE(share(Category::extreme_poverty), 0.005);
  EXPECT_LE(share(Category::extreme_poverty), 0.01);
  EXPECT_GE(share(Category::lifted_from_poverty), 0.08);
  EXPECT_LE(share(Category::lifted_from_poverty), 0.12);
  EXPECT_GE(share(Category::monitored), 0.01);
  EXPECT_LE(share(Category::monitored), 0.02);
  EXPECT_GE(share(Category::severe_disability), 0.01);
  EXPECT_LE(share(Category::severe_disability), 0.02);
  EXPECT_GE(share(Category::employee_insured), 0.04);
  EXPECT_LE(share(Category::employee_insured), 0.06);
  for (Category c : {Category::orphan, Category::de_facto_orphan, Category::entitled_veteran,
                     Category::relapsed_poverty, Category::low_income, Category::retired_fisher,
                     Category::family_planning_hardship, Category::severe_mental_illness,
                     Category::laid_off_worker}) {
    EXPECT_GT(count[static_cast<int>(c)], 0) << category_id(c);
    EXPECT_LT(share(c), 0.01) << category_id(c);
  }
  EXPECT_GT(static_cast<double>(students) / age3_18, 0.9);
  EXPECT_GT(static_cast<double>(university) / age18_22, 0.15);
  EXPECT_LT(static_cast<double>(university) / age18_22, 0.5);
  EXPECT_GT(static_cast<double>(migrants) / age18_55, 0.08);
  EXPECT_LT(static_cast<double>(migrants) / age18_55, 0.12);
  EXPECT_GT(static_cast<double>(grade34) / rows, 0.01);
  EXPECT_GT(two_or_more, rows / 100);
}

TEST(Gen, AgePyramidOfARuralCounty) {
  std::array<int64_t, 101> ages{};
  int64_t rows = each_row(generate(options("341702", 200000, 5)), [&](auto& f) { ++ages[age_in_year(f[kId], 2024)]; });
  auto band = [&](int lo, int hi) {
    int64_t n = 0;
    for (int a = lo; a <= hi; ++a) n += ages[a];
    return static_cast<double>(n) / rows;
  };
  EXPECT_GT(band(40, 70), 0.38);
  EXPECT_LT(band(40, 70), 0.60);
  EXPECT_GT(band(0, 14), 0.08);
  EXPECT_LT(band(0, 14), 0.20);
  EXPECT_LT(band(0, 14), band(50, 64));  // fewer children than people in their fifties/early sixties
  EXPECT_GT(band(80, 100), 0.01);
  EXPECT_LT(band(80, 100), 0.08);
}

TEST(Gen, NewbornsBornInTheCoverageYear) {
  int64_t newborns = 0, insured_parent = 0;
  const Date jan1 = Date::from_ymd(2024, 1, 1), dec31 = Date::from_ymd(2024, 12, 31);
  int64_t rows = each_row(generate(options("341702", 200000, 9)), [&](auto& f) {
    auto id = IdNumber::parse(f[kId], dec31);
    ASSERT_TRUE(id.has_value());
    bool born_this_year = id->birth_date() >= jan1;
    EXPECT_EQ(born_this_year, f[kEvent] == "birth") << f[kId];
    if (!born_this_year) {
      EXPECT_TRUE(f[kParentInsured].empty());
      return;
    }
    ++newborns;
    EXPECT_EQ(Date::parse(f[kEventDate]), id->birth_date());
    EXPECT_TRUE(f[kParentInsured] == "yes" || f[kParentInsured] == "no");
    insured_parent += f[kParentInsured] == "yes";
    EXPECT_TRUE(f[kPaidOn].empty());
  });
  EXPECT_GT(newborns, rows * 3 / 1000);
  EXPECT_LT(newborns, rows * 10 / 1000);
  EXPECT_GT(insured_parent, newborns * 8 / 10);
}

TEST(Gen, LifeEventsInTheCoverageYear) {
  std::map<std::string, int64_t> events;
  each_row(generate(options("341702", 200000, 13)), [&](auto& f) {
    if (f[kEvent].empty()) {
      EXPECT_TRUE(f[kEventDate].empty());
      EXPECT_TRUE(f[kEmployeeMonths].empty());
      return;
    }
    ++events[std::string(f[kEvent])];
    EXPECT_TRUE(parse_event(f[kEvent]).has_value()) << f[kEvent];
    auto d = Date::parse(f[kEventDate]);
    ASSERT_TRUE(d.has_value()) << f[kEventDate];
    EXPECT_EQ(d->year(), 2024);
    if (f[kEvent] == "employee_insurance_ended") {
      int months = std::stoi(std::string(f[kEmployeeMonths]));
      EXPECT_GE(months, 1);
      EXPECT_LE(months, 400);
    } else {
      EXPECT_TRUE(f[kEmployeeMonths].empty());
    }
  });
  for (const char* e : {"birth", "discharged_from_army", "released_from_prison", "employee_insurance_ended"})
    EXPECT_GT(events[e], 0) << e;
}

TEST(Gen, PaidOnInsideWindowOnAllowedDays) {
  // 晋城: 2023-09-01 .. 2023-12-25, only days 1–25 of each month.
  auto o = options("140500", 100000, 21);
  o.window_close = Date::from_ymd(2023, 12, 25);
  o.allowed_day_max = 25;
  o.paid_share = 0.6;
  int64_t paid = 0;
  std::set<int> days;
  int64_t rows = each_row(generate(o), [&](auto& f) {
    if (f[kPaidOn].empty()) return;
    ++paid;
    auto d = Date::parse(f[kPaidOn]);
    ASSERT_TRUE(d.has_value()) << f[kPaidOn];
    EXPECT_GE(*d, o.window_open);
    EXPECT_LE(*d, o.window_close);
    EXPECT_LE(d->day(), 25) << f[kPaidOn];
    days.insert(d->days);
    EXPECT_EQ(parse_categories(f[kCategories]) & bit(Category::employee_insured), 0u);
  });
  EXPECT_GT(paid, rows * 52 / 100);
  EXPECT_LT(paid, rows * 62 / 100);
  EXPECT_GT(days.size(), 80u);  // spread over the window, not one day

  o.paid_share = 0.0;
  each_row(generate(o), [&](auto& f) { EXPECT_TRUE(f[kPaidOn].empty()); });
}

TEST(Gen, DefaultWindowIsAutumnOfThePreviousYear) {
  GenOptions o;
  o.region = region("421223200");
  o.persons = 5000;
  o.paid_share = 1.0;
  each_row(generate(o), [&](auto& f) {
    if (f[kPaidOn].empty()) return;
    auto d = *Date::parse(f[kPaidOn]);
    EXPECT_GE(d, Date::from_ymd(2023, 9, 1));
    EXPECT_LE(d, Date::from_ymd(2023, 12, 31));
  });
}

TEST(Gen, PlausibleChineseNames) {
  std::set<std::string> distinct;
  int64_t rows = each_row(generate(options("341702", 20000)), [&](auto& f) {
    std::string_view n = f[kName];
    // 2–4 CJK characters of 3 UTF-8 bytes each (lead byte 0xE4..0xE9).
    ASSERT_EQ(n.size() % 3, 0u) << n;
    EXPECT_GE(n.size(), 6u);
    EXPECT_LE(n.size(), 12u);
    for (size_t i = 0; i < n.size(); i += 3) {
      auto lead = static_cast<unsigned char>(n[i]);
      EXPECT_GE(lead, 0xE4);
      EXPECT_LE(lead, 0xE9);
    }
    distinct.insert(std::string(n));
  });
  EXPECT_GT(distinct.size(), static_cast<size_t>(rows / 4));
}

TEST(Gen, ProvinceAndVillageRegions) {
  for (const char* reg : {"34", "341702100201"}) {
    auto rc = region(reg);
    int64_t inside = 0;
    int64_t rows = each_row(generate(options(reg, 5000)), [&](auto& f) {
      auto h = *RegionCode::parse(f[kHukou]);
      inside += h.inside(rc);
      ASSERT_TRUE(IdNumber::parse(f[kId], Date::from_ymd(2024, 12, 31)).has_value());
    });
    EXPECT_GT(inside, rows * 9 / 10) << reg;
  }
  EXPECT_THROW(generate(GenOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace canbao::io
