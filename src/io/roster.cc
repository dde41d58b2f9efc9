#include "io/roster.h"

#include <fmt/format.h>

#include <charconv>

#include "core/id_number.h"

namespace canbao::io {

namespace {
struct ColumnInfo {
  RosterColumn col;
  std::string_view name, zh;
  bool required;
  std::array<std::string_view, 4> aliases;
};
const ColumnInfo kColumns[] = {
    {RosterColumn::id_number, "id_number", "身份证号", true, {"certno", "公民身份号码", "身份证号码", "证件号码"}},
    {RosterColumn::name, "name", "姓名", true, {"psn_name", "人员姓名"}},
    {RosterColumn::household_id, "household_id", "户号", true, {"户编号"}},
    {RosterColumn::hukou_region, "hukou_region", "户籍地区划", true, {"resd_loc_admdvs", "户籍地"}},
    {RosterColumn::residence_region, "residence_region", "居住地区划", false, {"live_admdvs", "居住地"}},
    {RosterColumn::categories, "categories", "人员类别", false, {"身份类别"}},
    {RosterColumn::disability_grade, "disability_grade", "残疾等级", false, {}},
    {RosterColumn::event, "event", "特殊事件", false, {}},
    {RosterColumn::event_date, "event_date", "事件日期", false, {}},
    {RosterColumn::employee_months, "employee_months", "职工医保连续缴费月数", false, {}},
    {RosterColumn::parent_insured, "parent_insured", "父母参保", false, {}},
    {RosterColumn::paid_on, "paid_on", "缴费日期", false, {"clct_time"}},
    {RosterColumn::registered_on, "registered_on", "登记日期", false, {"crt_insu_date"}},
    {RosterColumn::school_region, "school_region", "学校所在地", false, {"学校所在地区划"}},
    {RosterColumn::insured_last_year, "insured_last_year", "上年本地参保", false, {}},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}
}  // namespace

std::string_view roster_column_name(RosterColumn c) { return kColumns[static_cast<int>(c)].name; }
std::string_view roster_column_name_zh(RosterColumn c) { return kColumns[static_cast<int>(c)].zh; }

std::string RowError::str() const { return fmt::format("row {}, column {}: {}", row, column, reason_en); }
std::string RowError::str_zh() const { return fmt::format("第{}行 {}：{}", row, column, reason_zh); }

PersonFacts RosterRecord::facts() const {
  PersonFacts f;
  f.id_number = id_number;
  f.birth = birth;
  f.hukou = hukou;
  f.residence = residence;
  f.categories = categories;
  f.dated = dated;
  f.disability_grade = disability_grade;
  f.event = event;
  f.event_date = event_date;
  f.employee_months = employee_months;
  f.parent_insured = parent_insured;
  f.has_paid_on = has_paid_on;
  f.paid_on = paid_on;
  f.has_registered_on = has_registered_on;
  f.registered_on = registered_on;
  f.school_region = school;
  f.insured_last_year = insured_last_year;
  return f;
}

void RosterRecord::clear() {
  id_number.clear();
  name.clear();
  household_id.clear();
  dated.clear();
  birth = Date{};
  hukou = residence = RegionCode{};
  categories = 0;
  disability_grade = 0;
  event = Event::none;
  event_date = Date{};
  employee_months = -1;
  parent_insured = -1;
  has_paid_on = has_registered_on = false;
  paid_on = registered_on = Date{};
  school = RegionCode{};
  insured_last_year = -1;
}

bool parse_categories_cell(std::string_view cell, CategoryMask& mask, std::vector<DatedCategory>& dated,
                           std::string& bad) {
  mask = 0;
  dated.clear();
  // Normalise the separators people type: ；(full-width) 、 , ， — only when
  // present, so the common ASCII cell costs no copy.
  thread_local std::string s;
  std::string_view rest = cell;
  if (cell.find_first_of(",\xEF\xE3") != std::string_view::npos) {
    s.assign(cell);
    for (std::string_view sep : {"；", "、", "，"})
      for (size_t p; (p = s.find(sep)) != std::string::npos;) s.replace(p, sep.size(), ";");
    for (auto& c : s) if (c == ',') c = ';';
    rest = s;
  }
  while (!rest.empty()) {
    auto p = rest.find(';');
    std::string_view item = trim(rest.substr(0, p));
    rest = p == std::string_view::npos ? std::string_view{} : rest.substr(p + 1);
    if (item.empty()) continue;
    std::string_view when;
    if (auto at = item.find('@'); at != std::string_view::npos) {
      when = trim(item.substr(at + 1));
      item = trim(item.substr(0, at));
    }
    auto c = parse_category(item);
    if (!c) { bad = std::string(item); return false; }
    mask |= bit(*c);
    if (!when.empty()) {
      auto d = Date::parse(when);
      if (!d) { bad = std::string(item) + "@" + std::string(when); return false; }
      dated.push_back({*c, *d});
    }
  }
  return true;
}

RosterReader::RosterReader(std::unique_ptr<TableReader> table, Date today) : table_(std::move(table)), today_(today) {
  header_ = table_->header();
  std::fill(std::begin(col_), std::end(col_), -1);
  for (size_t i = 0; i < header_.size(); ++i) {
    std::string h = lower(trim(header_[i]));
    for (const auto& c : kColumns) {
      bool hit = h == c.name || h == c.zh;
      for (auto a : c.aliases) hit = hit || (!a.empty() && h == a);
      if (hit && col_[static_cast<int>(c.col)] < 0) col_[static_cast<int>(c.col)] = static_cast<int>(i);
    }
  }
  std::string missing_en, missing_zh;
  for (const auto& c : kColumns)
    if (c.required && col_[static_cast<int>(c.col)] < 0) {
      missing_en += (missing_en.empty() ? "" : ", ") + std::string(c.name);
      missing_zh += (missing_zh.empty() ? "" : "、") + std::string(c.zh);
    }
  if (!missing_en.empty())
    throw Error("roster is missing required column(s): " + missing_en, "名册缺少必填列：" + missing_zh,
                table_->header_row());
}

bool RosterReader::next(RosterRecord& r, bool& ok, std::vector<RowError>& errors) {
  if (!table_->next(row_)) return false;
  ++rows_;
  ok = true;
  auto cell = [&](RosterColumn c) -> std::string_view {
    int i = col_[static_cast<int>(c)];
    return i >= 0 && static_cast<size_t>(i) < row_.cells.size() ? trim(row_.cells[i]) : std::string_view{};
  };
  auto fail = [&](RosterColumn c, std::string_view value, std::string zh, std::string en) {
    ok = false;
    int i = col_[static_cast<int>(c)];
    errors.push_back({row_.number, i >= 0 ? header_[i] : std::string(roster_column_name_zh(c)), std::string(value),
                      std::move(zh), std::move(en)});
  };

  // ID number
  r.clear();
  auto id_text = cell(RosterColumn::id_number);
  int id_col = col_[static_cast<int>(RosterColumn::id_number)];
  if (row_.lost_precision(static_cast<size_t>(id_col))) {
    fail(RosterColumn::id_number, mask_id(id_text), "数值精度丢失，身份证号请以文本格式保存",
         "ID number was stored as a number and lost precision; store it as text");
  } else if (id_text.empty()) {
    fail(RosterColumn::id_number, "", "身份证号为空", "ID number is empty");
  } else {
    IdError e;
    auto id = IdNumber::parse(id_text, today_, &e);
    if (!id) fail(RosterColumn::id_number, mask_id(id_text), std::string(id_error_message_zh(e)), std::string(id_error_message(e)));
    else { r.id_number.assign(id->str()); r.birth = id->birth_date(); }
  }
  r.name.assign(cell(RosterColumn::name));
  if (r.name.empty()) fail(RosterColumn::name, "", "姓名为空", "name is empty");
  r.household_id.assign(cell(RosterColumn::household_id));
  if (r.household_id.empty()) fail(RosterColumn::household_id, "", "户号为空", "household id is empty");

  auto region = [&](RosterColumn c, RegionCode& out, bool required) {
    auto t = cell(c);
    if (t.empty()) {
      if (required) fail(c, "", "区划代码为空", "division code is empty");
      return;
    }
    auto rc = RegionCode::parse(t);
    if (!rc) fail(c, t, std::string(kBadRegionZh), std::string(kBadRegionEn));
    else out = *rc;
  };
  region(RosterColumn::hukou_region, r.hukou, true);
  region(RosterColumn::residence_region, r.residence, false);
  region(RosterColumn::school_region, r.school, false);

  if (auto t = cell(RosterColumn::categories); !t.empty()) {
    std::string bad;
    if (!parse_categories_cell(t, r.categories, r.dated, bad))
      fail(RosterColumn::categories, t, fmt::format("未知的人员类别“{}”", bad), fmt::format("unknown category '{}'", bad));
  }
  if (auto t = cell(RosterColumn::disability_grade); !t.empty()) {
    static const std::string_view kZh[] = {"一级", "二级", "三级", "四级"};
    int g = 0;
    for (int i = 0; i < 4; ++i) if (t == kZh[i]) g = i + 1;
    if (!g && t.size() == 1 && t[0] >= '1' && t[0] <= '4') g = t[0] - '0';
    if (!g) fail(RosterColumn::disability_grade, t, "残疾等级应为1–4", "disability grade must be 1–4");
    r.disability_grade = static_cast<int8_t>(g);
  }
  auto date = [&](RosterColumn c, Date& out, bool& has) {
    auto t = cell(c);
    if (t.empty()) return;
    auto d = Date::parse(t);
    if (!d) fail(c, t, "日期格式应为YYYY-MM-DD且为真实日期", "date must be YYYY-MM-DD and a real day");
    else { out = *d; has = true; }
  };
  if (auto t = cell(RosterColumn::event); !t.empty()) {
    auto e = parse_event(t);
    if (!e) fail(RosterColumn::event, t, fmt::format("未知的特殊事件“{}”", t), fmt::format("unknown event '{}'", t));
    else r.event = *e;
  }
  bool has_event_date = false;
  date(RosterColumn::event_date, r.event_date, has_event_date);
  if (r.event == Event::birth && !has_event_date) { r.event_date = r.birth; has_event_date = true; }
  if (r.event != Event::none && !has_event_date)
    fail(RosterColumn::event_date, "", "有特殊事件时必须填写事件日期", "event_date is required with an event");
  if (r.event == Event::none && has_event_date && cell(RosterColumn::event).empty())
    fail(RosterColumn::event, "", "填写了事件日期但未填写特殊事件", "event_date given without an event");
  if (r.event == Event::birth && has_event_date && r.event_date != r.birth && !r.id_number.empty())
    fail(RosterColumn::event_date, r.event_date.str(), "出生事件日期与身份证号中的出生日期不一致",
         "birth event date differs from the birth date in the ID number");
  if (auto t = cell(RosterColumn::employee_months); !t.empty()) {
    int v = -1;
    auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    if (res.ec != std::errc() || res.ptr != t.data() + t.size() || v < 0 || v > 1200)
      fail(RosterColumn::employee_months, t, "职工医保连续缴费月数应为0–1200的整数", "employee_months must be an integer 0–1200");
    else r.employee_months = static_cast<int16_t>(v);
  }
  if (auto t = cell(RosterColumn::parent_insured); !t.empty()) {
    std::string l = lower(t);
    if (l == "yes" || l == "y" || l == "true" || l == "1" || t == "是") r.parent_insured = 1;
    else if (l == "no" || l == "n" || l == "false" || l == "0" || t == "否") r.parent_insured = 0;
    else fail(RosterColumn::parent_insured, t, "父母参保应为“是”或“否”", "parent_insured must be yes or no");
  }
  if (auto t = cell(RosterColumn::insured_last_year); !t.empty()) {
    std::string l = lower(t);
    if (l == "yes" || l == "y" || l == "true" || l == "1" || t == "是") r.insured_last_year = 1;
    else if (l == "no" || l == "n" || l == "false" || l == "0" || t == "否") r.insured_last_year = 0;
    else fail(RosterColumn::insured_last_year, t, std::string(kBadInsuredLastYearZh), std::string(kBadInsuredLastYearEn));
  }
  date(RosterColumn::paid_on, r.paid_on, r.has_paid_on);
  date(RosterColumn::registered_on, r.registered_on, r.has_registered_on);
  if (r.has_paid_on && !r.id_number.empty() && r.paid_on < r.birth)
    fail(RosterColumn::paid_on, r.paid_on.str(), "缴费日期早于出生日期", "paid_on is before the birth date");
  return true;
}

PersonColumns read_roster_columns(const std::string& path, Date today, std::vector<RowError>& errors) {
  PersonColumns cols;
  RosterReader reader(open_table(path), today);
  RosterRecord rec;
  bool ok;
  while (reader.next(rec, ok, errors))
    if (ok) cols.push_back(rec.facts());
  return cols;
}

}  // namespace canbao::io
