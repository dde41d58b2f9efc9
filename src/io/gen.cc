#include "io/gen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/id_number.h"
#include "policy/category.h"

namespace canbao::io {

const char* const kRosterHeader =
    "id_number,name,household_id,hukou_region,residence_region,categories,disability_grade,"
    "event,event_date,employee_months,parent_insured,paid_on";

namespace {

// ---------------------------------------------------------------- randomness
// splitmix64: one 64-bit state, passes BigCrush, a handful of cycles per draw.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) by multiply-shift (bias < n / 2^32, irrelevant here).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
  int between(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint32_t>(hi - lo + 1))); }
  // True with probability ppm / 1e6 (integer odds keep runs bit-identical everywhere).
  bool chance(uint32_t ppm) { return below(1'000'000) < ppm; }
};

uint64_t mix(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// Picks an index from integer weights.
template <size_t N>
int pick(Rng& r, const std::array<uint32_t, N>& w) {
  uint32_t total = 0;
  for (auto x : w) total += x;
  uint32_t u = r.below(total);
  for (size_t i = 0; i < N; ++i) {
    if (u < w[i]) return static_cast<int>(i);
    u -= w[i];
  }
  return static_cast<int>(N - 1);
}

// ---------------------------------------------------------------- names
// Every character below is a BMP CJK ideograph: 3 bytes of UTF-8 each.
constexpr std::string_view kSurnames =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕";
constexpr std::string_view kCompoundSurnames[] = {"欧阳", "司马", "诸葛", "上官", "皇甫", "东方"};
// Given-name characters by era of birth and sex.
constexpr std::string_view kMaleOld = "建国德永福长金树文振春有保明志学光荣忠仁义宝山林海军华生发财贵富成顺庆田";
constexpr std::string_view kFemaleOld = "秀英兰桂芳玉凤珍花翠梅琴淑美丽霞荣香娥春菊云莲素凤杏彩银爱月";
constexpr std::string_view kMaleMid = "伟强磊军勇涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊峰建志文杰亮东兵林斌龙锋";
constexpr std::string_view kFemaleMid = "丽芳娟敏静燕艳霞红玲婷雪琳慧晶莉萍娜倩颖洁丹梅英琼君蓉瑶佳薇";
constexpr std::string_view kMaleYoung = "子轩浩宇梓睿博文俊杰航皓晨泽瑞一鸣天佑思远嘉铭奕辰宸熙沐阳锦程昊然";
constexpr std::string_view kFemaleYoung = "梓涵欣怡诗雨子萱思琪桐可馨佳语嫣紫一诺若曦梦瑶依晴雅欢悦芷安然";

size_t chars_in(std::string_view s) { return s.size() / 3; }
std::string_view char_at(std::string_view s, size_t i) { return s.substr(3 * i, 3); }

// ---------------------------------------------------------------- output buffer
class Out {
 public:
  explicit Out(std::ostream& os) : os_(os) { buf_.resize(1 << 20); }
  ~Out() { flush(); }
  void reserve(size_t n) {
    if (pos_ + n > buf_.size()) flush();
  }
  void flush() {
    if (pos_) os_.write(buf_.data(), static_cast<std::streamsize>(pos_));
    pos_ = 0;
  }
  void put(char c) { buf_[pos_++] = c; }
  void put(std::string_view s) {
    std::memcpy(buf_.data() + pos_, s.data(), s.size());
    pos_ += s.size();
  }
  void put(const char* p, size_t n) { std::memcpy(buf_.data() + pos_, p, n); pos_ += n; }
  // Zero-padded to at least `width` digits.
  void num(uint64_t v, int width = 1) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
    while (n < width) tmp[n++] = '0';
    while (n) buf_[pos_++] = tmp[--n];
  }
  void date(Date d) {
    int y, m, dd;
    d.ymd(y, m, dd);
    num(static_cast<uint64_t>(y), 4); put('-'); num(static_cast<uint64_t>(m), 2); put('-'); num(static_cast<uint64_t>(dd), 2);
  }

 private:
  std::ostream& os_;
  std::vector<char> buf_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------- geography
struct Village {
  char code[12];
  uint32_t county;  // index into Geo::prefixes
};

struct Geo {
  std::vector<std::array<char, 6>> prefixes;  // county prefixes (inside first, then outsider counties)
  std::vector<Village> inside;                // villages of the region
  std::vector<uint64_t> inside_cum;           // cumulative weights
  std::vector<Village> outside;               // villages of neighbouring counties

  uint32_t prefix_index(std::string_view six) {
    for (size_t i = 0; i < prefixes.size(); ++i)
      if (std::string_view(prefixes[i].data(), 6) == six) return static_cast<uint32_t>(i);
    std::array<char, 6> p;
    std::memcpy(p.data(), six.data(), 6);
    prefixes.push_back(p);
    return static_cast<uint32_t>(prefixes.size() - 1);
  }
};

void put3(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 100);
  p[1] = static_cast<char>('0' + v / 10 % 10);
  p[2] = static_cast<char>('0' + v % 10);
}

