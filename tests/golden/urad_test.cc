// 乌政办发〔2023〕81号 — seven classes, payers, split payers, 脱贫+低保 exception,
// hukou-place condition, open window close, no refund after coverage starts.
#include "golden_util.h"

using namespace canbao;
using namespace canbao::golden;

namespace {
const char* kU = "urad-front-banner";
const char* kVillage = "150823100201";

std::string payers(const Assessment& a) {
  std::string s;
  for (int i = 0; i < a.nlines; ++i) {
    auto& r = policy(kU).subsidies[a.lines[i].rule];
    s += fmt::format("{}{}:{}", s.empty() ? "" : "+", r.payers[a.lines[i].payer].payer, a.lines[i].amount.fen);
  }
  return s;
}
}  // namespace

TEST(Urad, SevenClassesWithPayers) {
  struct {
    std::vector<Category> cats;
    int64_t due;
    const char* payers;
  } cases[] = {
      {{Category::extreme_poverty}, 0, "医保局:40000"},
      {{Category::orphan}, 0, "医保局:40000"},
      {{Category::de_facto_orphan}, 0, "医保局:40000"},
      {{Category::laid_off_worker}, 0, "政府:40000"},
      {{Category::entitled_veteran}, 0, "退役军人事务局:40000"},
      {{Category::minimum_living}, 20000, "医保局:20000"},
      {{Category::monitored}, 0, "医保局:20000+乡村振兴局:20000"},
      {{Category::lifted_from_poverty, Category::minimum_living}, 0, "医保局:20000+乡村振兴局:20000"},
      {{Category::lifted_from_poverty}, 0, "乡村振兴局:40000"},
      {{}, 40000, ""},
  };
  for (auto& c : cases) {
    Person p("1970-01-01", kVillage);
    for (auto cat : c.cats) p.f.categories |= bit(cat);
    auto a = run(kU, p);
    EXPECT_EQ(a.standard.fen, 40000);
    EXPECT_EQ(a.due.fen, c.due) << c.payers;
    EXPECT_EQ(payers(a), c.payers);
    Money sum{};
    for (int i = 0; i < a.nlines; ++i) sum += a.lines[i].amount;
    EXPECT_EQ(sum, a.subsidy);
  }
}

TEST(Urad, LiftedPlusMinimumLivingIsItsOwnRule) {
  Person p("1970-01-01", kVillage, {Category::lifted_from_poverty, Category::minimum_living});
  Trace t;
  auto a = run(kU, p, "2023-11-01", &t);
  EXPECT_EQ(winner(kU, a), "lifted_and_minimum_living");
  int overridden = 0;
  for (auto& e : t) overridden += e.outcome.find("例外规则") != std::string::npos;
  EXPECT_EQ(overridden, 2);
}

TEST(Urad, EqualFullSubsidiesFollowDocumentOrder) {
  Person p("1970-01-01", kVillage, {Category::entitled_veteran, Category::extreme_poverty});
  EXPECT_EQ(payers(run(kU, p)), "医保局:40000");
  Person q("1970-01-01", kVillage, {Category::entitled_veteran, Category::lifted_from_poverty});
  EXPECT_EQ(payers(run(kU, q)), "退役军人事务局:40000");
}

TEST(Urad, SubsidyOnlyAtHukouPlace) {
  Person p("1970-01-01", "150821100201", {Category::extreme_poverty});
  p.residence(kVillage);
  auto a = run(kU, p);
  EXPECT_TRUE(a.eligible);  // 非本旗户籍长期居住人员可在居住地参保
  EXPECT_EQ(a.subsidy.fen, 0);
  EXPECT_EQ(a.due.fen, 40000);
}

TEST(Urad, MinimumLivingListEarlyDecember) {
  Person in_time("1970-01-01", kVillage);
  in_time.since(Category::minimum_living, "2023-12-05");
  EXPECT_EQ(run(kU, in_time).due.fen, 20000);
  Person late("1970-01-01", kVillage);
  late.since(Category::minimum_living, "2023-12-20");
  EXPECT_EQ(run(kU, late).due.fen, 40000);
}

TEST(Urad, WindowOpensSept1CloseLeftOpen) {
  auto base = Person("1980-01-01", kVillage);
  auto a = run(kU, base);
  EXPECT_EQ(a.window_open, D("2023-09-01"));
  EXPECT_FALSE(a.window_close_known);
  EXPECT_EQ(run(kU, Person(base).paid("2023-08-31")).payment, PaymentStatus::outside_window);
  auto dec = run(kU, Person(base).paid("2023-12-31"));
  EXPECT_EQ(dec.payment, PaymentStatus::accepted);
  EXPECT_EQ(dec.coverage_start, D("2024-01-01"));
  auto mar = run(kU, Person(base).paid("2024-03-01"));
  EXPECT_TRUE(mar.open & open_window_close);
  EXPECT_FALSE(mar.has_coverage);
}

TEST(Urad, NewbornFromBirthWithin90Days) {
  auto a = run(kU, Person("2024-02-01", kVillage).paid("2024-05-01"));  // day 90
  EXPECT_EQ(a.coverage_start, D("2024-02-01"));
  EXPECT_EQ(a.due.fen, 40000);
}

TEST(Urad, NoRefundAfterCoverageStarts) {
  EXPECT_EQ(policy(kU).refund, Policy::Refund::not_after_coverage_start);
}
