// 乌政办发〔2023〕81号 — seven classes, payers, split payers, 脱贫+低保 exception,
// hukou-place condition, open window close, no refund after coverage starts.
#include "golden_util.h"

#include "assess/report.h"

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

// Issue 12 item 2. 乌政办发〔2023〕81号 一(三): "新生儿出生90天内由监护人按相关规定办理参保登记手续的，
// 自出生之日起发生的医疗费用均可纳入医保报销": the 90 days run to the registration, not to the payment.
TEST(Urad, NewbornNinetyDaysRunToRegistration) {
  // Born 2024-02-01: day 79 is 2024-04-20, day 99 is 2024-05-10, day 90 is 2024-05-01.
  auto a = run(kU, Person("2024-02-01", kVillage).registered("2024-04-20").paid("2024-05-10"), "2024-05-10");
  EXPECT_EQ(a.payment, PaymentStatus::accepted);
  EXPECT_TRUE(a.has_coverage);
  EXPECT_EQ(a.coverage_start, D("2024-02-01"));
  EXPECT_EQ(a.due.fen, 40000);
  // Registered on day 91: the document says nothing more (and names no closing day).
  auto late = run(kU, Person("2024-02-01", kVillage).registered("2024-05-02").paid("2024-05-02"), "2024-05-02");
  EXPECT_NE(late.payment, PaymentStatus::accepted);
  // Registered in time, not yet paid: projected from birth.
  auto unpaid = run(kU, Person("2024-02-01", kVillage).registered("2024-04-20"), "2024-06-01");
  EXPECT_EQ(unpaid.payment, PaymentStatus::not_paid);
  EXPECT_EQ(unpaid.coverage_start, D("2024-02-01"));
}

// Issue 12 item 3. 方案 三 gives only the opening day: inside the year an unpaid adult is not
// "window_closed" but needs local configuration, with no cover dates; a baby past 90 days likewise.
TEST(Urad, UnpaidInsideTheYearNeedsLocalConfiguration) {
  auto adult = run(kU, Person("1980-01-01", kVillage), "2024-03-01");
  EXPECT_NE(payment_status_id(adult.payment), "window_closed");
  EXPECT_TRUE(adult.open & open_window_close);
  EXPECT_FALSE(adult.has_coverage);
  EXPECT_NE(assessment_reason(policy(kU), adult).find("需本地配置"), std::string::npos);
  auto baby = run(kU, Person("2024-03-01", kVillage), "2024-08-01");
  EXPECT_TRUE(baby.open & open_window_close);
  EXPECT_TRUE(!baby.has_coverage || D("2024-03-01") <= baby.coverage_start);
}

// 二(二)4 "单纯低保户：……医保局代缴200元，个人缴纳200元，具体缴费时间另行通知": the personal 200's
// window is not the general one; it is reported as needing local configuration.
TEST(Urad, MinimumLivingPersonalShareWindowIsLocalConfiguration) {
  Person p("1970-01-01", kVillage, {Category::minimum_living});
  Trace t;
  auto a = run(kU, p, "2023-11-01", &t);
  EXPECT_EQ(a.due.fen, 20000);
  EXPECT_FALSE(a.has_window);
  auto reason = assessment_reason(policy(kU), a);
  EXPECT_NE(reason.find("另行通知"), std::string::npos) << reason;
  EXPECT_NE(reason.find("需本地配置"), std::string::npos) << reason;
  bool traced = false;
  for (auto& e : t) traced = traced || e.outcome.find("另行通知") != std::string::npos;
  EXPECT_TRUE(traced);
  auto paid = run(kU, Person(p).paid("2023-11-01"));
  EXPECT_EQ(paid.payment, PaymentStatus::undetermined);
  EXPECT_EQ(paid.window, -1);
  EXPECT_FALSE(paid.has_coverage);
  // Nobody else's window changes: 脱贫+低保 pays nothing, a plain resident pays in the general window.
  auto both = run(kU, Person("1970-01-01", kVillage, {Category::lifted_from_poverty, Category::minimum_living}).paid("2023-11-01"));
  EXPECT_EQ(both.payment, PaymentStatus::accepted);
  EXPECT_TRUE(both.has_window);
  auto plain = run(kU, Person("1970-01-01", kVillage).paid("2023-11-01"));
  EXPECT_EQ(plain.payment, PaymentStatus::accepted);
  EXPECT_EQ(plain.window_open, D("2023-09-01"));
  // Listed after 12-10: no 200 from 医保局, so the full 400 in the general window.
  Person late("1970-01-01", kVillage);
  late.since(Category::minimum_living, "2023-12-20");
  auto l = run(kU, Person(late).paid("2023-12-25"));
  EXPECT_EQ(l.due.fen, 40000);
  EXPECT_EQ(l.payment, PaymentStatus::accepted);
}

// 五 注 "断保或新参保人员（2023年前未在乌拉特前旗参加居民医保的人员）经医保经办机构或…
// 服务站（点）进行参保登记后，方可进行自主缴费": a roster row saying the person was not
// insured here last year and paid before registering is flagged (issue 12 item 6).
TEST(Urad, NewOrLapsedPaidBeforeRegisteringIsFlagged) {
  auto& p = policy(kU);
  ASSERT_TRUE(p.register_before_self_payment);
  EXPECT_EQ(p.register_first_source.cite, "乌政办发〔2023〕81号 方案 五 注");
  auto person = [](int last_year) {
    Person x("1980-01-01", kVillage);
    x.f.insured_last_year = static_cast<int8_t>(last_year);
    return x;
  };
  Trace t;
  auto a = run(kU, person(0).paid("2023-10-01").registered("2023-10-08"), "2023-11-01", &t);
  EXPECT_TRUE(a.open & open_registration_first);
  EXPECT_EQ(a.payment, PaymentStatus::accepted);  // the money is in; the order is for the clerk to verify
  std::string why = assessment_reason(p, a);
  EXPECT_NE(why.find("须先参保登记方可自主缴费"), std::string::npos) << why;
  EXPECT_NE(why.find("五 注"), std::string::npos) << why;
  bool traced = false;
  for (auto& e : t)
    if (e.rule == "registration") {
      traced = true;
      EXPECT_EQ(e.cite, "乌政办发〔2023〕81号 方案 五 注");
      EXPECT_NE(e.outcome.find("缴费日2023-10-01早于参保登记日2023-10-08"), std::string::npos) << e.outcome;
    }
  EXPECT_TRUE(traced);
  // Registered first (or the same day, or no separate registration day): nothing to flag.
  EXPECT_FALSE(run(kU, person(0).paid("2023-10-08").registered("2023-10-01")).open & open_registration_first);
  EXPECT_FALSE(run(kU, person(0).paid("2023-10-08").registered("2023-10-08")).open & open_registration_first);
  EXPECT_FALSE(run(kU, person(0).paid("2023-10-08")).open & open_registration_first);
  // 续费 residents, or the column left empty: not flagged.
  EXPECT_FALSE(run(kU, person(1).paid("2023-10-01").registered("2023-10-08")).open & open_registration_first);
  EXPECT_FALSE(run(kU, person(-1).paid("2023-10-01").registered("2023-10-08")).open & open_registration_first);
  // Other documents have no such rule.
  Person g("1980-01-01", "341702100201");
  g.f.insured_last_year = 0;
  EXPECT_FALSE(run("guichi", g.paid("2023-10-01").registered("2023-10-08")).open & open_registration_first);
}
