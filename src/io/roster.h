// Roster: the person interchange format of DESIGN.md §5 (CSV or XLSX,
// Chinese or English headers) read into validated records. A bad row is
// reported as "row N, column X: reason" (and in Chinese for users) and never
// half-read: the caller gets either a whole record or the row's errors.
//
// This is the only roster parser: `assess` reads files with it and the
// registry's import (CLI, HTTP uploads, the demo) builds on it, so one header
// table maps a column and one function validates a cell. The table and every
// message are listed in docs/roster.md.
#pragma once
#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assess/batch.h"
#include "assess/facts.h"
#include "io/table.h"

namespace canbao::io {

// One person as read from a roster row; owns its strings. `facts()` gives
// the engine's view, valid while the record lives and is not modified.
struct RosterRecord {
  std::string id_number, name, household_id;
  Date birth;
  bool male = false;
  RegionCode hukou, residence;
  CategoryMask categories = 0;
  std::vector<DatedCategory> dated;
  int8_t disability_grade = 0;
  Event event = Event::none;
  Date event_date{};
  // The file gave 事件日期 (a birth without one takes the ID's birth date,
  // and the registry stores only what the file said).
  bool event_date_given = false;
  int16_t employee_months = -1;
  int8_t parent_insured = -1;
  bool has_paid_on = false, has_registered_on = false;
  Date paid_on{}, registered_on{};
  RegionCode school;
  int8_t insured_last_year = -1;

  PersonFacts facts() const;
  void clear();  // back to empty, keeping string capacity for the next row
};

struct RowError {
  int64_t row = 0;
  std::string column;  // header as written in the file
  std::string value;   // masked when it may be personal (ID numbers, names)
  std::string reason_zh;
  std::string reason_en;
  std::string str() const;     // "row 12, column 身份证号: bad check digit"
  std::string str_zh() const;  // "第12行 身份证号：身份证号校验位错误"
};

// Canonical column names, in interchange order.
enum class RosterColumn {
  id_number, name, household_id, hukou_region, residence_region, categories, disability_grade,
  event, event_date, employee_months, parent_insured, paid_on, registered_on, school_region, insured_last_year,
  count_
};
std::string_view roster_column_name(RosterColumn c);     // "id_number"
std::string_view roster_column_name_zh(RosterColumn c);  // "身份证号"
// The other headers accepted for `c` (e.g. certno, 公民身份号码 for id_number);
// headers match ignoring case, spaces (also full-width) and a leading BOM.
std::span<const std::string_view> roster_column_aliases(RosterColumn c);
bool roster_column_required(RosterColumn c);

// The header lacks required columns: nothing can be read. `missing` in
// interchange order; what()/zh name them all, `column` the first (Chinese).
struct RosterHeaderError : Error {
  RosterHeaderError(const std::string& en, std::string zh, int64_t row, std::vector<RosterColumn> missing);
  std::vector<RosterColumn> missing;
};

class RosterReader {
 public:
  // Throws RosterHeaderError naming the missing required columns (Chinese +
  // English). `today` bounds birth dates in ID numbers.
  RosterReader(std::unique_ptr<TableReader> table, Date today);
  // Next data row. Returns false at the end; otherwise `ok` says whether
  // `rec` holds a valid person or the row's problems were added to `errors`.
  // Throws io::Error when the file itself is malformed.
  bool next(RosterRecord& rec, bool& ok, std::vector<RowError>& errors);
  // next() in two halves, so rows can be validated on other threads than the
  // one reading the file. next_rows() appends raw rows to `block` until it
  // holds `max_rows` rows or `max_bytes` bytes of text; false when the file
  // ended first (the rows before the end are still appended). It throws
  // io::Error like next(), the rows read before the error staying in `block`. read() on a worker() of this
  // reader validates one of them exactly as next() would; `row` must stay
  // valid (its block untouched) for the call only.
  bool next_rows(RowBlock& block, size_t max_rows, size_t max_bytes);
  void read(const RowView& row, RosterRecord& rec, bool& ok, std::vector<RowError>& errors);
  // A reader with this one's header mapping and `today` but no file: only
  // read() may be called on it (next() and progress() need the file).
  std::unique_ptr<RosterReader> worker() const;
  double progress() const { return table_->progress(); }
  int64_t rows_read() const { return rows_; }
  // Excel's number of the row `next` returned last.
  int64_t row_number() const { return row_.number; }
  // The header `c` has in this file, or its Chinese name when the file has
  // no such column: what a report names for a check on that column.
  std::string column_header(RosterColumn c) const;

 private:
  RosterReader(const RosterReader& layout, int);  // worker(): the mapping without the file
  void validate(RosterRecord& r, bool& ok, std::vector<RowError>& errors);
  std::string_view cell(RosterColumn c) const;
  void read_identity(RosterRecord& r);
  void read_regions(RosterRecord& r);
  void read_categories_and_grade(RosterRecord& r);
  void read_event(RosterRecord& r);
  void read_flags_and_dates(RosterRecord& r);
  void fail(RosterColumn c, std::string_view value, std::string zh, std::string en);

  std::unique_ptr<TableReader> table_;
  Date today_;
  int col_[static_cast<int>(RosterColumn::count_)];
  std::vector<std::string> header_;
  RowBlock one_;  // next()'s row
  RowView row_;   // the row being validated: into one_, or read()'s argument
  int64_t rows_ = 0;
  // The row being read: where fail() reports.
  bool* ok_ = nullptr;
  std::vector<RowError>* errors_ = nullptr;
};

// Reasons tests and callers compare against (all messages: docs/roster.md).
inline constexpr std::string_view kBadRegionZh = "区划代码无效（应为2、4、6、9或12位数字的统计用区划代码，如341702、341702100、341702100201）";
inline constexpr std::string_view kBadRegionEn = "not a division code: 2, 4, 6, 9 or 12 digits (e.g. 341702, 341702100, 341702100201)";
inline constexpr std::string_view kBadInsuredLastYearZh = "上年本地参保应为“是”或“否”";
inline constexpr std::string_view kBadInsuredLastYearEn = "insured_last_year must be yes or no";

// Reads a whole roster file into columns for the batch path; bad rows are
// skipped and reported in `errors`.
PersonColumns read_roster_columns(const std::string& path, Date today, std::vector<RowError>& errors);

// Parses one categories cell: ids or Chinese labels separated by ; ； 、 or
// ',' each optionally followed by @YYYY-MM-DD (the list's certification day).
// False on the first unknown category or bad day, which goes to `bad_item`.
bool parse_categories_cell(std::string_view cell, CategoryMask& mask, std::vector<DatedCategory>& dated,
                           std::string& bad_item);

}  // namespace canbao::io
