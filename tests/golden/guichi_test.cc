// 贵医保组〔2023〕1号 — every figure and date rule of the document.
#include "golden_util.h"

#include "assess/report.h"

using namespace canbao;
using namespace canbao::golden;

namespace {
const char* kG = "guichi";
const char* kVillage = "341702100201";
}  // namespace

TEST(Guichi, StandardFiscalAndAgentFee) {
  auto& p = policy(kG);
  EXPECT_EQ(p.individual_standard.fen, 38000);
  EXPECT_EQ(p.fiscal_subsidy->fen, 64000);
  EXPECT_EQ((p.individual_standard + *p.fiscal_subsidy).fen, 102000);  // 每人每年医保费合计1020元
  EXPECT_EQ(p.agent_fee_per_person->fen, 100);
  EXPECT_EQ(p.coverage_period.first, D("2024-01-01"));
  EXPECT_EQ(p.coverage_period.last, D("2024-12-31"));
}

TEST(Guichi, TargetsAddUpTo510000) {
  auto& p = policy(kG);
  ASSERT_EQ(p.targets.size(), 22u);
  int64_t sum = 0;
  for (auto& t : p.targets) sum += t.target;
  EXPECT_EQ(sum, 510000);
  EXPECT_EQ(p.targets.front().unit, "池阳街道");
  EXPECT_EQ(p.targets.back().target, 21300);  // 高校
}

struct Case {
  const char* name;
  std::vector<Category> cats;
  const char* birth;
  int grade;
  int64_t subsidy_fen;
  int64_t due_fen;
  const char* winner;
};

TEST(Guichi, SevenSubsidyClasses) {
  const Case cases[] = {
      {"特困供养 全额", {Category::extreme_poverty}, "1970-05-05", 0, 38000, 0, "extreme_poverty"},
      {"低保 342/38", {Category::minimum_living}, "1970-05-05", 0, 34200, 3800, "minimum_living_veteran"},
      {"重点优抚 342/38", {Category::entitled_veteran}, "1950-05-05", 0, 34200, 3800, "minimum_living_veteran"},
      {"返贫致贫 304/76", {Category::relapsed_poverty}, "1970-05-05", 0, 30400, 7600, "relapsed_poverty"},
      {"退捕渔民 228/152", {Category::retired_fisher}, "1970-05-05", 0, 22800, 15200, "fisher_family_planning"},
      {"计生特困 228/152", {Category::family_planning_hardship}, "1970-05-05", 0, 22800, 15200, "fisher_family_planning"},
      {"重度残疾一级 228", {Category::severe_disability}, "1970-05-05", 1, 22800, 15200, "severe_disability"},
      {"重度残疾二级 228", {Category::severe_disability}, "1970-05-05", 2, 22800, 15200, "severe_disability"},
      {"残疾三级 不资助", {Category::severe_disability}, "1970-05-05", 3, 0, 38000, ""},
      {"80岁 200/180", {}, "1943-06-01", 0, 20000, 18000, "aged_80"},
      {"监测对象 190/190", {Category::monitored}, "1970-05-05", 0, 19000, 19000, "monitored"},
      {"脱贫人口 无资助", {Category::lifted_from_poverty}, "1970-05-05", 0, 0, 38000, ""},
      {"普通居民", {}, "1980-01-01", 0, 0, 38000, ""},
      {"百岁 全额", {}, "1923-12-31", 0, 38000, 0, "centenarian"},
  };
  for (const auto& c : cases) {
    Person p(c.birth, kVillage);
    for (auto cat : c.cats) p.f.categories |= bit(cat);
    p.grade(c.grade);
    auto a = run(kG, p);
    EXPECT_TRUE(a.eligible) << c.name;
    EXPECT_EQ(a.subsidy.fen, c.subsidy_fen) << c.name;
    EXPECT_EQ(a.due.fen, c.due_fen) << c.name;
    EXPECT_EQ(winner(kG, a), c.winner) << c.name;
    if (c.subsidy_fen) {
      ASSERT_EQ(a.nlines, 1) << c.name;
      EXPECT_EQ(policy(kG).subsidies[a.lines[0].rule].payers[a.lines[0].payer].payer, "区财政");
      EXPECT_EQ(a.mode, SubsidyMode::paid_on_behalf);
    }
  }
}

