#include <gtest/gtest.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <fstream>
#include <map>
#include <sstream>

#include "io/table.h"
#include "io/xlsx_reader.h"
#include "io/xlsx_writer.h"

namespace canbao::io {
namespace {

using Cells = std::vector<std::string>;

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/canbao_io_" + std::to_string(getpid()) + "_" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Builds a zip (an .xlsx by hand) from part name -> content.
void make_zip(const std::string& path, const std::map<std::string, std::string>& parts) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(z, nullptr);
  for (auto& [name, content] : parts) {
    zip_source_t* s = zip_source_buffer(z, content.data(), content.size(), 0);
    ASSERT_NE(s, nullptr);
    ASSERT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8), 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

struct Sheet {
  Cells header;
  int64_t header_row = 0;
  std::vector<Cells> rows;
  std::vector<int64_t> numbers;
  std::vector<std::vector<bool>> lost;
};

Sheet read_all(TableReader& r) {
  Sheet s;
  s.header = r.header();
  s.header_row = r.header_row();
  Row row;
  while (r.next(row)) {
    s.rows.push_back(row.cells);
    s.numbers.push_back(row.number);
    s.lost.push_back(row.precision_lost);
  }
  EXPECT_DOUBLE_EQ(r.progress(), 1.0);
  return s;
}

TEST(ExcelNumber, GeneralFormat) {
  bool lost;
  EXPECT_EQ(format_excel_number("342", &lost), "342");
  EXPECT_FALSE(lost);
  EXPECT_EQ(format_excel_number("342.0", &lost), "342");
  EXPECT_EQ(format_excel_number("89.6", &lost), "89.6");
  EXPECT_EQ(format_excel_number("0.30000000000000004", &lost), "0.3");
  EXPECT_EQ(format_excel_number("89.600000000000009", &lost), "89.6");
  EXPECT_EQ(format_excel_number("-0", &lost), "0");
  EXPECT_EQ(format_excel_number("1E+3", &lost), "1000");
  EXPECT_EQ(format_excel_number("123456789012345", &lost), "123456789012345");
  EXPECT_FALSE(lost);
  EXPECT_EQ(format_excel_number("1.5E-5", &lost), "0.000015");
  EXPECT_EQ(format_excel_number("1E-20", &lost), "1E-20");
  // IDs Excel turned into numbers.
  EXPECT_EQ(format_excel_number("3.41702199001011E+17", &lost), "341702199001011000");
  EXPECT_TRUE(lost);
  EXPECT_EQ(format_excel_number("3.41702199001011E+017", &lost), "341702199001011000");
  EXPECT_TRUE(lost);
  EXPECT_EQ(format_excel_number("341702199001011234", &lost), "341702199001011000");
  EXPECT_TRUE(lost);
  EXPECT_EQ(format_excel_number("1234567890123456", &lost), "1234567890123460");
  EXPECT_TRUE(lost);
  EXPECT_EQ(format_excel_number("not a number", &lost), "not a number");
}

TEST(ExcelNumber, SerialDates) {
  EXPECT_EQ(excel_serial_to_date(45536, false), "2024-09-01");
  EXPECT_EQ(excel_serial_to_date(45536.99, false), "2024-09-01");
  EXPECT_EQ(excel_serial_to_date(61, false), "1900-03-01");
  EXPECT_EQ(excel_serial_to_date(59, false), "1900-02-28");
  EXPECT_EQ(excel_serial_to_date(1, false), "1900-01-01");
  EXPECT_EQ(excel_serial_to_date(60, false), "");
  EXPECT_EQ(excel_serial_to_date(0, true), "1904-01-01");
  EXPECT_EQ(excel_serial_to_date(44074, true), "2024-09-01");
  EXPECT_EQ(excel_serial_to_date(-1, false), "");
  EXPECT_EQ(excel_serial_to_date(1e9, false), "");
}

class XlsxRoundTrip : public testing::TestWithParam<bool> {};

TEST_P(XlsxRoundTrip, WriterThenReader) {
  std::string path = temp_path(GetParam() ? "rt_stream.xlsx" : "rt_mem.xlsx");
  {
    XlsxWriter w(path, {.constant_memory = GetParam(), .tmpdir = {}});
    w.add_sheet("参保名单 2024/25", {"身份证号", "姓名", "人数", "应缴", "缴费日期", "备注"});
    w.add_row({"341702199001011234", "张三", 3, Money::from_fen(34200), Date::from_ymd(2024, 9, 1),
               " 前后空格 "});
    w.add_row({int64_t{341702199001011234}, "李四", 0, Money::from_fen(8960),
               Date::from_ymd(2025, 2, 28), Cell()});
    w.add_row({Cell(), Cell(), Cell()});  // blank: skipped by the reader
    w.add_row({"x", "", -7, Money::from_fen(-5), Date::from_ymd(1970, 1, 1), "a\"b<&>"});
    EXPECT_EQ(w.rows(), 4);
    w.add_sheet("第二页", {"k"});
    w.add_row({"v"});
    w.close();
  }
  XlsxReader r(path);
  EXPECT_EQ(r.sheet_names(), (Cells{"参保名单 2024_25", "第二页"}));
  Sheet s = read_all(r);
  EXPECT_EQ(s.header, (Cells{"身份证号", "姓名", "人数", "应缴", "缴费日期", "备注"}));
  EXPECT_EQ(s.header_row, 1);
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(s.rows[0], (Cells{"341702199001011234", "张三", "3", "342", "2024-09-01", "前后空格"}));
  // An 18-digit integer cell is written as text, so it stays exact.
  EXPECT_EQ(s.rows[1], (Cells{"341702199001011234", "李四", "0", "89.6", "2025-02-28"}));
  EXPECT_EQ(s.lost[1], std::vector<bool>(5, false));
  EXPECT_EQ(s.rows[2], (Cells{"x", "", "-7", "-0.05", "1970-01-01", "a\"b<&>"}));
  EXPECT_EQ(s.numbers, (std::vector<int64_t>{2, 3, 5}));

  XlsxReader second(path, "第二页");
  Sheet s2 = read_all(second);
  EXPECT_EQ(s2.header, (Cells{"k"}));
  EXPECT_EQ(s2.rows, (std::vector<Cells>{{"v"}}));
  EXPECT_THROW(XlsxReader(path, "没有"), Error);
  unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Modes, XlsxRoundTrip, testing::Bool());

TEST(Xlsx, IdTypedAsNumberIsFlagged) {
  std::string path = temp_path("idnum.xlsx");
  lxw_workbook* wb = workbook_new(path.c_str());
  lxw_worksheet* ws = workbook_add_worksheet(wb, nullptr);
  worksheet_write_string(ws, 0, 0, "身份证号", nullptr);
  worksheet_write_string(ws, 0, 1, "金额", nullptr);
  worksheet_write_number(ws, 1, 0, 341702199001011234.0, nullptr);  // as Excel would store it
  worksheet_write_number(ws, 1, 1, 380, nullptr);
  worksheet_write_string(ws, 2, 0, "341702199001011234", nullptr);
  ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);

