#include <gtest/gtest.h>

#include <algorithm>

#include "core/pinyin.h"

using namespace canbao;

TEST(Pinyin, InitialsOfCommonSurnamesAndNames) {
  auto ini = [](const char* s) { return std::string(pinyin_initials(utf8_decode(s).at(0))); };
  EXPECT_EQ(ini("张"), "z");
  EXPECT_EQ(ini("三"), "s");
  EXPECT_EQ(ini("丫"), "y");
  EXPECT_EQ(ini("李"), "l");
  EXPECT_EQ(ini("王"), "w");
  EXPECT_EQ(ini("欧"), "o");
  EXPECT_EQ(ini("座"), "z");  // last level-1 character
  EXPECT_EQ(ini("啊"), "a");  // first
  // Polyphonic surnames: both readings.
  EXPECT_NE(ini("曾").find('z'), std::string::npos);
  EXPECT_NE(ini("曾").find('c'), std::string::npos);
  EXPECT_NE(ini("单").find('s'), std::string::npos);
  EXPECT_EQ(ini("〇"), "");  // not in the table
  EXPECT_EQ(ini("A"), "a");
}

TEST(Pinyin, MatchesPrefixOfInitials) {
  EXPECT_TRUE(pinyin_initials_match("张三丫", "zsy"));
  EXPECT_TRUE(pinyin_initials_match("张三丫", "ZS"));
  EXPECT_TRUE(pinyin_initials_match("张三丫", "z"));
  EXPECT_FALSE(pinyin_initials_match("张三丫", "zsa"));
  EXPECT_FALSE(pinyin_initials_match("张三丫", "zsyx"));
  EXPECT_FALSE(pinyin_initials_match("张三丫", ""));
  EXPECT_TRUE(pinyin_initials_match("曾小明", "cxm"));
  EXPECT_TRUE(pinyin_initials_match("曾小明", "zxm"));
  EXPECT_TRUE(looks_like_initials("zsy"));
  EXPECT_FALSE(looks_like_initials("z1"));
  EXPECT_FALSE(looks_like_initials("张"));
  EXPECT_FALSE(looks_like_initials("abcdefghi"));
}

TEST(Pinyin, CandidateSetsCoverTheTable) {
  size_t n = 0;
  for (char c = 'a'; c <= 'z'; ++c) n += hanzi_with_initial(c).size();
  EXPECT_GE(n, 3755u);  // every level-1 character once, polyphones twice
  const auto& z = hanzi_with_initial('z');
  EXPECT_NE(std::find(z.begin(), z.end(), "张"), z.end());
  EXPECT_EQ(std::find(z.begin(), z.end(), "李"), z.end());
  EXPECT_TRUE(hanzi_with_initial('i').empty());
  EXPECT_TRUE(hanzi_with_initial('1').empty());
}
