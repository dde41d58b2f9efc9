#include <gtest/gtest.h>

#include "core/date.h"
#include "core/id_number.h"
#include "core/money.h"
#include "core/region_code.h"

using namespace canbao;

static Date D(const char* s) { return *Date::parse(s); }

TEST(Money, ParsesYuanToFen) {
  EXPECT_EQ(Money::parse_yuan("342.00")->fen, 34200);
  EXPECT_EQ(Money::parse_yuan("342")->fen, 34200);
  EXPECT_EQ(Money::parse_yuan("89.6")->fen, 8960);
  EXPECT_EQ(Money::parse_yuan("0.05")->fen, 5);
  EXPECT_EQ(Money::parse_yuan("-1.50")->fen, -150);
  for (const char* bad : {"", "1.234", "1e3", "abc", "1.", ".5", "1,000", "99999999999999999999"})
    EXPECT_FALSE(Money::parse_yuan(bad)) << bad;
}

TEST(Money, FormatsRoundTrip) {
  for (int64_t f : {0LL, 1LL, 99LL, 100LL, 34200LL, 8960LL, -150LL, 123456789LL}) {
    auto m = Money::from_fen(f);
    EXPECT_EQ(Money::parse_yuan(m.yuan())->fen, f) << m.yuan();
  }
  EXPECT_EQ(Money::from_fen(8960).yuan(), "89.60");
}

TEST(Fraction, PercentAndProducts) {
  auto f = *Fraction::parse("20% * 7/10");
  EXPECT_EQ(f, (Fraction{14, 100}));
  EXPECT_EQ(apply(f, Money::from_yuan(640), Rounding::exact)->fen, 8960);
  EXPECT_EQ(apply(*Fraction::parse("90%"), Money::from_yuan(380), Rounding::exact)->fen, 34200);
  EXPECT_FALSE(apply(*Fraction::parse("1/3"), Money::from_fen(100), Rounding::exact));
  EXPECT_EQ(apply(*Fraction::parse("1/3"), Money::from_fen(100), Rounding::half_up)->fen, 33);
  EXPECT_EQ(apply(*Fraction::parse("1/2"), Money::from_fen(1), Rounding::half_up)->fen, 1);
  EXPECT_EQ(apply(*Fraction::parse("1/2"), Money::from_fen(1), Rounding::down)->fen, 0);
  EXPECT_EQ(apply(*Fraction::parse("12.5%"), Money::from_fen(800), Rounding::exact)->fen, 100);
  EXPECT_FALSE(Fraction::parse("7/0"));
  EXPECT_FALSE(Fraction::parse("abc%"));
}

TEST(Date, ParseAndFormat) {
  EXPECT_EQ(D("2024-02-29").str(), "2024-02-29");
  EXPECT_EQ(D("20231231").str(), "2023-12-31");
  EXPECT_EQ(D("2023/9/1").str(), "2023-09-01");
  EXPECT_FALSE(Date::parse("2023-02-29"));
  EXPECT_FALSE(Date::parse("2023-13-01"));
  EXPECT_FALSE(Date::parse("2023-1"));
  EXPECT_FALSE(Date::parse(""));
}

TEST(Date, RoundTripsEveryDayOverCenturies) {
  Date d = D("1900-01-01");
  for (int i = 0; i < 200 * 366; ++i) {
    Date x = d.plus_days(i);
    EXPECT_EQ(*Date::parse(x.str()), x);
    if (HasFailure()) break;
  }
}

TEST(Date, MonthArithmeticClampsToMonthEnd) {
  EXPECT_EQ(D("2024-11-30").plus_months(3), D("2025-02-28"));
  EXPECT_EQ(D("2023-11-30").plus_months(3), D("2024-02-29"));
  EXPECT_EQ(D("2024-01-15").plus_months(3), D("2024-04-15"));
  EXPECT_EQ(D("2024-01-31").plus_months(1), D("2024-02-29"));
  EXPECT_EQ(D("2024-12-15").plus_months(-12), D("2023-12-15"));
  EXPECT_EQ(D("2024-05-17").first_of_month(), D("2024-05-01"));
}

