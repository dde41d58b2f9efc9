// XLSX imports, idempotency, all-or-nothing on a filled registry, the bulk
// (first-load) path, division codes and `assess --db` — on both engines.
#include <gtest/gtest.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../store/store_fixture.h"
#include "io/policy_file.h"
#include "io/xlsx_writer.h"
#include "registry/assess_db.h"
#include "registry/import.h"
#include "registry/regions.h"
#include "io/roster.h"

using namespace canbao;
using namespace canbao::registry;
using canbao::testing::EngineTest;
using canbao::testing::make_id;

namespace {
Date D(const char* s) { return *Date::parse(s); }
RegionCode R(const char* s) { return *RegionCode::parse(s); }

std::string temp(const std::string& ext) {
  return (std::filesystem::temp_directory_path() / (canbao::testing::unique_name("canbao_idb") + ext)).string();
}
struct Cleanup {
  std::vector<std::string> paths;
  ~Cleanup() {
    for (auto& p : paths) {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  }
};
std::string write_text(Cleanup& c, const std::string& ext, const std::string& text) {
  auto p = temp(ext);
  std::ofstream(p, std::ios::binary) << text;
  c.paths.push_back(p);
  return p;
}
ImportOptions opts(ImportMode mode = ImportMode::all_or_nothing) {
  ImportOptions o;
  o.mode = mode;
  o.actor = "tester";
  o.today = D("2023-12-31");
  return o;
}

const std::string kF = make_id("341702", "19800101", 11);
const std::string kM = make_id("341702", "19820202", 22);
const std::string kC = make_id("341702", "20100303", 31);
const std::string kS = make_id("341702", "19500404", 41);
const std::string kN = make_id("341702", "19700505", 51);

const std::vector<std::string> kHeader = {"身份证号", "姓名", "户号", "户籍地区划", "人员类别", "缴费日期"};
}  // namespace

class ImportDbTest : public EngineTest {};
CANBAO_ENGINES(ImportDbTest);

TEST_P(ImportDbTest, XlsxRosterWrittenByXlsxWriter) {
  Cleanup c;
  auto path = temp(".xlsx");
  c.paths.push_back(path);
  {
    io::XlsxWriter w(path);
    w.add_sheet("花名册", kHeader);
    w.add_row({kF, "张三", "H1", "341702100201", "低保;脱贫人口", D("2023-10-08")});
    w.add_row({kM, "李四", "H1", "341702100201", "", ""});
    w.add_row({kC, "张小红", "H1", "341702100201", "在校学生", ""});
    w.add_row({kS, "王五", "H2", "341702100202", "", ""});
    w.close();
  }
  auto o = opts();
  o.enroll_year = 2024;
  auto r = import_roster(*st_, path, o);
  ASSERT_TRUE(r.committed) << r.report_json();
  EXPECT_EQ(r.rows_written, 4);
  EXPECT_EQ(st_->count_persons(R("341702")), 4);
  auto cats = st_->categories_of(kF);
  ASSERT_EQ(cats.size(), 2u);
  EXPECT_EQ(cats[0].source, "roster");
  auto es = st_->enrollments_of(kF, 2024);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].status, store::EnrollmentStatus::paid);
  EXPECT_EQ(es[0].paid_on, D("2023-10-08"));
  EXPECT_EQ(st_->enrollments_of(kM, 2024).at(0).status, store::EnrollmentStatus::registered);
  EXPECT_EQ(st_->household_members("H1").size(), 3u);
}

TEST_P(ImportDbTest, XlsxIdTypedAsNumberIsRejected) {
  Cleanup c;
  auto path = temp(".xlsx");
  c.paths.push_back(path);
  lxw_workbook* wb = workbook_new(path.c_str());
  lxw_worksheet* ws = workbook_add_worksheet(wb, nullptr);
  for (int k = 0; k < 4; ++k) worksheet_write_string(ws, 0, lxw_col_t(k), kHeader[size_t(k)].c_str(), nullptr);
  worksheet_write_string(ws, 1, 0, kF.c_str(), nullptr);
  worksheet_write_number(ws, 2, 0, std::stod(kM), nullptr);  // Excel turned the ID into a number
  for (int r = 1; r <= 2; ++r) {
    worksheet_write_string(ws, lxw_row_t(r), 1, "张三", nullptr);
    worksheet_write_string(ws, lxw_row_t(r), 2, "H1", nullptr);
    worksheet_write_string(ws, lxw_row_t(r), 3, "341702100201", nullptr);
  }
  ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);
  auto r = import_roster(*st_, path, opts());
  EXPECT_FALSE(r.committed);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].row, 3);
  EXPECT_NE(r.problems[0].reason.find("精度丢失"), std::string::npos) << r.problems[0].reason;
  EXPECT_EQ(st_->count_persons({}), 0);
  EXPECT_FALSE(st_->person(kF));
}