// Villages under a township (9 digits): 街道 (<100) hold communities 001..,
// towns and 乡 a community or two (001..) then villages 201.. (NBS practice).
void add_township(Geo& g, std::string_view town9, uint32_t county, uint64_t county_weight, bool outside,
                  int max_villages = 0) {
  uint64_t h = mix(std::stoull(std::string(town9)) * 31 + 7);
  int tcode = std::stoi(std::string(town9.substr(6, 3)));
  std::vector<int> codes;
  if (tcode < 100) {
    int n = 4 + static_cast<int>(h % 9);
    for (int i = 1; i <= n; ++i) codes.push_back(i);
  } else {
    int nc = 1 + static_cast<int>(h % 2);
    for (int i = 1; i <= nc; ++i) codes.push_back(i);
    int nv = 8 + static_cast<int>((h >> 8) % 13);
    for (int i = 1; i <= nv; ++i) codes.push_back(200 + i);
  }
  if (max_villages > 0 && static_cast<int>(codes.size()) > max_villages) codes.resize(max_villages);
  for (size_t i = 0; i < codes.size(); ++i) {
    Village v;
    std::memcpy(v.code, town9.data(), 9);
    put3(v.code + 9, codes[i]);
    v.county = county;
    if (outside) {
      g.outside.push_back(v);
    } else {
      // Villages differ in size (weights 1..4 per village, scaled so a county's
      // villages share its weight).
      uint64_t w = (1 + mix(h + i) % 4) * county_weight * 1000 / codes.size();
      g.inside.push_back(v);
      g.inside_cum.push_back((g.inside_cum.empty() ? 0 : g.inside_cum.back()) + std::max<uint64_t>(w, 1));
    }
  }
}

// Townships of a county: a few 街道 (001..), towns (100..), 乡 (200..), from a
// hash of the code so every run and seed sees the same map.
void add_county(Geo& g, std::string_view county6, uint64_t weight, bool outside) {
  uint32_t ci = g.prefix_index(county6);
  uint64_t h = mix(std::stoull(std::string(county6)) + 12345);
  int streets = static_cast<int>(h % 4), towns = 6 + static_cast<int>((h >> 8) % 9),
      xiang = static_cast<int>((h >> 16) % 6);
  if (outside) { streets = 0; towns = 2; xiang = 0; }
  std::vector<int> codes;
  for (int i = 1; i <= streets; ++i) codes.push_back(i);
  for (int i = 0; i < towns; ++i) codes.push_back(100 + i);
  for (int i = 0; i < xiang; ++i) codes.push_back(200 + i);
  for (int c : codes) {
    char t[9];
    std::memcpy(t, county6.data(), 6);
    put3(t + 6, c);
    add_township(g, std::string_view(t, 9), ci, std::max<uint64_t>(weight / codes.size(), 1), outside,
                 outside ? 4 : 0);
  }
}

struct CountyW { std::string code; uint64_t weight; };

std::vector<CountyW> counties_of_city(const std::string& city4) {
  // 晋城市: the six county-level units of the 2024 task table, weighted by their targets.
  if (city4 == "1405")
    return {{"140502", 190670}, {"140525", 391890}, {"140581", 363059},
            {"140522", 280110}, {"140524", 205908}, {"140521", 152048}};
  std::vector<CountyW> out;
  for (const char* s : {"02", "21", "22", "23", "24", "81"}) out.push_back({city4 + s, 250000});
  return out;
}

