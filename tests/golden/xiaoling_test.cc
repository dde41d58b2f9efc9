// 肖岭乡通知 (2023-10-12) — 380; full / 342 / 190 / 80; newborn waiver; targets.
#include "golden_util.h"

using namespace canbao;
using namespace canbao::golden;

namespace {
const char* kX = "xiaoling";
const char* kVillage = "421223200201";
}  // namespace

TEST(Xiaoling, TargetsAndTotals) {
  auto& p = policy(kX);
  ASSERT_EQ(p.targets.size(), 10u);
  int64_t pop = 0, target = 0, xhb = 0;
  for (auto& t : p.targets) {
    target += t.target;
    pop += t.extra[0].second;
    xhb += t.extra[2].second;
  }
  EXPECT_EQ(target, 31053);
  EXPECT_EQ(pop, 39140);
  EXPECT_EQ(xhb, 7997);
  EXPECT_EQ(p.region.str(), "421223200");
}

TEST(Xiaoling, Subsidies) {
  struct {
    std::vector<Category> cats;
    const char* birth;
    int grade;
    int64_t subsidy;
  } cases[] = {
      {{Category::extreme_poverty}, "1960-01-01", 0, 38000},
      {{Category::orphan}, "2015-01-01", 0, 38000},
      {{Category::severe_mental_illness}, "1970-01-01", 0, 38000},
      {{Category::family_planning_hardship}, "1960-01-01", 0, 38000},
      {{Category::severe_disability}, "1970-01-01", 2, 38000},
      {{Category::severe_disability}, "1970-01-01", 3, 0},
      {{Category::entitled_veteran}, "1950-01-01", 0, 38000},
      {{Category::minimum_living}, "1970-01-01", 0, 34200},
      {{Category::relapsed_poverty}, "1970-01-01", 0, 34200},
      {{Category::monitored}, "1970-01-01", 0, 19000},
      {{Category::low_income}, "1964-01-01", 0, 19000},  // 60 on 2024-01-01
      {{Category::low_income}, "1964-01-02", 0, 0},      // 59
      {{Category::low_income}, "2006-01-02", 0, 19000},  // 17 on 2024-01-01
      {{Category::low_income}, "2006-01-01", 0, 0},      // 18
      {{Category::lifted_from_poverty}, "1970-01-01", 0, 8000},
      {{Category::lifted_from_poverty, Category::monitored}, "1970-01-01", 0, 19000},
      {{}, "1970-01-01", 0, 0},
  };
  for (auto& c : cases) {
    Person p(c.birth, kVillage);
    for (auto cat : c.cats) p.f.categories |= bit(cat);
    p.grade(c.grade);
    auto a = run(kX, p);
    EXPECT_EQ(a.subsidy.fen, c.subsidy) << c.birth;
    EXPECT_EQ(a.due.fen, 38000 - c.subsidy) << c.birth;
  }
}

TEST(Xiaoling, NewbornWithInsuredParentPaysNothing) {
  auto a = run(kX, Person("2024-03-01", kVillage).parent_insured(true).registered("2024-05-30"));  // day 90
  EXPECT_EQ(a.due.fen, 0);
  EXPECT_EQ(a.mode, SubsidyMode::waived);
  EXPECT_EQ(a.coverage_start, D("2024-03-01"));
  EXPECT_EQ(a.payment, PaymentStatus::accepted);
  auto late = run(kX, Person("2024-03-01", kVillage).parent_insured(true).registered("2024-05-31"));  // day 91
  EXPECT_EQ(late.due.fen, 38000);
  auto uninsured = run(kX, Person("2024-03-01", kVillage).parent_insured(false).registered("2024-04-01"));
  EXPECT_EQ(uninsured.due.fen, 38000);
  // Born 2023: the waiver was for 2023; in 2024 (次年) the child pays.
  auto born2023 = run(kX, Person("2023-11-20", kVillage).parent_insured(true).paid("2023-12-01"));
  EXPECT_EQ(born2023.due.fen, 38000);
}

TEST(Xiaoling, WindowAndNoHukouLimit) {
  auto base = Person("1980-01-01", "421281100201").residence(kVillage);
  EXPECT_TRUE(run(kX, base).eligible);  // 不受户籍限制
  EXPECT_EQ(run(kX, Person(base).paid("2023-09-07")).payment, PaymentStatus::outside_window);
  EXPECT_EQ(run(kX, Person(base).paid("2023-09-08")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kX, Person(base).paid("2023-12-31")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kX, Person(base).paid("2024-01-01")).payment, PaymentStatus::outside_window);
  Person emp("1980-01-01", kVillage, {Category::employee_insured});
  EXPECT_FALSE(run(kX, emp).eligible);
}
