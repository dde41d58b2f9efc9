#include "io/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace canbao::io {

namespace {

constexpr size_t kDetectWindow = 64 * 1024;
constexpr size_t kMaxCellBytes = 1 << 20;   // Excel's own limit is 32767 characters
constexpr size_t kMaxColumns = 16384;       // Excel's column limit

enum class Utf8 { kOk, kTruncated, kBad };

// Checks s[0..n): returns kOk, kTruncated (a valid but incomplete sequence
// starts at *pos and runs to the end) or kBad (invalid byte at *pos).
Utf8 check_utf8(const unsigned char* s, size_t n, size_t* pos) {
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) { len = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else { *pos = i; return Utf8::kBad; }
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= n) { *pos = i; return Utf8::kTruncated; }
      unsigned char b = s[i + k];
      unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (b < l || b > h) { *pos = i; return Utf8::kBad; }
    }
    i += len;
  }
  *pos = n;
  return Utf8::kOk;
}

// Found by the first cell past the limit; out of line so the per-cell path
// that checks for it stays small enough to inline.
[[gnu::noinline, gnu::cold]] Error too_many_columns(int64_t row) {
  return Error(fmt::format("row {} has more than {} columns", row, kMaxColumns),
               fmt::format("第 {} 行列数超过 {}", row, kMaxColumns), row);
}

// The first byte of [s, e) that ends an unquoted run: the delimiter, a quote,
// CR or LF. Eight bytes per step (a byte equal to c is a zero byte of w ^ c,
// and the lowest flagged zero byte is exact): most cells are runs of digits,
// and a table lookup per byte was most of the reader's time.
[[gnu::always_inline]] inline const char* find_special(const char* s, const char* e, char delim, const bool* special) {
  static_assert(std::endian::native == std::endian::little, "the byte index below counts from the low end");
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  const uint64_t d = kOnes * static_cast<unsigned char>(delim);
  auto zero = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  while (e - s >= 8) {
    uint64_t w;
    std::memcpy(&w, s, 8);
    const uint64_t hit = zero(w ^ d) | zero(w ^ (kOnes * '\n')) | zero(w ^ (kOnes * '\r')) | zero(w ^ (kOnes * '"'));
    if (hit) return s + (__builtin_ctzll(hit) >> 3);
    s += 8;
  }
  while (s < e && !special[static_cast<unsigned char>(*s)]) ++s;
  return s;
}

Error encoding_error(uint64_t offset, int64_t near_row, const char* what) {
  return Error(fmt::format("{} at byte {} (near row {}); save the file as \"CSV UTF-8\"", what,
                           offset, near_row),
               fmt::format("文件编码无法识别（第 {} 行附近，字节位置 {}）：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”格式",
                           near_row, offset),
               near_row);
}

// Where read_record puts cells: a vector of strings (the header, Row) or a
// RowBlock's buffer, so both get the same parse from one loop.
struct VecOut {
  using Cell = std::string;
  std::vector<std::string>& cells;
  void begin_row(int64_t) {}
  [[gnu::always_inline]] Cell* add(size_t n) {
    if (n == cells.size()) cells.emplace_back();
    Cell* c = &cells[n];
    c->clear();
    return c;
  }
};
// The open cell of a RowBlock: the tail of its buffer from `start`.
struct BlockCell {
  std::string* b;
  size_t start;
  bool empty() const { return b->size() == start; }
  char back() const { return b->back(); }
  void pop_back() { b->pop_back(); }
  void append(const char* x, const char* y) { b->append(x, y); }
  void push_back(char c) { b->push_back(c); }
  size_t size() const { return b->size() - start; }
};
struct BlockOut {
  using Cell = BlockCell;
  RowBlock& block;
  BlockCell cell{nullptr, 0};
  void begin_row(int64_t number) { block.begin_row(number); }
  [[gnu::always_inline]] Cell* add(size_t) {
    block.begin_cell();
    cell = {&block.text(), block.cell_start()};
    return &cell;
  }
};
}  // namespace

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::kUtf8: return "UTF-8";
    case Encoding::kGb18030: return "GB18030";
    case Encoding::kAuto: break;
  }
  return "auto";
}

// ---------------------------------------------------------------- CsvReader

CsvReader::CsvReader(CsvOptions options) : options_(options) {}

CsvReader::CsvReader(const std::string& path, CsvOptions options) : options_(options) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    int e = errno;
    throw Error(fmt::format("cannot open {}: {}", path, std::strerror(e)),
                fmt::format("无法打开文件 {}：{}", path, e == ENOENT ? "文件不存在" : std::strerror(e)));
  }
  struct stat st;
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) total_bytes_ = st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  start();
}