  auto t = open_table(path);
  Row row;
  ASSERT_TRUE(t->next(row));
  EXPECT_TRUE(row.lost_precision(0));
  EXPECT_FALSE(row.lost_precision(1));
  EXPECT_NE(row.cells[0], "341702199001011234");
  EXPECT_EQ(row.cells[1], "380");
  ASSERT_TRUE(t->next(row));
  EXPECT_EQ(row.cells[0], "341702199001011234");
  EXPECT_FALSE(row.lost_precision(0));
  unlink(path.c_str());
}

TEST(Xlsx, LibreOfficeFixture) {
  // Written by LibreOffice 7.4 from libreoffice_roster.source.csv: shared
  // strings with rich-text runs, IDs turned into numbers, a recognised date.
  XlsxReader r(std::string(CANBAO_SOURCE_DIR) + "/tests/io/fixtures/libreoffice_roster.xlsx");
  Sheet s = read_all(r);
  EXPECT_EQ(s.header, (Cells{"姓名", "身份证号", "人员类别", "缴费日期", "金额", "是否"}));
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(s.rows[0], (Cells{"张三", "341702199001011000", "低保对象", "2024-09-01", "342", "TRUE"}));
  EXPECT_EQ(s.lost[0], (std::vector<bool>{false, true, false, false, false, false}));
  EXPECT_EQ(s.rows[1][2], "特困人员;重度残疾人");
  EXPECT_EQ(s.rows[1][3], "2024/10/15");
  EXPECT_EQ(s.rows[1][4], "89.6");
  EXPECT_EQ(s.rows[1][5], "FALSE");
  EXPECT_EQ(s.rows[2][0], "王五");
  EXPECT_EQ(s.rows[2][1], "x");
  EXPECT_EQ(s.numbers, (std::vector<int64_t>{2, 3, 5}));
}

const char* kNs = "xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
                  "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

std::map<std::string, std::string> hand_made(bool date1904) {
  std::string ns = kNs;
  std::map<std::string, std::string> parts;
  parts["[Content_Types].xml"] =
      "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
  parts["_rels/.rels"] =
      "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
      "</Relationships>";
  parts["xl/workbook.xml"] =
      "<?xml version=\"1.0\"?><x:workbook " + ns + ">" +
      (date1904 ? "<x:workbookPr date1904=\"1\"/>" : "") +
      "<x:sheets><x:sheet name=\"隐藏\" sheetId=\"1\" state=\"hidden\" r:id=\"rId1\"/>"
      "<x:sheet name=\"名单\" sheetId=\"2\" r:id=\"rId2\"/></x:sheets></x:workbook>";
  std::string rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
  parts["xl/_rels/workbook.xml.rels"] =
      "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"" + rel + "worksheet\" Target=\"worksheets/hidden.xml\"/>"
      "<Relationship Id=\"rId2\" Type=\"" + rel + "worksheet\" Target=\"/xl/worksheets/../worksheets/list.xml\"/>"
      "<Relationship Id=\"rId3\" Type=\"" + rel + "sharedStrings\" Target=\"strings.xml\"/>"
      "<Relationship Id=\"rId4\" Type=\"" + rel + "styles\" Target=\"styles.xml\"/>"
      "</Relationships>";
  parts["xl/strings.xml"] =
      "<?xml version=\"1.0\"?><x:sst " + ns + " count=\"3\" uniqueCount=\"3\">"
      "<x:si><x:t>341702199001011234</x:t></x:si>"
      "<x:si><x:r><x:rPr><x:b/></x:rPr><x:t>低保</x:t></x:r><x:r><x:t xml:space=\"preserve\">对象</x:t></x:r>"
      "<x:rPh sb=\"0\" eb=\"1\"><x:t>phonetic</x:t></x:rPh></x:si>"
      "<x:si><x:t>a_x000D_b &amp; c</x:t></x:si>"
      "</x:sst>";
  parts["xl/styles.xml"] =
      "<?xml version=\"1.0\"?><x:styleSheet " + ns + ">"
      "<x:numFmts count=\"3\"><x:numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
      "<x:numFmt numFmtId=\"165\" formatCode=\"0.00\"/><x:numFmt numFmtId=\"166\" formatCode=\"h:mm\"/></x:numFmts>"
      "<x:cellXfs count=\"6\"><x:xf numFmtId=\"0\"/><x:xf numFmtId=\"14\"/><x:xf numFmtId=\"164\"/>"
      "<x:xf numFmtId=\"165\"/><x:xf numFmtId=\"166\"/><x:xf numFmtId=\"49\"/></x:cellXfs></x:styleSheet>";
  parts["xl/worksheets/hidden.xml"] =
      "<?xml version=\"1.0\"?><x:worksheet " + ns + "><x:sheetData><x:row r=\"1\"><x:c r=\"A1\" t=\"inlineStr\">"
      "<x:is><x:t>hidden</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>";
  parts["xl/worksheets/list.xml"] =
      "<?xml version=\"1.0\"?><x:worksheet " + ns + "><x:sheetData>"
      // header on row 2, C2 missing
      "<x:row r=\"2\"><x:c r=\"A2\" t=\"inlineStr\"><x:is><x:t>身份证号</x:t></x:is></x:c>"
      "<x:c r=\"B2\" t=\"inlineStr\"><x:is><x:r><x:t>人员</x:t></x:r><x:r><x:t>类别</x:t></x:r></x:is></x:c>"
      "<x:c r=\"D2\" t=\"inlineStr\"><x:is><x:t> 日期 </x:t></x:is></x:c></x:row>"
      "<x:row r=\"3\"><x:c r=\"A3\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"B3\" t=\"s\"><x:v>1</x:v></x:c>"
      "<x:c r=\"D3\" s=\"2\"><x:v>45536</x:v></x:c><x:c r=\"E3\" s=\"1\"><x:v>45536.75</x:v></x:c>"
      "<x:c r=\"F3\" t=\"b\"><x:v>1</x:v></x:c><x:c r=\"G3\" t=\"e\"><x:v>#N/A</x:v></x:c>"
      "<x:c r=\"H3\" t=\"str\"><x:f>UPPER(\"abc\")</x:f><x:v>ABC</x:v></x:c>"
      "<x:c r=\"I3\" s=\"3\"><x:v>342</x:v></x:c><x:c r=\"J3\"><x:v>89.600000000000009</x:v></x:c>"
      "<x:c r=\"K3\" s=\"4\"><x:v>0.5</x:v></x:c><x:c r=\"L3\" s=\"5\"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>"
      // no r attributes: row 4, columns A, B
      "<x:row><x:c t=\"inlineStr\"><x:is><x:t>x</x:t></x:is></x:c><x:c><x:v>7</x:v></x:c></x:row>"
      "<x:row r=\"5\"><x:c r=\"A5\" s=\"1\"/><x:c r=\"B5\" t=\"inlineStr\"><x:is><x:t>  </x:t></x:is></x:c></x:row>"
      "<x:row r=\"9\"><x:c r=\"A9\"><x:v>3.41702199001011E+17</x:v></x:c><x:c r=\"C9\" t=\"s\"><x:v>2</x:v></x:c></x:row>"
      "</x:sheetData></x:worksheet>";
  return parts;
}

TEST(Xlsx, HandMadeWorkbook) {
  std::string path = temp_path("hand.xlsx");
  make_zip(path, hand_made(false));
  XlsxReader r(path);
  EXPECT_EQ(r.sheet_names(), (Cells{"隐藏", "名单"}));
  Sheet s = read_all(r);  // first visible sheet
  EXPECT_EQ(s.header, (Cells{"身份证号", "人员类别", "", "日期"}));
  EXPECT_EQ(s.header_row, 2);
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(s.rows[0], (Cells{"341702199001011234", "低保对象", "", "2024-09-01", "2024-09-01", "TRUE",
                              "#N/A", "ABC", "342", "89.6", "0.5", "2"}));
  EXPECT_EQ(s.rows[1], (Cells{"x", "7"}));
  EXPECT_EQ(s.rows[2], (Cells{"341702199001011000", "", "a\rb & c"}));
  EXPECT_EQ(s.lost[2], (std::vector<bool>{true, false, false}));
  EXPECT_EQ(s.numbers, (std::vector<int64_t>{3, 4, 9}));

  XlsxReader hidden(path, "隐藏");
  EXPECT_EQ(hidden.header(), (Cells{"hidden"}));
  unlink(path.c_str());
}

TEST(Xlsx, XmlDetails) {
  auto parts = hand_made(false);
  parts["xl/worksheets/list.xml"] =
      "<?xml version='1.0' encoding='UTF-8'?>\n<!-- a comment with <row> inside -->"
      "<worksheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><sheetData>"
      "<row r='1' spans='1:3'><c r='A1' t='inlineStr'><is><t>a&amp;b&lt;&#x4E2D;&#22269;&#x1F600;</t></is></c>"
      "<c r='B1' t='inlineStr' x='a>b'><is><t><![CDATA[<raw> & text]]></t></is></c>"
      "<c r='C1' t='str'><f>A1</f><v>&quot;q&apos;</v></c></row>"
      "<row r='2'><c r='A2'><v>1</v></c></row></sheetData></worksheet>";
  std::string path = temp_path("details.xlsx");
  make_zip(path, parts);
  XlsxReader r(path, "名单");
  EXPECT_EQ(r.header(), (Cells{"a&b<中国😀", "<raw> & text", "\"q'"}));
  unlink(path.c_str());
}

TEST(Xlsx, LargeSheetStreams) {
  // Several MB of sheet XML: tokens and entities straddle the read buffer.
  std::string path = temp_path("large.xlsx");
  const int kRows = 40000;
  {
    XlsxWriter w(path);
    w.add_sheet("s", {"n", "text", "money"});
    for (int i = 0; i < kRows; ++i) {
      w.add_row({i, "张三 & <李四> \"" + std::to_string(i) + "\"", Money::from_fen(i)});
    }
    w.close();
  }
  XlsxReader r(path);
  Row row;
  int i = 0;
  double last = 0;
  while (r.next(row)) {
    ASSERT_EQ(row.cells.size(), 3u);
    ASSERT_EQ(row.cells[0], std::to_string(i));
    ASSERT_EQ(row.cells[1], "张三 & <李四> \"" + std::to_string(i) + "\"");
    ASSERT_EQ(Money::parse_yuan(row.cells[2]), Money::from_fen(i));
    ASSERT_EQ(row.number, i + 2);
    ASSERT_GE(r.progress(), last);
    last = r.progress();
    ++i;
  }
  EXPECT_EQ(i, kRows);
  EXPECT_DOUBLE_EQ(r.progress(), 1.0);
  unlink(path.c_str());
}

TEST(Xlsx, Date1904) {
  std::string path = temp_path("d1904.xlsx");
  make_zip(path, hand_made(true));
  auto data = read_file(path);
  auto r = XlsxReader::from_memory(data);
  Row row;
  ASSERT_TRUE(r->next(row));
  EXPECT_EQ(row.cells[3], "2028-09-02");  // 45536 days after 1904-01-01
  unlink(path.c_str());
}

TEST(Xlsx, CorruptFilesThrow) {
  EXPECT_THROW(XlsxReader::from_memory("not a zip at all"), Error);
  std::string path = temp_path("corrupt.xlsx");
  make_zip(path, hand_made(false));
  std::string data = read_file(path);
  EXPECT_THROW(XlsxReader::from_memory(data.substr(0, data.size() / 2)), Error);
  // A missing shared string index is an error, not a crash.
  auto parts = hand_made(false);
  parts["xl/strings.xml"] = "<sst/>";
  make_zip(path, parts);
  XlsxReader missing(path);
  try {
    Row row;
    while (missing.next(row)) {
    }
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.row, 3);
  }
  parts = hand_made(false);
  parts["xl/worksheets/list.xml"] = "<worksheet><sheetData><row>";
  make_zip(path, parts);
  EXPECT_THROW(XlsxReader{path}, Error);
  parts = hand_made(false);
  parts.erase("xl/workbook.xml");
  make_zip(path, parts);
  EXPECT_THROW(XlsxReader{path}, Error);
  unlink(path.c_str());
}

