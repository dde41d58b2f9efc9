// PersonFacts: what the assessment needs to know about one person, as plain
// values (no strings owned, no allocation) so millions of them can be laid
// out in columns and assessed without touching the heap.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "core/date.h"
#include "core/region_code.h"
#include "policy/category.h"

namespace canbao {

// A category with the day the certifying department put the person on its
// list. Only needed when that day is known; a category without a dated entry
// counts as certified before every list as-of date.
struct DatedCategory {
  Category category;
  Date since;
};

struct PersonFacts {
  std::string_view id_number;  // validated 18-digit form (not owned)
  Date birth;                  // from the ID number
  RegionCode hukou;            // 户籍地
  RegionCode residence;        // 居住地 (居住证); empty when unknown
  CategoryMask categories = 0;
  std::span<const DatedCategory> dated;  // optional certification days
  int8_t disability_grade = 0;           // 1–4, 0 = none/unknown
  Event event = Event::none;             // besides birth, which is always known
  Date event_date{};
  int16_t employee_months = -1;  // continuous employee-insurance months, -1 unknown
  int8_t parent_insured = -1;    // newborns: 1 yes, 0 no, -1 unknown
  bool has_paid_on = false;
  Date paid_on{};
  bool has_registered_on = false;  // day of 参保登记, when different from payment
  Date registered_on{};
  RegionCode school_region;      // 学校所在地 (students); empty when not given
  int8_t insured_last_year = -1;  // 上年度在本地参加居民医保: 1 yes, 0 no (断保/新参保), -1 unknown

  bool has(Category c) const { return (categories & bit(c)) != 0; }
};

}  // namespace canbao
