#include "core/money.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <numeric>

namespace canbao {

namespace {
bool parse_digits(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  for (char c : s) if (c < '0' || c > '9') return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<Money> Money::parse_yuan(std::string_view text) {
  std::string_view s = trim(text);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; s.remove_prefix(1); }
  auto dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 2)) return std::nullopt;
  int64_t y = 0, f = 0;
  if (!parse_digits(whole, y)) return std::nullopt;
  if (!frac.empty()) {
    if (!parse_digits(frac, f)) return std::nullopt;
    if (frac.size() == 1) f *= 10;
  }
  if (y > std::numeric_limits<int64_t>::max() / 100 - 1) return std::nullopt;
  int64_t fen = y * 100 + f;
  return Money{neg ? -fen : fen};
}

std::string Money::yuan() const {
  int64_t a = fen < 0 ? -fen : fen;
  return fmt::format("{}{}.{:02d}", fen < 0 ? "-" : "", a / 100, a % 100);
}

static Fraction normalized(int64_t n, int64_t d) {
  if (d < 0) { n = -n; d = -d; }
  int64_t g = std::gcd(n < 0 ? -n : n, d);
  if (g == 0) g = 1;
  return Fraction{n / g, d / g};
}

Fraction Fraction::operator*(Fraction o) const { return normalized(num * o.num, den * o.den); }
Fraction Fraction::operator+(Fraction o) const { return normalized(num * o.den + o.num * den, den * o.den); }

std::string Fraction::str() const {
  if (100 % den == 0) return fmt::format("{}%", num * (100 / den));
  return fmt::format("{}/{}", num, den);
}

std::optional<Fraction> Fraction::parse(std::string_view text) {
  std::string_view s = trim(text);
  auto star = s.find('*');
  if (star != std::string_view::npos) {
    auto a = parse(s.substr(0, star)), b = parse(s.substr(star + 1));
    if (!a || !b) return std::nullopt;
    return *a * *b;
  }
  if (!s.empty() && s.back() == '%') {
    s.remove_suffix(1);
    s = trim(s);
    auto dot = s.find('.');
    int64_t w = 0, f = 0, scale = 1;
    if (!parse_digits(s.substr(0, dot), w)) return std::nullopt;
    if (dot != std::string_view::npos) {
      auto fs = s.substr(dot + 1);
      if (fs.empty() || fs.size() > 4 || !parse_digits(fs, f)) return std::nullopt;
      for (size_t i = 0; i < fs.size(); ++i) scale *= 10;
    }
    return normalized(w * scale + f, 100 * scale);
  }
  auto slash = s.find('/');
  int64_t n = 0, d = 1;
  if (slash == std::string_view::npos) {
    if (!parse_digits(s, n)) return std::nullopt;
  } else {
    if (!parse_digits(trim(s.substr(0, slash)), n) || !parse_digits(trim(s.substr(slash + 1)), d) || d == 0)
      return std::nullopt;
  }
  return normalized(n, d);
}

std::optional<Money> apply(Fraction f, Money m, Rounding r) {
  __int128 p = static_cast<__int128>(m.fen) * f.num;
  __int128 q = p / f.den, rem = p % f.den;
  if (rem == 0) return Money{static_cast<int64_t>(q)};
  switch (r) {
    case Rounding::exact: return std::nullopt;
    case Rounding::down: if (p < 0) --q; break;
    case Rounding::up: if (p > 0) ++q; break;
    case Rounding::half_up: {
      __int128 twice = (rem < 0 ? -rem : rem) * 2;
      if (twice >= f.den) q += (p < 0 ? -1 : 1);
      break;
    }
  }
  return Money{static_cast<int64_t>(q)};
}

std::optional<Rounding> parse_rounding(std::string_view s) {
  if (s == "exact") return Rounding::exact;
  if (s == "half_up") return Rounding::half_up;
  if (s == "down") return Rounding::down;
  if (s == "up") return Rounding::up;
  return std::nullopt;
}

}  // namespace canbao