TEST(Guichi, CentenarianAndEightyBoundaries) {
  // 1923-12-31 → 百岁 full; 1924-01-01 → 80+ only (200).
  EXPECT_EQ(run(kG, Person("1923-12-31", kVillage)).subsidy.fen, 38000);
  EXPECT_EQ(winner(kG, run(kG, Person("1923-12-31", kVillage))), "centenarian");
  EXPECT_EQ(run(kG, Person("1924-01-01", kVillage)).subsidy.fen, 20000);
  // 1943-12-31 → 200; 1944-01-01 → nothing.
  EXPECT_EQ(run(kG, Person("1943-12-31", kVillage)).subsidy.fen, 20000);
  EXPECT_EQ(run(kG, Person("1944-01-01", kVillage)).subsidy.fen, 0);
  // Hukou outside 贵池 (居住证 holder): no age subsidy.
  Person out("1930-01-01", "341721100201");
  out.residence(kVillage);
  auto a = run(kG, out);
  EXPECT_TRUE(a.eligible);
  EXPECT_EQ(a.subsidy.fen, 0);
}

TEST(Guichi, HighestSingleSubsidyWins) {
  Person p("1940-03-03", kVillage, {Category::monitored, Category::minimum_living});
  Trace t;
  auto a = run(kG, p, "2023-11-01", &t);
  EXPECT_EQ(a.subsidy.fen, 34200);  // 低保 342 beats 80+ 200 and 监测 190
  EXPECT_EQ(a.due.fen, 3800);
  int beaten = 0;
  for (auto& e : t) if (e.outcome.find("符合但未采用") != std::string::npos) ++beaten;
  EXPECT_EQ(beaten, 2);
  Person q("1970-03-03", kVillage, {Category::extreme_poverty, Category::relapsed_poverty});
  EXPECT_EQ(run(kG, q).due.fen, 0);
}

