// Internal: engine constructors behind open_store().
#pragma once
#include <memory>
#include <string>

#include "store/store.h"

namespace canbao::store {
std::unique_ptr<Store> open_sqlite(const std::string& path, const OpenOptions& opt);
std::unique_ptr<Store> open_postgres(const std::string& url, const OpenOptions& opt);
}  // namespace canbao::store
