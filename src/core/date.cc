#include "core/date.h"

#include <fmt/format.h>

#include <charconv>

namespace canbao {

// Howard Hinnant's days_from_civil / civil_from_days.
static int32_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void Date::ymd(int& y, int& m, int& d) const {
  int z = days + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe) + era * 400 + (m <= 2);
}

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return kDays[m - 1];
}

bool Date::valid_ymd(int y, int m, int d) {
  return y >= 1800 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

Date Date::from_ymd(int y, int m, int d) { return Date{days_from_civil(y, m, d)}; }

int Date::year() const { int y, m, d; ymd(y, m, d); return y; }
int Date::month() const { int y, m, d; ymd(y, m, d); return m; }
int Date::day() const { int y, m, d; ymd(y, m, d); return d; }

char* Date::write(char* p) const {
  int y, m, d;
  ymd(y, m, d);
  if (y < 0 || y > 9999) y = 0;
  p[0] = static_cast<char>('0' + y / 1000);
  p[1] = static_cast<char>('0' + y / 100 % 10);
  p[2] = static_cast<char>('0' + y / 10 % 10);
  p[3] = static_cast<char>('0' + y % 10);
  p[4] = '-';
  p[5] = static_cast<char>('0' + m / 10);
  p[6] = static_cast<char>('0' + m % 10);
  p[7] = '-';
  p[8] = static_cast<char>('0' + d / 10);
  p[9] = static_cast<char>('0' + d % 10);
  return p + 10;
}

std::string Date::str() const {
  char buf[10];
  write(buf);
  return std::string(buf, 10);
}

static bool num(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s) if (c < '0' || c > '9') return false;
  return std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc();
}

std::optional<Date> Date::parse(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  int y, m, d;
  if (s.size() == 8 && s.find_first_not_of("0123456789") == std::string_view::npos) {
    if (!num(s.substr(0, 4), y) || !num(s.substr(4, 2), m) || !num(s.substr(6, 2), d)) return std::nullopt;
  } else {
    char sep = s.size() > 4 ? s[4] : 0;
    if (sep != '-' && sep != '/') return std::nullopt;
    auto p2 = s.find(sep, 5);
    if (p2 == std::string_view::npos) return std::nullopt;
    if (!num(s.substr(0, 4), y) || s.substr(0, 4).size() != 4 || !num(s.substr(5, p2 - 5), m) ||
        !num(s.substr(p2 + 1), d) || p2 - 5 > 2 || s.size() - p2 - 1 > 2)
      return std::nullopt;
  }
  if (!valid_ymd(y, m, d)) return std::nullopt;
  return from_ymd(y, m, d);
}

Date Date::plus_months(int n) const {
  int y, m, d;
  ymd(y, m, d);
  int total = y * 12 + (m - 1) + n;
  int ny = total / 12, nm = total % 12 + 1;
  int nd = d > days_in_month(ny, nm) ? days_in_month(ny, nm) : d;
  return from_ymd(ny, nm, nd);
}

Date period_last_day(Date from, int n, PeriodUnit unit) {
  return unit == PeriodUnit::days ? from.plus_days(n) : from.plus_months(n);
}

Date Date::first_of_month() const {
  int y, m, d;
  ymd(y, m, d);
  return from_ymd(y, m, 1);
}

int age_on(Date birth, Date on) {
  int by, bm, bd, y, m, d;
  birth.ymd(by, bm, bd);
  on.ymd(y, m, d);
  int age = y - by;
  if (m < bm || (m == bm && d < bd)) --age;
  return age;
}

}  // namespace canbao