TEST_P(ImportDbTest, ReimportIsNoOpAndUpsertPathUpdates) {
  Cleanup c;
  std::string head = "身份证号,姓名,户号,户籍地区划,人员类别\n";
  auto f1 = write_text(c, ".csv", head + kF + ",张三,H1,341702100201,低保\n" + kM + ",李四,H1,341702100201,\n");
  auto r1 = import_roster(*st_, f1, opts());
  ASSERT_TRUE(r1.committed) << r1.report_json();
  auto r2 = import_roster(*st_, f1, opts());
  EXPECT_TRUE(r2.already_imported);
  EXPECT_EQ(r2.batch_id, r1.batch_id);
  EXPECT_EQ(st_->count_persons({}), 2);
  // A second file: one existing person changed (upsert), one new.
  auto f2 = write_text(c, ".csv", head + kF + ",张三丰,H1,341702100201,脱贫人口\n" + kS + ",王五,H2,341702100202,\n");
  auto r3 = import_roster(*st_, f2, opts());
  ASSERT_TRUE(r3.committed) << r3.report_json();
  EXPECT_EQ(st_->count_persons({}), 3);
  EXPECT_EQ(st_->person(kF)->name, "张三丰");
  auto cats = st_->categories_of(kF);
  ASSERT_EQ(cats.size(), 1u);
  EXPECT_EQ(cats[0].category, Category::lifted_from_poverty);
  // Keys are enforced after the first (index-less) load.
  EXPECT_THROW(st_->insert_persons(std::vector<store::Person>{*st_->person(kS)}), store::StoreError);
}

TEST_P(ImportDbTest, RejectedBatchLeavesFilledRegistryUnchanged) {
  Cleanup c;
  std::string head = "身份证号,姓名,户号,户籍地区划\n";
  auto f1 = write_text(c, ".csv", head + kF + ",张三,H1,341702100201\n" + kM + ",李四,H1,341702100201\n");
  ASSERT_TRUE(import_roster(*st_, f1, opts()).committed);
  auto bad = write_text(c, ".csv", head + kF + ",改名,H1,341702100201\n" + kS + ",王五,H2,341702100202\n" +
                                       "123,坏行,H3,341702100202\n");
  auto r = import_roster(*st_, bad, opts());
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.rows_rejected, 1);
  EXPECT_EQ(st_->count_persons({}), 2);
  EXPECT_EQ(st_->person(kF)->name, "张三");
  EXPECT_FALSE(st_->person(kS));
  EXPECT_FALSE(st_->household("H2"));
  // --partial writes the good rows.
  auto rp = import_roster(*st_, bad, opts(ImportMode::partial));
  EXPECT_TRUE(rp.committed);
  EXPECT_EQ(rp.rows_written, 2);
  EXPECT_EQ(st_->person(kF)->name, "改名");
}

// Issue 12 items 6, 7, 14: the importer reads 学校所在地 (stored on the person,
// so `assess --db` and the server see it) and checks 上年本地参保, with the
// assess reader's messages; a bad division code says what is accepted.
TEST_P(ImportDbTest, SchoolRegionAndInsuredLastYearColumns) {
  Cleanup c;
  std::string head = "身份证号,姓名,户号,户籍地区划,学校所在地,上年本地参保\n";
  auto good = write_text(c, ".csv", head + kC + ",张小,H1,341702100201,341721,否\n" + kF + ",张三,H1,341702100201,,是\n");
  auto r = import_roster(*st_, good, opts());
  ASSERT_TRUE(r.committed) << (r.problems.empty() ? "" : r.problems[0].reason);
  EXPECT_EQ(st_->person(kC)->school_region.str(), "341721");
  EXPECT_TRUE(st_->person(kF)->school_region.empty());
  auto bad = write_text(c, ".csv", head + kM + ",李四,H2,34170,34170,也许\n");
  auto rb = import_roster(*st_, bad, opts());
  EXPECT_FALSE(rb.committed);
  ASSERT_EQ(rb.problems.size(), 3u);
  EXPECT_EQ(rb.problems[0].column, "户籍地区划");
  EXPECT_EQ(rb.problems[0].reason, io::kBadRegionZh);
  EXPECT_NE(rb.problems[0].reason.find("2、4、6、9或12位"), std::string::npos);
  EXPECT_EQ(rb.problems[1].column, "学校所在地");
  EXPECT_EQ(rb.problems[1].reason, io::kBadRegionZh);
  EXPECT_EQ(rb.problems[2].column, "上年本地参保");
  EXPECT_EQ(rb.problems[2].reason, io::kBadInsuredLastYearZh);
  // The template carries the new headers.
  auto h = import_template_header("roster");
  EXPECT_NE(std::find(h.begin(), h.end(), "学校所在地"), h.end());
  EXPECT_NE(std::find(h.begin(), h.end(), "上年本地参保"), h.end());
}

