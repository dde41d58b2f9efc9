// Issue 13 item 2: one roster reader. The same file read by `assess`'s path
// (io::RosterReader over io::open_table) and imported into the registry (from
// the path, as the CLI does, and from memory, as an upload is) accepts the
// same rows and refuses the same rows with the same messages — whatever the
// encoding (UTF-8, BOM, GB18030, .xlsx) and whichever header spelling either
// former reader accepted (certno, 户籍地区划代码, …).
#include <gtest/gtest.h>
#include <iconv.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "../store/store_fixture.h"
#include "io/roster.h"
#include "io/xlsx_writer.h"
#include "registry/import.h"

using namespace canbao;
using canbao::testing::EngineTest;
using canbao::testing::make_id;

namespace {

const Date kToday = *Date::parse("2024-06-30");

std::string temp_path(const std::string& ext) {
  return (std::filesystem::temp_directory_path() / (canbao::testing::unique_name("canbao_parity") + ext)).string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string to_gb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2, '\0');
  std::string in = utf8;
  char* ip = in.data();
  char* op = out.data();
  size_t il = in.size(), ol = out.size();
  iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  out.resize(out.size() - ol);
  return out;
}

// (row, column as written, Chinese reason, English reason)
using Refusal = std::tuple<int64_t, std::string, std::string, std::string>;

struct Outcome {
  std::set<std::string> accepted;  // ID numbers
  std::vector<Refusal> refused;
  int64_t rows = 0;
};

Outcome read_for_assess(const std::string& path) {
  Outcome o;
  io::RosterReader reader(io::open_table(path), kToday);
  io::RosterRecord rec;
  std::vector<io::RowError> errors;
  bool ok = false;
  while (reader.next(rec, ok, errors)) {
    ++o.rows;
    if (ok) o.accepted.insert(rec.id_number);
  }
  for (auto& e : errors) o.refused.emplace_back(e.row, e.column, e.reason_zh, e.reason_en);
  return o;
}

Outcome from_import(store::Store& st, const registry::ImportResult& r, const std::vector<std::string>& ids) {
  Outcome o;
  o.rows = r.rows_total;
  for (auto& p : r.problems) o.refused.emplace_back(p.row, p.column, p.reason, p.reason_en);
  for (auto& id : ids)
    if (st.person(id)) o.accepted.insert(id);
  EXPECT_EQ(int64_t(o.accepted.size()), r.rows_written);
  return o;
}

registry::ImportOptions partial() {
  registry::ImportOptions o;
  o.mode = registry::ImportMode::partial;
  o.actor = "parity";
  o.today = kToday;
  return o;
}

// One ID per row so that the registry's own check (a person once per file)
// never fires: every difference left is the reader's.
struct Rows {
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> cells;
};

Rows sample_rows() {
  Rows r;
  auto id = [&](int i) { return make_id("341702", "19800101", 100 + i); };
  std::string bad_check = id(1).substr(0, 17) + (id(1)[17] == '1' ? "2" : "1");
  // id_number, name, household, hukou, residence, categories, grade, event, event_date, parent_insured, paid_on
  r.cells = {
      {id(0), "张三", "H1", "341702100201", "", "minimum_living@2023-09-15;脱贫人口", "", "", "", "", "2023-10-08"},
      {bad_check, "李四", "H1", "341702100201", "", "", "", "", "", "", ""},
      {id(2), "", "H1", "341702100201", "", "", "", "", "", "", ""},
      {id(3), "王五", "H2", "34170", "", "", "", "", "", "", ""},
      {id(4), "赵六", "H2", "341702100201", "abc", "贫困户", "", "", "", "", ""},
      {id(5), "钱七", "H3", "341702100201", "", "重度残疾人", "5", "", "", "", ""},
      {id(6), "孙八", "H3", "341702100201", "", "", "二级", "退出现役", "", "", ""},
      {id(7), "周九", "H4", "341702100201", "", "", "", "", "2024-01-01", "也许", ""},
      {id(8), "吴十", "H4", "341702100201", "341702100202", "低保对象、监测户", "", "", "", "否", "2023-02-30"},
      {id(9), "郑一", "", "341702100201", "", "", "", "", "", "", "1979-12-31"},
      {id(10), "冯二", "H5", "341702100201", "", "", "", "刑满释放", "2024-03-01", "是", ""},
  };
  for (int i = 0; i <= 10; ++i) r.ids.push_back(id(i));
  return r;
}

const std::vector<std::string> kZhHeader = {"身份证号", "姓名", "户号", "户籍地区划代码", "居住地区划", "人员类别",
                                            "残疾等级", "特殊事件", "事件日期", "父母参保", "缴费日期"};
const std::vector<std::string> kEnHeader = {"certno", "Name", "household_id", "户籍地", "live_admdvs", "categories",
                                            "disability_grade", "event", "event_date", "parent_insured", "clct_time"};

std::string csv(const std::vector<std::string>& header, const Rows& rows) {
  std::string s;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) s += (i ? "," : "") + cells[i];
    s += "\n";
  };
  line(header);
  for (auto& c : rows.cells) line(c);
  return s;
}

std::string write_file(const std::string& ext, const std::string& bytes) {
  auto p = temp_path(ext);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::string write_xlsx(const std::vector<std::string>& header, const Rows& rows) {
  auto p = temp_path(".xlsx");
  io::XlsxWriter w(p);
  w.add_sheet("花名册", header);
  for (auto& r : rows.cells) {
    std::vector<io::Cell> cells;
    for (size_t i = 0; i < r.size(); ++i) {
      // A real date cell for 缴费日期 where the text is a day: the reader must
      // see it as the CSV's YYYY-MM-DD.
      if (i == 10 && r[i] == "2023-10-08") cells.emplace_back(*Date::parse(r[i]));
      else cells.emplace_back(r[i]);
    }
    w.add_row(cells);
  }
  w.close();
  return p;
}

}  // namespace

