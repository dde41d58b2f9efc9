// CSV reading and writing for roster imports and exports.
//
// CsvReader streams RFC 4180 CSV (quoted fields, doubled quotes, embedded
// commas and newlines, CRLF or LF) through a fixed buffer, so a multi-GB file
// takes constant memory. Encoding is detected, because files arrive from
// Excel in China as GBK/GB18030 as often as UTF-8:
//   - UTF-8 BOM: UTF-8, BOM stripped;
//   - UTF-16 BOM: rejected with a message asking for UTF-8;
//   - otherwise the first 64 KiB holding non-ASCII bytes decides: valid UTF-8
//     means UTF-8, anything else GB18030 (a superset of GBK and GB2312),
//     converted with iconv. A UTF-8 file with invalid bytes later is an error.
// The delimiter is ',' unless the header line has tabs and no commas.
// Unquoted cells are trimmed of spaces (and tabs when comma-separated);
// quoted cells are kept exactly. Lenient where Excel is: a stray quote inside
// an unquoted cell is literal. An unterminated quote is an error naming the
// row where it started.
//
// CsvWriter writes UTF-8 (with a BOM by default: Excel in China opens
// BOM-less UTF-8 as GBK), quotes cells only when needed, CRLF line ends.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/table.h"

namespace canbao::io {

enum class Encoding { kAuto, kUtf8, kGb18030 };
const char* encoding_name(Encoding e);  // "UTF-8", "GB18030", "auto"

struct CsvOptions {
  Encoding encoding = Encoding::kAuto;
  char delimiter = 0;              // 0: detect ',' or '\t'
  size_t buffer_size = 1 << 20;    // bytes read at a time
};

class CsvReader final : public TableReader {
 public:
  // Throws Error if the file cannot be opened.
  explicit CsvReader(const std::string& path, CsvOptions options = {});
  // Reads from memory (tests, fuzzing, uploads held in memory).
  static std::unique_ptr<CsvReader> from_memory(std::string data, CsvOptions options = {});
  ~CsvReader() override;
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  bool next(Row& row) override;
  bool next_into(RowBlock& block) override;  // no per-cell strings: the text goes into the block
  const std::vector<std::string>& header() const override { return header_; }
  int64_t header_row() const override { return header_row_; }
  double progress() const override;

  Encoding encoding() const { return encoding_; }  // after detection
  char delimiter() const { return delim_; }

 private:
  CsvReader(CsvOptions options);
  void start();
  bool refill();                      // false at end of input
  size_t read_raw(char* dst, size_t n);
  void decode(bool at_eof);           // raw_ -> buf_
  template <class Out>  // VecOut or BlockOut (csv.cc)
  bool read_record(Out& cells, size_t& ncells, int64_t& number);
  bool read_nonblank(Row& row);

  CsvOptions options_;
  int fd_ = -1;
  std::string memory_;                // from_memory input
  size_t memory_pos_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t raw_consumed_ = 0;         // bytes read from the source
  bool source_eof_ = false;

  Encoding encoding_ = Encoding::kAuto;
  bool saw_non_ascii_ = false;        // encoding decided by content
  void* iconv_ = nullptr;             // iconv_t when GB18030

  std::string raw_;                   // undecoded bytes, raw_len_ used
  size_t raw_len_ = 0;
  size_t carry_ = 0;                  // tail of raw_ not decoded yet
  std::string conv_;                  // decoded bytes when converting
  const char* p_ = nullptr;           // parse cursor into decoded data
  const char* end_ = nullptr;
  bool pending_lf_ = false;           // skip a '\n' after a '\r' at a buffer edge

  char delim_ = ',';
  bool special_[256] = {};
  int64_t record_ = 0;                // records started, blank ones included
  std::vector<std::string> header_;
  int64_t header_row_ = 0;
};

struct CsvWriterOptions {
  bool bom = true;     // for Excel; set false for machine consumers
  char delimiter = ',';
  bool crlf = true;
};

class CsvWriter {
 public:
  // Creates or truncates `path`. Throws Error if it cannot.
  explicit CsvWriter(const std::string& path, CsvWriterOptions options = {});
  ~CsvWriter();  // closes, ignoring errors; call close() to see them
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  void write_row(std::span<const std::string> cells);
  void write_row(std::span<const std::string_view> cells);
  void write_row(std::initializer_list<std::string_view> cells) {
    write_row(std::span<const std::string_view>(cells.begin(), cells.size()));
  }
  // Flushes and closes; throws Error on any write failure (disk full ...).
  void close();

 private:
  void end_row();
  void flush();

  CsvWriterOptions options_;
  std::string path_;
  int fd_ = -1;
  std::string buf_;
};

// Appends `s` to `out` as one CSV field, quoted if it holds the delimiter,
// a quote, CR, LF, or leading/trailing spaces (which a reader would trim).
void append_csv_field(std::string& out, std::string_view s, char delimiter = ',');

}  // namespace canbao::io
