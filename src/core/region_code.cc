#include "core/region_code.h"

#include <fmt/format.h>

namespace canbao {

static constexpr uint64_t kPow10[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
                                      10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
                                      100000000000ULL, 1000000000000ULL};

std::optional<RegionCode> RegionCode::parse(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.size() != 2 && s.size() != 4 && s.size() != 6 && s.size() != 9 && s.size() != 12) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (s[0] == '0' && s[1] == '0') return std::nullopt;
  RegionCode r;
  r.code12_ = v * kPow10[12 - s.size()];
  // Level from the significant digits: strip all-zero trailing groups.
  static const int kLevels[] = {12, 9, 6, 4};
  r.level_ = province;
  for (int l : kLevels) {
    int next = l == 12 ? 9 : l == 9 ? 6 : l == 6 ? 4 : 2;
    if ((r.code12_ / kPow10[12 - l]) % kPow10[l - next] != 0) { r.level_ = static_cast<uint8_t>(l); break; }
  }
  return r;
}

std::string RegionCode::str() const {
  if (level_ == none) return "";
  // Codes are written with at least 6 digits, as GB/T 2260 does (140500, 340000).
  int digits = level_ < 6 ? 6 : level_;
  return fmt::format("{:0{}d}", code12_ / kPow10[12 - digits], digits);
}

std::string RegionCode::padded() const { return fmt::format("{:012d}", code12_); }

bool RegionCode::inside(const RegionCode& outer) const {
  if (level_ == none || outer.level_ == none || level_ < outer.level_) return false;
  uint64_t p = kPow10[12 - outer.level_];
  return code12_ / p == outer.code12_ / p;
}

RegionCode RegionCode::at_level(Level l) const {
  RegionCode r;
  r.level_ = l < level_ ? l : level_;
  uint64_t p = kPow10[12 - r.level_];
  r.code12_ = code12_ / p * p;
  return r;
}

std::optional<RegionCode> RegionCode::parent() const {
  switch (level_) {
    case village: return at_level(township);
    case township: return at_level(county);
    case county: return at_level(city);
    case city: return at_level(province);
    default: return std::nullopt;
  }
}

}  // namespace canbao
