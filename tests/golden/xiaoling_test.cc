// 肖岭乡通知 (2023-10-12) — 380; full / 342 / 190 / 80; newborn waiver; targets.
#include "golden_util.h"

#include "assess/report.h"

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
  // Parents not insured in the province and the baby's hukou elsewhere: neither branch of 一.
  auto uninsured = run(kX, Person("2024-03-01", "421281100201").residence(kVillage).parent_insured(false).registered("2024-04-01"));
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

// Issue 12 item 1. 肖岭 一: "新生儿父母任意一方参加省内城镇职工基本医疗保险或城乡居民医保并按规定缴费的，
// 或父母双方不在省内参加医疗保险且新生儿户籍在本地，在新生儿出生90天内…办理参保登记手续，免缴当年个人参保
// 费用，自出生之日起享受当年城乡居民医保待遇".
TEST(Xiaoling, NewbornWaiverBothBranches) {
  const char* kElsewhere = "421281100201";  // 赤壁市: not this township
  // Second branch: neither parent insured in the province, the baby's hukou is local.
  auto local = run(kX, Person("2024-03-01", kVillage).parent_insured(false).registered("2024-04-01"), "2024-04-01");
  EXPECT_TRUE(local.due_known);
  EXPECT_EQ(local.due.fen, 0);
  EXPECT_EQ(local.mode, SubsidyMode::waived);
  EXPECT_EQ(local.payment, PaymentStatus::accepted);
  EXPECT_EQ(local.coverage_start, D("2024-03-01"));
  // Same parents, hukou elsewhere (living here): neither branch, the baby pays 380.
  auto away = run(kX, Person("2024-03-01", kElsewhere).residence(kVillage).parent_insured(false).registered("2024-04-01"),
                  "2024-04-01");
  EXPECT_TRUE(away.due_known);
  EXPECT_EQ(away.due.fen, 38000);
  // First branch does not ask for a local hukou.
  auto away_insured =
      run(kX, Person("2024-03-01", kElsewhere).residence(kVillage).parent_insured(true).registered("2024-04-01"), "2024-04-01");
  EXPECT_EQ(away_insured.due.fen, 0);
  // Second branch still needs the 90 days.
  auto local_late = run(kX, Person("2024-03-01", kVillage).parent_insured(false).registered("2024-05-31"), "2024-05-31");
  EXPECT_EQ(local_late.due.fen, 38000);
  // Unknown (the roster cell is empty): a clerk neither charges 380 nor waives blindly.
  Trace t;
  auto unknown = run(kX, Person("2024-03-01", kElsewhere).residence(kVillage).registered("2024-04-01"), "2024-04-01", &t);
  EXPECT_FALSE(unknown.due_known);
  EXPECT_NE(assessment_reason(policy(kX), unknown).find("需核实父母参保情况"), std::string::npos);
  bool traced = false;
  for (auto& e : t) traced |= e.outcome.find("需核实父母参保情况") != std::string::npos;
  EXPECT_TRUE(traced);
  // Unknown does not matter once the waiver cannot apply (born 2023, or past 90 days).
  auto old = run(kX, Person("2023-11-20", kVillage).paid("2023-12-01"));
  EXPECT_TRUE(old.due_known);
  EXPECT_EQ(old.due.fen, 38000);
  auto past = run(kX, Person("2024-03-01", kVillage).registered("2024-06-15"), "2024-06-15");
  EXPECT_TRUE(past.due_known);
  EXPECT_EQ(past.due.fen, 38000);
}

// Issue 12 item 3. 肖岭 三: "城乡居民医保征收从2023年9月8日开始，2023年12月31日截止"; newborns only
// through 一's 90 days. After both, an unpaid person cannot pay this year: no cover dates, and a
// baby is never covered before birth.
TEST(Xiaoling, WindowClosedAfterTheCollectionPeriod) {
  auto adult = run(kX, Person("1980-01-01", kVillage), "2024-03-15");
  EXPECT_EQ(payment_status_id(adult.payment), "window_closed");
  EXPECT_FALSE(adult.has_coverage);
  EXPECT_NE(assessment_reason(policy(kX), adult).find("2023-12-31"), std::string::npos);
  // Still inside the window: projected from the period start.
  auto early = run(kX, Person("1980-01-01", kVillage), "2023-12-31");
  EXPECT_EQ(early.payment, PaymentStatus::not_paid);
  EXPECT_EQ(early.coverage_start, D("2024-01-01"));
  // A baby born 2024-03-01, over 90 days and unpaid: no path left this year.
  auto baby = run(kX, Person("2024-03-01", "421223200201").parent_insured(true), "2024-08-01");
  EXPECT_EQ(payment_status_id(baby.payment), "window_closed");
  EXPECT_FALSE(baby.has_coverage);
  // Within 90 days, or assessed before birth: covered from birth, never from 01-01.
  auto young = run(kX, Person("2024-03-01", kVillage).parent_insured(false), "2024-04-01");
  EXPECT_EQ(young.coverage_start, D("2024-03-01"));
  auto unborn = run(kX, Person("2024-03-01", kVillage).parent_insured(false), "2023-11-01");
  EXPECT_TRUE(!unborn.has_coverage || D("2024-03-01") <= unborn.coverage_start);
}

