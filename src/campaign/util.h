// Internal helpers shared by the campaign files (not part of the interface).
#pragma once
#include <cctype>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace canbao::campaign {

// Removes ASCII spaces/tabs and U+3000 (names in flattened tables: "高 校").
inline std::string strip_spaces(std::string_view s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t') continue;
    if (c == 0xE3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x80) {
      i += 2;
      continue;
    }
    o += s[i];
  }
  return o;
}

// Index of the first header matching one of `names` (case and spaces ignored), or -1.
inline int find_col(const std::vector<std::string>& header, std::initializer_list<std::string_view> names) {
  auto norm = [](std::string_view h) {
    std::string o = strip_spaces(h);
    for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
    return o;
  };
  for (auto n : names)
    for (size_t i = 0; i < header.size(); ++i)
      if (norm(header[i]) == norm(n)) return int(i);
  return -1;
}

}  // namespace canbao::campaign
