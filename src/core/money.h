// Money: an amount in integer fen (分). Policy files and users write yuan
// ("342.00", "342", "89.6"); everything inside canbao adds and compares fen,
// so no floating point ever touches an amount.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canbao {

struct Money {
  int64_t fen = 0;

  static constexpr Money from_fen(int64_t f) { return Money{f}; }
  static constexpr Money from_yuan(int64_t y) { return Money{y * 100}; }
  // Parses yuan with at most two decimals: "342", "342.0", "342.00", "-1.5".
  // Rejects anything else (empty, "1.234", "1e3", "abc", overflow).
  static std::optional<Money> parse_yuan(std::string_view text);

  // "342.00" — always two decimals, no thousands separator.
  std::string yuan() const;

  constexpr Money operator+(Money o) const { return Money{fen + o.fen}; }
  constexpr Money operator-(Money o) const { return Money{fen - o.fen}; }
  constexpr Money& operator+=(Money o) { fen += o.fen; return *this; }
  constexpr Money& operator-=(Money o) { fen -= o.fen; return *this; }
  constexpr auto operator<=>(const Money&) const = default;
};

// An exact fraction num/den (den > 0), used for percentages and split ratios
// ("90%" = 90/100, "7/10"). Applying it to money states its rounding.
struct Fraction {
  int64_t num = 0;
  int64_t den = 1;
  // "90%", "12.5%", "7/10", "1" and products "20% * 7/10".
  static std::optional<Fraction> parse(std::string_view text);
  Fraction operator*(Fraction o) const;
  Fraction operator+(Fraction o) const;
  bool operator==(const Fraction& o) const { return num * o.den == o.num * den; }
  bool is_exact_on(Money m) const { return (m.fen * num) % den == 0; }
  std::string str() const;
};

enum class Rounding { exact, half_up, down, up };
// amount × fraction rounded to whole fen; `exact` returns nullopt unless exact.
std::optional<Money> apply(Fraction f, Money m, Rounding r);
std::optional<Rounding> parse_rounding(std::string_view);

}  // namespace canbao
