#include "core/pinyin.h"

#include <algorithm>
#include <array>
#include <utility>

namespace canbao {

namespace {

struct Block {
  char letter;
  const char* chars;  // UTF-8
};
constexpr Block kBlocks[] = {
#include "core/pinyin_initials.inc"
};

// Surnames (and common name characters) read differently from their GB2312
// position: the extra initial, so both spellings find the person.
constexpr std::pair<const char*, char> kExtra[] = {
    {"曾", 'c'}, {"单", 's'}, {"解", 'x'}, {"仇", 'q'}, {"区", 'o'}, {"查", 'z'}, {"朴", 'p'},
    {"翟", 'z'}, {"盖", 'g'}, {"乐", 'y'}, {"尉", 'y'}, {"覃", 'q'}, {"长", 'z'}, {"重", 'c'},
    {"行", 'h'}, {"沈", 's'}, {"藏", 'z'}, {"参", 's'}, {"都", 'd'}, {"朝", 'c'}, {"和", 'h'},
    {"银", 'y'}, {"柏", 'b'}, {"秘", 'b'}, {"缪", 'm'}, {"华", 'h'}, {"任", 'r'}, {"过", 'g'},
    {"传", 'z'}, {"调", 'd'}, {"种", 'c'}, {"降", 'x'}, {"省", 'x'}, {"宿", 'x'}, {"晟", 'c'},
};

struct Table {
  std::vector<std::pair<char32_t, std::string>> by_cp;  // sorted by code point
  std::array<std::vector<std::string>, 26> by_letter;
  Table() {
    auto add = [&](char32_t cp, char letter) {
      auto it = std::lower_bound(by_cp.begin(), by_cp.end(), cp, [](auto& e, char32_t c) { return e.first < c; });
      if (it != by_cp.end() && it->first == cp) {
        if (it->second.find(letter) == std::string::npos) it->second += letter;
      } else {
        by_cp.insert(it, {cp, std::string(1, letter)});
      }
    };
    std::vector<std::pair<char32_t, char>> all;
    for (const auto& b : kBlocks)
      for (char32_t cp : utf8_decode(b.chars)) all.push_back({cp, b.letter});
    std::sort(all.begin(), all.end());
    by_cp.reserve(all.size() + 64);
    for (auto& [cp, l] : all) by_cp.push_back({cp, std::string(1, l)});
    for (auto& [s, l] : kExtra) add(utf8_decode(s).at(0), l);
    for (auto& [cp, ls] : by_cp) {
      std::string u8;
      if (cp < 0x800) {
        u8 += char(0xC0 | (cp >> 6));
        u8 += char(0x80 | (cp & 0x3F));
      } else {
        u8 += char(0xE0 | (cp >> 12));
        u8 += char(0x80 | ((cp >> 6) & 0x3F));
        u8 += char(0x80 | (cp & 0x3F));
      }
      for (char l : ls) by_letter[size_t(l - 'a')].push_back(u8);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

}  // namespace

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + size_t(n) > s.size()) { out.push_back(0xFFFD); ++i; continue; }
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = true;
    for (int k = 1; k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + size_t(k)]);
      if ((d >> 6) != 2) { ok = false; break; }
      cp = (cp << 6) | (d & 0x3F);
    }
    if (!ok) { out.push_back(0xFFFD); ++i; continue; }
    out.push_back(cp);
    i += size_t(n);
  }
  return out;
}

std::string_view pinyin_initials(char32_t cp) {
  static const std::string ascii = [] {
    std::string s;
    for (int c = 0; c < 128; ++c) s += lower(char(c));
    return s;
  }();
  if (cp < 128) {
    char c = char(cp);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return std::string_view(ascii).substr(cp, 1);
    return {};
  }
  const auto& t = table().by_cp;
  auto it = std::lower_bound(t.begin(), t.end(), cp, [](auto& e, char32_t c) { return e.first < c; });
  if (it == t.end() || it->first != cp) return {};
  return it->second;
}

bool looks_like_initials(std::string_view q) {
  if (q.empty() || q.size() > 8) return false;
  return std::all_of(q.begin(), q.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

bool pinyin_initials_match(std::string_view utf8_name, std::string_view typed) {
  if (typed.empty()) return false;
  auto cps = utf8_decode(utf8_name);
  if (cps.size() < typed.size()) return false;
  for (size_t i = 0; i < typed.size(); ++i)
    if (pinyin_initials(cps[i]).find(lower(typed[i])) == std::string_view::npos) return false;
  return true;
}

const std::vector<std::string>& hanzi_with_initial(char letter) {
  static const std::vector<std::string> none;
  letter = lower(letter);
  if (letter < 'a' || letter > 'z') return none;
  return table().by_letter[size_t(letter - 'a')];
}

}  // namespace canbao
