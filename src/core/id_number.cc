#include "core/id_number.h"

#include <cstring>

namespace canbao {

std::string_view id_error_message(IdError e) {
  switch (e) {
    case IdError::none: return "ok";
    case IdError::bad_length: return "ID number must have 18 (or legacy 15) characters";
    case IdError::bad_character: return "ID number has a character other than digits and a final X";
    case IdError::bad_region: return "ID number region prefix is not a division code";
    case IdError::bad_birth_date: return "ID number birth date is not a real calendar day";
    case IdError::future_birth: return "ID number birth date is in the future";
    case IdError::bad_check_digit: return "ID number check digit does not match (GB 11643 MOD 11-2)";
  }
  return "?";
}

std::string_view id_error_message_zh(IdError e) {
  switch (e) {
    case IdError::none: return "正确";
    case IdError::bad_length: return "身份证号应为18位（或15位旧号）";
    case IdError::bad_character: return "身份证号含有非法字符（仅末位可为X）";
    case IdError::bad_region: return "身份证号前6位不是有效行政区划代码";
    case IdError::bad_birth_date: return "身份证号中的出生日期不存在";
    case IdError::future_birth: return "身份证号中的出生日期晚于当前日期";
    case IdError::bad_check_digit: return "身份证号校验位错误";
  }
  return "?";
}

char IdNumber::check_char(std::string_view s) {
  static const int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char kChars[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (s[i] - '0') * kWeights[i];
  return kChars[sum % 11];
}

static bool all_digits(std::string_view s) {
  for (char c : s) if (c < '0' || c > '9') return false;
  return true;
}

std::optional<IdNumber> IdNumber::parse(std::string_view text, Date today, IdError* err) {
  auto fail = [&](IdError e) -> std::optional<IdNumber> { if (err) *err = e; return std::nullopt; };
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  char s[18];  // no heap work: rosters pass millions of these
  if (text.size() == 15) {
    if (!all_digits(text)) return fail(IdError::bad_character);
    std::memcpy(s, text.data(), 6);
    s[6] = '1';
    s[7] = '9';
    std::memcpy(s + 8, text.data() + 6, 9);
    s[17] = check_char(std::string_view(s, 17));
  } else if (text.size() == 18) {
    std::memcpy(s, text.data(), 18);
    if (s[17] == 'x') s[17] = 'X';
    if (!all_digits(std::string_view(s, 17)) || !((s[17] >= '0' && s[17] <= '9') || s[17] == 'X'))
      return fail(IdError::bad_character);
  } else {
    return fail(IdError::bad_length);
  }
  // Province codes run 11..82 (GB/T 2260, 91 reserved); legacy numbers may
  // carry city-level prefixes, so only the province pair is checked.
  int prov = (s[0] - '0') * 10 + (s[1] - '0');
  if (prov < 11 || prov > 91) return fail(IdError::bad_region);
  auto num = [&](int at, int n) {
    int v = 0;
    for (int i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
    return v;
  };
  int y = num(6, 4), m = num(10, 2), d = num(12, 2);
  if (!Date::valid_ymd(y, m, d)) return fail(IdError::bad_birth_date);
  Date birth = Date::from_ymd(y, m, d);
  if (birth > today) return fail(IdError::future_birth);
  if (check_char(std::string_view(s, 17)) != s[17]) return fail(IdError::bad_check_digit);
  IdNumber id;
  id.digits_.assign(s, 18);
  id.birth_ = birth;
  if (err) *err = IdError::none;
  return id;
}

std::string mask_id(std::string_view id) {
  if (id.size() <= 10) return std::string(id.size(), '*');
  return std::string(id.substr(0, 6)) + std::string(id.size() - 10, '*') + std::string(id.substr(id.size() - 4));
}

std::string IdNumber::masked() const { return mask_id(digits_); }

// Splits UTF-8 into code points (names are short; no validation needed beyond lead bytes).
static std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = s.size() - i;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string mask_name(std::string_view name) {
  auto cs = utf8_chars(name);
  if (cs.empty()) return "";
  std::string out(cs[0]);
  if (cs.size() == 1) return out;
  if (cs.size() == 2) return out + "*";
  for (size_t i = 1; i + 1 < cs.size(); ++i) out += "*";
  out += cs.back();
  return out;
}

}  // namespace canbao
