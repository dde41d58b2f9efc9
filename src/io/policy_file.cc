#include "io/policy_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace canbao::io {

PolicyLoad load_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    PolicyLoad out;
    out.errors.push_back({path, 0, "cannot open the policy file"});
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_policy(ss.str(), path);
}

std::vector<std::string> policy_files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".toml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace canbao::io