namespace {
std::string payers(const Assessment& a) {
  std::string s;
  for (int i = 0; i < a.nlines; ++i) {
    auto& r = policy(kX).subsidies[a.lines[i].rule];
    s += fmt::format("{}{}:{}", s.empty() ? "" : "+", r.payers[a.lines[i].payer].payer, a.lines[i].amount.fen);
  }
  return s;
}
}  // namespace

// 五(四): "乡民政办负责提供特困供养人员、孤儿、最低生活保障家庭人员、低收入家庭中60岁以上老人和未成年人等
// 人员名单"; 落实资助 is given to 乡退役军人事务站、乡残联、乡卫生院、乡村振兴办. Where no unit 落实资助,
// the amount stands and the payer is left to local configuration.
TEST(Xiaoling, PayersAreTheDocumentsUnits) {
  struct {
    std::vector<Category> cats;
    const char* birth;
    int grade;
    int64_t due;
    const char* payers;
    bool unconfigured;
  } cases[] = {
      {{Category::extreme_poverty}, "1960-01-01", 0, 0, "需本地配置:38000", true},
      {{Category::orphan}, "2015-01-01", 0, 0, "需本地配置:38000", true},
      {{Category::severe_mental_illness}, "1970-01-01", 0, 0, "乡卫生院:38000", false},
      {{Category::family_planning_hardship}, "1960-01-01", 0, 0, "乡卫生院:38000", false},
      {{Category::severe_disability}, "1970-01-01", 1, 0, "乡残联:38000", false},
      {{Category::entitled_veteran}, "1950-01-01", 0, 0, "乡退役军人事务站:38000", false},
      {{Category::minimum_living}, "1970-01-01", 0, 3800, "需本地配置:34200", true},
      {{Category::relapsed_poverty}, "1970-01-01", 0, 3800, "乡村振兴办:34200", false},
      {{Category::monitored}, "1970-01-01", 0, 19000, "乡村振兴办:19000", false},
      {{Category::low_income}, "1960-01-01", 0, 19000, "需本地配置:19000", true},
      {{Category::low_income}, "2010-01-01", 0, 19000, "需本地配置:19000", true},
      {{Category::lifted_from_poverty}, "1970-01-01", 0, 30000, "乡村振兴办:8000", false},
      // Equal amounts: the identity whose payer the document names is used.
      {{Category::minimum_living, Category::relapsed_poverty}, "1970-01-01", 0, 3800, "乡村振兴办:34200", false},
  };
  for (auto& c : cases) {
    Person p(c.birth, kVillage);
    for (auto cat : c.cats) p.f.categories |= bit(cat);
    p.grade(c.grade);
    auto a = run(kX, p);
    EXPECT_EQ(a.due.fen, c.due) << c.payers;
    EXPECT_TRUE(a.due_known) << c.payers;
    EXPECT_EQ(payers(a), c.payers);
    auto reason = assessment_reason(policy(kX), a);
    EXPECT_EQ(reason.find("资助部门需本地配置") != std::string::npos, c.unconfigured) << c.payers << " " << reason;
  }
  for (auto& r : policy(kX).subsidies)
    for (auto& pl : r.payers) {
      EXPECT_NE(pl.payer, "民政") << r.id;
      EXPECT_NE(pl.payer, "卫健") << r.id;
    }
}

// 二(二) "特困人员（含孤儿）": 事实无人抚养儿童 is not named, so this rule gives them nothing.
TEST(Xiaoling, DeFactoOrphanIsNotInTheList) {
  auto a = run(kX, Person("2015-01-01", kVillage, {Category::de_facto_orphan}));
  EXPECT_EQ(a.subsidy.fen, 0);
  EXPECT_EQ(a.due.fen, 38000);
  EXPECT_EQ(run(kX, Person("2015-01-01", kVillage, {Category::orphan})).subsidy.fen, 38000);
}
