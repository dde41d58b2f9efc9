#include "io/xlsx_reader.h"

#include <zip.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "core/date.h"

namespace canbao::io {

namespace {

// Every part has a ceiling on its inflated size, checked against the zip
// directory before a byte is inflated and again while streaming (the
// directory can lie). A 450 kB upload whose styles.xml inflated to 150 MB
// cost the server ~800 MB and six at once ran it out of memory (issue 11).
// The small parts are small in every workbook Excel or WPS writes: a few kB
// of relationships, a workbook part of one line per sheet, styles of at most
// 64,000 cell formats (Excel's limit, ~10 MB).
constexpr zip_uint64_t kMaxRelsBytes = zip_uint64_t(4) << 20;
constexpr zip_uint64_t kMaxWorkbookBytes = zip_uint64_t(16) << 20;
constexpr zip_uint64_t kMaxStylesBytes = zip_uint64_t(32) << 20;
// A sheet streams one row at a time, so only time grows with it.
constexpr zip_uint64_t kMaxSheetBytes = zip_uint64_t(1) << 30;
// The shared-string table is held in memory. A sheet has at most 1,048,576
// rows; a roster row's own texts (ID 18 bytes, name, household id, address)
// are ~60 bytes plus a 4-byte offset each, so a full sheet needs ~80 MB of
// table from ~200 MB of XML.
constexpr zip_uint64_t kMaxSharedPartBytes = zip_uint64_t(256) << 20;
constexpr size_t kMaxSharedBytes = size_t(128) << 20;
// Shared strings are unique texts and deflate ~3-10:1; a table that inflates
// more than 100:1 is a bomb, not a roster (checked past 16 MB, so small
// well-compressed tables pass). This keeps a small upload's cost to ~100×
// its size whatever the caps above allow.
constexpr uint64_t kBombRatio = 100;
constexpr uint64_t kBombFloor = uint64_t(16) << 20;
constexpr int kMaxColumns = 16384;  // XFD
// Excel's own limit is 32,767 characters per cell; in UTF-8 at most 4 bytes each.
constexpr size_t kMaxCellBytes = 32767 * 4;
// One row's text in all its cells: a roster row is a few hundred bytes; a
// row of 16,384 cells each copying one huge shared string must not become
// gigabytes (a 64 kB "decompression bomb" found by fuzz/fuzz_xlsx).
constexpr size_t kMaxRowBytes = size_t(16) << 20;
// Workbook structure kept in memory while opening.
constexpr size_t kMaxSheets = 4096;
constexpr size_t kMaxRels = 65536;
constexpr size_t kMaxNumFmts = 65536;
constexpr size_t kMaxCellXfs = size_t(1) << 20;

Error not_xlsx(const std::string& detail, int64_t row = 0) {
  return Error(fmt::format("not a readable .xlsx workbook: {}", detail),
               fmt::format("不是有效的 Excel 工作簿（.xlsx）：{}。请用 Excel 或 WPS 另存为 .xlsx 后重试", detail),
               row);
}

// The same with the reason in Chinese for users.
Error not_xlsx(const std::string& detail, const std::string& zh) {
  return Error(fmt::format("not a readable .xlsx workbook: {}", detail),
               fmt::format("不是有效的 Excel 工作簿（.xlsx）：{}。请用 Excel 或 WPS 另存为 .xlsx 后重试", zh));
}

std::string mib(uint64_t bytes) { return fmt::format("{} MB", bytes >> 20); }

// A part over its ceiling, found in the zip directory or while inflating.
Error too_big(const std::string& part, uint64_t limit) {
  if (limit >= kMaxSheetBytes) {
    return Error(fmt::format("{} is larger than {} uncompressed; export the sheet as CSV", part, mib(limit)),
                 fmt::format("工作表过大（解压后超过 {}），请另存为 CSV 后导入", mib(limit)));
  }
  return Error(fmt::format("{} is larger than {} uncompressed: not a workbook Excel writes (a zip bomb?)", part,
                           mib(limit)),
               fmt::format("文件中的 {} 解压后超过 {}，不是正常的 Excel 工作簿（疑似压缩炸弹），已拒绝", part,
                           mib(limit)));
}

Error bomb(const std::string& part) {
  return Error(fmt::format("{} inflates more than {}:1: a zip bomb, not a workbook", part, kBombRatio),
               fmt::format("文件中的 {} 压缩比异常（超过 {}:1），不是正常的 Excel 工作簿（疑似压缩炸弹），已拒绝", part,
                           kBombRatio));
}

// libzip's reason a file is not a zip, for users.
std::string zip_error_zh(int code) {
  switch (code) {
    case ZIP_ER_NOZIP: return "文件不是 zip 格式（可能是改了扩展名的其他文件）";
    case ZIP_ER_INCONS: return "zip 结构不一致，文件不完整或已损坏";
    case ZIP_ER_EOF: case ZIP_ER_READ: case ZIP_ER_SEEK: return "文件不完整（可能上传时被截断）";
    case ZIP_ER_CRC: return "文件内容校验失败，已损坏";
    case ZIP_ER_COMPNOTSUPP: case ZIP_ER_ENCRNOTSUPP: case ZIP_ER_NOPASSWD: case ZIP_ER_WRONGPASSWD:
      return "文件已加密或使用了不支持的压缩方式";
    case ZIP_ER_MEMORY: return "文件过大，无法读取";
    default: return "文件已损坏";
  }
}

bool is_trim(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void assign_trimmed(std::string& out, std::string_view s) {
  while (!s.empty() && is_trim(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_trim(s.back())) s.remove_suffix(1);
  out.assign(s);
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

// OOXML escapes characters XML cannot hold as _xHHHH_ (e.g. _x000D_).
void append_ooxml_text(std::string& out, std::string_view s) {
  if (s.find("_x") == s.npos) {
    out.append(s);
    return;
  }
  size_t n = s.size();
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '_' && i + 6 < n && s[i + 1] == 'x' && s[i + 6] == '_') {
      int a = hexval(s[i + 2]), b = hexval(s[i + 3]), c = hexval(s[i + 4]), d = hexval(s[i + 5]);
      if (a >= 0 && b >= 0 && c >= 0 && d >= 0) {
        uint32_t cp = (a << 12) | (b << 8) | (c << 4) | d;
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        append_utf8(out, cp);
        i += 6;
        continue;
      }
    }
    out.push_back(s[i]);
  }
}

// A minimal pull parser for the two big parts (sheet and shared strings), so
// they stream through a fixed buffer instead of a DOM. It knows what OOXML
// needs: elements, attributes, text, the five entities and character
// references, comments, CDATA; a DOCTYPE is refused.
class XmlPull {
 public:
  enum Kind { kStart, kEnd, kText, kEof };

  // size_hint: the part's stated uncompressed size, to keep small parts cheap;
  // max_bytes: the part's ceiling; ratio_base: its compressed size when the
  // part is refused for inflating more than kBombRatio:1 (0: not checked).
  XmlPull(zip_file_t* f, std::string part, uint64_t size_hint, uint64_t max_bytes, uint64_t ratio_base = 0)
      : file_(f), part_(std::move(part)), max_bytes_(max_bytes), ratio_base_(ratio_base) {
    buf_.resize(std::clamp<uint64_t>(size_hint + 16, 4096, 1 << 20));
  }
  ~XmlPull() { zip_fclose(file_); }
  XmlPull(const XmlPull&) = delete;
  XmlPull& operator=(const XmlPull&) = delete;

  Kind next() {
    for (;;) {
      if (pos_ == len_ && !more()) return kEof;
      if (buf_[pos_] != '<') {
        size_t end = find('<', pos_);
        if (end == npos) {
          end = len_;
          if (!eof_) {  // keep a split entity for the next call
            size_t amp = rfind('&', pos_, end);
            if (amp != npos && find(';', amp) == npos) end = amp;
            if (end == pos_) {
              if (!more()) throw truncated();
              continue;
            }
          }
        }
        text_.clear();
        decode(std::string_view(buf_.data() + pos_, end - pos_), text_);
        pos_ = end;
        return kText;
      }
      if (len_ - pos_ < 9 && !eof_) {
        more();
        continue;
      }
      std::string_view rest(buf_.data() + pos_, len_ - pos_);
      if (rest.starts_with("<!--")) {
        if (!skip_past("-->")) continue;
      } else if (rest.starts_with("<![CDATA[")) {
        size_t e = find_str("]]>", pos_ + 9);
        if (e == npos) {
          if (!more()) throw truncated();
          continue;
        }
        text_.assign(buf_.data() + pos_ + 9, e - pos_ - 9);
        pos_ = e + 3;
        return kText;
      } else if (rest.starts_with("<?")) {
        if (!skip_past("?>")) continue;
      } else if (rest.starts_with("<!")) {
        throw not_xlsx(fmt::format("{} has a DOCTYPE", part_));
      } else {
        size_t gt = tag_end(pos_);
        if (gt == npos) {
          if (!more()) throw truncated();
          continue;
        }
        std::string_view tag(buf_.data() + pos_ + 1, gt - pos_ - 1);
        pos_ = gt + 1;
        Kind k = kStart;
        if (!tag.empty() && tag[0] == '/') {
          k = kEnd;
          tag.remove_prefix(1);
        }
        self_closing_ = !tag.empty() && tag.back() == '/';
        if (self_closing_) tag.remove_suffix(1);
        size_t ne = 0;
        while (ne < tag.size() && !is_space(tag[ne])) ++ne;
        std::string_view qname = tag.substr(0, ne);
        size_t colon = qname.find(':');
        name_ = colon == qname.npos ? qname : qname.substr(colon + 1);
        attrs_ = tag.substr(ne);
        return k;
      }
    }
  }

  std::string_view name() const { return name_; }  // local name, valid until next()
  bool self_closing() const { return self_closing_; }
  const std::string& text() const { return text_; }

  // Value of the attribute with this local name, decoded into `out`.
  bool attr(std::string_view want, std::string& out) const {
    std::string_view a = attrs_;
    size_t i = 0;
    while (i < a.size()) {
      while (i < a.size() && is_space(a[i])) ++i;
      size_t ns = i;
      while (i < a.size() && a[i] != '=' && !is_space(a[i])) ++i;
      std::string_view qname = a.substr(ns, i - ns);
      while (i < a.size() && (is_space(a[i]) || a[i] == '=')) ++i;
      if (i >= a.size() || (a[i] != '"' && a[i] != '\'')) return false;
      char q = a[i++];
      size_t vs = i;
      while (i < a.size() && a[i] != q) ++i;
      std::string_view value = a.substr(vs, i - vs);
      ++i;
      size_t colon = qname.find(':');
      std::string_view lname = colon == qname.npos ? qname : qname.substr(colon + 1);
      if (lname == want && (colon == qname.npos || qname.substr(0, colon) != "xmlns")) {
        out.clear();
        decode(value, out);
        return true;
      }
    }
    return false;
  }

  uint64_t consumed() const { return consumed_ - (len_ - pos_); }

 private:
  static constexpr size_t npos = std::string::npos;
  // One tag, comment or CDATA section (text streams in pieces): a real one is
  // a few kB; the buffer never grows past this.
  static constexpr size_t kMaxToken = 4 << 20;

  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

  Error truncated() const { return not_xlsx(fmt::format("{} is truncated or not well-formed", part_)); }

  size_t find(char c, size_t from) const {
    const void* p = std::memchr(buf_.data() + from, c, len_ - from);
    return p ? static_cast<const char*>(p) - buf_.data() : npos;
  }
  size_t rfind(char c, size_t from, size_t to) const {
    for (size_t i = to; i > from; --i) {
      if (buf_[i - 1] == c) return i - 1;
    }
    return npos;
  }
  size_t find_str(std::string_view s, size_t from) const {
    size_t r = std::string_view(buf_.data(), len_).find(s, from);
    return r;
  }
  // Index of the '>' closing the tag at `from`, skipping quoted attribute values.
  size_t tag_end(size_t from) const {
    char q = 0;
    for (size_t i = from + 1; i < len_; ++i) {
      char c = buf_[i];
      if (q) {
        if (c == q) q = 0;
      } else if (c == '"' || c == '\'') {
        q = c;
      } else if (c == '>') {
        return i;
      }
    }
    return npos;
  }
  bool skip_past(std::string_view s) {
    size_t e = find_str(s, pos_);
    if (e == npos) {
      if (!more()) throw truncated();
      return false;
    }
    pos_ = e + s.size();
    return true;
  }
  // Reads more bytes after the unconsumed ones; false at end of the part.
  bool more() {
    if (eof_) return false;
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
      len_ -= pos_;
      pos_ = 0;
    }
    if (len_ == buf_.size()) {
      if (buf_.size() >= kMaxToken) throw not_xlsx(fmt::format("{} has a huge element", part_));
      buf_.resize(buf_.size() * 2);
    }
    zip_int64_t n = zip_fread(file_, buf_.data() + len_, buf_.size() - len_);
    if (n < 0) {
      zip_error_t* ze = zip_file_get_error(file_);
      throw not_xlsx(fmt::format("{} is damaged: {}", part_, zip_file_strerror(file_)),
                     fmt::format("{} 无法解压：{}", part_, zip_error_zh(ze ? zip_error_code_zip(ze) : 0)));
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    len_ += n;
    consumed_ += n;
    if (consumed_ > max_bytes_) throw too_big(part_, max_bytes_);
    if (ratio_base_ && consumed_ > kBombFloor && consumed_ / kBombRatio > ratio_base_) throw bomb(part_);
    return true;
  }

  static void decode(std::string_view s, std::string& out) {
    size_t i = 0;
    while (i < s.size()) {
      size_t amp = s.find('&', i);
      if (amp == s.npos) {
        out.append(s.substr(i));
        return;
      }
      out.append(s.substr(i, amp - i));
      size_t semi = s.find(';', amp);
      std::string_view ent = semi == s.npos ? std::string_view() : s.substr(amp + 1, semi - amp - 1);
      if (ent == "lt") out.push_back('<');
      else if (ent == "gt") out.push_back('>');
      else if (ent == "amp") out.push_back('&');
      else if (ent == "quot") out.push_back('"');
      else if (ent == "apos") out.push_back('\'');
      else if (ent.size() >= 2 && ent[0] == '#') {
        uint32_t cp = 0;
        bool hex = ent[1] == 'x' || ent[1] == 'X';
        auto [e, ec] = std::from_chars(ent.data() + (hex ? 2 : 1), ent.data() + ent.size(), cp, hex ? 16 : 10);
        if (ec != std::errc() || e != ent.data() + ent.size() || cp == 0 || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
          cp = 0xFFFD;
        }
        append_utf8(out, cp);
      } else {
        out.push_back('&');  // not an entity: keep it
        i = amp + 1;
        continue;
      }
      i = semi + 1;
    }
  }

  zip_file_t* file_;
  std::string part_;
  uint64_t max_bytes_, ratio_base_;
  std::string buf_;
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;
  std::string_view name_, attrs_;
  bool self_closing_ = false;
  std::string text_;
};

bool is_date_format_code(std::string_view code) {
  bool y = false, d = false, m = false, h = false, s = false;
  for (size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (c == '"') {  // quoted literal
      size_t e = code.find('"', i + 1);
      if (e == code.npos) break;
      i = e;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;  // escaped or padding character
    } else if (c == '[') {  // [Red], [$-804], [h]
      size_t e = code.find(']', i + 1);
      if (e == code.npos) break;
      std::string_view in = code.substr(i + 1, e - i - 1);
      if (!in.empty() && (in[0] == 'h' || in[0] == 'H' || in[0] == 'm' || in[0] == 'M' ||
                          in[0] == 's' || in[0] == 'S')) {
        h = true;  // elapsed time
      }
      i = e;
    } else {
      switch (c | 0x20) {
        case 'y': y = true; break;
        case 'd': d = true; break;
        case 'm': m = true; break;
        case 'h': h = true; break;
        case 's': s = true; break;
        default: break;
      }
    }
  }
  if (code == "General" || code == "general") return false;
  return y || d || (m && !h && !s);
}

bool is_builtin_date(int id) {
  return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

// "C5" -> column 2 (0-based), row 5. Returns false if malformed.
bool parse_ref(const char* r, int* col, int64_t* row) {
  int c = 0;
  const char* p = r;
  while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
    c = c * 26 + ((*p | 0x20) - 'a' + 1);
    if (c > kMaxColumns) return false;
    ++p;
  }
  if (p == r) return false;
  *col = c - 1;
  int64_t n = 0;
  const char* q = p;
  while (*q >= '0' && *q <= '9') {
    n = n * 10 + (*q - '0');
    if (n > (1 << 22)) return false;
    ++q;
  }
  *row = q == p ? 0 : n;
  return true;
}

std::string dirname_of(const std::string& path) {
  size_t s = path.rfind('/');
  return s == path.npos ? std::string() : path.substr(0, s + 1);
}

// Resolves a relationship target against the directory of its source part.
std::string resolve(const std::string& base_dir, const std::string& target) {
  std::string joined = !target.empty() && target[0] == '/' ? target.substr(1) : base_dir + target;
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= joined.size()) {
    size_t j = joined.find('/', i);
    if (j == joined.npos) j = joined.size();
    std::string seg = joined.substr(i, j - i);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string format_excel_number(std::string_view v, bool* precision_lost) {
  *precision_lost = false;
  while (!v.empty() && is_trim(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_trim(v.back())) v.remove_suffix(1);
  double d = 0;
  const char* b = v.data();
  if (!v.empty() && *b == '+') ++b;
  auto [end, ec] = std::from_chars(b, v.data() + v.size(), d);
  if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(d)) return std::string(v);
  if (std::fabs(d) >= 1e15) *precision_lost = true;
  if (d == 0) return "0";
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.15g", d);
  std::string_view s(buf, n);
  size_t e = s.find('e');
  if (e == s.npos) return std::string(s);
  // Expand moderate exponents as Excel's General format does for integers.
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  if (exp > 20 || exp < -9) {
    std::string out(s);
    out[e] = 'E';
    return out;
  }
  std::string mant(s.substr(0, e));
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  int point = 0;  // digits before the decimal point in mant
  bool seen_point = false;
  for (char c : mant) {
    if (c == '.') { seen_point = true; continue; }
    digits.push_back(c);
    if (!seen_point) ++point;
  }
  point += exp;
  std::string out = neg ? "-" : "";
  if (point <= 0) {
    out += "0.";
    out.append(-point, '0');
    out += digits;
  } else if (size_t(point) >= digits.size()) {
    out += digits;
    out.append(point - digits.size(), '0');
  } else {
    out += digits.substr(0, point);
    out += '.';
    out += digits.substr(point);
  }
  return out;
}

std::string excel_serial_to_date(double serial, bool date1904) {
  if (!std::isfinite(serial) || serial < 0 || serial >= 2958466) return {};
  int64_t n = int64_t(std::floor(serial));
  Date d;
  if (date1904) {
    d = Date::from_ymd(1904, 1, 1).plus_days(int(n));
  } else {
    if (n < 1 || n == 60) return {};  // 1900-01-00 and Excel's phantom 1900-02-29
    d = n < 60 ? Date::from_ymd(1899, 12, 31).plus_days(int(n))
               : Date::from_ymd(1899, 12, 30).plus_days(int(n));
  }
  return d.str();
}

struct XlsxReader::Impl {
  std::string memory;  // from_memory input, must outlive the zip
  zip_t* zip = nullptr;

  std::vector<std::string> sheet_names;
  // The shared-string table as one block of text and the end offset of each
  // entry: 4 bytes an entry instead of a std::string's 32 and its allocation.
  std::string shared_text;
  std::vector<uint32_t> shared_end;
  std::vector<bool> xf_is_date;
  bool date1904 = false;

  std::unique_ptr<XmlPull> sheet;
  uint64_t sheet_bytes = 0;  // uncompressed size, for progress
  bool in_sheet_data = false, sheet_done = false;
  std::string scratch, v_text, is_text, t_attr;
  int64_t last_row_number = 0;
  std::vector<std::string> header;
  int64_t header_row = 0;

  ~Impl() {
    if (zip) zip_discard(zip);
  }

  std::string_view shared(size_t i) const {
    uint32_t b = i == 0 ? 0 : shared_end[i - 1];
    return std::string_view(shared_text.data() + b, shared_end[i] - b);
  }

  // Streams a part; nullptr if absent. Refused before inflating when the zip
  // directory states more than `max_bytes`, and while inflating past it.
  std::unique_ptr<XmlPull> open_part(const std::string& name, uint64_t* size, uint64_t max_bytes,
                                     bool ratio_check = false) {
    zip_int64_t idx = zip_name_locate(zip, name.c_str(), ZIP_FL_NOCASE);
    if (idx < 0) return nullptr;
    zip_stat_t st;
    zip_stat_init(&st);
    bool stated = zip_stat_index(zip, idx, 0, &st) == 0;
    *size = stated && (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    if (*size > max_bytes) throw too_big(name, max_bytes);
    uint64_t comp = stated && (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    if (ratio_check && comp && *size > kBombFloor && *size / kBombRatio > comp) throw bomb(name);
    zip_file_t* f = zip_fopen_index(zip, idx, 0);
    if (!f) {
      throw not_xlsx(fmt::format("cannot open part {}: {}", name, zip_strerror(zip)),
                     fmt::format("无法读取其中的 {}：{}", name, zip_error_zh(zip_error_code_zip(zip_get_error(zip)))));
    }
    // A stored (uncompressed) part cannot inflate, so its ratio is 1.
    return std::make_unique<XmlPull>(f, name, *size, max_bytes, ratio_check ? std::max<uint64_t>(comp, 1) : 0);
  }

  // Relationships of a part: id -> (type, resolved target).
  struct Rel { std::string id, type, target; };
  std::vector<Rel> rels_of(const std::string& part) {
    std::string dir = dirname_of(part);
    std::string base = part.substr(dir.size());
    std::vector<Rel> out;
    uint64_t size = 0;
    std::string rels_name = dir + "_rels/" + base + ".rels";
    auto x = open_part(rels_name, &size, kMaxRelsBytes);
    if (!x) return out;
    std::string id, type, target, mode;
    int depth = 0;
    for (;;) {
      XmlPull::Kind k = x->next();
      if (k == XmlPull::kEof) break;
      if (k == XmlPull::kText) continue;
      if (k == XmlPull::kEnd) { --depth; continue; }
      bool closes = x->self_closing();
      if (depth == 1 && x->name() == "Relationship") {
        if (!x->attr("Id", id)) id.clear();
        if (!x->attr("Type", type)) type.clear();
        if (!x->attr("Target", target)) target.clear();
        if (!x->attr("TargetMode", mode)) mode.clear();
        if (mode != "External") {
          if (out.size() >= kMaxRels)
            throw not_xlsx(fmt::format("{} has more than {} relationships", rels_name, kMaxRels),
                           fmt::format("{} 中的关系超过 {} 个", rels_name, kMaxRels));
          out.push_back({id, type, resolve(dir, target)});
        }
      }
      if (!closes) ++depth;
    }
    if (depth != 0) throw not_xlsx(fmt::format("{} is not well-formed", rels_name),
                                   fmt::format("{} 的 XML 不完整", rels_name));
    return out;
  }

  void open(const std::string& want_sheet) {
    // Workbook part from the package relationships.
    std::string workbook = "xl/workbook.xml";
    for (auto& r : rels_of("")) {
      if (ends_with(r.type, "/officeDocument")) workbook = r.target;
    }
    uint64_t wb_size = 0;
    auto wb = open_part(workbook, &wb_size, kMaxWorkbookBytes);
    if (!wb) throw not_xlsx("no workbook part", "缺少工作簿部件（xl/workbook.xml）");
    struct SheetRef { std::string name, rid, state; };
    std::vector<SheetRef> refs;
    {
      bool in_sheets = false;
      std::string name, rid, state, v;
      for (;;) {
        XmlPull::Kind k = wb->next();
        if (k == XmlPull::kEof) break;
        if (k == XmlPull::kText) continue;
        std::string_view n = wb->name();
        if (k == XmlPull::kEnd) {
          if (n == "sheets") in_sheets = false;
          continue;
        }
        if (n == "workbookPr") {
          if (wb->attr("date1904", v)) date1904 = v == "1" || v == "true";
        } else if (n == "sheets") {
          in_sheets = !wb->self_closing();
        } else if (n == "sheet" && in_sheets) {
          if (!wb->attr("name", name)) name.clear();
          // r:id, whatever the prefix: the only attribute of a sheet named "id".
          if (!wb->attr("id", rid)) rid.clear();
          if (!wb->attr("state", state)) state.clear();
          if (refs.size() >= kMaxSheets)
            throw not_xlsx(fmt::format("more than {} sheets", kMaxSheets),
                           fmt::format("工作表超过 {} 个", kMaxSheets));
          refs.push_back({name, rid, state});
        }
      }
    }
    wb.reset();
    auto rels = rels_of(workbook);
    auto find_rel = [&](std::string_view id) -> const Rel* {
      for (auto& r : rels) if (r.id == id) return &r;
      return nullptr;
    };

    std::string sheet_part;
    std::string first_visible, first_any;
    for (auto& s : refs) {
      const Rel* rel = find_rel(s.rid);
      if (!rel || !ends_with(rel->type, "/worksheet")) continue;  // chart sheets etc.
      sheet_names.push_back(s.name);
      if (first_any.empty()) first_any = rel->target;
      if (first_visible.empty() && s.state != "hidden" && s.state != "veryHidden") {
        first_visible = rel->target;
      }
      if (!want_sheet.empty() && s.name == want_sheet) sheet_part = rel->target;
    }
    if (!want_sheet.empty() && sheet_part.empty()) {
      std::string names;
      for (auto& n : sheet_names) names += (names.empty() ? "" : ", ") + n;
      throw Error(fmt::format("no worksheet named \"{}\" (sheets: {})", want_sheet, names),
                  fmt::format("工作簿中没有名为“{}”的工作表（现有：{}）", want_sheet, names));
    }
    if (sheet_part.empty()) sheet_part = !first_visible.empty() ? first_visible : first_any;
    if (sheet_part.empty()) throw not_xlsx("the workbook has no worksheet", "工作簿中没有工作表");

    for (auto& r : rels) {
      if (ends_with(r.type, "/sharedStrings")) load_shared(r.target);
      if (ends_with(r.type, "/styles")) load_styles(r.target);
    }

    sheet = open_part(sheet_part, &sheet_bytes, kMaxSheetBytes);
    if (!sheet) throw not_xlsx(fmt::format("worksheet part {} is missing", sheet_part),
                               fmt::format("缺少工作表部件 {}", sheet_part));
  }

  // <sst><si> items: <t>, or rich-text runs <r><t>; phonetic <rPh> left out.
  void load_shared(const std::string& part) {
    uint64_t size = 0;
    auto x = open_part(part, &size, kMaxSharedPartBytes, true);
    if (!x) return;
    shared_text.clear();
    shared_end.clear();
    std::string cur;
    bool in_si = false, in_t = false;
    int rph = 0;
    for (;;) {
      XmlPull::Kind k = x->next();
      if (k == XmlPull::kEof) break;
      if (k == XmlPull::kText) {
        if (in_t && rph == 0) append_ooxml_text(cur, x->text());
        if (cur.size() > kMaxCellBytes)
          throw not_xlsx(fmt::format("shared string {} is longer than Excel's 32,767 characters", shared_end.size()));
        continue;
      }
      std::string_view n = x->name();
      bool start = k == XmlPull::kStart, closes = k == XmlPull::kEnd || x->self_closing();
      if (n == "si") {
        if (start) { in_si = true; cur.clear(); }
        if (closes) {
          if (shared_text.size() + cur.size() + (shared_end.size() + 1) * sizeof(uint32_t) > kMaxSharedBytes)
            throw not_xlsx(fmt::format("{} holds more than {} of text; export the sheet as CSV", part,
                                       mib(kMaxSharedBytes)),
                           fmt::format("共享字符串超过 {}，请另存为 CSV 后导入", mib(kMaxSharedBytes)));
          shared_text += cur;
          shared_end.push_back(uint32_t(shared_text.size()));
          in_si = false;
        }
      } else if (n == "rPh" && in_si) {
        if (start) ++rph;
        if (closes) --rph;
      } else if (n == "t" && in_si) {
        in_t = start && !x->self_closing();
      }
    }
  }

  // Which cell formats (xf index) show dates: <numFmts><numFmt> custom codes
  // and <cellXfs><xf numFmtId>, streamed (no DOM of an attacker's styles).
  void load_styles(const std::string& part) {
    uint64_t size = 0;
    auto x = open_part(part, &size, kMaxStylesBytes);
    if (!x) return;
    std::unordered_map<int, bool> custom;  // numFmtId -> is date
    std::vector<int> xf_fmt;
    bool in_xfs = false;
    std::string v, code;
    for (;;) {
      XmlPull::Kind k = x->next();
      if (k == XmlPull::kEof) break;
      if (k == XmlPull::kText) continue;
      std::string_view n = x->name();
      if (k == XmlPull::kEnd) {
        if (n == "cellXfs") in_xfs = false;
        continue;
      }
      if (n == "numFmt") {
        if (custom.size() >= kMaxNumFmts)
          throw not_xlsx(fmt::format("{} has more than {} number formats", part, kMaxNumFmts),
                         fmt::format("{} 中的数字格式超过 {} 个", part, kMaxNumFmts));
        int id = x->attr("numFmtId", v) ? std::atoi(v.c_str()) : 0;
        if (!x->attr("formatCode", code)) code.clear();
        custom[id] = is_date_format_code(code);
      } else if (n == "cellXfs") {
        in_xfs = !x->self_closing();
      } else if (n == "xf" && in_xfs) {
        if (xf_fmt.size() >= kMaxCellXfs)
          throw not_xlsx(fmt::format("{} has more than {} cell formats", part, kMaxCellXfs),
                         fmt::format("{} 中的单元格格式超过 {} 个", part, kMaxCellXfs));
        xf_fmt.push_back(x->attr("numFmtId", v) ? std::atoi(v.c_str()) : 0);
      }
    }
    xf_is_date.clear();
    xf_is_date.reserve(xf_fmt.size());
    for (int id : xf_fmt) {
      auto it = custom.find(id);
      xf_is_date.push_back(it != custom.end() ? it->second : is_builtin_date(id));
    }
  }

  // Fills row from the next <row> element with any text; false at the end.
  bool read(Row& row) {
    if (sheet_done) {
      row.cells.clear();
      row.precision_lost.clear();
      return false;
    }
    XmlPull& x = *sheet;
    size_t n = 0;       // cells filled in this row
    size_t row_bytes = 0;
    bool in_row = false, any = false, in_v = false, in_is = false, in_t = false, in_cell = false;
    int rph = 0, col = -1;
    unsigned style = 0;
    int64_t number = 0;

    auto begin_cell = [&] {
      int64_t ignored;
      col = x.attr("r", scratch) ? (parse_ref(scratch.c_str(), &col, &ignored) ? col : -2) : col + 1;
      if (col < 0) throw not_xlsx(fmt::format("bad cell reference \"{}\" in row {}", scratch, number), number);
      if (col >= kMaxColumns) throw not_xlsx(fmt::format("too many columns in row {}", number), number);
      if (!x.attr("t", t_attr)) t_attr.clear();
      style = x.attr("s", scratch) ? unsigned(std::strtoul(scratch.c_str(), nullptr, 10)) : 0;
      v_text.clear();
      is_text.clear();
      in_cell = true;
    };
    auto end_cell = [&] {
      in_cell = false;
      if (col < 0) return;  // a </c> whose <c> was in an earlier row (malformed): nothing to fill
      while (n <= size_t(col)) {
        if (n == row.cells.size()) row.cells.emplace_back();
        row.cells[n].clear();
        if (n == row.precision_lost.size()) row.precision_lost.push_back(false);
        row.precision_lost[n] = false;
        ++n;
      }
      bool lost = false;
      cell_value(t_attr, style, number, row.cells[col], &lost);
      row_bytes += row.cells[col].size();
      if (row_bytes > kMaxRowBytes)
        throw not_xlsx(fmt::format("row {} holds more than {} MB of text", number, kMaxRowBytes >> 20), number);
      row.precision_lost[col] = lost;
      any = any || !row.cells[col].empty();
    };

    for (;;) {
      XmlPull::Kind k = x.next();
      if (k == XmlPull::kEof) {
        if (in_row || !in_sheet_data) throw not_xlsx("worksheet XML ends early");
        sheet_done = true;
        return false;
      }
      if (k == XmlPull::kText) {
        if (in_v) v_text += x.text();
        else if (in_t && rph == 0) append_ooxml_text(is_text, x.text());
        if (v_text.size() > kMaxCellBytes || is_text.size() > kMaxCellBytes)
          throw not_xlsx(fmt::format("a cell in row {} is longer than Excel's 32,767 characters", number), number);
        continue;
      }
      std::string_view name = x.name();
      bool start = k == XmlPull::kStart, closes = k == XmlPull::kEnd || x.self_closing();
      if (!in_sheet_data) {
        if (name == "sheetData" && start) {
          in_sheet_data = true;
          if (closes) { sheet_done = true; return false; }
        }
        continue;
      }
      if (name == "row") {
        if (start) {
          number = x.attr("r", scratch) ? std::strtoll(scratch.c_str(), nullptr, 10) : 0;
          if (number <= 0) number = last_row_number + 1;
          last_row_number = number;
          in_row = true;
          in_cell = in_v = in_is = in_t = false;
          n = 0;
          row_bytes = 0;
          any = false;
          col = -1;
        }
        if (closes && in_row) {
          in_row = false;
          if (!any) continue;
          row.number = number;
          row.cells.resize(n);
          row.precision_lost.resize(n);
          return true;
        }
      } else if (name == "c" && in_row) {
        if (start) begin_cell();
        if (closes && in_cell) end_cell();
      } else if (in_cell) {
        if (name == "v") in_v = start && !x.self_closing();
        else if (name == "is") { in_is = start && !x.self_closing(); }
        else if (name == "rPh" && in_is) { if (start) ++rph; if (closes) --rph; }
        else if (name == "t" && in_is) in_t = start && !x.self_closing();
      } else if (name == "sheetData" && k == XmlPull::kEnd) {
        sheet_done = true;
        row.cells.clear();
        row.precision_lost.clear();
        return false;
      }
    }
  }

  void cell_value(std::string_view t, unsigned style, int64_t row_number, std::string& out, bool* lost) {
    const std::string& v = v_text;
    if (t == "s") {
      if (v.empty()) return;
      unsigned long long idx = 0;
      auto [e, ec] = std::from_chars(v.data(), v.data() + v.size(), idx);
      if (ec != std::errc() || idx >= shared_end.size()) {
        throw not_xlsx(fmt::format("row {} refers to missing shared string {}", row_number, v),
                       row_number);
      }
      assign_trimmed(out, shared(size_t(idx)));
    } else if (t == "inlineStr") {
      assign_trimmed(out, is_text.empty() ? v : is_text);
    } else if (t == "str" || t == "e") {
      std::string s;
      append_ooxml_text(s, v);
      assign_trimmed(out, s);
    } else if (t == "b") {
      if (!v.empty()) out = v == "1" || v == "true" ? "TRUE" : "FALSE";
    } else if (t == "d") {  // ISO 8601 (strict files)
      std::string_view s = v;
      assign_trimmed(out, s.size() >= 10 && s[4] == '-' ? s.substr(0, 10) : s);
    } else {
      if (v.empty()) return;
      if (style < xf_is_date.size() && xf_is_date[style]) {
        double d = 0;
        auto [e, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec == std::errc()) {
          std::string date = excel_serial_to_date(d, date1904);
          if (!date.empty()) {
            out = std::move(date);
            return;
          }
        }
      }
      out = format_excel_number(v, lost);
    }
  }
};

XlsxReader::XlsxReader() : impl_(std::make_unique<Impl>()) {}

XlsxReader::XlsxReader(const std::string& path, const std::string& sheet)
    : impl_(std::make_unique<Impl>()) {
  int err = 0;
  impl_->zip = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!impl_->zip) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    if (err == ZIP_ER_NOENT || err == ZIP_ER_OPEN || err == ZIP_ER_READ) {
      throw Error(fmt::format("cannot open {}: {}", path, msg),
                  fmt::format("无法打开文件 {}：{}", path, msg));
    }
    throw not_xlsx(msg, zip_error_zh(err));
  }
  impl_->open(sheet);
  impl_->header_row = 0;
  Row h;
  if (impl_->read(h)) {
    impl_->header = std::move(h.cells);
    impl_->header_row = h.number;
  }
}

std::unique_ptr<XlsxReader> XlsxReader::from_memory(std::string data, const std::string& sheet) {
  std::unique_ptr<XlsxReader> r(new XlsxReader());
  Impl& m = *r->impl_;
  m.memory = std::move(data);
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t* src = zip_source_buffer_create(m.memory.data(), m.memory.size(), 0, &ze);
  if (src) m.zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
  if (!m.zip) {
    std::string msg = zip_error_strerror(&ze);
    int code = zip_error_code_zip(&ze);
    if (src) zip_source_free(src);
    zip_error_fini(&ze);
    throw not_xlsx(msg, zip_error_zh(code));
  }
  zip_error_fini(&ze);
  m.open(sheet);
  Row h;
  if (m.read(h)) {
    m.header = std::move(h.cells);
    m.header_row = h.number;
  }
  return r;
}

XlsxReader::~XlsxReader() = default;

bool XlsxReader::next(Row& row) { return impl_->read(row); }
const std::vector<std::string>& XlsxReader::header() const { return impl_->header; }
int64_t XlsxReader::header_row() const { return impl_->header_row; }
const std::vector<std::string>& XlsxReader::sheet_names() const { return impl_->sheet_names; }

double XlsxReader::progress() const {
  const Impl& m = *impl_;
  if (m.sheet_done || m.sheet_bytes == 0) return m.sheet_done ? 1.0 : 0.0;
  return std::min(1.0, double(m.sheet->consumed()) / double(m.sheet_bytes));
}

}  // namespace canbao::io
