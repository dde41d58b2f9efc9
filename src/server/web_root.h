// The web UI's static files: which file a request path may read.
#pragma once
#include <filesystem>
#include <optional>
#include <string_view>

namespace canbao::server {

// A directory of static files, resolved once (symlinks followed).
class WebRoot {
 public:
  // Throws std::runtime_error when `dir` does not exist.
  explicit WebRoot(const std::filesystem::path& dir);
  // The regular file a request path names, resolved weakly-canonically with
  // symlinks followed, only when it lies inside the root; nullopt for
  // anything outside it (absolute paths such as "//etc/passwd" or
  // "/%2fetc/passwd" after decoding, "..", a symlink leading out, NUL) and
  // for what is not a regular file. Never joins the root with an absolute path.
  std::optional<std::filesystem::path> file(std::string_view request_path) const;
  // index.html of the root (the SPA fallback), nullopt when absent.
  std::optional<std::filesystem::path> index() const;
  // True when the request path stays inside the root (the SPA fallback may
  // answer it); false for a path that tries to leave it (answer 404).
  bool inside(std::string_view request_path) const;
  const std::filesystem::path& dir() const { return root_; }

 private:
  std::optional<std::filesystem::path> resolve(std::string_view request_path) const;
  std::filesystem::path root_;  // canonical
};

}  // namespace canbao::server