std::unique_ptr<CsvReader> CsvReader::from_memory(std::string data, CsvOptions options) {
  std::unique_ptr<CsvReader> r(new CsvReader(options));
  r->memory_ = std::move(data);
  r->total_bytes_ = r->memory_.size();
  r->start();
  return r;
}

CsvReader::~CsvReader() {
  if (fd_ >= 0) ::close(fd_);
  if (iconv_) iconv_close(static_cast<iconv_t>(iconv_));
}

double CsvReader::progress() const {
  if (total_bytes_ == 0) return source_eof_ ? 1.0 : 0.0;
  uint64_t pending = carry_ + (encoding_ == Encoding::kGb18030 ? 0 : uint64_t(end_ - p_));
  double f = double(raw_consumed_ - std::min<uint64_t>(pending, raw_consumed_)) / double(total_bytes_);
  return std::clamp(f, 0.0, 1.0);
}

size_t CsvReader::read_raw(char* dst, size_t n) {
  size_t got = 0;
  if (fd_ < 0) {
    got = std::min(n, memory_.size() - memory_pos_);
    std::memcpy(dst, memory_.data() + memory_pos_, got);
    memory_pos_ += got;
  } else {
    while (got < n) {
      ssize_t r = ::read(fd_, dst + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        throw Error(fmt::format("read error: {}", std::strerror(errno)),
                    fmt::format("读取文件失败：{}", std::strerror(errno)));
      }
      if (r == 0) break;
      got += r;
    }
  }
  raw_consumed_ += got;
  return got;
}

void CsvReader::start() {
  encoding_ = options_.encoding;
  size_t cap = std::max<size_t>(options_.buffer_size, 16) + kDetectWindow;
  raw_.resize(cap);
  // Read the first bytes for the BOM.
  raw_len_ = read_raw(raw_.data(), raw_.size());
  if (raw_len_ < raw_.size()) source_eof_ = true;
  auto b = reinterpret_cast<const unsigned char*>(raw_.data());
  if (raw_len_ >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
    throw Error("file is UTF-16 (Excel \"Unicode text\"); save it as \"CSV UTF-8\"",
                "文件为 UTF-16（Unicode 文本）编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”格式");
  }
  if (raw_len_ >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
    if (encoding_ == Encoding::kAuto) encoding_ = Encoding::kUtf8;
    std::memmove(raw_.data(), raw_.data() + 3, raw_len_ - 3);
    raw_len_ -= 3;
  }
  carry_ = raw_len_;  // refill() moves the carry to the front and decodes it
  p_ = end_ = nullptr;
  if (encoding_ == Encoding::kGb18030) {
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) throw Error("iconv has no GB18030", "系统缺少 GB18030 编码支持");
    iconv_ = cd;
  }

  bool have = refill();
  delim_ = options_.delimiter;
  if (delim_ == 0) {
    delim_ = ',';
    if (have) {
      const char* nl = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
      std::string_view first(p_, nl ? nl - p_ : end_ - p_);
      if (first.find('\t') != first.npos && first.find(',') == first.npos) delim_ = '\t';
    }
  }
  std::memset(special_, 0, sizeof special_);
  special_[static_cast<unsigned char>(delim_)] = true;
  special_[static_cast<unsigned char>('\n')] = true;
  special_[static_cast<unsigned char>('\r')] = true;
  special_[static_cast<unsigned char>('"')] = true;

  size_t n = 0;
  VecOut header_out{header_};
  while (read_record(header_out, n, header_row_)) {
    bool blank = std::all_of(header_.begin(), header_.begin() + n,
                             [](const std::string& s) { return s.empty(); });
    if (!blank) break;
    n = 0;
  }
  header_.resize(n);
  if (n == 0) header_row_ = 0;
}

bool CsvReader::refill() {
  for (;;) {
    if (carry_ && carry_ != raw_len_) {
      std::memmove(raw_.data(), raw_.data() + raw_len_ - carry_, carry_);
    }
    raw_len_ = carry_;
    carry_ = 0;
    if (!source_eof_ && raw_len_ < raw_.size()) {
      size_t n = read_raw(raw_.data() + raw_len_, raw_.size() - raw_len_);
      if (n < raw_.size() - raw_len_) source_eof_ = true;
      raw_len_ += n;
    }
    if (raw_len_ == 0) {
      p_ = end_ = nullptr;
      return false;
    }
    decode(source_eof_);
    if (p_ != end_) return true;
    if (source_eof_ && carry_ == 0) return false;
  }
}

