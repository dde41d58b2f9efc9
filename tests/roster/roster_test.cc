// Every error path of the roster reader, and the happy paths (headers in
// Chinese or English, BOM, GB18030, dated categories).
#include <gtest/gtest.h>
#include <iconv.h>

#include <filesystem>
#include <fstream>

#include "core/id_number.h"
#include "io/roster.h"

using namespace canbao;
using namespace canbao::io;

namespace {

std::string id_for(const char* prefix17) {
  std::string s(prefix17);
  s.push_back(IdNumber::check_char(s));
  return s;
}

std::string write_file(const std::string& name, const std::string& body) {
  auto dir = std::filesystem::temp_directory_path() / "canbao-roster-test";
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << body;
  return path;
}

struct Read {
  std::vector<RosterRecord> good;
  std::vector<RowError> errors;
};

Read read_all(const std::string& path) {
  Read r;
  RosterReader reader(open_table(path), *Date::parse("2024-06-30"));
  RosterRecord rec;
  bool ok;
  while (reader.next(rec, ok, r.errors))
    if (ok) r.good.push_back(rec);
  return r;
}

const std::string kGood = id_for("34170219800101001");

}  // namespace

TEST(Roster, EnglishHeaders) {
  auto path = write_file("en.csv",
                         "id_number,name,household_id,hukou_region,categories,disability_grade,paid_on\n" + kGood +
                             ",张三,H1,341702100201,minimum_living;重度残疾人@2023-08-01,2,2023-10-01\n");
  auto r = read_all(path);
  ASSERT_EQ(r.errors.size(), 0u);
  ASSERT_EQ(r.good.size(), 1u);
  auto& p = r.good[0];
  EXPECT_EQ(p.id_number, kGood);
  EXPECT_EQ(p.birth, *Date::parse("1980-01-01"));
  EXPECT_TRUE(p.categories & bit(Category::minimum_living));
  EXPECT_TRUE(p.categories & bit(Category::severe_disability));
  ASSERT_EQ(p.dated.size(), 1u);
  EXPECT_EQ(p.dated[0].since, *Date::parse("2023-08-01"));
  EXPECT_EQ(p.disability_grade, 2);
  EXPECT_TRUE(p.has_paid_on);
  auto f = p.facts();
  EXPECT_EQ(f.id_number, kGood);
  EXPECT_EQ(f.dated.size(), 1u);
}

TEST(Roster, ChineseHeadersWithBom) {
  auto path = write_file("zh.csv", "\xEF\xBB\xBF身份证号,姓名,户号,户籍地区划,人员类别,特殊事件,事件日期,父母参保\n" + kGood +
                                       ",李四,H2,341702100201,低保对象、监测户,退出现役,2024-01-15,否\n");
  auto r = read_all(path);
  ASSERT_EQ(r.errors.size(), 0u) << r.errors[0].str();
  ASSERT_EQ(r.good.size(), 1u);
  EXPECT_EQ(r.good[0].event, Event::discharged_from_army);
  EXPECT_EQ(r.good[0].parent_insured, 0);
  EXPECT_TRUE(r.good[0].categories & bit(Category::monitored));
}

TEST(Roster, Gb18030) {
  std::string utf8 = "身份证号,姓名,户号,户籍地区划,人员类别\n" + kGood + ",王五,H3,341702100201,特困供养人员\n";
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  ASSERT_NE(cd, (iconv_t)-1);
  std::string out(utf8.size() * 2, '\0');
  char* in = utf8.data();
  size_t inleft = utf8.size(), outleft = out.size();
  char* o = out.data();
  ASSERT_NE(iconv(cd, &in, &inleft, &o, &outleft), (size_t)-1);
  iconv_close(cd);
  out.resize(out.size() - outleft);
  auto r = read_all(write_file("gb.csv", out));
  ASSERT_EQ(r.good.size(), 1u);
  EXPECT_EQ(r.good[0].name, "王五");
  EXPECT_TRUE(r.good[0].categories & bit(Category::extreme_poverty));
}