Geo build_geo(const RegionCode& region) {
  Geo g;
  const std::string code = region.padded().substr(0, region.level());  // significant digits only
  std::vector<std::string> outsider;
  switch (region.level()) {
    case RegionCode::province: {
      for (const char* c : {"01", "02", "03", "04"})
        for (auto& cw : counties_of_city(code + c)) add_county(g, cw.code, cw.weight, false);
      int p = std::stoi(code);
      int other = p == 65 ? 64 : p + 1;
      outsider = {std::to_string(other) + "0121", std::to_string(other) + "0222", std::to_string(other) + "0321"};
      break;
    }
    case RegionCode::city: {
      for (auto& cw : counties_of_city(code)) add_county(g, cw.code, cw.weight, false);
      int c = std::stoi(code.substr(2, 2));
      auto two = [](int v) { return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; };
      std::string prov = code.substr(0, 2), before = two(c == 1 ? 2 : c - 1), after = two(c < 99 ? c + 1 : c - 2);
      outsider = {prov + before + "21", prov + after + "22", prov + before + "02"};
      break;
    }
    case RegionCode::county:
    case RegionCode::township:
    case RegionCode::village: {
      std::string county = code.substr(0, 6);
      uint32_t ci = g.prefix_index(county);
      if (region.level() == RegionCode::county) {
        g.prefixes.clear();
        add_county(g, county, 1'000'000, false);
      } else if (region.level() == RegionCode::township) {
        add_township(g, code, ci, 1'000'000, false);
      } else {
        Village v;
        std::memcpy(v.code, code.data(), 12);
        v.county = ci;
        g.inside.push_back(v);
        g.inside_cum.push_back(1);
      }
      static const char* kSuffix[] = {"21", "22", "23", "24", "25", "26", "81", "02", "03"};
      for (auto s : kSuffix) {
        std::string c = county.substr(0, 4) + s;
        if (c != county && outsider.size() < 3) outsider.push_back(c);
      }
      break;
    }
    default:
      throw std::invalid_argument("generate_roster: region is empty");
  }
  for (auto& o : outsider) add_county(g, o, 1, true);
  return g;
}

// The given villages (GenOptions::villages) as the region's map; outsiders
// come from neighbouring county codes as for a made-up map.
Geo geo_of_places(const GenOptions& opt) {
  Geo g;
  for (const auto& p : opt.villages) {
    if (p.village.level() != RegionCode::village)
      throw std::invalid_argument("generate_roster: place " + p.village.str() + " is not a village");
    const std::string code = p.village.padded();
    Village v;
    std::memcpy(v.code, code.data(), 12);
    v.county = g.prefix_index(std::string_view(code).substr(0, 6));
    g.inside.push_back(v);
    g.inside_cum.push_back((g.inside_cum.empty() ? 0 : g.inside_cum.back()) + std::max<uint64_t>(p.weight, 1));
  }
  const std::string county = opt.villages.front().village.padded().substr(0, 6);
  static const char* kSuffix[] = {"21", "22", "23", "24", "25", "26", "81", "02", "03"};
  int outsiders = 0;
  for (auto s : kSuffix) {
    std::string c = county.substr(0, 4) + s;
    if (c != county && outsiders < 3) {
      add_county(g, c, 1, true);
      ++outsiders;
    }
  }
  return g;
}

// ---------------------------------------------------------------- ID numbers
// Each (county prefix, birth day, sex) has 500 sequence numbers; a counter per
// slot hands them out through a fixed permutation, so IDs are unique by
// construction with memory independent of the row count.
class IdAllocator {
 public:
  IdAllocator(int year, size_t prefixes) : year_(year) {
    first_year_ = year - kMaxAge;
    for (int y = first_year_; y <= year + 1; ++y) jan1_.push_back(Date::from_ymd(y, 1, 1).days);
    ndays_ = jan1_.back() - jan1_.front();
    counters_.assign(prefixes * static_cast<size_t>(ndays_) * 2, 0);
  }
  static constexpr int kMaxAge = 100;

