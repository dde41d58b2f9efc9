// IdNumber: a resident identity number (公民身份号码) per GB 11643-1999.
// 18 characters: 6-digit region of first registration, 8-digit birth date,
// 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character (0-9, X).
// 15-digit legacy numbers (GB 11643-1989: YYMMDD born 19xx) are upgraded.
#pragma once
#include <array>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

#include "core/date.h"

namespace canbao {

enum class IdError {
  none,
  bad_length,       // not 15 or 18 characters
  bad_character,    // non-digit (only the last of 18 may be X)
  bad_region,       // region prefix not a plausible division code
  bad_birth_date,   // not a real calendar day (e.g. 0230)
  future_birth,     // born after the reference day
  bad_check_digit,  // MOD 11-2 mismatch
};
std::string_view id_error_message(IdError e);     // English, for logs
std::string_view id_error_message_zh(IdError e);  // Chinese, for users

class IdNumber {
 public:
  // Validates and normalises (upper-case X, 15 → 18). `today` bounds the
  // birth date; pass the as-of day of the work (core reads no clock).
  static std::optional<IdNumber> parse(std::string_view text, Date today, IdError* err = nullptr);
  static char check_char(std::string_view first17);  // '0'..'9' or 'X'

  const std::string& str() const { return digits_; }
  std::string_view region_prefix() const { return std::string_view(digits_).substr(0, 6); }
  Date birth_date() const { return birth_; }
  bool male() const { return ((digits_[16] - '0') & 1) == 1; }
  // 341702********1234 — the masked form shown in lists and exports.
  std::string masked() const;
  bool operator==(const IdNumber& o) const { return digits_ == o.digits_; }

 private:
  std::string digits_;
  Date birth_;
};

// Masks any string that looks like an ID; keeps the first 6 and last 4.
std::string mask_id(std::string_view id);
// Masks a Chinese name: 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明.
std::string mask_name(std::string_view name);

}  // namespace canbao