TEST(Roster, MissingRequiredColumns) {
  auto path = write_file("missing.csv", "id_number,name\n" + kGood + ",张三\n");
  try {
    read_all(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("household_id, hukou_region"), std::string::npos);
    EXPECT_NE(e.zh.find("户号、户籍地区划"), std::string::npos);
  }
}

TEST(Roster, EveryBadCellIsNamed) {
  std::string bad_check = kGood.substr(0, 17) + (kGood[17] == '0' ? "1" : "0");
  std::string feb30 = id_for("34170219900230001");
  std::string future = id_for("34170220300101001");
  std::string body = "id_number,name,household_id,hukou_region,residence_region,categories,disability_grade,event,event_date,"
                     "employee_months,parent_insured,paid_on\n";
  body += bad_check + ",甲,H1,341702100201,,,,,,,,\n";                         // row 2: check digit
  body += feb30 + ",乙,H1,341702100201,,,,,,,,\n";                             // row 3: Feb 30
  body += future + ",丙,H1,341702100201,,,,,,,,\n";                            // row 4: future
  body += "12345,丁,H1,341702100201,,,,,,,,\n";                                // row 5: length
  body += kGood + ",,H1,341702100201,,,,,,,,\n";                               // row 6: name
  body += kGood + ",戊,,341702100201,,,,,,,,\n";                               // row 7: household
  body += kGood + ",己,H1,34170,,,,,,,,\n";                                    // row 8: region
  body += kGood + ",庚,H1,341702100201,abc,,,,,,,\n";                          // row 9: residence
  body += kGood + ",辛,H1,341702100201,,外星人,,,,,,\n";                        // row 10: category
  body += kGood + ",壬,H1,341702100201,,,5,,,,,\n";                            // row 11: grade
  body += kGood + ",癸,H1,341702100201,,,,结婚,2024-01-01,,,\n";                // row 12: event
  body += kGood + ",子,H1,341702100201,,,,discharged_from_army,,,,\n";          // row 13: event without date
  body += kGood + ",丑,H1,341702100201,,,,,2024-01-01,,,\n";                    // row 14: date without event
  body += kGood + ",寅,H1,341702100201,,,,,,many,,\n";                          // row 15: months
  body += kGood + ",卯,H1,341702100201,,,,,,,maybe,\n";                         // row 16: parent
  body += kGood + ",辰,H1,341702100201,,,,,,,,2023-02-30\n";                    // row 17: paid_on
  body += kGood + ",巳,H1,341702100201,,,,,,,,1979-12-31\n";                    // row 18: paid before birth
  body += kGood + ",午,H1,341702100201,,,,,,,,2023-10-01\n";                    // row 19: good
  auto r = read_all(write_file("bad.csv", body));
  ASSERT_EQ(r.good.size(), 1u);
  std::vector<std::pair<int64_t, std::string>> want = {
      {2, "check digit"}, {3, "real calendar day"}, {4, "future"}, {5, "18 (or legacy 15)"},
      {6, "name is empty"}, {7, "household id is empty"}, {8, "division code"}, {9, "division code"},
      {10, "unknown category"}, {11, "disability grade"}, {12, "unknown event"}, {13, "event_date is required"},
      {14, "without an event"}, {15, "employee_months"}, {16, "parent_insured"}, {17, "real day"},
      {18, "before the birth date"}};
  ASSERT_EQ(r.errors.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r.errors[i].row, want[i].first);
    EXPECT_NE(r.errors[i].reason_en.find(want[i].second), std::string::npos) << r.errors[i].str();
    EXPECT_FALSE(r.errors[i].reason_zh.empty());
  }
  // ID numbers in error reports are masked.
  EXPECT_EQ(r.errors[0].value, mask_id(bad_check));
  EXPECT_EQ(r.errors[0].str().rfind("row 2, column id_number:", 0), 0u);
}

