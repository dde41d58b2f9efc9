#include "policy/category.h"

#include <array>

namespace canbao {

namespace {
struct CategoryInfo {
  Category cat;
  std::string_view id;
  std::string_view label;
  std::string_view nhsa;
  std::array<std::string_view, 8> aliases;
};

// Aliases are the seed documents' own words (DESIGN.md §2).
const CategoryInfo kCategories[] = {
    {Category::extreme_poverty, "extreme_poverty", "特困人员", "2304",
     {"特困供养人员", "城市\"三无人员\"", "城市三无人员", "三无人员", "农村五保户", "五保户", "特困"}},
    {Category::orphan, "orphan", "孤儿", "", {}},
    {Category::de_facto_orphan, "de_facto_orphan", "事实无人抚养儿童", "", {}},
    {Category::minimum_living, "minimum_living", "低保对象",  "2303",
     {"最低生活保障家庭成员", "城乡低保对象", "单纯低保户", "低保户", "低保", "最低生活保障对象"}},
    {Category::entitled_veteran, "entitled_veteran", "重点优抚对象", "2101",
     {"优抚对象", "优抚人员", "在乡重点优抚对象"}},
    {Category::relapsed_poverty, "relapsed_poverty", "返贫致贫人口", "", {"返贫致贫"}},
    {Category::monitored, "monitored", "监测对象",  "",
     {"监测户", "易返贫致贫人口", "脱贫不稳定人口", "边缘易致贫人口", "突发严重困难人口", "防止返贫监测对象",
      "农村低收入监测对象"}},
    {Category::lifted_from_poverty, "lifted_from_poverty", "脱贫人口",  "2302",
     {"脱贫享受政策人员", "稳定脱贫人口", "已脱贫建档立卡贫困户", "单纯脱贫受政策人员", "脱贫户"}},
    {Category::retired_fisher, "retired_fisher", "建档立卡退捕渔民", "", {"退捕渔民"}},
    {Category::family_planning_hardship, "family_planning_hardship", "计划生育特殊困难家庭", "",
     {"计划生育特殊困难家庭成员", "计生特殊困难家庭"}},
    {Category::severe_disability, "severe_disability", "重度残疾人", "2308", {"重度残疾", "重度残疾人员"}},
    {Category::severe_mental_illness, "severe_mental_illness", "严重精神障碍患者", "", {}},
    {Category::laid_off_worker, "laid_off_worker", "企业下岗职工", "", {"下岗职工"}},
    {Category::low_income, "low_income", "低收入家庭", "2305", {"低收入家庭成员", "低收入人口"}},
    {Category::migrant_worker, "migrant_worker", "外出务工人员", "", {"外出务工"}},
    {Category::student, "student", "在校学生", "", {"在园幼儿", "中小学生", "学生"}},
    {Category::university_student, "university_student", "高校在校大中专学生", "",
     {"大学生", "在校大学生", "高校学生"}},
    {Category::employee_insured, "employee_insured", "已参加职工医保", "", {"职工医保"}},
};
static_assert(std::size(kCategories) == kCategoryCount);

struct EventInfo {
  Event ev;
  std::string_view id;
  std::string_view label;
  std::array<std::string_view, 3> aliases;
};
const EventInfo kEvents[] = {
    {Event::none, "none", "无", {""}},
    {Event::birth, "birth", "出生", {"新生儿"}},
    {Event::discharged_from_army, "discharged_from_army", "退出现役", {"退役"}},
    {Event::newly_special, "newly_special", "动态新增特殊群体", {"动态新增"}},
    {Event::released_from_prison, "released_from_prison", "刑满释放", {}},
    {Event::left_other_scheme, "left_other_scheme", "退出其他制度保障", {}},
    {Event::employee_insurance_ended, "employee_insurance_ended", "职工医保中断", {"职工医保中断缴费"}},
};
}  // namespace

std::string_view category_id(Category c) { return kCategories[static_cast<int>(c)].id; }
std::string_view category_label(Category c) { return kCategories[static_cast<int>(c)].label; }
std::string_view category_nhsa_code(Category c) { return kCategories[static_cast<int>(c)].nhsa; }

std::optional<Category> parse_category(std::string_view t) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  for (const auto& c : kCategories) {
    if (t == c.id || t == c.label) return c.cat;
    for (auto a : c.aliases) if (!a.empty() && t == a) return c.cat;
  }
  return std::nullopt;
}

std::string_view event_id(Event e) { return kEvents[static_cast<int>(e)].id; }
std::string_view event_label(Event e) { return kEvents[static_cast<int>(e)].label; }

std::optional<Event> parse_event(std::string_view t) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  for (const auto& e : kEvents) {
    if (t == e.id || t == e.label) return e.ev;
    for (auto a : e.aliases) if (!a.empty() && t == a) return e.ev;
  }
  return std::nullopt;
}

}  // namespace canbao
