#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "../store/store_fixture.h"
#include "core/id_number.h"
#include "io/gen.h"
#include "registry/facts_builder.h"
#include "registry/import.h"
#include "registry/rules.h"
#include "registry/sha256.h"

using namespace canbao;
using namespace canbao::registry;
using canbao::testing::EngineTest;
using canbao::testing::make_id;
using store::EnrollmentStatus;

namespace {
Date D(const char* s) { return *Date::parse(s); }
RegionCode R(const char* s) { return *RegionCode::parse(s); }

class TempFile {
 public:
  TempFile(const std::string& ext, const std::string& text)
      : path_((std::filesystem::temp_directory_path() / (canbao::testing::unique_name("canbao_imp") + ext)).string()) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
 private:
  std::string path_;
};

ImportOptions opts(ImportMode mode = ImportMode::all_or_nothing) {
  ImportOptions o;
  o.mode = mode;
  o.actor = "tester";
  o.today = D("2023-12-31");
  return o;
}

// Household H1: father, mother, child; household H2: one person.
const std::string kF = make_id("341702", "19800101", 11);
const std::string kM = make_id("341702", "19820202", 22);
const std::string kC = make_id("341702", "20100303", 31);
const std::string kS = make_id("341702", "19500404", 41);

std::string roster_zh() {
  return "身份证号,姓名,户号,户籍地区划,居住地区划,人员类别,残疾等级\n" + kF + ",张三,H1,341702100201,,低保;脱贫人口,\n" +
         kM + ",李四,H1,341702100201,,,\n" + kC + ",张小红,H1,341702100201,,在校学生,\n" + kS +
         ",王五,H2,341702100202,341702100,重度残疾人,1\n";
}
}  // namespace

class RegistryTest : public EngineTest {};
CANBAO_ENGINES(RegistryTest);

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string m(1000, 'a');
  EXPECT_EQ(sha256_hex(m), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_P(RegistryTest, RosterImportWithChineseHeaders) {
  TempFile f(".csv", roster_zh());
  auto r = import_roster(*st_, f.path(), opts());
  ASSERT_TRUE(r.committed) << r.report_json();
  EXPECT_EQ(r.rows_total, 4);
  EXPECT_EQ(r.rows_written, 4);
  EXPECT_EQ(st_->count_persons(R("341702")), 4);
  auto f1 = st_->person(kF);
  ASSERT_TRUE(f1);
  EXPECT_EQ(f1->name, "张三");
  EXPECT_EQ(f1->birth, D("1980-01-01"));
  EXPECT_EQ(st_->household("H1")->head, kF);
  EXPECT_EQ(st_->household_members("H1").size(), 3u);
  EXPECT_EQ(st_->categories_of(kF).size(), 2u);
  EXPECT_EQ(st_->person(kS)->disability_grade, 1);
  EXPECT_EQ(st_->person(kS)->residence.str(), "341702100");
  EXPECT_EQ(st_->audit_trail("import_batch", std::to_string(r.batch_id)).size(), 1u);

  // The same file again is a no-op.
  auto again = import_roster(*st_, f.path(), opts());
  EXPECT_TRUE(again.already_imported);
  EXPECT_EQ(again.batch_id, r.batch_id);
  EXPECT_EQ(st_->categories_of(kF).size(), 2u);
}

TEST_P(RegistryTest, RosterEnglishHeadersAndEvents) {
  std::string nb = make_id("341702", "20240105", 51);
  TempFile f(".csv", std::string(io::kRosterHeader) + "\n" + kF + ",张三,H1,341702100201,,,,,,,,\n" + nb +
                         ",张宝宝,H1,341702100201,,,,birth,,,yes,\n" + kM +
                         ",李四,H1,341702100201,,,,刑满释放,2024-03-01,,,\n");
  auto o = opts();
  o.today = D("2024-06-30");
  auto r = import_roster(*st_, f.path(), o);
  ASSERT_TRUE(r.committed) << r.report_json();
  auto b = st_->person(nb);
  EXPECT_EQ(b->event, Event::birth);
  EXPECT_EQ(b->parent_insured, 1);
  EXPECT_EQ(st_->person(kM)->event, Event::released_from_prison);
  EXPECT_EQ(st_->person(kM)->event_date, D("2024-03-01"));
}

TEST_P(RegistryTest, BadRowsRejectWholeBatchWithReport) {
  std::string bad_check = kF.substr(0, 17) + (kF[17] == '1' ? "2" : "1");
  TempFile f(".csv", "身份证号,姓名,户号,户籍地区划,人员类别,残疾等级\n" + kF + ",张三,H1,341702100201,,\n" + bad_check +
                         ",李四,H1,341702100201,,\n" + kC + ",,H1,3417021,,\n" + kS + ",王五,H2,341702100202,贫困户,7\n" +
                         kF + ",张三,H1,341702100201,,\n");
  auto r = import_roster(*st_, f.path(), opts());
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.rows_written, 0);
  EXPECT_EQ(r.rows_total, 5);
  EXPECT_EQ(r.rows_rejected, 4);
  EXPECT_EQ(st_->count_persons({}), 0);  // nothing written
  EXPECT_FALSE(st_->household("H1"));
  ASSERT_GE(r.problems.size(), 6u);
  EXPECT_EQ(r.problems[0].row, 3);
  EXPECT_EQ(r.problems[0].column, "身份证号");
  EXPECT_EQ(r.problems[0].value, mask_id(bad_check));
  EXPECT_EQ(r.problems[0].reason, "身份证号校验位错误");
  auto json = r.report_json();
  EXPECT_EQ(json.find(bad_check), std::string::npos) << "full ID leaked into the report";
  bool name_empty = false, bad_region = false, bad_cat = false, bad_grade = false, dup = false;
  for (auto& p : r.problems) {
    name_empty |= p.row == 4 && p.column == "姓名";
    bad_region |= p.row == 4 && p.column == "户籍地区划";
    bad_cat |= p.row == 5 && p.column == "人员类别" && p.value == "贫困户";
    bad_grade |= p.row == 5 && p.column == "残疾等级";
    dup |= p.row == 6 && p.reason.find("第 2 行") != std::string::npos;
  }
  EXPECT_TRUE(name_empty && bad_region && bad_cat && bad_grade && dup) << json;
  // The rejected attempt is on record, and does not block a corrected file.
  EXPECT_FALSE(st_->find_import("roster", r.fingerprint));

  // Partial mode writes the good row (row 2) only.
  auto p = import_roster(*st_, f.path(), opts(ImportMode::partial));
  EXPECT_TRUE(p.committed);
  EXPECT_EQ(p.rows_written, 1);
  EXPECT_EQ(st_->count_persons({}), 1);
  EXPECT_TRUE(st_->person(kF));
}

