// Pinyin initials of common hanzi, for searching names by what a clerk
// types on a phone keyboard: "zsy" finds 张三丫.
//
// The table covers the 3,755 GB2312 level-1 characters (the standard orders
// them by pinyin, so each initial's block is read off once; pinyin_initials.inc
// is generated data, not code per character). A few polyphonic surnames carry
// both readings (曾 z/c, 单 s/d, 解 x/j …). Characters outside the table
// (level-2 hanzi, 〇, letters) have no initial and match only themselves.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace canbao {

// The possible initials of one code point, lower case ("z", "zc"); empty if
// unknown. ASCII letters and digits are their own initial.
std::string_view pinyin_initials(char32_t cp);

// True when the name's characters, from the first, have the initials typed
// in `typed` (ASCII letters, case-insensitive): prefix match, "zs" matches 张三丫.
bool pinyin_initials_match(std::string_view utf8_name, std::string_view typed);

// True when `q` looks like typed initials: 1–8 ASCII letters.
bool looks_like_initials(std::string_view q);

// Every character whose initials include `letter` (a–z), as UTF-8 strings
// of one character each: the candidate set a database query can test one
// name position against.
const std::vector<std::string>& hanzi_with_initial(char letter);

// Decodes UTF-8 into code points (invalid bytes become U+FFFD).
std::u32string utf8_decode(std::string_view s);

}  // namespace canbao