  // Birth day in year (year_ - age), uniformly at random, moved to the next
  // free day of that year (then neighbouring years) when its slots are used up.
  // Writes 17 digits + check char into id[18]; returns the birth date.
  Date allocate(Rng& r, uint32_t prefix, const std::array<char, 6>& pfx, int age, bool male, char* id) {
    int by = year_ - age;
    int yi = by - first_year_;
    int len = jan1_[yi + 1] - jan1_[yi];
    int off = jan1_[yi] - jan1_[0] + static_cast<int>(r.below(static_cast<uint32_t>(len)));
    for (int tries = 0; tries < ndays_; ++tries) {
      uint16_t& c = counters_[(static_cast<size_t>(prefix) * ndays_ + off) * 2 + (male ? 1 : 0)];
      if (c < 500) {
        uint32_t k = (7u * c + static_cast<uint32_t>(mix((uint64_t{prefix} << 40) ^ (uint64_t(off) << 1) ^ male) % 500)) % 500;
        ++c;
        Date birth{jan1_[0] + off};
        int y, m, d;
        birth.ymd(y, m, d);
        std::memcpy(id, pfx.data(), 6);
        put_digits(id + 6, y, 4);
        put_digits(id + 10, m, 2);
        put_digits(id + 12, d, 2);
        put_digits(id + 14, static_cast<int>(2 * k + (male ? 1 : 0)), 3);
        id[17] = IdNumber::check_char(std::string_view(id, 17));
        return birth;
      }
      // Next day, wrapping inside the birth year first; after a full lap, the
      // whole range (only reachable far beyond 10M rows per county).
      ++off;
      if (tries < len) {
        if (off >= jan1_[yi + 1] - jan1_[0]) off = jan1_[yi] - jan1_[0];
      } else if (off >= ndays_) {
        off = 0;
      }
    }
    throw std::runtime_error("generate_roster: ID number space exhausted for a county prefix");
  }

 private:
  static void put_digits(char* p, int v, int w) {
    for (int i = w - 1; i >= 0; --i) { p[i] = static_cast<char>('0' + v % 10); v /= 10; }
  }
  int year_, first_year_, ndays_ = 0;
  std::vector<int32_t> jan1_;
  std::vector<uint16_t> counters_;
};

// ---------------------------------------------------------------- households
enum class Role : uint8_t { head, spouse, elder, child, child_spouse, grandchild };

struct Member {
  Role role;
  int age;          // coverage year − birth year (0 = born in the coverage year)
  bool male;
  int surname;      // index into kSurnames, or −1..−6 for a compound surname
};

// Household shapes: (head has spouse, elders, children, child's spouse, grandchildren).
struct Shape { uint8_t spouse, elders, children, child_spouse, grandchildren; uint32_t weight; };
const std::vector<Shape> kShapes[8] = {
    {},
    {{0, 0, 0, 0, 0, 1}},
    {{1, 0, 0, 0, 0, 70}, {0, 0, 1, 0, 0, 30}},
    {{1, 0, 1, 0, 0, 65}, {1, 1, 0, 0, 0, 10}, {0, 0, 2, 0, 0, 10}, {0, 0, 1, 0, 1, 15}},
    {{1, 0, 2, 0, 0, 50}, {1, 1, 1, 0, 0, 15}, {1, 0, 1, 0, 1, 15}, {0, 0, 1, 1, 1, 20}},
    {{1, 0, 1, 1, 1, 45}, {1, 0, 3, 0, 0, 15}, {1, 1, 2, 0, 0, 15}, {1, 2, 1, 0, 0, 10}, {0, 0, 1, 1, 2, 15}},
    {{1, 0, 1, 1, 2, 50}, {1, 2, 2, 0, 0, 20}, {1, 0, 2, 1, 1, 15}, {0, 0, 1, 1, 3, 15}},
    {{1, 0, 1, 1, 3, 40}, {1, 0, 2, 1, 2, 30}, {1, 2, 3, 0, 0, 15}, {1, 1, 1, 1, 2, 15}},
};
// Household size 1..7: rural China (mean ≈ 3.1).
constexpr std::array<uint32_t, 7> kSizeWeights = {14, 27, 22, 17, 12, 6, 2};

// Age of the youngest child when the children are the youngest generation
// (0 = newborn of the coverage year).
int youngest_child_age(Rng& r) {
  uint32_t u = r.below(1000);
  if (u < 25) return 0;
  if (u < 470) return r.between(1, 18);
  if (u < 860) return r.between(19, 30);
  return r.between(31, 40);
}
int youngest_grandchild_age(Rng& r) {
  uint32_t u = r.below(1000);
  if (u < 40) return 0;
  return r.between(1, 21);
}
// Head of a one- or two-person household without children.
int lone_head_age(Rng& r, bool couple) {
  uint32_t u = r.below(100);
  if (couple) {
    if (u < 10) return r.between(25, 44);
    if (u < 40) return r.between(45, 59);
    if (u < 85) return r.between(60, 74);
    return r.between(75, 90);
  }
  if (u < 12) return r.between(20, 39);
  if (u < 40) return r.between(40, 59);
  if (u < 75) return r.between(60, 74);
  return r.between(75, 95);
}