class RosterParityTest : public EngineTest {
 protected:
  // Reads `path` both ways and imports it from disk and from memory, each
  // into a fresh registry; all four must agree.
  void expect_parity(const std::string& path, const Rows& rows) {
    SCOPED_TRACE(path);
    auto assess = read_for_assess(path);
    auto st1 = db_->open();
    auto by_path = from_import(*st1, registry::import_roster(*st1, path, partial()), rows.ids);
    auto st2 = db_->open();
    auto name = std::filesystem::path(path).filename().string();
    auto r2 = registry::import_roster(*st2, registry::ImportFile{name, slurp(path)}, partial());
    auto by_bytes = from_import(*st2, r2, rows.ids);
    EXPECT_EQ(assess.rows, by_path.rows);
    EXPECT_EQ(assess.accepted, by_path.accepted);
    EXPECT_EQ(assess.refused, by_path.refused);
    EXPECT_EQ(by_path.rows, by_bytes.rows);
    EXPECT_EQ(by_path.accepted, by_bytes.accepted);
    EXPECT_EQ(by_path.refused, by_bytes.refused);
    // The sample's good rows: 张三 (a dated category), 冯二 (an event and its day).
    EXPECT_EQ(assess.accepted, (std::set<std::string>{rows.ids[0], rows.ids[10]}));
    // Every bad row is refused, each with at least one reason in both languages.
    std::set<int64_t> bad_rows;
    for (auto& [row, column, zh, en] : assess.refused) {
      bad_rows.insert(row);
      EXPECT_FALSE(zh.empty() || en.empty() || column.empty()) << row;
    }
    EXPECT_EQ(bad_rows, (std::set<int64_t>{3, 4, 5, 6, 7, 8, 9, 10, 11}));
    std::filesystem::remove(path);
  }
};
CANBAO_ENGINES(RosterParityTest);

TEST_P(RosterParityTest, Utf8ChineseHeaders) {
  auto rows = sample_rows();
  expect_parity(write_file(".csv", csv(kZhHeader, rows)), rows);
}

TEST_P(RosterParityTest, Utf8BomEnglishAndPlatformHeaders) {
  auto rows = sample_rows();
  expect_parity(write_file(".csv", "\xEF\xBB\xBF" + csv(kEnHeader, rows)), rows);
}

TEST_P(RosterParityTest, Gb18030) {
  auto rows = sample_rows();
  expect_parity(write_file(".csv", to_gb18030(csv(kZhHeader, rows))), rows);
}

TEST_P(RosterParityTest, XlsxBothHeaderLanguages) {
  auto rows = sample_rows();
  expect_parity(write_xlsx(kZhHeader, rows), rows);
  expect_parity(write_xlsx(kEnHeader, rows), rows);
}

// A header without a required column: the assess reader stops with the
// message the import reports as its one problem.
TEST_P(RosterParityTest, MissingColumnsSameMessage) {
  auto path = write_file(".csv", "身份证号,姓名,户籍地\n" + make_id("341702", "19800101", 1) + ",张三,341702\n");
  std::string zh;
  try {
    io::RosterReader reader(io::open_table(path), kToday);
    FAIL() << "expected RosterHeaderError";
  } catch (const io::RosterHeaderError& e) {
    zh = e.zh;
    EXPECT_EQ(e.column, "户号");
  }
  auto r = registry::import_roster(*st_, path, partial());
  EXPECT_FALSE(r.committed);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].column, "户号");
  EXPECT_EQ(r.problems[0].reason, zh);
  EXPECT_EQ(zh, "名册缺少必填列：户号");
  std::filesystem::remove(path);
}

// The upload entry point refuses what open_table refuses, naming the upload.
TEST_P(RosterParityTest, UploadOfUnreadableFileNamesTheUpload) {
  auto o = partial();
  try {
    registry::import_roster(*st_, registry::ImportFile{"名册.xls", "\xD0\xCF\x11\xE0 legacy"}, o);
    FAIL() << "expected io::Error";
  } catch (const io::Error& e) {
    EXPECT_NE(e.zh.find("名册.xls"), std::string::npos) << e.zh;
    EXPECT_NE(e.zh.find("不支持 .xls 格式"), std::string::npos) << e.zh;
  }
  auto r = registry::import_roster(*st_, registry::ImportFile{"空.csv", "身份证号,姓名,户号,户籍地区划\n"}, o);
  EXPECT_FALSE(r.committed);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].reason, "文件没有数据行");
}

// docs/roster.md lists every header the reader accepts.
TEST(RosterDocs, HeaderTableListsEveryAlias) {
  std::string doc = slurp(std::string(CANBAO_SOURCE_DIR) + "/docs/roster.md");
  ASSERT_FALSE(doc.empty());
  for (int c = 0; c < int(io::RosterColumn::count_); ++c) {
    auto col = io::RosterColumn(c);
    EXPECT_NE(doc.find("`" + std::string(io::roster_column_name(col)) + "`"), std::string::npos) << c;
    EXPECT_NE(doc.find(std::string(io::roster_column_name_zh(col))), std::string::npos) << c;
    for (auto a : io::roster_column_aliases(col))
      EXPECT_NE(doc.find("`" + std::string(a) + "`"), std::string::npos) << a;
  }
}