TEST_P(RegistryTest, MissingRequiredColumn) {
  TempFile f(".csv", "身份证号,姓名,户籍地区划\n" + kF + ",张三,341702\n");
  auto r = import_roster(*st_, f.path(), opts(ImportMode::partial));
  EXPECT_FALSE(r.committed);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].reason.find("户号"), std::string::npos);
}

TEST_P(RegistryTest, SubsidyListDatedAndCrossDepartment) {
  TempFile roster(".csv", roster_zh());
  ASSERT_TRUE(import_roster(*st_, roster.path(), opts()).committed);
  TempFile list(".csv", "部门,人员类别,截止日期,身份证号,姓名,列入日期\n民政局,低保对象,2023-10-31," + kF +
                            ",张三,2023-05-01\n民政局,低保对象,2023-10-31," + kM + ",李四,2023-11-15\n");
  auto r = import_subsidy_list(*st_, list.path(), opts());
  ASSERT_TRUE(r.committed) << r.report_json();
  EXPECT_EQ(r.rows_written, 2);
  EXPECT_TRUE(r.findings.empty());
  auto lists = st_->subsidy_lists(R("341702"));
  ASSERT_EQ(lists.size(), 1u);  // scope not set: the batch takes the county of its first entry
  EXPECT_EQ(lists[0].region.str(), "341702");
  EXPECT_EQ(st_->subsidy_entries_of(kM).size(), 1u);

  // Another department lists the father: 剔重 finding.
  TempFile list2(".csv", "身份证号,姓名\n" + kF + ",张三\n");
  SubsidyListDefaults d{"乡村振兴局", Category::monitored, D("2023-12-31")};
  auto r2 = import_subsidy_list(*st_, list2.path(), opts(), d);
  ASSERT_TRUE(r2.committed) << r2.report_json();
  ASSERT_EQ(r2.findings.size(), 1u);
  EXPECT_EQ(r2.findings[0].code, "cross_department");
  EXPECT_NE(r2.findings[0].message.find("民政局"), std::string::npos);
  EXPECT_EQ(r2.findings[0].message.find(kF), std::string::npos);

  // Facts: the mother's 低保 is dated after the list as-of date; the engine decides.
  struct Seen {
    CategoryMask cats;
    std::vector<DatedCategory> dated;
  };
  std::map<std::string, Seen> seen;
  int chunks = 0;
  build_facts(*st_, R("341702"), 2024, 2, [&](const FactsChunk& c) {
    ++chunks;
    for (auto& f : c.facts) seen[std::string(f.id_number)] = {f.categories, {f.dated.begin(), f.dated.end()}};
  });
  EXPECT_EQ(chunks, 2);
  ASSERT_EQ(seen.size(), 4u);
  auto& m = seen[kM];
  EXPECT_TRUE(m.cats & bit(Category::minimum_living));
  ASSERT_EQ(m.dated.size(), 1u);
  EXPECT_EQ(m.dated[0].since, D("2023-11-15"));
  auto& fa = seen[kF];
  EXPECT_TRUE(fa.cats & bit(Category::minimum_living));
  EXPECT_TRUE(fa.cats & bit(Category::monitored));
  EXPECT_TRUE(fa.cats & bit(Category::lifted_from_poverty));
  ASSERT_EQ(fa.dated.size(), 1u);  // 民政 list dated; 乡村振兴 list had no 列入日期
  EXPECT_EQ(fa.dated[0].category, Category::minimum_living);
  EXPECT_EQ(fa.dated[0].since, D("2023-05-01"));
  EXPECT_TRUE(seen[kC].cats & bit(Category::student));
}