// Builds members (head first). Ages are drawn from the youngest generation up
// and the draw is retried until every age fits 0..100.
void make_household(Rng& r, int size, std::vector<Member>& m) {
  const auto& shapes = kShapes[size];
  uint32_t total = 0;
  for (auto& s : shapes) total += s.weight;
  uint32_t u = r.below(total);
  size_t si = 0;
  while (u >= shapes[si].weight) u -= shapes[si++].weight;
  const Shape& s = shapes[si];

  for (int attempt = 0;; ++attempt) {
    m.clear();
    std::vector<int> kids, grand;
    int head_age;
    if (s.grandchildren) {
      int a = youngest_grandchild_age(r);
      for (int i = 0; i < s.grandchildren; ++i) { grand.push_back(a); a += r.between(1, 5); }
      int first_child = grand.back() + r.between(22, 34);
      kids.push_back(first_child);
      for (int i = 1; i < s.children; ++i) kids.push_back(std::max(first_child - r.between(2, 10), 16));
      head_age = first_child + r.between(22, 32);
    } else if (s.children) {
      int a = youngest_child_age(r);
      for (int i = 0; i < s.children; ++i) { kids.push_back(a); a += r.between(1, 6); }
      head_age = kids.back() + r.between(23, 38);
    } else {
      head_age = lone_head_age(r, s.spouse);
    }
    int spouse_age = head_age - r.between(-2, 5);
    int elder_age = head_age + r.between(22, 32);
    bool ok = head_age <= 95 && (!s.spouse || (spouse_age <= 98 && spouse_age >= 18)) &&
              (s.elders == 0 || elder_age <= 100);
    if (!ok && attempt < 20) continue;
    head_age = std::min(head_age, 95);
    spouse_age = std::clamp(spouse_age, 18, 98);
    elder_age = std::min(elder_age, 100);

    // Head: usually the man of the couple; lone elders are more often women.
    bool head_male = s.spouse ? r.chance(880'000) : (head_age >= 65 ? r.chance(420'000) : r.chance(620'000));
    auto surname = [&]() {
      if (r.chance(3'000)) return -1 - static_cast<int>(r.below(std::size(kCompoundSurnames)));
      // Skewed toward the front of the table (王李张刘陈 are the commonest).
      uint64_t x = r.below(1u << 16);
      return static_cast<int>(chars_in(kSurnames) * x * x >> 32);
    };
    int family = surname();
    m.push_back({Role::head, head_age, head_male, head_male ? family : surname()});
    int line = head_male ? family : (r.chance(700'000) ? surname() : family);
    if (s.spouse) m.push_back({Role::spouse, spouse_age, !head_male, head_male ? surname() : line});
    if (s.elders) {
      // The head's parents (father carries the family surname).
      bool father = s.elders > 1 || r.chance(350'000);
      m.push_back({Role::elder, elder_age, father, father && head_male ? family : surname()});
      if (s.elders > 1) m.push_back({Role::elder, std::min(100, elder_age - r.between(-1, 4)), false, surname()});
    }
    std::sort(kids.begin(), kids.end(), std::greater<int>());  // oldest first
    for (size_t i = 0; i < kids.size(); ++i) {
      // With grandchildren, the eldest child is usually a son living with the parents.
      bool male = (s.grandchildren && i == 0) ? r.chance(850'000) : r.chance(520'000);
      m.push_back({Role::child, kids[i], male, line});
      if (i == 0 && s.child_spouse)
        m.push_back({Role::child_spouse, std::max(18, kids[0] - r.between(-2, 4)), !male, surname()});
    }
    int gline = line;
    if (s.grandchildren && !kids.empty()) {
      // Grandchildren carry the surname of the child they descend from when that is a son.
      const Member& c = *std::find_if(m.begin(), m.end(), [](const Member& x) { return x.role == Role::child; });
      gline = c.male ? c.surname : surname();
    }
    for (size_t i = 0; i < grand.size(); ++i)
      m.push_back({Role::grandchild, grand[grand.size() - 1 - i], r.chance(530'000), gline});
    return;
  }
}

void put_name(Out& o, Rng& r, const Member& p, int year) {
  if (p.surname < 0) o.put(kCompoundSurnames[-1 - p.surname]);
  else o.put(char_at(kSurnames, static_cast<size_t>(p.surname)));
  int born = year - p.age;
  std::string_view pool = born < 1965 ? (p.male ? kMaleOld : kFemaleOld)
                        : born < 2000 ? (p.male ? kMaleMid : kFemaleMid)
                                      : (p.male ? kMaleYoung : kFemaleYoung);
  int n = r.chance(born < 1965 ? 150'000 : born < 2000 ? 300'000 : 120'000) ? 1 : 2;
  for (int i = 0; i < n; ++i) o.put(char_at(pool, r.below(static_cast<uint32_t>(chars_in(pool)))));
}

// Per-million odds of the category model.
struct Rates {
  // household level
  static constexpr uint32_t lifted = 100'000;
  static constexpr uint32_t min_living_if_lifted = 150'000;
  static constexpr uint32_t min_living_other = 28'000;
  static constexpr uint32_t relapsed_if_lifted = 30'000;
  static constexpr uint32_t monitored_other = 16'000;
  static constexpr uint32_t low_income_other = 10'000;
  static constexpr uint32_t family_planning = 2'000;
  static constexpr uint32_t retired_fisher = 1'500;
  // person level
  static constexpr uint32_t extreme_alone = 60'000, extreme_other = 5'000;
  static constexpr uint32_t severe_disability = 15'000, mild_disability = 25'000;
  static constexpr uint32_t mental = 4'000;
  static constexpr uint32_t orphan = 3'000, de_facto_orphan = 5'000;  // of under-18s
  static constexpr uint32_t veteran = 4'000;                          // of 40+
  static constexpr uint32_t laid_off = 5'000;                         // of 45–75
  static constexpr uint32_t student = 960'000;                        // of 3–18
  static constexpr uint32_t university = 300'000;                     // of 18–22
  static constexpr uint32_t migrant = 112'000;                        // of 18–55 not employed
  static constexpr uint32_t employee = 112'000;                       // of 22–60 outside poverty households
  static constexpr uint32_t army = 5'000;                             // of men 19–28
  static constexpr uint32_t prison = 1'000;                           // of 20–60
  static constexpr uint32_t insurance_ended = 6'000;                  // of 25–60 not employee
  static constexpr uint32_t parent_insured = 920'000;
};

// What a run derives once from its options for the payment and event dates.
struct Calendar {
  std::vector<int32_t> pay_days;  // allowed payment days
  uint32_t paid_ppm = 0;
  int32_t year_first = 0;         // 1 January of the coverage year
  uint32_t year_len = 0;
};

Calendar make_calendar(const GenOptions& opt) {
  const int year = opt.year;
  Calendar cal;
  Date wopen = opt.window_open, wclose = opt.window_close;
  if (wopen.days == 0 && wclose.days == 0) {
    wopen = Date::from_ymd(year - 1, 9, 1);
    wclose = Date::from_ymd(year - 1, 12, 31);
  }
  for (Date d = wopen; d <= wclose; d = d.plus_days(1))
    if (d.day() <= opt.allowed_day_max) cal.pay_days.push_back(d.days);
  cal.paid_ppm = static_cast<uint32_t>(std::llround(std::clamp(opt.paid_share, 0.0, 1.0) * 1e6));
  cal.year_first = Date::from_ymd(year, 1, 1).days;
  cal.year_len = static_cast<uint32_t>(Date::from_ymd(year + 1, 1, 1).days - cal.year_first);
  return cal;
}

// What the members of one household share.
struct Household {
  size_t village;  // index into Geo::inside
  const Village* home;
  const Village* hukou;
  bool outsider, residence_same;
  uint32_t seq;
  CategoryMask cats;
  bool poor, pays;
  Date pay_date;
};

// Household-level categories.
CategoryMask household_categories(Rng& r, bool outsider, int size) {
  CategoryMask hh = 0;
  bool lifted = !outsider && r.chance(Rates::lifted);
  if (lifted) {
    hh |= bit(Category::lifted_from_poverty);
    if (r.chance(Rates::min_living_if_lifted)) hh |= bit(Category::minimum_living);
    if (r.chance(Rates::relapsed_if_lifted)) hh |= bit(Category::relapsed_poverty);
  } else {
    if (r.chance(Rates::min_living_other)) hh |= bit(Category::minimum_living);
    if (!outsider && r.chance(Rates::monitored_other)) hh |= bit(Category::monitored);
    else if (!(hh & bit(Category::minimum_living)) && r.chance(Rates::low_income_other)) hh |= bit(Category::low_income);
  }
  if (size <= 3 && r.chance(Rates::family_planning * 3)) hh |= bit(Category::family_planning_hardship);
  if (r.chance(Rates::retired_fisher)) hh |= bit(Category::retired_fisher);
  return hh;
}

Date draw_pay_date(Rng& r, const std::vector<int32_t>& pay_days) {
  // Most pay early or in the closing rush; the rest spread over the window.
  uint32_t n = static_cast<uint32_t>(pay_days.size());
  uint32_t u = r.below(100);
  uint32_t idx = u < 30 ? r.below(std::max(1u, n / 5)) : u < 55 ? n - 1 - r.below(std::max(1u, n / 5)) : r.below(n);
  return Date{pay_days[idx]};
}

Household draw_household(Rng& r, const Geo& geo, std::vector<uint32_t>& village_seq, int size, const Calendar& cal) {
  Household h;
  // Where the household lives.
  h.village = static_cast<size_t>(std::upper_bound(geo.inside_cum.begin(), geo.inside_cum.end(),
                                                   r.next() % geo.inside_cum.back()) -
                                  geo.inside_cum.begin());
  h.home = &geo.inside[h.village];
  h.outsider = !geo.outside.empty() && r.chance(30'000);
  h.hukou = h.outsider ? &geo.outside[r.below(static_cast<uint32_t>(geo.outside.size()))] : h.home;
  h.residence_same = !h.outsider && r.chance(350'000);
  h.seq = ++village_seq[h.village];

  h.cats = household_categories(r, h.outsider, size);
  h.poor = h.cats & (bit(Category::minimum_living) | bit(Category::lifted_from_poverty) | bit(Category::monitored) |
                     bit(Category::relapsed_poverty));
  h.pays = cal.paid_ppm && !cal.pay_days.empty() && r.chance(cal.paid_ppm);
  h.pay_date = h.pays ? draw_pay_date(r, cal.pay_days) : Date{};
  return h;
}

// One person's draws, in the order the generator has always made them.
struct Person {
  CategoryMask cats;
  int grade = 0;
  bool employee = false;
  char id[18];
  Date birth;
  bool newborn = false;
  Event ev = Event::none;
  Date ev_date{};
  int emp_months = 0;
};

void person_categories(Rng& r, const Member& p, int size, const Household& h, Person& x) {
  x.cats = h.cats;
  const int a = p.age;
  if (a >= 18 && !(x.cats & bit(Category::minimum_living)) &&
      r.chance(size == 1 ? Rates::extreme_alone : Rates::extreme_other)) {
    x.cats |= bit(Category::extreme_poverty);
  }
  if (r.chance(Rates::severe_disability)) {
    x.cats |= bit(Category::severe_disability);
    x.grade = r.chance(400'000) ? 1 : 2;
  } else if (r.chance(Rates::mild_disability)) {
    x.grade = r.chance(450'000) ? 3 : 4;
  }
  if (a >= 12 && r.chance(Rates::mental)) x.cats |= bit(Category::severe_mental_illness);
  if (a < 18 && p.role != Role::head) {
    if (r.chance(Rates::orphan)) x.cats |= bit(Category::orphan);
    else if (r.chance(Rates::de_facto_orphan)) x.cats |= bit(Category::de_facto_orphan);
  }
  if (a >= 40 && r.chance(Rates::veteran)) x.cats |= bit(Category::entitled_veteran);
  if (a >= 45 && a <= 75 && r.chance(Rates::laid_off)) x.cats |= bit(Category::laid_off_worker);
  bool university = a >= 18 && a <= 22 && r.chance(Rates::university);
  if (university) x.cats |= bit(Category::university_student);
  else if (a >= 3 && a <= 18 && r.chance(Rates::student)) x.cats |= bit(Category::student);
  x.employee = !h.poor && !university && a >= 22 && a <= 60 && r.chance(Rates::employee);
  if (x.employee) x.cats |= bit(Category::employee_insured);
  else if (!(x.cats & (bit(Category::student) | bit(Category::university_student))) && a >= 18 && a <= 55 &&
           r.chance(Rates::migrant))
    x.cats |= bit(Category::migrant_worker);
}

// The birth comes from the ID; other events fall on a random day of the coverage year.
void person_event(Rng& r, const Member& p, const Calendar& cal, Person& x) {
  const int a = p.age;
  x.newborn = x.birth.days >= cal.year_first;
  if (x.newborn) {
    x.ev = Event::birth;
    x.ev_date = x.birth;
  } else if (p.male && a >= 19 && a <= 28 && r.chance(Rates::army)) {
    x.ev = Event::discharged_from_army;
  } else if (a >= 20 && a <= 60 && r.chance(Rates::prison)) {
    x.ev = Event::released_from_prison;
  } else if (!x.employee && a >= 25 && a <= 60 && r.chance(Rates::insurance_ended)) {
    x.ev = Event::employee_insurance_ended;
    x.emp_months = r.between(6, 300);
  }
  if (x.ev != Event::none && x.ev != Event::birth) x.ev_date = Date{cal.year_first + static_cast<int32_t>(r.below(cal.year_len))};
}

void draw_person(Rng& r, IdAllocator& ids, const Geo& geo, const Member& p, int size, const Household& h,
                 const Calendar& cal, Person& x) {
  person_categories(r, p, size, h, x);
  x.birth = ids.allocate(r, h.hukou->county, geo.prefixes[h.hukou->county], p.age, p.male, x.id);
  person_event(r, p, cal, x);
}

// One CSV row in kRosterHeader's column order.
void put_row(Out& o, Rng& r, const Member& p, int year, const Household& h, const Person& x) {
  o.reserve(512);
  o.put(x.id, 18);
  o.put(',');
  put_name(o, r, p, year);
  o.put(",H");
  o.put(h.home->code, 12);
  o.put('-');
  o.num(h.seq, 6);
  o.put(',');
  o.put(h.hukou->code, 12);
  o.put(',');
  if (h.outsider) o.put(h.home->code, 12);
  else if (h.residence_same) o.put(h.hukou->code, 12);
  o.put(',');
  bool first = true;
  for (int c = 0; c < kCategoryCount; ++c) {
    if (!(x.cats >> c & 1)) continue;
    if (!first) o.put(';');
    first = false;
    o.put(category_id(static_cast<Category>(c)));
  }
  o.put(',');
  if (x.grade) o.num(static_cast<uint64_t>(x.grade));
  o.put(',');
  if (x.ev != Event::none) o.put(event_id(x.ev));
  o.put(',');
  if (x.ev != Event::none) o.date(x.ev_date);
  o.put(',');
  if (x.emp_months) o.num(static_cast<uint64_t>(x.emp_months));
  o.put(',');
  if (x.newborn) o.put(r.chance(Rates::parent_insured) ? std::string_view("yes") : std::string_view("no"));
  o.put(',');
  // A child born after the household paid cannot have paid with it.
  if (h.pays && !x.employee && !x.newborn && !(h.pay_date < x.birth)) o.date(h.pay_date);
  o.put('\n');
}

}  // namespace

void generate_roster(const GenOptions& opt, std::ostream& os, const std::function<void(int64_t)>& progress) {
  if (opt.region.empty()) throw std::invalid_argument("generate_roster: region is empty");
  if (opt.year < 1900 || opt.year > 2199) throw std::invalid_argument("generate_roster: year out of range");
  const int year = opt.year;
  Geo geo = opt.villages.empty() ? build_geo(opt.region) : geo_of_places(opt);
  IdAllocator ids(year, geo.prefixes.size());
  std::vector<uint32_t> village_seq(geo.inside.size(), 0);
  const Calendar cal = make_calendar(opt);

  Rng r{mix(opt.seed ^ 0x63616e62616fULL) ^ (static_cast<uint64_t>(year) << 20)};
  Out o(os);
  o.put(std::string_view(kRosterHeader));
  o.put('\n');

  std::vector<Member> members;
  members.reserve(8);
  int64_t done = 0;
  while (done < opt.persons) {
    int size = 1 + pick(r, kSizeWeights);
    if (size > opt.persons - done) size = static_cast<int>(opt.persons - done);
    make_household(r, size, members);
    const Household h = draw_household(r, geo, village_seq, size, cal);
    for (const Member& p : members) {
      Person x;
      draw_person(r, ids, geo, p, size, h, cal, x);
      put_row(o, r, p, year, h, x);
      ++done;
      if (progress && (done & 0xFFFF) == 0) progress(done);
    }
  }
  o.flush();
  if (progress && (done & 0xFFFF) != 0) progress(done);
}

GenOptions gen_options_for(const Policy& p, int64_t persons, uint64_t seed, double paid_share) {
  GenOptions g;
  g.region = p.region;
  g.year = p.year;
  g.persons = persons;
  g.seed = seed;
  g.paid_share = paid_share;
  const auto& w = p.windows.front();
  g.window_open = w.open;
  // A window the document leaves open closes, for generated payments, the day before cover starts.
  g.window_close = w.close.value_or(p.coverage_period.first.plus_days(-1));
  g.allowed_day_max = w.day_max;
  return g;
}

}  // namespace canbao::io
