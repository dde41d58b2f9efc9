#include "io/csv.h"

#include <gtest/gtest.h>
#include <iconv.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "io/table.h"

namespace canbao::io {
namespace {

using Cells = std::vector<std::string>;

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/canbao_io_" + std::to_string(getpid()) + "_" + name;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string to_gb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, (iconv_t)-1);
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t inleft = utf8.size();
  char* o = out.data();
  size_t oleft = out.size();
  EXPECT_NE(iconv(cd, &in, &inleft, &o, &oleft), size_t(-1));
  iconv_close(cd);
  out.resize(out.size() - oleft);
  return out;
}

struct Parsed {
  Cells header;
  int64_t header_row = 0;
  std::vector<Cells> rows;
  std::vector<int64_t> numbers;
  Encoding encoding = Encoding::kAuto;
  char delimiter = 0;
};

Parsed parse(std::string data, CsvOptions options = {}) {
  auto r = CsvReader::from_memory(std::move(data), options);
  Parsed p;
  p.header = r->header();
  p.header_row = r->header_row();
  Row row;
  while (r->next(row)) {
    p.rows.push_back(row.cells);
    p.numbers.push_back(row.number);
  }
  EXPECT_DOUBLE_EQ(r->progress(), 1.0);
  p.encoding = r->encoding();
  p.delimiter = r->delimiter();
  return p;
}

TEST(Csv, HeaderAndRows) {
  Parsed p = parse("id_number,name\n110101199003077777,张三\n110101199003078888,李四\n");
  EXPECT_EQ(p.header, (Cells{"id_number", "name"}));
  EXPECT_EQ(p.header_row, 1);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0], (Cells{"110101199003077777", "张三"}));
  EXPECT_EQ(p.numbers, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(p.encoding, Encoding::kUtf8);
  EXPECT_EQ(p.delimiter, ',');
}

TEST(Csv, QuotingEdgeCases) {
  Parsed p = parse(
      "a,b,c\n"
      "\"x,y\",\"say \"\"hi\"\"\",\"line1\nline2\"\n"
      "\"\",\"\"\"\",plain\n"
      "\"  kept  \",  trimmed  ,\"a\"\"\"\n"
      "ab\"c,\"q\"tail,\"q\"  \n");
  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.rows[0], (Cells{"x,y", "say \"hi\"", "line1\nline2"}));
  EXPECT_EQ(p.rows[1], (Cells{"", "\"", "plain"}));
  EXPECT_EQ(p.rows[2], (Cells{"  kept  ", "trimmed", "a\""}));
  EXPECT_EQ(p.rows[3], (Cells{"ab\"c", "qtail", "q"}));
  // A quoted newline stays inside one row, as Excel shows it.
  EXPECT_EQ(p.numbers, (std::vector<int64_t>{2, 3, 4, 5}));
}

TEST(Csv, LineEndings) {
  Parsed crlf = parse("a,b\r\n1,2\r\n\"x\r\ny\",3\r\n");
  ASSERT_EQ(crlf.rows.size(), 2u);
  EXPECT_EQ(crlf.rows[0], (Cells{"1", "2"}));
  EXPECT_EQ(crlf.rows[1], (Cells{"x\r\ny", "3"}));
  Parsed cr = parse("a,b\r1,2\r3,4");
  EXPECT_EQ(cr.rows, (std::vector<Cells>{{"1", "2"}, {"3", "4"}}));
  Parsed no_final = parse("a,b\n1,2");
  EXPECT_EQ(no_final.rows, (std::vector<Cells>{{"1", "2"}}));
  Parsed trailing_delim = parse("a,b\n1,\n");
  EXPECT_EQ(trailing_delim.rows, (std::vector<Cells>{{"1", ""}}));
}

TEST(Csv, BomStripped) {
  Parsed p = parse("\xEF\xBB\xBF身份证号,姓名\n1,张三\n");
  EXPECT_EQ(p.header, (Cells{"身份证号", "姓名"}));
  EXPECT_EQ(p.encoding, Encoding::kUtf8);
  Parsed only_bom = parse("\xEF\xBB\xBF");
  EXPECT_TRUE(only_bom.header.empty());
}

