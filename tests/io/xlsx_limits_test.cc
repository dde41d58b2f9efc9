// The XLSX reader's ceilings on every part (issue 11, zip bombs): refused
// from the zip directory before inflating, while inflating when the
// directory lies, and shared strings that inflate more than 100:1; an
// ordinary large table still reads.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "io/xlsx_reader.h"

using namespace canbao::io;

namespace {

const char* kNs = R"(xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main")";
const char* kRel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

std::string zip_of(const std::map<std::string, std::string>& parts) {
  auto p = std::filesystem::temp_directory_path() / fmt::format("canbao_io_limits_{}.xlsx", getpid());
  int err = 0;
  zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  EXPECT_NE(z, nullptr);
  for (auto& [name, content] : parts) {
    zip_source_t* s = zip_source_buffer(z, content.data(), content.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(p);
  return ss.str();
}

// A one-sheet workbook; `extra` adds or replaces parts (styles, shared strings).
std::map<std::string, std::string> book(const std::string& sheet_rows) {
  return {
      {"_rels/.rels", fmt::format(R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{}/officeDocument" Target="xl/workbook.xml"/></Relationships>)", kRel)},
      {"xl/workbook.xml", fmt::format(R"(<workbook {} xmlns:r="{}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>)", kNs, kRel)},
      {"xl/_rels/workbook.xml.rels", fmt::format(R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{0}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{0}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="{0}/sharedStrings" Target="sharedStrings.xml"/></Relationships>)", kRel)},
      {"xl/worksheets/sheet1.xml", fmt::format(R"(<worksheet {}><sheetData>{}</sheetData></worksheet>)", kNs, sheet_rows)},
  };
}

// Overwrites the uncompressed size of `name` in its local header and the
// central directory with `size`: a zip whose directory lies.
void lie_about_size(std::string& zip, const std::string& name, uint32_t size) {
  auto put32 = [&](size_t at) {
    for (int i = 0; i < 4; ++i) zip[at + i] = char((size >> (8 * i)) & 0xFF);
  };
  for (size_t p = 0; (p = zip.find(name, p)) != std::string::npos; p += name.size()) {
    if (p >= 30 && zip.compare(p - 30, 4, "PK\x03\x04") == 0) put32(p - 30 + 22);
    else if (p >= 46 && zip.compare(p - 46, 4, "PK\x01\x02") == 0) put32(p - 46 + 24);
  }
}

std::string error_zh(const std::string& data) {
  try {
    auto r = XlsxReader::from_memory(data);
    Row row;
    while (r->next(row)) {
    }
  } catch (const Error& e) {
    return e.zh;
  }
  return "";
}

TEST(XlsxLimits, StylesOverTheCeilingAreRefusedBeforeInflating) {
  auto parts = book(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>)");
  std::string xf = R"(<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>)";
  std::string styles = fmt::format(R"(<styleSheet {}><cellXfs>)", kNs);
  while (styles.size() < (40u << 20)) styles += xf;
  styles += "</cellXfs></styleSheet>";
  parts["xl/styles.xml"] = std::move(styles);
  std::string data = zip_of(parts);
  parts.clear();
  std::string zh = error_zh(data);
  EXPECT_NE(zh.find("压缩炸弹"), std::string::npos) << zh;
  EXPECT_NE(zh.find("styles.xml"), std::string::npos) << zh;
}

TEST(XlsxLimits, ALyingDirectoryIsCaughtWhileInflating) {
  auto parts = book(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>)");
  std::string styles = fmt::format(R"(<styleSheet {}><cellXfs>)", kNs);
  while (styles.size() < (40u << 20)) styles += R"(<xf numFmtId="0"/>)";
  styles += "</cellXfs></styleSheet>";
  parts["xl/styles.xml"] = std::move(styles);
  std::string data = zip_of(parts);
  lie_about_size(data, "xl/styles.xml", 1000);
  std::string zh = error_zh(data);
  // Refused either by the ceiling while inflating or by libzip's own check of
  // the stated size; never read to the end.
  EXPECT_FALSE(zh.empty());
}

TEST(XlsxLimits, SharedStringsThatInflateLikeABombAreRefused) {
  auto parts = book(R"(<row r="1"><c r="A1" t="s"><v>0</v></c></row>)");
  std::string sst = fmt::format(R"(<sst {}>)", kNs);
  while (sst.size() < (24u << 20)) sst += "<si><t>a</t></si>";  // under the 256 MB ceiling, ~1000:1
  sst += "</sst>";
  parts["xl/sharedStrings.xml"] = std::move(sst);
  std::string zh = error_zh(zip_of(parts));
  EXPECT_NE(zh.find("压缩比异常"), std::string::npos) << zh;
}

TEST(XlsxLimits, AnOrdinaryLargeSharedStringTableReads) {
  // 600,000 unique IDs and names (~30 MB of XML): a real roster's table.
  std::string sst = fmt::format(R"(<sst {}>)", kNs);
  sst.reserve(32 << 20);
  for (int i = 0; i < 300000; ++i)
    fmt::format_to(std::back_inserter(sst), "<si><t>3417021990{:08d}</t></si><si><t>张{}</t></si>",
                   int64_t(i) * 7919 % 100000000, i);
  sst += "</sst>";
  auto parts = book(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>599999</v></c></row>)");
  parts["xl/sharedStrings.xml"] = std::move(sst);
  auto r = XlsxReader::from_memory(zip_of(parts));
  ASSERT_EQ(r->header().size(), 2u);
  EXPECT_EQ(r->header()[0], "341702199000000000");
  EXPECT_EQ(r->header()[1], "张299999");
}

TEST(XlsxLimits, NotAZipSaysSoInChinese) {
  std::string zh = error_zh("just some text, not a workbook at all........................");
  EXPECT_NE(zh.find("不是 zip 格式"), std::string::npos) << zh;
}

}  // namespace
