// 晋市医保发〔2023〕10号 — standard, window with days 1–25, subsidies, unspecified rule.
#include "golden_util.h"

using namespace canbao;
using namespace canbao::golden;

namespace {
const char* kJ = "jincheng";
const char* kVillage = "140525100201";  // 泽州县
}  // namespace

TEST(Jincheng, StandardAndTargets) {
  auto& p = policy(kJ);
  EXPECT_EQ(p.individual_standard.fen, 38000);
  EXPECT_FALSE(p.fiscal_subsidy.has_value());
  EXPECT_TRUE(p.family_account_payment);
  int64_t sum = 0;
  for (auto& t : p.targets) sum += t.target;
  EXPECT_EQ(p.targets.size(), 6u);
  EXPECT_EQ(sum, 1583685);
}

TEST(Jincheng, Subsidies) {
  struct {
    std::vector<Category> cats;
    int64_t subsidy, due;
    const char* payer;
  } cases[] = {
      {{Category::monitored}, 28000, 10000, "医疗救助基金"},
      {{Category::relapsed_poverty}, 34200, 3800, "医疗救助基金"},
      {{Category::extreme_poverty}, 38000, 0, "医疗救助基金"},
      {{Category::orphan}, 38000, 0, "医疗救助基金"},
      {{Category::de_facto_orphan}, 38000, 0, "医疗救助基金"},
      {{Category::minimum_living}, 30400, 7600, "医疗救助基金"},
      {{Category::monitored, Category::minimum_living}, 30400, 7600, "医疗救助基金"},
      {{Category::monitored, Category::relapsed_poverty}, 34200, 3800, "医疗救助基金"},
      {{}, 0, 38000, ""},
  };
  for (auto& c : cases) {
    Person p("1970-01-01", kVillage);
    for (auto cat : c.cats) p.f.categories |= bit(cat);
    auto a = run(kJ, p);
    EXPECT_TRUE(a.subsidy_known);
    EXPECT_EQ(a.subsidy.fen, c.subsidy);
    EXPECT_EQ(a.due.fen, c.due);
    if (c.subsidy) EXPECT_EQ(policy(kJ).subsidies[a.lines[0].rule].payers[0].payer, c.payer);
  }
}

TEST(Jincheng, MonitoredExcludesMinimumLivingAndExtremePoverty) {
  Person p("1970-01-01", kVillage, {Category::monitored, Category::minimum_living});
  Trace t;
  run(kJ, p, "2023-11-01", &t);
  bool excluded = false;
  for (auto& e : t)
    if (e.rule == "subsidy.monitored") excluded = e.outcome.find("本项不含") != std::string::npos;
  EXPECT_TRUE(excluded);
}

TEST(Jincheng, VeteranAndDisabilityNeedLocalConfiguration) {
  for (auto cat : {Category::entitled_veteran, Category::severe_disability}) {
    Person p("1960-01-01", kVillage, {cat});
    auto a = run(kJ, p);
    EXPECT_TRUE(a.eligible);
    EXPECT_FALSE(a.subsidy_known);
    EXPECT_FALSE(a.due_known);
    EXPECT_TRUE(a.open & open_subsidy_unspecified);
    EXPECT_NE(assessment_reason(policy(kJ), a).find("需本地配置"), std::string::npos);
  }
  // 低保 + 优抚: 304 is known, but the unspecified rule might be higher → still open.
  Person both("1960-01-01", kVillage, {Category::entitled_veteran, Category::minimum_living});
  auto a = run(kJ, both);
  EXPECT_FALSE(a.due_known);
  EXPECT_EQ(a.subsidy.fen, 30400);  // lower bound shown
  // 特困 + 重度残疾: full subsidy already, nothing can be higher → decided.
  Person full("1960-01-01", kVillage, {Category::extreme_poverty, Category::severe_disability});
  auto b = run(kJ, full);
  EXPECT_TRUE(b.due_known);
  EXPECT_TRUE(b.subsidy_known);
  EXPECT_EQ(b.due.fen, 0);
}

TEST(Jincheng, WindowDays1To25) {
  auto base = Person("1980-01-01", kVillage);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-09-01")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-10-25")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-10-26")).payment, PaymentStatus::outside_window);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-10-31")).payment, PaymentStatus::outside_window);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-11-01")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-12-25")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-12-26")).payment, PaymentStatus::outside_window);
  EXPECT_EQ(run(kJ, Person(base).paid("2023-08-31")).payment, PaymentStatus::outside_window);
  auto a = run(kJ, Person(base).paid("2023-12-25"));
  EXPECT_EQ(a.coverage_start, D("2024-01-01"));
  EXPECT_EQ(a.coverage_end, D("2024-12-31"));
}
