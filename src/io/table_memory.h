// Opening a table held in memory: an upload is parsed where it arrived, never
// written to a temporary file and read back (the pattern of policy/loader.h:
// the stage takes text; reading a path is a thin wrapper elsewhere).
#pragma once
#include <memory>
#include <string>

#include "io/table.h"

namespace canbao::io {

// Opens `bytes` as the file `name` would be opened by open_table: the type
// comes from the name's extension and is checked against the content, so the
// messages are open_table's with `name` where it puts the path. Rejects what
// open_table rejects (.xls/.et, a workbook named .csv, UTF-16 or binary CSV,
// an empty file, an unknown extension) with io::Error.
std::unique_ptr<TableReader> open_table_memory(std::string bytes, const std::string& name,
                                               const std::string& sheet = {});

}  // namespace canbao::io
