// 城政字〔2024〕21号 — 400; fiscal 640 split; reimbursed subsidies left unspecified.
#include "golden_util.h"

using namespace canbao;
using namespace canbao::golden;

namespace {
const char* kX = "xinchengzi";
const char* kVillage = "150424101203";
}  // namespace

TEST(Xinchengzi, FiscalSplitExactToTheFen) {
  auto& p = policy(kX);
  EXPECT_EQ(p.fiscal_subsidy->fen, 64000);
  ASSERT_EQ(p.fiscal_split.size(), 4u);
  EXPECT_EQ(p.fiscal_split[0].amount.fen, 51200);  // 中央 512
  EXPECT_EQ(p.fiscal_split[1].amount.fen, 8960);   // 自治区 89.60
  EXPECT_EQ(p.fiscal_split[2].amount.fen, 1280);   // 市 12.80
  EXPECT_EQ(p.fiscal_split[3].amount.fen, 2560);   // 旗县 25.60
  Money sum{};
  for (auto& s : p.fiscal_split) sum += s.amount;
  EXPECT_EQ(sum, *p.fiscal_subsidy);
  EXPECT_EQ(p.targets.at(0).target, 10793);
}

TEST(Xinchengzi, WindowAndStages) {
  auto base = Person("1980-01-01", kVillage);
  EXPECT_EQ(run(kX, Person(base).paid("2023-08-31")).payment, PaymentStatus::outside_window);
  auto a = run(kX, Person(base).paid("2023-09-01"));
  EXPECT_EQ(a.payment, PaymentStatus::accepted);
  EXPECT_EQ(a.coverage_start, D("2024-01-01"));
  EXPECT_EQ(run(kX, Person(base).paid("2023-12-31")).payment, PaymentStatus::accepted);
  EXPECT_EQ(run(kX, Person(base).paid("2024-01-01")).payment, PaymentStatus::outside_window);
  auto& p = policy(kX);
  bool check = false;
  for (auto& s : p.stages)
    if (s.id == "data_check") check = s.range.first == D("2024-03-01") && s.range.last == D("2024-03-15");
  EXPECT_TRUE(check);
}

TEST(Xinchengzi, ReimbursedSubsidyUnspecifiedButPersonPaysFull) {
  Person p("1970-01-01", kVillage, {Category::minimum_living});
  auto a = run(kX, p);
  EXPECT_EQ(a.standard.fen, 40000);
  EXPECT_TRUE(a.due_known);
  EXPECT_EQ(a.due.fen, 40000);  // 先缴后补: pays the full 400 first
  EXPECT_FALSE(a.subsidy_known);
  EXPECT_EQ(a.mode, SubsidyMode::reimbursed);
  EXPECT_NE(assessment_reason(policy(kX), a).find("赤政办发〔2022〕67号"), std::string::npos);
  Person plain("1970-01-01", kVillage);
  auto b = run(kX, plain);
  EXPECT_TRUE(b.subsidy_known);
  EXPECT_EQ(b.due.fen, 40000);
}

TEST(Xinchengzi, OnlyInsideTheTown) {
  EXPECT_FALSE(run(kX, Person("1980-01-01", "150424102203")).eligible);
}

// 五(二) lists "低保对象、特困人员、返贫致贫人口、纳入监测范围农村牧区易返贫致贫人口、脱贫人口、重度残疾人":
// 孤儿 and 事实无人抚养儿童 are not named, so the rule gives them nothing (and leaves nothing open).
TEST(Xinchengzi, OnlyTheNamedGroupsAreMedicalAssistanceObjects) {
  for (Category c : {Category::orphan, Category::de_facto_orphan}) {
    auto a = run(kX, Person("2015-01-01", kVillage, {c}));
    EXPECT_TRUE(a.subsidy_known);
    EXPECT_TRUE(a.due_known);
    EXPECT_EQ(a.open, open_none);
    EXPECT_EQ(a.unspecified_rule, -1);
    EXPECT_EQ(a.due.fen, 40000);
  }
  for (Category c : {Category::minimum_living, Category::extreme_poverty, Category::relapsed_poverty,
                     Category::monitored, Category::lifted_from_poverty, Category::severe_disability})
    EXPECT_FALSE(run(kX, Person("1970-01-01", kVillage, {c})).subsidy_known);
}

// 一 "2023 年城乡居民基本医疗保险……人均财政补助标准达到每人 640 元": the 640 is the 2023 figure.
TEST(Xinchengzi, FiscalSubsidyNoteSays2023) {
  auto& p = policy(kX);
  EXPECT_EQ(p.fiscal_subsidy->fen, 64000);
  EXPECT_NE(p.fiscal_source.note.find("2023年"), std::string::npos) << p.fiscal_source.note;
  EXPECT_NE(p.fiscal_source.note.find("未写2024年"), std::string::npos) << p.fiscal_source.note;
}

// 五(一) "县内各级各类在校学生、在园幼儿整体参保，以学校为单位集中办理参保手续": a student
// whose school is in 林西县 is admitted regardless of hukou; a school outside the
// county, or none given, leaves the student to hukou/residence (issue 12 item 7).
TEST(Xinchengzi, StudentsAtSchoolInTheCounty) {
  Person pupil("2010-03-01", "150402100201", {Category::student});  // 赤峰市红山区 hukou
  EXPECT_FALSE(run(kX, pupil).eligible);
  pupil.f.school_region = *RegionCode::parse("150424101");  // 新城子镇
  EXPECT_TRUE(run(kX, pupil).eligible);
  pupil.f.school_region = *RegionCode::parse("150424100");  // elsewhere in 林西县: still 县内
  EXPECT_TRUE(run(kX, pupil).eligible);
  pupil.f.school_region = *RegionCode::parse("150402");     // 红山区
  EXPECT_FALSE(run(kX, pupil).eligible);
  Person local("2010-03-01", kVillage, {Category::student});
  local.f.school_region = *RegionCode::parse("150402");
  EXPECT_TRUE(run(kX, local).eligible);  // by hukou
}
