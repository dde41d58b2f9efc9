// Table: a streaming row interface shared by the CSV and XLSX readers, so an
// importer reads a roster the same way whatever file the user uploaded.
//
// Readers know nothing about rosters: they return the header row and then
// each data row as UTF-8 strings. Blank rows (no cell with any text) are
// skipped, but row numbers still count them, so `Row::number` is the row the
// user sees in Excel and can be quoted back in an error ("第 12 行").
// Rows may be shorter or longer than the header; callers decide.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace canbao::io {

// A file that cannot be read or a malformed row. what() is English for logs;
// `zh` is the same message for users. `row` is 0 and `column` empty when the
// error is about the whole file.
struct Error : std::runtime_error {
  Error(const std::string& en, std::string zh, int64_t row = 0, std::string column = {})
      : std::runtime_error(en), row(row), column(std::move(column)), zh(std::move(zh)) {}
  int64_t row = 0;
  std::string column;
  std::string zh;
};

struct Row {
  // 1-based row number as Excel shows it (the header is row 1 when it is the
  // first line). For CSV a quoted cell spanning lines still counts as one row.
  int64_t number = 0;
  std::vector<std::string> cells;  // UTF-8, surrounding spaces trimmed
  // XLSX only; empty or cells.size() long. True where a number cell had 16 or
  // more integer digits: Excel keeps 15 significant digits, so an 18-digit ID
  // typed as a number is already corrupt ("3.41702199001011E+17"). Callers
  // should report "数值精度丢失，身份证号请以文本格式保存".
  std::vector<bool> precision_lost;

  bool lost_precision(size_t i) const { return i < precision_lost.size() && precision_lost[i]; }
};

// One row of a RowBlock: its cells as views into the block's buffer, valid
// until the block is cleared, appended to or destroyed.
class RowView {
 public:
  int64_t number = 0;  // as Row::number
  size_t size() const { return n_; }
  // Cell `i` (i < size()), trimmed as Row's cells are.
  std::string_view operator[](size_t i) const { return {base_ + off_[i], off_[i + 1] - off_[i]}; }
  // As Row::lost_precision; false past the end.
  bool lost_precision(size_t i) const { return lost_ && i < n_ && lost_[i]; }

 private:
  friend class RowBlock;
  const char* base_ = nullptr;
  const size_t* off_ = nullptr;  // n_ + 1 offsets into base_: cell i is [off_[i], off_[i + 1])
  size_t n_ = 0;
  const uint8_t* lost_ = nullptr;  // n_ flags, or null when no cell lost precision
};

// Rows stored back to back: one byte buffer, one array of cell offsets and
// one of row starts. A reader appends rows into it without allocating per
// cell, and another thread reads them from contiguous memory. clear() keeps
// the capacity, so a block reused from chunk to chunk stops allocating.
class RowBlock {
 public:
  size_t size() const { return numbers_.size(); }  // rows
  size_t bytes() const { return bytes_.size(); }   // cell text held
  // Row `i` (i < size()); see RowView for how long it stays valid.
  RowView row(size_t i) const;
  void clear();
  // Appends a copy of `row` (any reader's row, blank or not).
  void append(const Row& row);

  // For readers writing a row in place: begin_row(), then for each cell
  // begin_cell() and text appended to text(); end_row() closes the row, and
  // drop_row() takes back a row begun but not wanted (blank, or unreadable).
  void begin_row(int64_t number);
  void begin_cell() {
    if (open_cells_++) off_.push_back(bytes_.size());
  }
  std::string& text() { return bytes_; }
  size_t cell_start() const { return off_.back(); }  // where the open cell's text begins
  void end_row();
  void drop_row();
  bool row_blank() const { return bytes_.size() == row_bytes_; }  // the row being written has no text

 private:
  std::string bytes_;
  std::vector<size_t> off_{0};       // cell k is [off_[k], off_[k + 1]): cells lie back to back
  std::vector<size_t> row_cell_{0};  // row i's cells are [row_cell_[i], row_cell_[i + 1])
  std::vector<int64_t> numbers_;
  std::vector<uint8_t> lost_;        // per cell, only as far as the last row with a lost cell
  int64_t number_ = 0;               // the row being written
  size_t open_cells_ = 0;
  size_t row_bytes_ = 0;
  size_t row_off_ = 1;
};

class TableReader {
 public:
  virtual ~TableReader();
  // Reads the next non-blank data row into `row`, reusing its storage.
  // Returns false at the end. Throws Error on malformed input.
  virtual bool next(Row& row) = 0;
  // next() appending the row to `block` instead (the block is unchanged at
  // the end or on an Error). Same rows, cells and errors as next().
  virtual bool next_into(RowBlock& block);
  // The first non-blank row; empty for an empty file.
  virtual const std::vector<std::string>& header() const = 0;
  // Row number of the header row (1 unless blank rows precede it).
  virtual int64_t header_row() const = 0;
  // 0..1 of bytes (CSV) or rows (XLSX) read, for progress bars.
  virtual double progress() const = 0;
};

// Opens by extension: .csv/.txt (CsvReader), .xlsx (XlsxReader, first sheet
// or the sheet named `sheet`). Throws Error with a clear message when the file
// is missing, unreadable, of an unsupported type (.xls, .et) or has no header.
std::unique_ptr<TableReader> open_table(const std::string& path, const std::string& sheet = {});

// The checks open_table and open_table_memory (io/table_memory.h) share, so a
// file is judged, and a clerk told, the same whether it came from the command
// line or an upload. `name` is the path or the upload's file name.
namespace detail {
enum class TableKind { xlsx, csv };
// How many leading bytes the sniffing looks at.
inline constexpr size_t kSniffBytes = 4096;
// The reader `name`'s extension calls for, checked against `head` (the first
// kSniffBytes bytes or fewer). Throws Error for .xls/.et/.ods/.numbers, a
// workbook or legacy Excel file named .csv, UTF-16 or binary CSV, an encrypted
// or legacy Excel file named .xlsx, and an unknown extension.
TableKind sniff_table(std::string_view head, const std::string& name);
// `reader`, or Error when the file has no header row (it is empty).
std::unique_ptr<TableReader> require_header(std::unique_ptr<TableReader> reader, const std::string& name);
}  // namespace detail

}  // namespace canbao::io
