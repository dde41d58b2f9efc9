#include "io/table_memory.h"

#include <fmt/format.h>

#include <algorithm>

#include "io/csv.h"
#include "io/xlsx_reader.h"

namespace canbao::io {

namespace {

// Same rules as table.cc's: both must name a file the same way, so a clerk
// reads one message whether the file came from the command line or an upload.
std::string lower_extension(const std::string& name) {
  size_t slash = name.find_last_of('/');
  size_t dot = name.find_last_of('.');
  if (dot == name.npos || (slash != name.npos && dot < slash)) return {};
  std::string ext = name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

Error unsupported(const std::string& name, const std::string& what_en, const std::string& what_zh) {
  return Error(fmt::format("{}: {}; save it as .xlsx or CSV UTF-8", name, what_en),
               fmt::format("{}：{}，请另存为 .xlsx 或“CSV UTF-8”格式后导入", name, what_zh));
}

}  // namespace

std::unique_ptr<TableReader> open_table_memory(std::string bytes, const std::string& name, const std::string& sheet) {
  // The sniffing looks at the first 4 KB, as open_table does, so a file is
  // judged the same however it arrived.
  std::string_view magic(bytes.data(), std::min<size_t>(bytes.size(), 4096));
  bool zip = magic.starts_with("PK\x03\x04");
  bool ole = magic.starts_with("\xD0\xCF\x11\xE0");  // .xls, .et, or an encrypted .xlsx
  std::string ext = lower_extension(name);

  std::unique_ptr<TableReader> reader;
  if (ext == "xlsx" || ext == "xlsm") {
    if (ole) throw unsupported(name, "password-protected or legacy Excel file", "文件已加密或为旧版 Excel 格式");
    reader = XlsxReader::from_memory(std::move(bytes), sheet);
  } else if (ext == "csv" || ext == "txt" || ext == "tsv") {
    if (zip) throw unsupported(name, "this is an Excel workbook named ." + ext, "文件实际是 Excel 工作簿而非 CSV");
    if (ole) throw unsupported(name, "this is a legacy Excel (.xls) file named ." + ext, "文件实际是旧版 Excel（.xls）文件");
    bool utf16 = magic.size() >= 2 && ((uint8_t(magic[0]) == 0xFF && uint8_t(magic[1]) == 0xFE) ||
                                       (uint8_t(magic[0]) == 0xFE && uint8_t(magic[1]) == 0xFF));
    if (!utf16 && magic.find('\0') != magic.npos)
      throw unsupported(name, "binary data or UTF-16 text", "文件含二进制内容或为 UTF-16 编码");
    reader = CsvReader::from_memory(std::move(bytes));
  } else if (ext == "xls" || ext == "et" || ext == "ods" || ext == "numbers") {
    throw unsupported(name, "." + ext + " files are not supported", "不支持 ." + ext + " 格式");
  } else {
    throw unsupported(name, "unknown file type (expected .csv, .txt or .xlsx)",
                      "无法识别的文件类型（应为 .csv、.txt 或 .xlsx）");
  }
  if (reader->header().empty())
    throw Error(fmt::format("{}: the file is empty (no header row)", name), fmt::format("{}：文件为空，缺少表头行", name));
  return reader;
}

}  // namespace canbao::io
