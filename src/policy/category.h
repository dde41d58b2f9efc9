// The fixed person-category and life-event vocabulary (DESIGN.md §2).
// Policy files, rosters and department lists name categories by id or by
// any Chinese label the seed documents use; both resolve to one bit here,
// so a person's categories are one 32-bit mask on the batch path.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace canbao {

enum class Category : uint8_t {
  extreme_poverty, orphan, de_facto_orphan, minimum_living, entitled_veteran,
  relapsed_poverty, monitored, lifted_from_poverty, retired_fisher,
  family_planning_hardship, severe_disability, severe_mental_illness,
  laid_off_worker, low_income, migrant_worker, student, university_student,
  employee_insured,
  count_
};
constexpr int kCategoryCount = static_cast<int>(Category::count_);
using CategoryMask = uint32_t;
constexpr CategoryMask bit(Category c) { return CategoryMask{1} << static_cast<int>(c); }

std::string_view category_id(Category c);     // "minimum_living"
std::string_view category_label(Category c);  // "低保对象"
// Accepts the id or any alias label ("单纯低保户", "城乡低保对象", …).
std::optional<Category> parse_category(std::string_view text);
// National psn_idet_type code where one fits (NHSA-CODES.md), else "".
std::string_view category_nhsa_code(Category c);

enum class Event : uint8_t {
  none, birth, discharged_from_army, newly_special, released_from_prison,
  left_other_scheme, employee_insurance_ended,
  count_
};
std::string_view event_id(Event e);
std::string_view event_label(Event e);
std::optional<Event> parse_event(std::string_view text);  // id or Chinese label

}  // namespace canbao