TEST(Csv, Utf16Rejected) {
  try {
    parse(std::string("\xFF\xFE" "a\0,\0", 6));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("UTF-16"), std::string::npos);
    EXPECT_NE(e.zh.find("UTF-8"), std::string::npos);
  }
}

const char* kChinese =
    "姓名,身份证号,人员类别\n"
    "张三,110101199003077777,低保对象\n"
    "李四,110101199003078888,\"特困人员;重度残疾人\"\n"
    "𠮷娃,110101199003079999,孤儿\n";  // 𠮷 is a four-byte GB18030 character

TEST(Csv, Gb18030Detected) {
  std::string gb = to_gb18030(kChinese);
  ASSERT_NE(gb, kChinese);
  Parsed p = parse(gb);
  EXPECT_EQ(p.encoding, Encoding::kGb18030);
  EXPECT_EQ(p.header, (Cells{"姓名", "身份证号", "人员类别"}));
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.rows[0], (Cells{"张三", "110101199003077777", "低保对象"}));
  EXPECT_EQ(p.rows[1][2], "特困人员;重度残疾人");
  EXPECT_EQ(p.rows[2][0], "𠮷娃");

  std::string path = temp_path("gb.csv");
  write_file(path, gb);
  auto t = open_table(path);
  Row row;
  ASSERT_TRUE(t->next(row));
  EXPECT_EQ(row.cells[2], "低保对象");
  unlink(path.c_str());
}

TEST(Csv, EncodingDecidedAfterLongAsciiPrefix) {
  // 200 KB of ASCII rows, then GBK names: detection waits for non-ASCII bytes.
  std::string utf8 = "id,name\n";
  for (int i = 0; i < 10000; ++i) utf8 += std::to_string(100000 + i) + ",abcdefghij\n";
  utf8 += "1,低保对象\n";
  Parsed p = parse(to_gb18030(utf8));
  EXPECT_EQ(p.encoding, Encoding::kGb18030);
  EXPECT_EQ(p.rows.back(), (Cells{"1", "低保对象"}));
  EXPECT_EQ(p.numbers.back(), 10002);
  Parsed u = parse(utf8);
  EXPECT_EQ(u.encoding, Encoding::kUtf8);
  EXPECT_EQ(u.rows.back(), (Cells{"1", "低保对象"}));
}

TEST(Csv, SmallBuffersGiveSameResult) {
  std::string inputs[] = {
      std::string(kChinese),
      to_gb18030(kChinese),
      "\xEF\xBB\xBF" + std::string(kChinese),
      "a,b\r\n\"x\r\ny\",\"q\"\"q\"\r\n\r\n  sp  ,\"\"\r\n",
  };
  for (const std::string& in : inputs) {
    Parsed want = parse(in);
    for (size_t size : {1, 2, 3, 4, 5, 7, 13}) {
      CsvOptions o;
      o.buffer_size = size;
      Parsed got = parse(in, o);
      EXPECT_EQ(got.header, want.header) << size;
      EXPECT_EQ(got.rows, want.rows) << size;
      EXPECT_EQ(got.numbers, want.numbers) << size;
    }
  }
}