TEST(Date, AgeCountsOnBirthday) {
  EXPECT_EQ(age_on(D("1964-01-01"), D("2024-01-01")), 60);
  EXPECT_EQ(age_on(D("1964-01-02"), D("2024-01-01")), 59);
  EXPECT_EQ(age_on(D("2008-02-29"), D("2026-02-28")), 17);
  EXPECT_EQ(age_on(D("2008-02-29"), D("2026-03-01")), 18);
}

TEST(IdNumber, ValidAndChecked) {
  Date today = D("2024-06-01");
  IdError e;
  // 11010519491231002X is the standard's worked example.
  auto id = IdNumber::parse("11010519491231002x", today, &e);
  ASSERT_TRUE(id) << id_error_message(e);
  EXPECT_EQ(id->str(), "11010519491231002X");
  EXPECT_EQ(id->birth_date(), D("1949-12-31"));
  EXPECT_FALSE(id->male());
  EXPECT_EQ(id->masked(), "110105********002X");
  EXPECT_FALSE(IdNumber::parse("110105194912310021", today, &e));
  EXPECT_EQ(e, IdError::bad_check_digit);
}

TEST(IdNumber, RejectsBadDatesLengthsCharacters) {
  Date today = D("2024-06-01");
  IdError e;
  std::string feb30 = "34170219900230001";
  feb30.push_back(IdNumber::check_char(feb30));
  EXPECT_FALSE(IdNumber::parse(feb30, today, &e));
  EXPECT_EQ(e, IdError::bad_birth_date);
  std::string future = "34170220300101001";
  future.push_back(IdNumber::check_char(future));
  EXPECT_FALSE(IdNumber::parse(future, today, &e));
  EXPECT_EQ(e, IdError::future_birth);
  EXPECT_FALSE(IdNumber::parse("3417021990", today, &e));
  EXPECT_EQ(e, IdError::bad_length);
  EXPECT_FALSE(IdNumber::parse("34170219900101A01X", today, &e));
  EXPECT_EQ(e, IdError::bad_character);
  std::string badregion = "00170219900101001";
  badregion.push_back(IdNumber::check_char(badregion));
  EXPECT_FALSE(IdNumber::parse(badregion, today, &e));
  EXPECT_EQ(e, IdError::bad_region);
}

TEST(IdNumber, UpgradesLegacy15) {
  auto id = IdNumber::parse("341702800101123", D("2024-01-01"));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->str().size(), 18u);
  EXPECT_EQ(id->str().substr(0, 17), "34170219800101123");
  EXPECT_EQ(id->birth_date(), D("1980-01-01"));
  EXPECT_TRUE(id->male());
}

TEST(Mask, NamesAndIds) {
  EXPECT_EQ(mask_name("张三"), "张*");
  EXPECT_EQ(mask_name("张小三"), "张*三");
  EXPECT_EQ(mask_name("欧阳小明"), "欧**明");
  EXPECT_EQ(mask_id("341702199001010011"), "341702********0011");
}

TEST(RegionCode, LevelsAndInside) {
  auto county = *RegionCode::parse("341702");
  auto village = *RegionCode::parse("341702100001");
  auto town = *RegionCode::parse("150424101");
  EXPECT_EQ(county.level(), RegionCode::county);
  EXPECT_EQ(village.level(), RegionCode::village);
  EXPECT_EQ(town.level(), RegionCode::township);
  EXPECT_TRUE(village.inside(county));
  EXPECT_FALSE(county.inside(village));
  EXPECT_TRUE(RegionCode::parse("150424101203")->inside(town));
  EXPECT_FALSE(RegionCode::parse("150424102203")->inside(town));
  EXPECT_EQ(RegionCode::parse("341702000000")->level(), RegionCode::county);
  EXPECT_EQ(village.parent()->str(), "341702100");
  EXPECT_EQ(county.parent()->str(), "341700");
  EXPECT_EQ(RegionCode::parse("140500")->level(), RegionCode::city);
  EXPECT_EQ(RegionCode::parse("140500")->str(), "140500");
  EXPECT_FALSE(RegionCode::parse("34170"));
  EXPECT_FALSE(RegionCode::parse("34a702"));
}
