// libFuzzer target for XlsxReader: any bytes must read or throw io::Error,
// never crash, hang or leak. Seed it with fuzz/corpus/xlsx (real workbooks).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/xlsx_reader.h"

using namespace canbao::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto reader = XlsxReader::from_memory(std::string(reinterpret_cast<const char*>(data), size));
    Row row;
    while (reader->next(row)) {
      if (!row.precision_lost.empty() && row.precision_lost.size() != row.cells.size()) abort();
    }
    for (const auto& name : reader->sheet_names()) {
      try {
        XlsxReader::from_memory(std::string(reinterpret_cast<const char*>(data), size), name);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
