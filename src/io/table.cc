#include "io/table.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "io/csv.h"
#include "io/xlsx_reader.h"

namespace canbao::io {

TableReader::~TableReader() = default;

namespace {

std::string lower_extension(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == path.npos || (slash != path.npos && dot < slash)) return {};
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

Error unsupported(const std::string& path, const std::string& what_en, const std::string& what_zh) {
  return Error(fmt::format("{}: {}; save it as .xlsx or CSV UTF-8", path, what_en),
               fmt::format("{}：{}，请另存为 .xlsx 或“CSV UTF-8”格式后导入", path, what_zh));
}

}  // namespace

namespace detail {

TableKind sniff_table(std::string_view head, const std::string& name) {
  std::string_view magic = head.substr(0, kSniffBytes);
  bool zip = magic.starts_with("PK\x03\x04");
  bool ole = magic.starts_with("\xD0\xCF\x11\xE0");  // .xls, .et, or an encrypted .xlsx
  std::string ext = lower_extension(name);

  if (ext == "xlsx" || ext == "xlsm") {
    if (ole) throw unsupported(name, "password-protected or legacy Excel file", "文件已加密或为旧版 Excel 格式");
    return TableKind::xlsx;
  }
  if (ext == "csv" || ext == "txt" || ext == "tsv") {
    if (zip) throw unsupported(name, "this is an Excel workbook named ." + ext, "文件实际是 Excel 工作簿而非 CSV");
    if (ole) throw unsupported(name, "this is a legacy Excel (.xls) file named ." + ext, "文件实际是旧版 Excel（.xls）文件");
    bool utf16 = magic.size() >= 2 && ((uint8_t(magic[0]) == 0xFF && uint8_t(magic[1]) == 0xFE) ||
                                       (uint8_t(magic[0]) == 0xFE && uint8_t(magic[1]) == 0xFF));
    if (!utf16 && magic.find('\0') != magic.npos)
      throw unsupported(name, "binary data or UTF-16 text", "文件含二进制内容或为 UTF-16 编码");
    return TableKind::csv;
  }
  if (ext == "xls" || ext == "et" || ext == "ods" || ext == "numbers")
    throw unsupported(name, "." + ext + " files are not supported", "不支持 ." + ext + " 格式");
  throw unsupported(name, "unknown file type (expected .csv, .txt or .xlsx)",
                    "无法识别的文件类型（应为 .csv、.txt 或 .xlsx）");
}

std::unique_ptr<TableReader> require_header(std::unique_ptr<TableReader> reader, const std::string& name) {
  if (reader->header().empty())
    throw Error(fmt::format("{}: the file is empty (no header row)", name), fmt::format("{}：文件为空，缺少表头行", name));
  return reader;
}

}  // namespace detail

std::unique_ptr<TableReader> open_table(const std::string& path, const std::string& sheet) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int e = errno;
    throw Error(fmt::format("cannot open {}: {}", path, std::strerror(e)),
                fmt::format("无法打开文件 {}：{}", path, e == ENOENT ? "文件不存在" : std::strerror(e)));
  }
  char head[detail::kSniffBytes];
  in.read(head, sizeof head);
  auto kind = detail::sniff_table(std::string_view(head, in.gcount()), path);
  std::unique_ptr<TableReader> reader;
  if (kind == detail::TableKind::xlsx) reader = std::make_unique<XlsxReader>(path, sheet);
  else reader = std::make_unique<CsvReader>(path);
  return detail::require_header(std::move(reader), path);
}

RowView RowBlock::row(size_t i) const {
  RowView v;
  v.number = numbers_[i];
  const size_t first = row_cell_[i];
  v.n_ = row_cell_[i + 1] - first;
  v.base_ = bytes_.data();
  v.off_ = off_.data() + first;
  if (lost_.size() >= first + v.n_ && v.n_) v.lost_ = lost_.data() + first;
  return v;
}

void RowBlock::clear() {
  bytes_.clear();
  off_.resize(1);
  row_cell_.resize(1);
  numbers_.clear();
  lost_.clear();
  open_cells_ = 0;
  row_bytes_ = 0;
  row_off_ = 1;
}

void RowBlock::begin_row(int64_t number) {
  number_ = number;
  open_cells_ = 0;
  row_bytes_ = bytes_.size();
  row_off_ = off_.size();
}

void RowBlock::end_row() {
  if (open_cells_) off_.push_back(bytes_.size());
  open_cells_ = 0;
  row_cell_.push_back(off_.size() - 1);
  numbers_.push_back(number_);
  row_bytes_ = bytes_.size();  // drop_row() now takes back nothing
  row_off_ = off_.size();
}

void RowBlock::drop_row() {
  bytes_.resize(row_bytes_);
  off_.resize(row_off_);
  open_cells_ = 0;
}

void RowBlock::append(const Row& row) {
  begin_row(row.number);
  const size_t first = off_.size() - 1;
  for (const auto& c : row.cells) {
    begin_cell();
    bytes_ += c;
  }
  end_row();
  for (size_t i = 0; i < row.cells.size(); ++i)
    if (row.lost_precision(i)) {
      if (lost_.size() < first + row.cells.size()) lost_.resize(first + row.cells.size(), 0);
      lost_[first + i] = 1;
    }
}

bool TableReader::next_into(RowBlock& block) {
  // Readers without a block path of their own (XLSX) go through a Row.
  thread_local Row row;
  if (!next(row)) return false;
  block.append(row);
  return true;
}

}  // namespace canbao::io