TEST(Roster, LegacyFifteenDigitUpgraded) {
  auto r = read_all(write_file("legacy.csv", "id_number,name,household_id,hukou_region\n341702800101123,张,H1,341702100201\n"));
  ASSERT_EQ(r.good.size(), 1u);
  EXPECT_EQ(r.good[0].id_number.size(), 18u);
}

TEST(Roster, CategoryCellSeparators) {
  CategoryMask m;
  std::vector<DatedCategory> d;
  std::string bad;
  EXPECT_TRUE(parse_categories_cell("低保对象；脱贫人口, monitored、 孤儿", m, d, bad));
  EXPECT_EQ(m, bit(Category::minimum_living) | bit(Category::lifted_from_poverty) | bit(Category::monitored) |
                   bit(Category::orphan));
  EXPECT_FALSE(parse_categories_cell("低保对象@2023-13-01", m, d, bad));
}

// Issue 12 item 14: the message says which codes are accepted (9-digit township codes are).
TEST(Roster, BadDivisionCodeSaysWhatIsAccepted) {
  auto r = read_all(write_file("region9.csv", "id_number,name,household_id,hukou_region\n" + kGood + ",张,H1,34170\n" +
                                                  kGood + ",李,H1,341702100\n"));
  ASSERT_EQ(r.good.size(), 1u);
  EXPECT_EQ(r.good[0].hukou.str(), "341702100");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].reason_zh.find("2、4、6、9或12位"), std::string::npos) << r.errors[0].str_zh();
  EXPECT_NE(r.errors[0].reason_en.find("2, 4, 6, 9 or 12 digits"), std::string::npos) << r.errors[0].str();
}

// Issue 12 items 6 and 7: 学校所在地 and 上年本地参保, Chinese or English headers.
TEST(Roster, SchoolRegionAndInsuredLastYear) {
  auto zh = read_all(write_file("school_zh.csv", "身份证号,姓名,户号,户籍地区划,学校所在地,上年本地参保\n" + kGood +
                                                    ",张,H1,341702100201,341721,否\n" + kGood + ",李,H1,341702100201,,是\n" +
                                                    kGood + ",王,H1,341702100201,,\n"));
  ASSERT_EQ(zh.errors.size(), 0u) << zh.errors[0].str();
  ASSERT_EQ(zh.good.size(), 3u);
  EXPECT_EQ(zh.good[0].facts().school_region.str(), "341721");
  EXPECT_EQ(zh.good[0].facts().insured_last_year, 0);
  EXPECT_TRUE(zh.good[1].facts().school_region.empty());
  EXPECT_EQ(zh.good[1].facts().insured_last_year, 1);
  EXPECT_EQ(zh.good[2].facts().insured_last_year, -1);
  auto en = read_all(write_file("school_en.csv", "id_number,name,household_id,hukou_region,school_region,insured_last_year\n" +
                                                    kGood + ",张,H1,341702100201,341702100,no\n" + kGood +
                                                    ",李,H1,341702100201,34170,maybe\n"));
  ASSERT_EQ(en.good.size(), 1u);
  EXPECT_EQ(en.good[0].school.str(), "341702100");
  EXPECT_EQ(en.good[0].insured_last_year, 0);
  ASSERT_EQ(en.errors.size(), 2u);
  EXPECT_EQ(en.errors[0].column, "school_region");
  EXPECT_EQ(en.errors[0].reason_zh, kBadRegionZh);
  EXPECT_EQ(en.errors[1].column, "insured_last_year");
  EXPECT_EQ(en.errors[1].reason_zh, "上年本地参保应为“是”或“否”");
  // The columnar batch path carries both.
  std::vector<RowError> errs;
  auto cols = read_roster_columns(write_file("school_cols.csv", "身份证号,姓名,户号,户籍地区划,学校所在地,上年本地参保\n" +
                                                                 kGood + ",张,H1,341702100201,341721,否\n"),
                                  *Date::parse("2024-06-30"), errs);
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_EQ(cols.facts(0).school_region.str(), "341721");
  EXPECT_EQ(cols.facts(0).insured_last_year, 0);
}