TEST_P(RegistryTest, EmployeeRosterAndWholeHousehold) {
  TempFile roster(".csv", roster_zh());
  ASSERT_TRUE(import_roster(*st_, roster.path(), opts()).committed);
  EnrollRequest req{"H1", {kF, kC}, 2024, R("341702100201"), D("2023-10-01"), "collector"};
  try {
    enroll_household(*st_, req);
    FAIL() << "selective enrollment accepted";
  } catch (const RegistryError& e) {
    EXPECT_EQ(e.code, "selective_enrollment");
    EXPECT_NE(e.zh.find(mask_id(kM)), std::string::npos) << e.zh;
    EXPECT_EQ(e.zh.find(kM), std::string::npos);
    EXPECT_NE(e.zh.find("不得选择性参保"), std::string::npos);
  }
  EXPECT_TRUE(st_->enrollments_of(kF, 2024).empty());

  // The mother is on the employee-insurance roster: accounted for.
  TempFile emp(".csv", "身份证号,姓名,单位,参保日期\n" + kM + ",李四,某公司,2020-01-01\n");
  auto r = import_employee_roster(*st_, emp.path(), opts(), D("2023-09-30"));
  ASSERT_TRUE(r.committed) << r.report_json();
  auto ids = enroll_household(*st_, req);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(st_->enrollments_of(kF, 2024).size(), 1u);
  EXPECT_EQ(st_->audit_trail("enrollment", std::to_string(ids[0])).size(), 1u);
  // She cannot enroll in the resident scheme as well.
  EnrollRequest mom{"H1", {kM}, 2024, R("341702100201"), D("2023-10-01"), "collector"};
  try {
    enroll_household(*st_, mom);
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_EQ(e.code, "employee_insured");
  }
  // Enrolling the father again is a duplicate.
  EnrollRequest again{"H1", {kF}, 2024, R("341702100201"), D("2023-10-02"), "collector"};
  try {
    enroll_household(*st_, again);
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_EQ(e.code, "duplicate_enrollment");
  }
}

TEST_P(RegistryTest, AccountedForDeceasedAndUniversityStudents) {
  std::string u = make_id("341702", "20040505", 61);
  TempFile roster(".csv", roster_zh() + u + ",张大学,H1,341702100201,,大学生,\n");
  ASSERT_TRUE(import_roster(*st_, roster.path(), opts()).committed);
  register_death(*st_, kM, D("2023-08-01"), "clerk");
  EnrollRequest req{"H1", {kF, kC}, 2024, R("341702100201"), D("2023-10-01"), "collector"};
  auto status = household_status(*st_, "H1", 2024, req.persons, req.today);
  ASSERT_EQ(status.size(), 4u);
  for (auto& s : status) {
    if (s.id_number == kM) {
      EXPECT_EQ(s.why, Accounted::deceased);
    }
    if (s.id_number == u) {
      EXPECT_EQ(s.why, Accounted::university_student);
    }
  }
  EXPECT_EQ(enroll_household(*st_, req).size(), 2u);
  EXPECT_TRUE(st_->person(kM));  // nothing deleted
}

