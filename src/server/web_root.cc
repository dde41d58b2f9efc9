#include "server/web_root.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace canbao::server {

namespace fs = std::filesystem;

WebRoot::WebRoot(const fs::path& dir) {
  std::error_code ec;
  root_ = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root_, ec)) throw std::runtime_error("网页目录不存在 / web root not found: " + dir.string());
}

static bool within(const fs::path& root, const fs::path& p) {
  // Component-wise prefix: "/srv/web2" is not inside "/srv/web".
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

std::optional<fs::path> WebRoot::resolve(std::string_view request_path) const {
  if (request_path.find('\0') != std::string_view::npos || request_path.find('\\') != std::string_view::npos)
    return std::nullopt;
  // The request path is taken relative to the root whatever it starts with:
  // operator/ with an absolute right-hand side would drop the root (the
  // "//etc/passwd" hole), so every leading '/' is stripped first.
  size_t at = request_path.find_first_not_of('/');
  fs::path rel = at == std::string_view::npos ? fs::path() : fs::path(std::string(request_path.substr(at)));
  if (rel.is_absolute() || rel.has_root_name()) return std::nullopt;
  std::error_code ec;
  // weakly_canonical follows the symlinks that exist and folds "..", so the
  // check below sees where the file really is.
  fs::path p = fs::weakly_canonical(root_ / rel, ec);
  if (ec || !within(root_, p)) return std::nullopt;
  return p;
}

bool WebRoot::inside(std::string_view request_path) const { return resolve(request_path).has_value(); }

std::optional<fs::path> WebRoot::file(std::string_view request_path) const {
  auto p = resolve(request_path);
  std::error_code ec;
  if (!p || !fs::is_regular_file(*p, ec)) return std::nullopt;
  return p;
}

std::optional<fs::path> WebRoot::index() const { return file("/index.html"); }

}  // namespace canbao::server
