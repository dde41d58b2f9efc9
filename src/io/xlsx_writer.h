// XlsxWriter: the .xlsx files canbao hands to people (row-error reports,
// exports, weekly reports), over libxlsxwriter.
//
// Each sheet gets a bold, frozen header row with an autofilter and column
// widths fitted to the content (CJK characters count double). Cells are typed
// so Excel can sum and sort them:
//   text     - written as text, so ID numbers keep all 18 digits;
//   integer  - a number (or text when 16+ digits, which Excel would corrupt);
//   money    - fen shown as yuan with two decimals (format "0.00");
//   date     - a real Excel date shown as yyyy-mm-dd.
// By default rows stream to a temporary file (libxlsxwriter's constant-memory
// mode), so a million-row export does not hold the sheet in memory; rows
// must then be added in order, one sheet after another.
//
//   XlsxWriter w("errors.xlsx");
//   w.add_sheet("错误", {"行号", "身份证号", "原因"});
//   w.add_row({int64_t{12}, masked_id, "校验位错误"});
//   w.close();  // throws io::Error if the file could not be written
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/date.h"
#include "core/money.h"
#include "io/table.h"

namespace canbao::io {

class Cell {
 public:
  Cell() = default;  // empty
  Cell(std::string s) : v_(std::move(s)) {}
  Cell(std::string_view s) : v_(std::string(s)) {}
  Cell(const char* s) : v_(std::string(s)) {}
  Cell(int64_t i) : v_(i) {}
  Cell(int i) : v_(int64_t{i}) {}
  Cell(Money m) : v_(m) {}
  Cell(Date d) : v_(d) {}

  const std::variant<std::monostate, std::string, int64_t, Money, Date>& value() const { return v_; }

 private:
  std::variant<std::monostate, std::string, int64_t, Money, Date> v_;
};

struct XlsxWriterOptions {
  bool constant_memory = true;  // stream rows to a temp file
  std::string tmpdir;           // for those temp files; empty = system default
};

class XlsxWriter {
 public:
  // The file is created by close(). Throws Error if libxlsxwriter fails.
  explicit XlsxWriter(const std::string& path, XlsxWriterOptions options = {});
  ~XlsxWriter();  // closes if still open, ignoring errors
  XlsxWriter(const XlsxWriter&) = delete;
  XlsxWriter& operator=(const XlsxWriter&) = delete;

  // Starts a sheet and writes its header row. Characters Excel forbids in
  // sheet names ([]:*?/\) become '_' and the name is cut to 31 characters.
  void add_sheet(const std::string& name, const std::vector<std::string>& header);
  // Appends a row to the current sheet. Throws Error past Excel's 1,048,576
  // rows or for text over 32,767 characters.
  void add_row(const std::vector<Cell>& cells);
  // Rows written to the current sheet, header excluded.
  int64_t rows() const;
  // Writes the file; throws Error (e.g. directory missing, disk full).
  void close();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Display width of UTF-8 text in Excel "characters": CJK and full-width
// characters count 2. Exposed for tests.
int display_width(std::string_view utf8);

}  // namespace canbao::io
