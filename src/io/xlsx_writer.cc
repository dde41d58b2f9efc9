#include "io/xlsx_writer.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace canbao::io {

namespace {

constexpr int64_t kMaxRows = 1048576;
constexpr size_t kMaxText = 32767;
constexpr int kMinWidth = 6, kMaxWidth = 60;
// Excel's serial for 1970-01-01 in the 1900 date system.
constexpr int64_t kExcelEpochOffset = 25569;

Error xlsx_error(const std::string& path, const std::string& what, lxw_error e) {
  return Error(fmt::format("cannot write {}: {} ({})", path, what, lxw_strerror(e)),
               fmt::format("生成 Excel 文件 {} 失败：{}（{}）", path, what, lxw_strerror(e)));
}

// Decodes one code point; advances i. Invalid bytes count as one narrow char.
uint32_t next_cp(std::string_view s, size_t& i) {
  unsigned char c = s[i];
  int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (c >= 0x80 && c < 0xC0) len = 1;
  if (i + len > s.size()) len = 1;
  uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool wide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

// Excel forbids []:*?/\ in sheet names and allows 31 characters.
std::string clean_sheet_name(const std::string& name) {
  std::string out;
  size_t i = 0, chars = 0;
  while (i < name.size() && chars < 31) {
    size_t start = i;
    next_cp(name, i);
    std::string_view ch(name.data() + start, i - start);
    if (ch.size() == 1 && std::string_view("[]:*?/\\").find(ch[0]) != std::string_view::npos) {
      out.push_back('_');
    } else {
      out.append(ch);
    }
    ++chars;
  }
  if (out.empty()) out = "Sheet";
  if (out.front() == '\'') out.front() = '_';
  if (out.back() == '\'') out.back() = '_';
  return out;
}

}  // namespace

int display_width(std::string_view s) {
  int w = 0;
  size_t i = 0;
  while (i < s.size()) w += wide(next_cp(s, i)) ? 2 : 1;
  return w;
}

struct XlsxWriter::Impl {
  struct Sheet {
    lxw_worksheet* ws = nullptr;
    std::vector<int> widths;
    int64_t rows = 0;  // data rows
    int cols = 0;
  };

  std::string path;
  XlsxWriterOptions options;
  lxw_workbook* wb = nullptr;
  lxw_format* bold = nullptr;
  lxw_format* money = nullptr;
  lxw_format* date = nullptr;
  lxw_format* integer = nullptr;
  std::vector<Sheet> sheets;

  void fit(Sheet& s, int col, int w) {
    if (col >= int(s.widths.size())) s.widths.resize(col + 1, 0);
    s.widths[col] = std::max(s.widths[col], w);
  }