void CsvReader::decode(bool at_eof) {
  auto* s = reinterpret_cast<const unsigned char*>(raw_.data());
  size_t len = raw_len_;
  uint64_t base = raw_consumed_ - raw_len_;  // file offset of raw_[0]
  auto near_row = [&](size_t pos) {
    return std::max<int64_t>(record_, 1) + std::count(raw_.data(), raw_.data() + pos, '\n');
  };

  if (encoding_ == Encoding::kAuto) {
    size_t i = 0;
    while (i < len && s[i] < 0x80) ++i;
    if (i == len) {  // all ASCII so far: the same in both encodings
      p_ = raw_.data();
      end_ = p_ + len;
      return;
    }
    if (len - i < kDetectWindow && !at_eof) {  // decide on a full window
      p_ = raw_.data();
      end_ = p_ + i;
      carry_ = len - i;
      return;
    }
    size_t wend = std::min(len, i + kDetectWindow), pos;
    Utf8 r = check_utf8(s + i, wend - i, &pos);
    bool utf8 = r == Utf8::kOk || (r == Utf8::kTruncated && !(wend == len && at_eof));
    saw_non_ascii_ = true;
    if (utf8) {
      encoding_ = Encoding::kUtf8;
    } else {
      encoding_ = Encoding::kGb18030;
      iconv_t cd = iconv_open("UTF-8", "GB18030");
      if (cd == (iconv_t)-1) throw Error("iconv has no GB18030", "系统缺少 GB18030 编码支持");
      iconv_ = cd;
    }
  }

  if (encoding_ == Encoding::kUtf8) {
    size_t pos;
    Utf8 r = check_utf8(s, len, &pos);
    if (r == Utf8::kBad || (r == Utf8::kTruncated && at_eof)) {
      throw encoding_error(base + pos, near_row(pos), "invalid UTF-8");
    }
    p_ = raw_.data();
    end_ = p_ + pos;
    carry_ = len - pos;
    return;
  }

  // GB18030 through iconv. UTF-8 takes at most 1.5x the GB18030 bytes.
  if (conv_.size() < len * 2 + 16) conv_.resize(len * 2 + 16);
  char* in = raw_.data();
  size_t inleft = len;
  char* out = conv_.data();
  size_t outleft = conv_.size();
  size_t r = iconv(static_cast<iconv_t>(iconv_), &in, &inleft, &out, &outleft);
  if (r == size_t(-1)) {
    size_t pos = in - raw_.data();
    if (errno == EINVAL && !at_eof) {
      carry_ = inleft;
    } else {
      throw encoding_error(base + pos, near_row(pos), "invalid GB18030 (and not UTF-8)");
    }
  }
  p_ = conv_.data();
  end_ = out;
}


// One record into out's cells [0..n). Returns false at end of input.
template <class Out>
bool CsvReader::read_record(Out& cells, size_t& n, int64_t& number) {
  enum { kFieldStart, kUnquoted, kQuoted, kQuoteSeen, kAfterQuoted } st = kFieldStart;
  const char delim = delim_;
  const bool trim_tab = delim != '\t';
  bool any = false, quoted = false;
  int64_t started_at = record_ + 1;
  typename Out::Cell* cell = nullptr;
  n = 0;
  auto new_cell = [&]() __attribute__((always_inline)) {
    if (n == kMaxColumns) [[unlikely]] throw too_many_columns(started_at);
    cell = cells.add(n++);
    quoted = false;
  };
  auto finish = [&] {
    if (!quoted) {
      while (!cell->empty() && (cell->back() == ' ' || (trim_tab && cell->back() == '\t'))) {
        cell->pop_back();
      }
    }
  };
  auto too_long = [&] {
    return Error(fmt::format("cell in row {} is longer than {} bytes (unclosed quote?)", started_at,
                             kMaxCellBytes),
                 fmt::format("第 {} 行单元格过长，可能是引号未闭合", started_at), started_at);
  };

  for (;;) {
    if (p_ == end_) {
      if (!refill()) {
        if (!any) return false;
        if (st == kQuoted) {
          throw Error(fmt::format("row {}: quoted cell is not closed before end of file", started_at),
                      fmt::format("第 {} 行：引号未闭合，直到文件末尾", started_at), started_at);
        }
        finish();
        return true;
      }
    }
    if (!any) {
      if (pending_lf_) {
        pending_lf_ = false;
        if (*p_ == '\n') { ++p_; continue; }
      }
      any = true;
      number = started_at = ++record_;
      cells.begin_row(number);
      new_cell();
    }
    switch (st) {
      case kFieldStart: {
        char c = *p_;
        if (c == ' ' || (trim_tab && c == '\t')) { ++p_; continue; }
        if (c == '"') { ++p_; quoted = true; st = kQuoted; continue; }
        st = kUnquoted;
        [[fallthrough]];
      }
      case kUnquoted: {
        const char* e = end_;
        const char* s = find_special(p_, e, delim, special_);
        cell->append(p_, s);
        p_ = s;
        if (s == e) {
          if (cell->size() > kMaxCellBytes) throw too_long();
          continue;
        }
        char c = *p_++;
        if (c == delim) { finish(); new_cell(); st = kFieldStart; continue; }
        if (c == '\n') { finish(); return true; }
        if (c == '\r') { finish(); pending_lf_ = true; return true; }
        cell->push_back(c);  // a stray quote inside an unquoted cell is literal
        continue;
      }
      case kQuoted: {
        const char* q = static_cast<const char*>(std::memchr(p_, '"', end_ - p_));
        if (!q) {
          cell->append(p_, end_);
          p_ = end_;
          if (cell->size() > kMaxCellBytes) throw too_long();
          continue;
        }
        cell->append(p_, q);
        p_ = q + 1;
        st = kQuoteSeen;
        continue;
      }
      case kQuoteSeen:
        if (*p_ == '"') { cell->push_back('"'); ++p_; st = kQuoted; continue; }
        st = kAfterQuoted;
        [[fallthrough]];
      case kAfterQuoted: {
        char c = *p_;
        if (c == delim) { ++p_; new_cell(); st = kFieldStart; continue; }
        if (c == '\n') { ++p_; return true; }
        if (c == '\r') { ++p_; pending_lf_ = true; return true; }
        if (c == ' ' || c == '\t') { ++p_; continue; }
        st = kUnquoted;  // "ab"c reads as abc, as Excel does
        continue;
      }
    }
  }
}

