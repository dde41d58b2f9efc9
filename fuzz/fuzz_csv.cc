// libFuzzer target for CsvReader. Any input must either parse or throw
// io::Error; parsing with tiny buffers must give the same rows as with the
// default buffer (the state machine resumes correctly at every boundary).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/csv.h"

using namespace canbao::io;

namespace {

struct Result {
  bool failed = false;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> numbers;
};

Result parse(const std::string& data, CsvOptions o) {
  Result r;
  try {
    auto reader = CsvReader::from_memory(data, o);
    r.header = reader->header();
    Row row;
    while (reader->next(row)) {
      r.rows.push_back(row.cells);
      r.numbers.push_back(row.number);
      double p = reader->progress();
      if (p < 0 || p > 1) abort();
    }
  } catch (const Error&) {
    r.failed = true;
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte picks the small buffer size and a forced delimiter/encoding.
  uint8_t knobs = data[0];
  std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  CsvOptions base;
  base.buffer_size = 8192;  // still far larger than -max_len, and cheap per run
  if (knobs & 0x80) base.delimiter = (knobs & 0x40) ? '\t' : ',';
  if ((knobs & 0x30) == 0x10) base.encoding = Encoding::kUtf8;
  if ((knobs & 0x30) == 0x20) base.encoding = Encoding::kGb18030;
  Result big = parse(input, base);
  CsvOptions small = base;
  small.buffer_size = 1 + (knobs & 0x0F);
  Result little = parse(input, small);
  if (big.failed != little.failed) abort();
  if (!big.failed && (big.header != little.header || big.rows != little.rows ||
                      big.numbers != little.numbers)) {
    abort();
  }
  return 0;
}