TEST(Guichi, ListsAsOfAugust31) {
  Person ok("1970-01-01", kVillage);
  ok.since(Category::minimum_living, "2023-08-31");
  EXPECT_EQ(run(kG, ok).subsidy.fen, 34200);
  Person late("1970-01-01", kVillage);
  late.since(Category::minimum_living, "2023-09-01");
  Trace t;
  auto a = run(kG, late, "2023-11-01", &t);
  EXPECT_EQ(a.subsidy.fen, 0);
  EXPECT_EQ(a.due.fen, 38000);
  bool named = false;
  for (auto& e : t) named = named || e.outcome.find("2023-08-31") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(Guichi, Eligibility) {
  Person emp("1980-01-01", kVillage, {Category::employee_insured});
  auto a = run(kG, emp);
  EXPECT_FALSE(a.eligible);
  EXPECT_EQ(a.ineligible, Ineligible::employee_insured);
  Person outsider("1980-01-01", "341721100201");
  EXPECT_FALSE(run(kG, outsider).eligible);
  outsider.residence("341702003001");
  EXPECT_TRUE(run(kG, outsider).eligible);
  // 二.4 "池州市内高校（含职高）在校大中专学生": the school decides (issue 12 item 7, below).
  Person uni("2004-01-01", "340104100201", {Category::university_student});
  uni.f.school_region = *RegionCode::parse("341702");
  EXPECT_TRUE(run(kG, uni).eligible);
}

// 二.3 "本区行政区划内中小学学校的在册学生" / 二.4 "池州市内高校（含职高）在校大中专学生":
// a student is admitted regardless of hukou only when the school is there;
// otherwise — or with no 学校所在地 — by hukou/residence, and the trace says so.
TEST(Guichi, StudentsAdmittedWhereTheirSchoolIs) {
  auto school = [](Person p, const char* s) { p.f.school_region = *RegionCode::parse(s); return p; };
  auto eligibility = [](const Trace& t) {
    for (auto& e : t) if (e.rule == "eligibility") return e.outcome;
    return std::string();
  };
  const Person pupil("2012-05-01", "340104100201", {Category::student});  // 合肥 hukou
  EXPECT_TRUE(run(kG, school(pupil, "341702100")).eligible);             // school in 贵池
  Trace t;
  auto out = run(kG, school(pupil, "341721"), "2023-11-01", &t);         // school in 东至县
  EXPECT_FALSE(out.eligible);
  EXPECT_EQ(out.ineligible, Ineligible::outside_region);
  EXPECT_NE(eligibility(t).find("学校所在地341721不在本区"), std::string::npos) << eligibility(t);
  t.clear();
  out = run(kG, pupil, "2023-11-01", &t);                                 // no school given
  EXPECT_FALSE(out.eligible);
  EXPECT_NE(eligibility(t).find("未填学校所在地，按户籍/居住地判断"), std::string::npos) << eligibility(t);
  // Local hukou without a school: eligible as a resident, and the trace says how it was decided.
  t.clear();
  EXPECT_TRUE(run(kG, Person("2012-05-01", kVillage, {Category::student}), "2023-11-01", &t).eligible);
  EXPECT_NE(eligibility(t).find("未填学校所在地，按户籍/居住地判断"), std::string::npos) << eligibility(t);
  // Outside hukou, school elsewhere, but a 贵池 居住证: admitted as a resident.
  EXPECT_TRUE(run(kG, school(pupil, "341721").residence("341702003001")).eligible);
  // 大中专: 池州市内 (青阳县 341723) yes, 合肥 no; a 中小学 pupil in 青阳县 is not "本区".
  const Person uni("2004-01-01", "340104100201", {Category::university_student});
  EXPECT_TRUE(run(kG, school(uni, "341723")).eligible);
  EXPECT_FALSE(run(kG, school(uni, "340104")).eligible);
  EXPECT_FALSE(run(kG, uni).eligible);
  EXPECT_FALSE(run(kG, school(pupil, "341723")).eligible);
}

TEST(Guichi, CollectionWindows) {
  auto in = Person("1980-01-01", kVillage).paid("2023-09-10");
  auto a = run(kG, in);
  EXPECT_EQ(a.payment, PaymentStatus::accepted);
  EXPECT_EQ(a.coverage_start, D("2024-01-01"));
  EXPECT_EQ(a.window_open, D("2023-09-10"));
  EXPECT_EQ(a.window_close, D("2023-12-31"));
  EXPECT_EQ(run(kG, Person("1980-01-01", kVillage).paid("2023-09-09")).payment, PaymentStatus::outside_window);
  EXPECT_EQ(run(kG, Person("1980-01-01", kVillage).paid("2023-12-31")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kG, Person("1980-01-01", kVillage).paid("2024-01-01")).payment, PaymentStatus::outside_window);
  // University students: 9-10 .. 10-31 only.
  auto u = Person("2004-01-01", kVillage, {Category::university_student});
  EXPECT_EQ(run(kG, Person(u).paid("2023-10-31")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kG, Person(u).paid("2023-11-01")).payment, PaymentStatus::outside_window);
  auto ua = run(kG, u);
  EXPECT_EQ(ua.window_close, D("2023-10-31"));
}

TEST(Guichi, MigrantWorkerExtension) {
  auto m = Person("1985-01-01", kVillage, {Category::migrant_worker});
  auto early = run(kG, Person(m).paid("2023-12-01"));
  EXPECT_EQ(early.coverage_start, D("2024-01-01"));
  auto feb = run(kG, Person(m).paid("2024-02-10"));
  EXPECT_EQ(feb.payment, PaymentStatus::accepted);
  EXPECT_EQ(feb.coverage_start, D("2024-02-11"));  // 缴费的次日
  EXPECT_EQ(feb.coverage_end, D("2024-12-31"));
  auto last = run(kG, Person(m).paid("2024-02-29"));
  EXPECT_EQ(last.coverage_start, D("2024-03-01"));
  EXPECT_EQ(run(kG, Person(m).paid("2024-03-01")).payment, PaymentStatus::outside_window);
  EXPECT_EQ(run(kG, m).window_close, D("2024-02-29"));
}

TEST(Guichi, Newborn90Days) {
  // Born 2024-03-01: day 90 after birth is 2024-05-30.
  auto day90 = run(kG, Person("2024-03-01", kVillage).paid("2024-05-30"));
  EXPECT_EQ(day90.payment, PaymentStatus::accepted);
  EXPECT_EQ(day90.coverage_start, D("2024-03-01"));
  auto day91 = run(kG, Person("2024-03-01", kVillage).paid("2024-05-31"));
  EXPECT_EQ(day91.payment, PaymentStatus::accepted);
  EXPECT_EQ(day91.coverage_start, D("2024-06-01"));  // 参保缴费次日
  EXPECT_FALSE(day91.has_waiting);
  // Born late 2023, paid in January within 90 days: covered from 2024-01-01.
  auto dec = run(kG, Person("2023-12-20", kVillage).paid("2024-01-15"));
  EXPECT_EQ(dec.payment, PaymentStatus::accepted);
  EXPECT_EQ(dec.coverage_start, D("2024-01-01"));
}

TEST(Guichi, EventsWithinThreeMonths) {
  // Discharged 2024-01-15: until 2024-04-15 no waiting, cover from the payment month.
  auto p = Person("1998-01-01", kVillage).event(Event::discharged_from_army, "2024-01-15");
  auto in = run(kG, Person(p).paid("2024-04-15"));
  EXPECT_EQ(in.payment, PaymentStatus::accepted);
  EXPECT_EQ(in.coverage_start, D("2024-04-01"));
  EXPECT_FALSE(in.has_waiting);
  auto late = run(kG, Person(p).paid("2024-04-16"));
  EXPECT_EQ(late.payment, PaymentStatus::accepted);
  EXPECT_TRUE(late.has_waiting);
  EXPECT_EQ(late.waiting_until, D("2024-07-16"));  // payment day not counted (民法典 201)
  EXPECT_EQ(late.coverage_start, D("2024-07-17"));
  // Month-end: released 2023-11-30 → 3 months end 2024-02-29.
  auto r = Person("1990-01-01", kVillage).event(Event::released_from_prison, "2023-11-30");
  EXPECT_FALSE(run(kG, Person(r).paid("2024-02-29")).has_waiting);
  EXPECT_TRUE(run(kG, Person(r).paid("2024-03-01")).has_waiting);
  for (Event e : {Event::newly_special, Event::left_other_scheme}) {
    auto x = run(kG, Person("1990-01-01", kVillage).event(e, "2024-06-10").paid("2024-07-20"));
    EXPECT_EQ(x.coverage_start, D("2024-07-01"));
  }
}

TEST(Guichi, EmployeeInsuranceLapse) {
  auto p = Person("1985-01-01", kVillage).event(Event::employee_insurance_ended, "2024-05-31");
  auto six = run(kG, Person(p).employee_months(6).paid("2024-08-31"));
  EXPECT_EQ(six.payment, PaymentStatus::accepted);
  EXPECT_EQ(six.coverage_start, D("2024-08-01"));
  EXPECT_FALSE(six.has_waiting);
  auto late = run(kG, Person(p).employee_months(24).paid("2024-09-01"));
  EXPECT_TRUE(late.has_waiting);
  EXPECT_EQ(late.coverage_start, D("2024-12-02"));
  EXPECT_EQ(late.waiting_until, D("2024-12-01"));
  auto five = run(kG, Person(p).employee_months(5).paid("2024-06-15"));
  EXPECT_EQ(five.payment, PaymentStatus::outside_window);
  // Waiting would run past the year's end: no cover this year.
  auto too_late = run(kG, Person(p).employee_months(12).paid("2024-10-15"));
  EXPECT_EQ(too_late.payment, PaymentStatus::too_late);
  EXPECT_FALSE(too_late.has_coverage);
}

// Issue 12 item 5. 附件1 四.2/四.3 "设置3个月待遇享受等待期" counted like every other duration
// (民法典 第二百零一条、第二百零二条): the payment day is not counted, the period ends on the
// corresponding day three months later (month end when there is none), cover starts the next day.
TEST(Guichi, WaitingPeriodCountedLikeEveryDuration) {
  auto d = Person("1998-01-01", kVillage).event(Event::discharged_from_army, "2024-01-15");
  auto may = run(kG, Person(d).paid("2024-05-31"));
  EXPECT_TRUE(may.has_waiting);
  EXPECT_EQ(may.waiting_until, D("2024-08-31"));
  EXPECT_EQ(may.coverage_start, D("2024-09-01"));
  auto e = Person("1985-01-01", kVillage).event(Event::employee_insurance_ended, "2024-01-31").employee_months(12);
  auto emp = run(kG, Person(e).paid("2024-05-31"));
  EXPECT_EQ(emp.waiting_until, D("2024-08-31"));
  EXPECT_EQ(emp.coverage_start, D("2024-09-01"));
  // Month end: 2024-11-30 + 3 months has no 30th → 2025-02-28; 09-30 → 12-30, cover on 12-31.
  auto sep = run(kG, Person(d).paid("2024-09-30"));
  EXPECT_EQ(sep.waiting_until, D("2024-12-30"));
  EXPECT_EQ(sep.coverage_start, D("2024-12-31"));
  EXPECT_EQ(run(kG, Person(d).paid("2024-10-01")).payment, PaymentStatus::too_late);
}

// Issue 12 item 3. 附件1 五 (集中参保登记缴费期 2023-09-10 至 12-31), 三 (外出务工 延长到2024年2月底),
// 四.1 ("超过 90 天参保缴费的，自参保缴费次日起享受医保待遇").
TEST(Guichi, UnpaidAfterTheWindowsClose) {
  auto adult = run(kG, Person("1980-01-01", kVillage), "2024-03-15");
  EXPECT_EQ(payment_status_id(adult.payment), "window_closed");
  EXPECT_FALSE(adult.has_coverage);
  EXPECT_FALSE(assessment_reason(policy(kG), adult).empty());
  // Migrant workers: the extension runs to 2024-02-29; paying today covers from tomorrow.
  auto m = Person("1985-01-01", kVillage, {Category::migrant_worker});
  auto feb = run(kG, m, "2024-02-10");
  EXPECT_EQ(feb.payment, PaymentStatus::not_paid);
  EXPECT_EQ(feb.coverage_start, D("2024-02-11"));
  EXPECT_EQ(payment_status_id(run(kG, m, "2024-03-15").payment), "window_closed");
  // A baby born 2024-03-01, unpaid on 2024-08-01: still payable (over 90 days), cover from the
  // day after payment — never from 2024-01-01, never before birth.
  auto baby = run(kG, Person("2024-03-01", kVillage), "2024-08-01");
  EXPECT_EQ(baby.payment, PaymentStatus::not_paid);
  EXPECT_EQ(baby.coverage_start, D("2024-08-02"));
  auto young = run(kG, Person("2024-03-01", kVillage), "2024-04-01");
  EXPECT_EQ(young.coverage_start, D("2024-03-01"));
  // A discharged soldier within 3 months may still enrol after the window.
  auto soldier = run(kG, Person("1998-01-01", kVillage).event(Event::discharged_from_army, "2024-03-10"), "2024-04-20");
  EXPECT_EQ(soldier.payment, PaymentStatus::not_paid);
  EXPECT_EQ(soldier.coverage_start, D("2024-04-01"));
}

// 三.9 "享受政府资助参保人群以区直职能部门2023年8月31日确认的数据为准，9月1日后特殊群体属性的变更，
// 不享受今年政府资助参保政策": a 动态新增 event or a birth after 08-31 proves the change came later.
TEST(Guichi, ChangeAfterAugust31ByEventOrBirthGetsNoSubsidy) {
  Person added("1970-01-01", kVillage, {Category::minimum_living});
  added.event(Event::newly_special, "2023-10-15");
  Trace t;
  auto a = run(kG, Person(added).paid("2023-11-01"), "2023-11-01", &t);
  EXPECT_EQ(a.subsidy.fen, 0);
  EXPECT_EQ(a.due.fen, 38000);
  EXPECT_EQ(winner(kG, a), "");
  bool why = false;
  for (auto& e : t)
    why = why || (e.outcome.find("动态新增") != std::string::npos && e.outcome.find("2023-08-31") != std::string::npos);
  EXPECT_TRUE(why);
  // 四.2 still holds: paid within 3 months of the 动态新增 day, no waiting, cover from the payment month.
  auto jan = run(kG, Person(added).paid("2024-01-10"), "2024-01-10");
  EXPECT_EQ(jan.payment, PaymentStatus::accepted);
  EXPECT_FALSE(jan.has_waiting);
  EXPECT_EQ(jan.coverage_start, D("2024-01-01"));
  EXPECT_EQ(jan.due.fen, 38000);
  // Added on 08-31 itself: on the confirmed data, the subsidy stands.
  Person on_time("1970-01-01", kVillage, {Category::minimum_living});
  on_time.event(Event::newly_special, "2023-08-31");
  EXPECT_EQ(run(kG, on_time).subsidy.fen, 34200);
  // Born after 08-31: every category came after the list day.
  Person baby("2023-09-15", kVillage, {Category::minimum_living});
  Trace tb;
  auto b = run(kG, baby, "2023-11-01", &tb);
  EXPECT_EQ(b.subsidy.fen, 0);
  EXPECT_EQ(b.due.fen, 38000);
  bool born = false;
  for (auto& e : tb) born = born || (e.outcome.find("出生") != std::string::npos && e.outcome.find("2023-08-31") != std::string::npos);
  EXPECT_TRUE(born);
  EXPECT_EQ(run(kG, Person("2023-08-31", kVillage, {Category::minimum_living})).subsidy.fen, 34200);
}

// 三.4 "重度残疾人（指残疾等级为一级、二级）": without a grade the 228 cannot be decided.
TEST(Guichi, SevereDisabilityWithoutGradeIsFlagged) {
  Person p("1970-05-05", kVillage, {Category::severe_disability});
  Trace t;
  auto a = run(kG, p, "2023-11-01", &t);
  EXPECT_EQ(a.subsidy.fen, 0);
  EXPECT_EQ(a.due.fen, 38000);
  EXPECT_NE(assessment_reason(policy(kG), a).find("需核实残疾等级"), std::string::npos);
  bool traced = false;
  for (auto& e : t) traced = traced || e.outcome.find("需核实残疾等级") != std::string::npos;
  EXPECT_TRUE(traced);
  // A higher subsidy makes the grade moot: no flag.
  Person both("1970-05-05", kVillage, {Category::severe_disability, Category::minimum_living});
  auto b = run(kG, both);
  EXPECT_EQ(b.subsidy.fen, 34200);
  EXPECT_EQ(assessment_reason(policy(kG), b).find("需核实残疾等级"), std::string::npos);
  EXPECT_EQ(run(kG, Person(p).grade(2)).subsidy.fen, 22800);
}
