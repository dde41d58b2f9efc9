// XlsxReader: rows of one worksheet of an Office Open XML workbook (.xlsx, as
// saved by Excel, WPS and LibreOffice), as the same UTF-8 strings a user sees.
//
// What a cell becomes:
//   - shared strings (including rich-text runs), inline strings, formula
//     strings: the text, surrounding spaces trimmed as for CSV;
//   - numbers: as Excel's General format shows them, 15 significant digits,
//     integers without ".0" (342, 89.6, 1000000); formulas give their cached
//     value;
//   - dates (built-in date formats 14-17, 22, the CJK ones 27-36 and 50-58,
//     or custom formats with y/m/d such as yyyy"年"m"月"d"日"): "YYYY-MM-DD",
//     the 1900 and 1904 date systems both handled;
//   - booleans: "TRUE"/"FALSE"; errors: their text ("#N/A").
// Cells are placed by their reference (r="C5"), gaps filled with empty
// strings; rows keep the sheet's row numbers.
//
// An 18-digit ID typed into Excel as a number is already corrupt in the file
// (Excel keeps 15 significant digits). Number cells whose value has 16 or more
// integer digits are marked in Row::precision_lost so the importer can ask
// for the column to be saved as text.
//
// Memory: every part streams out of the zip through a small pull parser
// (1 MiB buffer, 4 MiB at most), so memory is the shared-string table plus
// one row, whatever the sheet's size. Each part has a ceiling on its
// inflated size (relationships 4 MB, workbook 16 MB, styles 32 MB, shared
// strings 256 MB of XML and 128 MB in memory, a sheet 1 GiB), checked in the
// zip directory before inflating and again while inflating; shared strings
// that inflate more than 100:1 are refused as a zip bomb. A refusal is an
// Error with a Chinese message, so an upload of a bomb costs little.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/table.h"

namespace canbao::io {

class XlsxReader final : public TableReader {
 public:
  // Opens `path` at the first visible worksheet, or the one named `sheet`.
  // Throws Error when the file is not a readable .xlsx or the sheet is absent.
  explicit XlsxReader(const std::string& path, const std::string& sheet = {});
  // The same from an in-memory copy of the file (uploads, fuzzing).
  static std::unique_ptr<XlsxReader> from_memory(std::string data, const std::string& sheet = {});
  ~XlsxReader() override;

  bool next(Row& row) override;
  const std::vector<std::string>& header() const override;
  int64_t header_row() const override;
  double progress() const override;

  // Names of all worksheets, in workbook order.
  const std::vector<std::string>& sheet_names() const;

  struct Impl;

 private:
  XlsxReader();
  std::unique_ptr<Impl> impl_;
};

// Formats an Excel number as General shows it (15 significant digits, no
// exponent for integers); sets *precision_lost when |value| >= 1e15.
// Exposed for tests.
std::string format_excel_number(std::string_view v, bool* precision_lost);
// Excel serial day (1900 or 1904 system) to "YYYY-MM-DD"; empty if out of range.
std::string excel_serial_to_date(double serial, bool date1904);

}  // namespace canbao::io