// Inputs found by fuzz/fuzz_xlsx: each must end in io::Error or bounded rows,
// never in gigabytes of memory.
TEST(Xlsx, MalformedOrHugeCellsAreBounded) {
  std::string path = temp_path("bounded.xlsx");
  auto drain = [&](const std::map<std::string, std::string>& parts) {
    make_zip(path, parts);
    XlsxReader r(path);
    Row row;
    while (r.next(row)) EXPECT_LE(row.cells.size(), 16384u);
  };
  // A </c> closing a <c> of the previous row (column was reset to "none").
  auto parts = hand_made(false);
  parts["xl/worksheets/list.xml"] =
      "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></row>"
      "<row r=\"2\"></c><c r=\"B2\"><v>1</v></c></row></sheetData></worksheet>";
  try {
    drain(parts);
  } catch (const Error&) {
  }
  // A shared string longer than Excel's 32,767 characters.
  parts = hand_made(false);
  parts["xl/strings.xml"] = "<sst><si><t>" + std::string(200000, 'x') + "</t></si></sst>";
  EXPECT_THROW(drain(parts), Error);
  // One 100 kB shared string copied into 200 cells of one row: over the 16 MB row budget.
  parts = hand_made(false);
  parts["xl/strings.xml"] = "<sst><si><t>" + std::string(100000, 'y') + "</t></si></sst>";
  std::string cells;
  for (int i = 0; i < 200; ++i) cells += "<c t=\"s\"><v>0</v></c>";
  parts["xl/worksheets/list.xml"] = "<worksheet><sheetData><row r=\"1\">" + cells + "</row></sheetData></worksheet>";
  try {
    drain(parts);
    FAIL() << "a 20 MB row was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
  // The workbook libFuzzer wrote (a 4 kB sheet that asked for 2 GB).
  try {
    XlsxReader r(std::string(CANBAO_SOURCE_DIR) + "/fuzz/regressions/xlsx/cell-close-after-row-restart.xlsx");
    Row row;
    while (r.next(row)) EXPECT_LE(row.cells.size(), 16384u);
  } catch (const Error&) {
  }
  unlink(path.c_str());
}

TEST(XlsxWriter, Widths) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("身份证号"), 8);
  EXPECT_EQ(display_width("A张"), 3);
  EXPECT_EQ(display_width("（１）"), 6);
}

