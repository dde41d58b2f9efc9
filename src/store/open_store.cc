#include "store/engines.h"

namespace canbao::store {

std::unique_ptr<Store> open_store(const std::string& url, const OpenOptions& opt) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return open_postgres(url, opt);
  std::string path = url;
  if (path.starts_with("sqlite://")) path = path.substr(9);
  else if (path.starts_with("sqlite:")) path = path.substr(7);
  if (path.empty()) throw StoreError("数据库路径为空 / empty database path");
  return open_sqlite(path, opt);
}

}  // namespace canbao::store