TEST_P(RegistryTest, ConflictsMovesAndSuspension) {
  TempFile roster(".csv", roster_zh());
  ASSERT_TRUE(import_roster(*st_, roster.path(), opts()).committed);
  auto ids = enroll_household(*st_, {"H2", {kS}, 2024, R("341702100202"), D("2023-10-01"), "c"});
  ASSERT_EQ(ids.size(), 1u);
  // Enrolling at a new place without 参保暂停 is refused…
  move_household(*st_, "H2", R("421223200201"), D("2023-11-01"), "clerk");
  EXPECT_EQ(st_->person(kS)->hukou.str(), "421223200201");
  EnrollRequest there{"H2", {kS}, 2024, R("421223200201"), D("2023-11-02"), "c"};
  try {
    enroll_household(*st_, there);
    FAIL();
  } catch (const RegistryError& e) {
    EXPECT_EQ(e.code, "duplicate_enrollment");
    EXPECT_NE(e.zh.find("参保暂停"), std::string::npos) << e.zh;
  }
  // …and a record written behind the rules' back is found, naming both records.
  store::Enrollment rogue;
  rogue.person = kS;
  rogue.year = 2024;
  rogue.place = R("421223200201");
  rogue.household = "H2";
  rogue.id = st_->add_enrollment(rogue);
  auto found = find_conflicts(*st_, R("421223"), 2024, D("2023-12-01"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].code, "two_places");
  EXPECT_EQ(found[0].first, ids[0]);
  EXPECT_EQ(found[0].second, rogue.id);
  EXPECT_NE(found[0].zh.find("341702100202"), std::string::npos);
  EXPECT_NE(found[0].zh.find("421223200201"), std::string::npos);
  // After suspension at the old place the finding goes away.
  suspend_enrollment(*st_, ids[0], D("2023-11-02"), "clerk");
  EXPECT_EQ(st_->enrollment(ids[0])->status, EnrollmentStatus::suspended);
  EXPECT_TRUE(find_conflicts(*st_, {}, 2024, D("2023-12-01")).empty());
  // Same place twice.
  store::Enrollment twin = rogue;
  twin.id = st_->add_enrollment(twin);
  found = find_conflicts(*st_, {}, 2024, D("2023-12-01"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].code, "same_place_twice");
}

TEST_P(RegistryTest, BirthDeathAndFacts) {
  TempFile roster(".csv", roster_zh());
  ASSERT_TRUE(import_roster(*st_, roster.path(), opts()).committed);
  auto ids = enroll_household(*st_, {"H2", {kS}, 2024, R("341702100202"), D("2023-10-01"), "c"});
  auto e = *st_->enrollment(ids[0]);
  e.status = EnrollmentStatus::paid;
  e.paid_on = D("2023-10-05");
  st_->update_enrollment(e);
  auto ids25 = enroll_household(*st_, {"H2", {kS}, 2025, R("341702100202"), D("2024-10-01"), "c"});

  store::Person nb;
  nb.id_number = make_id("341702", "20240110", 71);
  nb.name = "张宝";
  nb.birth = D("2024-01-10");
  nb.household = "H1";
  nb.hukou = R("341702100201");
  nb.parent_insured = 1;
  register_birth(*st_, nb, "clerk");
  EXPECT_EQ(st_->household_members("H1").size(), 4u);
  EXPECT_EQ(st_->person(nb.id_number)->event, Event::birth);

  register_death(*st_, kS, D("2024-06-01"), "clerk");
  EXPECT_EQ(st_->enrollment(ids[0])->ended_on, D("2024-06-01"));
  EXPECT_EQ(st_->enrollment(ids[0])->status, EnrollmentStatus::paid);
  EXPECT_EQ(st_->enrollment(ids25[0])->status, EnrollmentStatus::cancelled);
  EXPECT_EQ(st_->audit_trail("person", kS).size(), 1u);

  std::map<std::string, PersonFacts> seen;
  std::vector<std::string> keep;
  build_facts(*st_, {}, 2024, 100, [&](const FactsChunk& c) {
    for (auto& f : c.facts) seen[std::string(f.id_number)] = f;
  });
  EXPECT_EQ(seen.size(), 5u);  // died in 2024: still assessed for 2024
  EXPECT_TRUE(seen[kS].has_paid_on);
  EXPECT_EQ(seen[kS].paid_on, D("2023-10-05"));
  EXPECT_EQ(seen[kS].disability_grade, 1);
  EXPECT_TRUE(seen[kS].has(Category::severe_disability));
  int n2025 = 0;
  build_facts(*st_, {}, 2025, 100, [&](const FactsChunk& c) { n2025 += int(c.facts.size()); });
  EXPECT_EQ(n2025, 4);
}

