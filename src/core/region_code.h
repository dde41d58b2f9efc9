// RegionCode: a statistical division code (统计用区划代码, GB/T 2260 + NBS).
// Levels by significant digits: province 2, city 4, county 6, township 9,
// village 12. Held as the 12-digit zero-padded number plus its level, so a
// code is 16 bytes with no allocation (the batch path holds millions) and
// "is inside" is a prefix test on the significant digits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canbao {

class RegionCode {
 public:
  enum Level : uint8_t { none = 0, province = 2, city = 4, county = 6, township = 9, village = 12 };

  // Accepts 2, 4, 6, 9 or 12 digits; a 12-digit code with trailing zero
  // groups ("341702000000") is read at the level its digits show.
  static std::optional<RegionCode> parse(std::string_view text);

  bool empty() const { return level_ == none; }
  // The code as written: significant digits, at least 6 ("140500", "341702", "150424101").
  std::string str() const;
  std::string padded() const;  // 12 digits
  uint64_t padded_number() const { return code12_; }
  Level level() const { return static_cast<Level>(level_); }
  // True when this code is `outer` or lies below it in the tree. Empty codes are inside nothing.
  bool inside(const RegionCode& outer) const;
  // Parent at the next level up (village → township → county → city → province).
  std::optional<RegionCode> parent() const;
  // The same code truncated to a coarser level (never finer than this one).
  RegionCode at_level(Level l) const;
  bool operator==(const RegionCode& o) const = default;
  bool operator<(const RegionCode& o) const { return code12_ < o.code12_ || (code12_ == o.code12_ && level_ < o.level_); }

 private:
  uint64_t code12_ = 0;
  uint8_t level_ = none;
};

}  // namespace canbao
