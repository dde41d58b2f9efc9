#include "io/table_memory.h"

#include "io/csv.h"
#include "io/xlsx_reader.h"

namespace canbao::io {

std::unique_ptr<TableReader> open_table_memory(std::string bytes, const std::string& name, const std::string& sheet) {
  auto kind = detail::sniff_table(bytes, name);
  std::unique_ptr<TableReader> reader;
  if (kind == detail::TableKind::xlsx) reader = XlsxReader::from_memory(std::move(bytes), sheet);
  else reader = CsvReader::from_memory(std::move(bytes));
  return detail::require_header(std::move(reader), name);
}

}  // namespace canbao::io