bool CsvReader::next_into(RowBlock& block) {
  BlockOut out{block};
  size_t n = 0;
  int64_t number = 0;
  try {
    while (read_record(out, n, number)) {
      // Cells are trimmed and lie back to back: a row with no text added nothing.
      if (!block.row_blank()) {
        block.end_row();
        return true;
      }
      block.drop_row();
    }
  } catch (...) {
    block.drop_row();
    throw;
  }
  return false;
}

bool CsvReader::next(Row& row) {
  size_t n = 0;
  VecOut out{row.cells};
  while (read_record(out, n, row.number)) {
    for (size_t i = 0; i < n; ++i) {
      if (!row.cells[i].empty()) {
        row.cells.resize(n);
        row.precision_lost.clear();
        return true;
      }
    }
  }
  row.cells.clear();
  row.precision_lost.clear();
  return false;
}

// ---------------------------------------------------------------- CsvWriter

void append_csv_field(std::string& out, std::string_view s, char delimiter) {
  bool quote = !s.empty() && (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' ||
                              s.back() == '\t');
  if (!quote) {
    for (char c : s) {
      if (c == delimiter || c == '"' || c == '\n' || c == '\r') { quote = true; break; }
    }
  }
  if (!quote) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

CsvWriter::CsvWriter(const std::string& path, CsvWriterOptions options)
    : options_(options), path_(path) {
  // Exports hold personal data: not world-readable.
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    throw Error(fmt::format("cannot create {}: {}", path, std::strerror(errno)),
                fmt::format("无法创建文件 {}：{}", path, std::strerror(errno)));
  }
  buf_.reserve(1 << 20);
  if (options_.bom) buf_.append("\xEF\xBB\xBF");
}

CsvWriter::~CsvWriter() {
  try {
    close();
  } catch (...) {
  }
}

void CsvWriter::write_row(std::span<const std::string> cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) buf_.push_back(options_.delimiter);
    append_csv_field(buf_, cells[i], options_.delimiter);
  }
  end_row();
}

void CsvWriter::write_row(std::span<const std::string_view> cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) buf_.push_back(options_.delimiter);
    append_csv_field(buf_, cells[i], options_.delimiter);
  }
  end_row();
}

void CsvWriter::end_row() {
  if (options_.crlf) buf_.push_back('\r');
  buf_.push_back('\n');
  if (buf_.size() >= (1 << 20)) flush();
}

void CsvWriter::flush() {
  if (fd_ < 0) {
    throw Error(fmt::format("write to closed file {}", path_), "文件已关闭");
  }
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t r = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      buf_.clear();
      throw Error(fmt::format("cannot write {}: {}", path_, std::strerror(e)),
                  fmt::format("写入文件 {} 失败：{}", path_, e == ENOSPC ? "磁盘空间不足" : std::strerror(e)));
    }
    off += r;
  }
  buf_.clear();
}

void CsvWriter::close() {
  if (fd_ < 0) return;
  try {
    flush();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  int r = ::close(fd_);
  fd_ = -1;
  if (r != 0) {
    throw Error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)),
                fmt::format("写入文件 {} 失败：{}", path_, std::strerror(errno)));
  }
}

}  // namespace canbao::io