  void finish_sheets() {
    for (Sheet& s : sheets) {
      if (s.cols > 0) {
        worksheet_autofilter(s.ws, 0, 0, lxw_row_t(s.rows), lxw_col_t(s.cols - 1));
      }
      for (size_t c = 0; c < s.widths.size(); ++c) {
        double w = std::clamp(s.widths[c] + 2, kMinWidth, kMaxWidth);
        worksheet_set_column(s.ws, lxw_col_t(c), lxw_col_t(c), w, nullptr);
      }
    }
  }
};

XlsxWriter::XlsxWriter(const std::string& path, XlsxWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->options = std::move(options);
  lxw_workbook_options o = {};
  o.constant_memory = impl_->options.constant_memory ? LXW_TRUE : LXW_FALSE;
  o.tmpdir = impl_->options.tmpdir.empty() ? nullptr : impl_->options.tmpdir.data();
  o.use_zip64 = LXW_TRUE;
  impl_->wb = workbook_new_opt(path.c_str(), &o);
  if (!impl_->wb) {
    throw Error(fmt::format("cannot start workbook {}", path),
                fmt::format("无法创建 Excel 文件 {}", path));
  }
  impl_->bold = workbook_add_format(impl_->wb);
  format_set_bold(impl_->bold);
  impl_->money = workbook_add_format(impl_->wb);
  format_set_num_format(impl_->money, "0.00");
  impl_->date = workbook_add_format(impl_->wb);
  format_set_num_format(impl_->date, "yyyy-mm-dd");
  impl_->integer = workbook_add_format(impl_->wb);
  format_set_num_format(impl_->integer, "0");
}

XlsxWriter::~XlsxWriter() {
  try {
    close();
  } catch (...) {
  }
}

void XlsxWriter::add_sheet(const std::string& name, const std::vector<std::string>& header) {
  Impl& m = *impl_;
  if (!m.wb) throw Error("workbook already closed", "工作簿已关闭");
  std::string clean = clean_sheet_name(name);
  lxw_worksheet* ws = workbook_add_worksheet(m.wb, clean.c_str());
  if (!ws) {
    throw Error(fmt::format("cannot add sheet \"{}\" to {} (duplicate name?)", clean, m.path),
                fmt::format("无法添加工作表“{}”（名称重复？）", clean));
  }
  m.sheets.push_back({ws, {}, 0, int(header.size())});
  Impl::Sheet& s = m.sheets.back();
  for (size_t c = 0; c < header.size(); ++c) {
    lxw_error e = worksheet_write_string(ws, 0, lxw_col_t(c), header[c].c_str(), m.bold);
    if (e) throw xlsx_error(m.path, "header", e);
    m.fit(s, int(c), display_width(header[c]) + 1);
  }
  worksheet_freeze_panes(ws, 1, 0);
}

void XlsxWriter::add_row(const std::vector<Cell>& cells) {
  Impl& m = *impl_;
  if (!m.wb) throw Error("workbook already closed", "工作簿已关闭");
  if (m.sheets.empty()) add_sheet("Sheet1", {});
  Impl::Sheet& s = m.sheets.back();
  if (s.rows + 1 >= kMaxRows) {
    throw Error(fmt::format("sheet has more than {} rows; split the export", kMaxRows - 1),
                fmt::format("工作表超过 Excel 最大行数 {}，请分批导出", kMaxRows - 1));
  }
  lxw_row_t r = lxw_row_t(++s.rows);
  s.cols = std::max(s.cols, int(cells.size()));
  for (size_t c = 0; c < cells.size(); ++c) {
    lxw_col_t col = lxw_col_t(c);
    lxw_error e = LXW_NO_ERROR;
    int width = 0;
    const auto& v = cells[c].value();
    if (const auto* str = std::get_if<std::string>(&v)) {
      if (str->empty()) continue;
      if (str->size() > kMaxText && display_width(*str) > int(kMaxText)) {
        throw Error(fmt::format("row {} column {}: text longer than 32767 characters", r + 1, c + 1),
                    fmt::format("第 {} 行第 {} 列：文本超过 32767 个字符", r + 1, c + 1), r + 1);
      }
      e = worksheet_write_string(s.ws, r, col, str->c_str(), nullptr);
      width = std::min(display_width(*str), kMaxWidth);
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
      std::string text = fmt::format("{}", *i);
      if (*i >= 1000000000000000LL || *i <= -1000000000000000LL) {
        e = worksheet_write_string(s.ws, r, col, text.c_str(), nullptr);
      } else {
        e = worksheet_write_number(s.ws, r, col, double(*i), m.integer);
      }
      width = int(text.size());
    } else if (const auto* money = std::get_if<Money>(&v)) {
      // Display only: the stored value is fen/100 as Excel needs a number.
      e = worksheet_write_number(s.ws, r, col, double(money->fen) / 100.0, m.money);
      width = int(money->yuan().size());
    } else if (const auto* d = std::get_if<Date>(&v)) {
      e = worksheet_write_number(s.ws, r, col, double(d->days + kExcelEpochOffset), m.date);
      width = 10;
    } else {
      continue;
    }
    if (e) throw xlsx_error(m.path, fmt::format("row {} column {}", r + 1, c + 1), e);
    m.fit(s, int(c), width);
  }
}

int64_t XlsxWriter::rows() const {
  return impl_->sheets.empty() ? 0 : impl_->sheets.back().rows;
}

void XlsxWriter::close() {
  Impl& m = *impl_;
  if (!m.wb) return;
  m.finish_sheets();
  lxw_error e = workbook_close(m.wb);
  m.wb = nullptr;
  if (e) throw xlsx_error(m.path, "saving", e);
}

}  // namespace canbao::io