TEST_P(ImportDbTest, RejectedFirstLoadRestoresIndexes) {
  Cleanup c;
  std::string head = "身份证号,姓名,户号,户籍地区划\n";
  auto bad = write_text(c, ".csv", head + kF + ",张三,H1,341702100201\n" + kF + ",重复,H1,341702100201\n");
  auto r = import_roster(*st_, bad, opts());
  EXPECT_FALSE(r.committed);
  EXPECT_NE(r.problems.at(0).reason.find("重复"), std::string::npos);
  EXPECT_EQ(st_->count_persons({}), 0);
  // The dropped indexes and keys came back with the rollback.
  store::Household h{"H9", R("341702100201"), "", ""};
  st_->insert_households(std::vector<store::Household>{h});
  EXPECT_THROW(st_->insert_households(std::vector<store::Household>{h}), store::StoreError);
}

TEST_P(ImportDbTest, RegionsSeedFileLoadsDevelopmentZonesAndFarms) {
  auto r = import_regions(*st_, std::string(CANBAO_SOURCE_DIR) + "/data/regions/seed-jurisdictions-2023.csv");
  ASSERT_TRUE(r.ok()) << r.problems.at(0).reason;
  EXPECT_EQ(r.by_level[2], 4);
  EXPECT_EQ(r.by_level[6], 10);
  EXPECT_EQ(st_->regions_under(R("140500")).size() > 1000, true);
  auto kfq = st_->region(R("341702401"));
  ASSERT_TRUE(kfq);
  EXPECT_EQ(kfq->name, "池州经济技术开发区");
  ASSERT_TRUE(st_->region(R("150823400")));  // 中滩农场
  EXPECT_EQ(st_->regions_under(R("421223200")).size(), 11u);  // 肖岭乡 and its 10 villages
  EXPECT_EQ(st_->regions_under(R("150424101")).size(), 13u);  // 新城子镇 and its 12 villages
  // A bad code rejects the file.
  Cleanup c;
  auto bad = write_text(c, ".csv", "code,name\n34170,半截\n");
  EXPECT_FALSE(import_regions(*st_, bad).ok());
}

TEST_P(ImportDbTest, AssessDbStoresResults) {
  Cleanup c;
  auto f = write_text(c, ".csv",
                      "身份证号,姓名,户号,户籍地区划,人员类别,缴费日期\n" + kF + ",张三,H1,341702100201,低保,2023-10-08\n" +
                          kM + ",李四,H1,341702100201,,\n" + kN + ",赵六,H3,341702100201,,\n");
  auto o = opts();
  o.enroll_year = 2024;
  ASSERT_TRUE(import_roster(*st_, f, o).committed);
  // 赵六 has no enrollment for 2024.
  ASSERT_EQ(st_->enrollments_of(kN, 2024).size(), 1u);
  auto e = st_->enrollments_of(kN, 2024)[0];
  e.status = store::EnrollmentStatus::cancelled;
  st_->update_enrollment(e);
  auto load = io::load_policy_file(std::string(CANBAO_SOURCE_DIR) + "/policies/2024/guichi.toml");
  ASSERT_TRUE(load.ok());
  std::vector<Policy> ps{*load.policy};
  AssessDbOptions ao;
  ao.year = 2024;
  ao.as_of = D("2023-11-01");
  auto r = assess_registry(*st_, ps, ao);
  EXPECT_EQ(r.assessed, 2);
  EXPECT_EQ(r.not_enrolled, 1);
  EXPECT_EQ(st_->count_assessments(R("341702"), 2024), 2);
  auto a = st_->assessment(kF, 2024);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->eligible);
  EXPECT_EQ(a->enrollment_status, "paid");
  EXPECT_GT(a->subsidy_fen, 0);
  EXPECT_EQ(a->standard_fen, a->subsidy_fen + a->due_fen);
  EXPECT_NE(a->subsidy_lines_json.find("amount_fen"), std::string::npos);
  EXPECT_TRUE(a->coverage_start);
  auto m = st_->assessment(kM, 2024);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->subsidy_fen, 0);
  EXPECT_EQ(m->due_fen, m->standard_fen);
  EXPECT_FALSE(st_->assessment(kN, 2024));
  // Assessing again replaces, not duplicates.
  assess_registry(*st_, ps, ao);
  EXPECT_EQ(st_->count_assessments({}, 2024), 2);
}