TEST(XlsxWriter, HeaderFrozenFilteredAndSized) {
  std::string path = temp_path("fmt.xlsx");
  {
    XlsxWriter w(path);
    w.add_sheet("s", {"身份证号", "名"});
    w.add_row({"341702199001011234", "张三"});
    w.close();
  }
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, nullptr);
  ASSERT_NE(z, nullptr);
  zip_file_t* f = zip_fopen(z, "xl/worksheets/sheet1.xml", 0);
  ASSERT_NE(f, nullptr);
  std::string xml(1 << 16, '\0');
  xml.resize(zip_fread(f, xml.data(), xml.size()));
  zip_fclose(f);
  zip_discard(z);
  EXPECT_NE(xml.find("<pane ySplit=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<autoFilter ref=\"A1:B2\""), std::string::npos);
  EXPECT_NE(xml.find("<col min=\"1\" max=\"1\" width=\"2"), std::string::npos);  // 18 digits + 2
  unlink(path.c_str());
}

TEST(XlsxWriter, ErrorsReported) {
  XlsxWriter w("/nonexistent-dir/x.xlsx");
  w.add_sheet("s", {"a"});
  EXPECT_THROW(w.close(), Error);
  std::string path = temp_path("dup.xlsx");
  XlsxWriter d(path);
  d.add_sheet("same", {"a"});
  EXPECT_THROW(d.add_sheet("same", {"a"}), Error);
  d.close();
  unlink(path.c_str());
}

}  // namespace
}  // namespace canbao::io
