// Reading policy files from disk (the policy stage itself takes text only).
#pragma once
#include <string>
#include <vector>

#include "policy/loader.h"

namespace canbao::io {

// Loads and validates one file; a missing file is a PolicyError at line 0.
PolicyLoad load_policy_file(const std::string& path);
// Every *.toml under a directory (e.g. policies/2024), sorted by name.
std::vector<std::string> policy_files_in(const std::string& dir);

}  // namespace canbao::io