TEST(Csv, BlankLinesSkippedButCounted) {
  Parsed p = parse("\n\na,b\n\n1,2\n,\n  ,  \n3,4\n\n");
  EXPECT_EQ(p.header_row, 3);
  EXPECT_EQ(p.rows, (std::vector<Cells>{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(p.numbers, (std::vector<int64_t>{5, 8}));
}

TEST(Csv, RaggedRows) {
  Parsed p = parse("a,b,c\n1\n1,2,3,4,5\n,,x\n");
  EXPECT_EQ(p.rows, (std::vector<Cells>{{"1"}, {"1", "2", "3", "4", "5"}, {"", "", "x"}}));
}

TEST(Csv, TabSeparated) {
  Parsed p = parse("姓名\t身份证号\n张三\t110101199003077777\n  李四 \t x \n");
  EXPECT_EQ(p.delimiter, '\t');
  EXPECT_EQ(p.rows, (std::vector<Cells>{{"张三", "110101199003077777"}, {"李四", "x"}}));
  Parsed mixed = parse("a,b\tc\n1,2\n");
  EXPECT_EQ(mixed.delimiter, ',');
}

TEST(Csv, UnterminatedQuoteNamesRow) {
  try {
    parse("a,b\n1,2\n3,\"never closed\n4,5\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.row, 3);
    EXPECT_NE(e.zh.find("引号未闭合"), std::string::npos);
  }
}

TEST(Csv, BadBytesAreAnError) {
  // Valid UTF-8 for the whole detection window, then a stray GBK byte pair.
  std::string data = "name\n";
  for (int i = 0; i < 20000; ++i) data += "张三\n";
  data += "\xD5\xC5\n";
  EXPECT_THROW(parse(data), Error);
  EXPECT_THROW(parse("a\n\xFF\xFF\xFF\n"), Error);
}

TEST(Csv, ProgressAdvances) {
  std::string data = "a,b\n";
  for (int i = 0; i < 100000; ++i) data += "1234567890,abcdefghij\n";
  CsvOptions o;
  o.buffer_size = 4096;
  auto r = CsvReader::from_memory(data, o);
  Row row;
  double last = 0;
  bool saw_middle = false;
  while (r->next(row)) {
    double p = r->progress();
    EXPECT_GE(p, last);
    last = p;
    saw_middle = saw_middle || (p > 0.3 && p < 0.7);
  }
  EXPECT_TRUE(saw_middle);
  EXPECT_DOUBLE_EQ(r->progress(), 1.0);
}

TEST(Csv, RowStorageReused) {
  auto r = CsvReader::from_memory("a,b\n1,2\n3,4\n");
  Row row;
  ASSERT_TRUE(r->next(row));
  row.cells[0].reserve(100);
  const char* data = row.cells[0].data();
  ASSERT_TRUE(r->next(row));
  EXPECT_EQ(row.cells[0], "3");
  EXPECT_EQ(row.cells[0].data(), data);
}

// The block path (what `assess` hands between threads) reads the same rows,
// numbers and cells as next(Row&): blank rows skipped, quotes, trimming,
// CR/LF, cells spanning a small buffer's edges.
TEST(Csv, BlockMatchesRows) {
  std::string data = "a,b,c\n\n 1 , \"x,\"\"y\"\"\" ,3\r\n,,\n\"multi\nline\",,\n  \n";
  for (int i = 0; i < 3000; ++i) data += std::to_string(i) + ",  cell " + std::to_string(i * 7) + "  ,\"q" + std::to_string(i) + "\"\n";
  data += "last,row";  // no final newline
  CsvOptions o;
  o.buffer_size = 64;
  auto by_row = CsvReader::from_memory(data, o);
  auto by_block = CsvReader::from_memory(data, o);
  RowBlock block;
  Row row;
  size_t n = 0;
  while (by_row->next(row)) {
    if (block.size() == 100) block.clear();
    ASSERT_TRUE(by_block->next_into(block));
    const RowView v = block.row(block.size() - 1);
    ASSERT_EQ(v.number, row.number) << n;
    ASSERT_EQ(v.size(), row.cells.size()) << n;
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], row.cells[i]) << n << ":" << i;
    EXPECT_FALSE(v.lost_precision(0));
    ++n;
  }
  const size_t held = block.size();
  EXPECT_FALSE(by_block->next_into(block));
  EXPECT_EQ(block.size(), held);
  EXPECT_EQ(n, 3003u);  // "1,x,3", the multi-line row, 3000, "last,row"
  // Earlier rows of a block stay readable as it grows.
  EXPECT_EQ(block.row(block.size() - 1)[1], "row");
}

TEST(Csv, BlockUnchangedByError) {
  auto r = CsvReader::from_memory("a,b\n1,2\n3,\"open\n");
  RowBlock block;
  ASSERT_TRUE(r->next_into(block));
  EXPECT_THROW(r->next_into(block), Error);
  ASSERT_EQ(block.size(), 1u);
  EXPECT_EQ(block.row(0)[1], "2");
  EXPECT_EQ(block.bytes(), 2u);
}

TEST(RowBlock, AppendKeepsLostPrecision) {
  RowBlock block;
  Row a{3, {"x", "y"}, {}};
  Row b{4, {"1.2E+17", ""}, {true, false}};
  Row c{6, {"z"}, {}};
  block.append(a);
  block.append(b);
  block.append(c);
  ASSERT_EQ(block.size(), 3u);
  EXPECT_FALSE(block.row(0).lost_precision(0));
  EXPECT_TRUE(block.row(1).lost_precision(0));
  EXPECT_FALSE(block.row(1).lost_precision(1));
  EXPECT_FALSE(block.row(2).lost_precision(0));
  EXPECT_EQ(block.row(1).number, 4);
  EXPECT_EQ(block.row(1)[0], "1.2E+17");
  EXPECT_EQ(block.row(1)[1], "");
  EXPECT_EQ(block.row(2)[0], "z");
}

TEST(CsvWriter, FieldQuoting) {
  auto q = [](std::string_view s, char d = ',') {
    std::string out;
    append_csv_field(out, s, d);
    return out;
  };
  EXPECT_EQ(q("plain"), "plain");
  EXPECT_EQ(q(""), "");
  EXPECT_EQ(q("a,b"), "\"a,b\"");
  EXPECT_EQ(q("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(q("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(q("cr\r"), "\"cr\r\"");
  EXPECT_EQ(q(" lead"), "\" lead\"");
  EXPECT_EQ(q("trail "), "\"trail \"");
  EXPECT_EQ(q("a,b", '\t'), "a,b");
  EXPECT_EQ(q("a\tb", '\t'), "\"a\tb\"");
}

TEST(CsvWriter, RoundTrip) {
  std::string path = temp_path("out.csv");
  std::vector<Cells> rows = {
      {"身份证号", "姓名", "备注"},
      {"110101199003077777", "张三", "含,逗号"},
      {"110101199003078888", " 李四 ", "引号\"和\n换行"},
      {"", "", "x"},
  };
  {
    CsvWriter w(path);
    for (auto& r : rows) w.write_row(r);
    w.write_row({"a", "b", "c"});
    w.close();
  }
  std::string raw = read_file(path);
  EXPECT_TRUE(raw.starts_with("\xEF\xBB\xBF身份证号,姓名,备注\r\n"));
  auto t = open_table(path);
  EXPECT_EQ(t->header(), rows[0]);
  Row row;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_TRUE(t->next(row));
    EXPECT_EQ(row.cells, rows[i]);
  }
  ASSERT_TRUE(t->next(row));
  EXPECT_EQ(row.cells, (Cells{"a", "b", "c"}));
  EXPECT_FALSE(t->next(row));

  CsvWriter plain(path, {.bom = false, .delimiter = ',', .crlf = false});
  plain.write_row({"x", "y"});
  plain.close();
  EXPECT_EQ(read_file(path), "x,y\n");
  unlink(path.c_str());
}

TEST(CsvWriter, UnwritablePathThrows) {
  EXPECT_THROW(CsvWriter("/nonexistent-dir/x.csv"), Error);
}

TEST(OpenTable, ClearErrors) {
  try {
    open_table("/nonexistent/roster.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.zh.find("文件不存在"), std::string::npos);
  }
  std::string empty = temp_path("empty.csv");
  write_file(empty, "\n\n");
  EXPECT_THROW(open_table(empty), Error);
  std::string xls = temp_path("old.xls");
  write_file(xls, "\xD0\xCF\x11\xE0 rest");
  EXPECT_THROW(open_table(xls), Error);
  std::string zip_as_csv = temp_path("book.csv");
  write_file(zip_as_csv, "PK\x03\x04 rest");
  try {
    open_table(zip_as_csv);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.zh.find("Excel"), std::string::npos);
  }
  std::string unknown = temp_path("roster.pdf");
  write_file(unknown, "%PDF");
  EXPECT_THROW(open_table(unknown), Error);
  for (auto& p : {empty, xls, zip_as_csv, unknown}) unlink(p.c_str());
}

}  // namespace
}  // namespace canbao::io