TEST_P(RegistryTest, TargetsFromSeedTables) {
  st_->put_regions(std::vector<store::Region>{{R("421223200"), "肖岭乡"},
                                              {R("421223200201"), "白马村"},
                                              {R("421223200202"), "锁石"}});
  TempFile xl(".csv",
              "村名,总人口,应参保人数,咸惠宝应参保人数\n白马,4702,3731,961\n锁石,2187,1734,447\n合计,6889,5465,1408\n");
  auto r = import_targets(*st_, xl.path(), opts(), 2024, R("421223200"));
  ASSERT_TRUE(r.committed) << r.report_json();
  EXPECT_EQ(r.rows_written, 2);
  EXPECT_TRUE(r.findings.empty()) << (r.findings.empty() ? "" : r.findings[0].message);
  auto ts = st_->targets(R("421223200"), 2024);
  ASSERT_EQ(ts.size(), 2u);
  // 白马 is not exactly "白马村": falls back to the township code; 锁石 matched by name.
  bool baima = false, suoshi = false;
  for (auto& t : ts) {
    if (t.unit == "白马") { baima = true; EXPECT_EQ(t.target, 3731); EXPECT_EQ(t.region.str(), "421223200"); }
    if (t.unit == "锁石") { suoshi = true; EXPECT_EQ(t.region.str(), "421223200202"); }
    EXPECT_NE(t.extra_json.find("总人口"), std::string::npos);
  }
  EXPECT_TRUE(baima && suoshi);

  TempFile gc(".csv", "单位,2024 年任务数\n贵池区,510000\n高 校,21300\n殷汇镇,39100\n");
  auto g = import_targets(*st_, gc.path(), opts(), 2024, R("341702"));
  ASSERT_TRUE(g.committed) << g.report_json();
  EXPECT_EQ(st_->targets(R("341702"), 2024).size(), 3u);

  TempFile bad(".csv", "村名,应参保人数\n白马,三千\n合计,1\n");
  auto b = import_targets(*st_, bad.path(), opts(), 2025, R("421223200"));
  EXPECT_FALSE(b.committed);
  ASSERT_EQ(b.problems.size(), 1u);
  EXPECT_EQ(b.problems[0].reason, "应为非负整数");

  TempFile sum(".csv", "村名,应参保人数\n白马,10\n锁石,20\n合计,31\n");
  auto s = import_targets(*st_, sum.path(), opts(), 2026, R("421223200"));
  ASSERT_EQ(s.findings.size(), 1u);
  EXPECT_EQ(s.findings[0].code, "total_mismatch");
}

// Import speed on a generated roster. Runs only with CANBAO_BENCH_ROWS set
// (e.g. 1583685); prints rows/s. Never asserted.
TEST_P(RegistryTest, ImportSpeed) {
  const char* rows = std::getenv("CANBAO_BENCH_ROWS");
  if (!rows) GTEST_SKIP() << "set CANBAO_BENCH_ROWS to measure import speed";
  std::string path = (std::filesystem::temp_directory_path() / ("canbao_bench_" + std::string(rows) + ".csv")).string();
  if (!std::filesystem::exists(path)) {
    io::GenOptions g;
    g.region = R("341702");
    g.persons = std::atoll(rows);
    std::ofstream out(path, std::ios::binary);
    io::generate_roster(g, out);
  }
  auto o = opts();
  o.today = D("2024-12-31");
  auto t0 = std::chrono::steady_clock::now();
  auto r = import_roster(*st_, path, o);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.committed) << r.report_json().substr(0, 2000);
  std::printf("[bench] %s: %lld rows in %.2f s = %.0f rows/s\n", GetParam().c_str(), (long long)r.rows_written, s,
              double(r.rows_written) / s);
}
