// Date: a calendar day as days since 1970-01-01 (proleptic Gregorian), cheap
// to compare and store in columns. Ranges are inclusive at both ends, as the
// documents write them ("9月1日至12月31日").
//
// Counting periods follows 民法典 第二百零一条/第二百零二条: the start day is
// not counted; "N 天内" ends on start + N days; "N 个月内" ends on the same
// day-of-month N months later, or that month's last day when it has no such
// day (2024-11-30 + 3 months = 2025-02-28).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canbao {

struct Date {
  int32_t days = 0;  // since 1970-01-01

  static Date from_ymd(int y, int m, int d);
  static bool valid_ymd(int y, int m, int d);
  // "YYYY-MM-DD" (also accepts "YYYY/MM/DD" and "YYYYMMDD"); nullopt if not a real day.
  static std::optional<Date> parse(std::string_view text);

  int year() const;
  int month() const;
  int day() const;
  void ymd(int& y, int& m, int& d) const;
  std::string str() const;  // "YYYY-MM-DD"
  // Writes the 10 characters of str() at p (no allocation; hot output paths).
  char* write(char* p) const;

  Date plus_days(int n) const { return Date{days + n}; }
  Date plus_months(int n) const;  // clamps to month end (民法典 202)
  Date first_of_month() const;
  constexpr auto operator<=>(const Date&) const = default;
};

// The one rule for every duration a document states ("90天内", "3个月内", "3个月等待期"):
// the last day of a period of `n` days or months that begins after `from`
// (民法典 第二百零一条: `from` itself is not counted; 第二百零二条: a month period
// ends on the corresponding day, or the month's last day when there is none).
// A day is in time when it is not after the returned day.
enum class PeriodUnit : uint8_t { days, months };
Date period_last_day(Date from, int n, PeriodUnit unit);

// Whole years of age on `on` (birthday counted on the day itself;
// 29 Feb birthdays count on 1 Mar in non-leap years).
int age_on(Date birth, Date on);
int days_in_month(int y, int m);

struct DateRange {
  Date first, last;  // inclusive
  bool contains(Date d) const { return first <= d && d <= last; }
};

}  // namespace canbao
