#include "io/roster.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/id_number.h"

namespace canbao::io {

namespace {
struct ColumnInfo {
  RosterColumn col;
  std::string_view name, zh;
  bool required;
  // Every other header either of the two former readers accepted: a file
  // that one of them read must still read (certno … are the national
  // platform's export names).
  std::array<std::string_view, 4> aliases;
  size_t n_aliases;
};
const ColumnInfo kColumns[] = {
    {RosterColumn::id_number, "id_number", "身份证号", true, {"certno", "公民身份号码", "身份证号码", "证件号码"}, 4},
    {RosterColumn::name, "name", "姓名", true, {"psn_name", "人员姓名"}, 2},
    {RosterColumn::household_id, "household_id", "户号", true, {"户编号"}, 1},
    {RosterColumn::hukou_region, "hukou_region", "户籍地区划", true, {"resd_loc_admdvs", "户籍地", "户籍地区划代码"}, 3},
    {RosterColumn::residence_region, "residence_region", "居住地区划", false, {"live_admdvs", "居住地", "居住地区划代码"}, 3},
    {RosterColumn::categories, "categories", "人员类别", false, {"身份类别"}, 1},
    {RosterColumn::disability_grade, "disability_grade", "残疾等级", false, {}, 0},
    {RosterColumn::event, "event", "特殊事件", false, {}, 0},
    {RosterColumn::event_date, "event_date", "事件日期", false, {}, 0},
    {RosterColumn::employee_months, "employee_months", "职工医保连续缴费月数", false, {}, 0},
    {RosterColumn::parent_insured, "parent_insured", "父母参保", false, {}, 0},
    {RosterColumn::paid_on, "paid_on", "缴费日期", false, {"clct_time"}, 1},
    {RosterColumn::registered_on, "registered_on", "登记日期", false, {"crt_insu_date"}, 1},
    {RosterColumn::school_region, "school_region", "学校所在地", false, {"学校所在地区划"}, 1},
    {RosterColumn::insured_last_year, "insured_last_year", "上年本地参保", false, {}, 0},
};

const ColumnInfo& info(RosterColumn c) { return kColumns[static_cast<int>(c)]; }

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

// Headers are typed by hand: "身份证号 ", "ID_Number", "户　号" (full-width
// space) and a BOM the CSV reader left on the first cell all mean the column.
std::string norm_header(std::string_view h) {
  if (h.starts_with("\xEF\xBB\xBF")) h.remove_prefix(3);
  std::string out;
  for (char c : h) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  for (size_t p; (p = out.find("\xE3\x80\x80")) != std::string::npos;) out.erase(p, 3);
  return out;
}

std::optional<int8_t> parse_yes_no(std::string_view t) {
  if (t == "是") return 1;
  if (t == "否") return 0;
  std::string l = lower(t);
  if (l == "yes" || l == "y" || l == "true" || l == "1") return 1;
  if (l == "no" || l == "n" || l == "false" || l == "0") return 0;
  return std::nullopt;
}

// 1–4 as digits ("2", "02") or as the certificate writes it ("二级").
int parse_grade(std::string_view t) {
  static const std::string_view kZh[] = {"一级", "二级", "三级", "四级"};
  for (int i = 0; i < 4; ++i) if (t == kZh[i]) return i + 1;
  int g = 0;
  auto res = std::from_chars(t.data(), t.data() + t.size(), g);
  if (res.ec != std::errc() || res.ptr != t.data() + t.size() || g < 1 || g > 4) return 0;
  return g;
}
}  // namespace

std::string_view roster_column_name(RosterColumn c) { return info(c).name; }
std::string_view roster_column_name_zh(RosterColumn c) { return info(c).zh; }
std::span<const std::string_view> roster_column_aliases(RosterColumn c) {
  return {info(c).aliases.data(), info(c).n_aliases};
}
bool roster_column_required(RosterColumn c) { return info(c).required; }

RosterHeaderError::RosterHeaderError(const std::string& en, std::string zh, int64_t row,
                                     std::vector<RosterColumn> missing)
    : Error(en, std::move(zh), row, missing.empty() ? std::string() : std::string(roster_column_name_zh(missing[0]))),
      missing(std::move(missing)) {}

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
  male = false;
  hukou = residence = RegionCode{};
  categories = 0;
  disability_grade = 0;
  event = Event::none;
  event_date = Date{};
  event_date_given = false;
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
    std::string h = norm_header(header_[i]);
    for (const auto& c : kColumns) {
      bool hit = h == c.name || h == c.zh;
      for (size_t a = 0; a < c.n_aliases; ++a) hit = hit || h == c.aliases[a];
      // The first column wins when a file repeats a header.
      if (hit && col_[static_cast<int>(c.col)] < 0) col_[static_cast<int>(c.col)] = static_cast<int>(i);
    }
  }
  std::vector<RosterColumn> missing;
  std::string missing_en, missing_zh;
  for (const auto& c : kColumns)
    if (c.required && col_[static_cast<int>(c.col)] < 0) {
      missing.push_back(c.col);
      missing_en += (missing_en.empty() ? "" : ", ") + std::string(c.name);
      missing_zh += (missing_zh.empty() ? "" : "、") + std::string(c.zh);
    }
  if (!missing.empty())
    throw RosterHeaderError("roster is missing required column(s): " + missing_en, "名册缺少必填列：" + missing_zh,
                            table_->header_row(), std::move(missing));
}

std::string RosterReader::column_header(RosterColumn c) const {
  int i = col_[static_cast<int>(c)];
  return i >= 0 ? header_[static_cast<size_t>(i)] : std::string(roster_column_name_zh(c));
}

std::string_view RosterReader::cell(RosterColumn c) const {
  int i = col_[static_cast<int>(c)];
  return i >= 0 && static_cast<size_t>(i) < row_.size() ? trim(row_[static_cast<size_t>(i)]) : std::string_view{};
}

void RosterReader::fail(RosterColumn c, std::string_view value, std::string zh, std::string en) {
  *ok_ = false;
  errors_->push_back({row_.number, column_header(c), std::string(value), std::move(zh), std::move(en)});
}

void RosterReader::read_identity(RosterRecord& r) {
  auto id_text = cell(RosterColumn::id_number);
  int id_col = col_[static_cast<int>(RosterColumn::id_number)];
  if (row_.lost_precision(static_cast<size_t>(id_col))) {
    fail(RosterColumn::id_number, mask_id(id_text), "数值精度丢失，身份证号请以文本格式保存",
         "ID number was stored as a number and lost precision; store it as text");
  } else if (id_text.empty()) {
    fail(RosterColumn::id_number, "", "身份证号不能为空", "ID number is empty");
  } else {
    IdError e;
    auto id = IdNumber::parse(id_text, today_, &e);
    if (!id) {
      fail(RosterColumn::id_number, mask_id(id_text), std::string(id_error_message_zh(e)),
           std::string(id_error_message(e)));
    } else {
      r.id_number.assign(id->str());
      r.birth = id->birth_date();
      r.male = id->male();
    }
  }
  r.name.assign(cell(RosterColumn::name));
  if (r.name.empty()) fail(RosterColumn::name, "", "姓名不能为空", "name is empty");
  r.household_id.assign(cell(RosterColumn::household_id));
  if (r.household_id.empty()) fail(RosterColumn::household_id, "", "户号不能为空", "household id is empty");
}

void RosterReader::read_regions(RosterRecord& r) {
  auto region = [&](RosterColumn c, RegionCode& out) {
    auto t = cell(c);
    if (t.empty()) return;
    if (auto rc = RegionCode::parse(t)) out = *rc;
    else fail(c, t, std::string(kBadRegionZh), std::string(kBadRegionEn));
  };
  if (cell(RosterColumn::hukou_region).empty())
    fail(RosterColumn::hukou_region, "", "户籍地区划不能为空", "hukou_region is empty");
  region(RosterColumn::hukou_region, r.hukou);
  region(RosterColumn::residence_region, r.residence);
  region(RosterColumn::school_region, r.school);
}

void RosterReader::read_categories_and_grade(RosterRecord& r) {
  if (auto t = cell(RosterColumn::categories); !t.empty()) {
    std::string bad;
    // The value reported is the bad item, not the whole cell: "低保;贫困户" → 贫困户.
    if (!parse_categories_cell(t, r.categories, r.dated, bad)) {
      if (bad.find('@') != std::string::npos)
        fail(RosterColumn::categories, bad, fmt::format("人员类别“{}”中的认定日期无效（应为YYYY-MM-DD）", bad),
             fmt::format("category '{}': the certification day must be YYYY-MM-DD", bad));
      else
        fail(RosterColumn::categories, bad, fmt::format("未知的人员类别“{}”", bad),
             fmt::format("unknown category '{}'", bad));
    }
  }
  if (auto t = cell(RosterColumn::disability_grade); !t.empty()) {
    int g = parse_grade(t);
    if (!g) fail(RosterColumn::disability_grade, t, "残疾等级应为1至4", "disability grade must be 1 to 4");
    r.disability_grade = static_cast<int8_t>(g);
  }
}

// A day in column `c`: "缴费日期无效（应为YYYY-MM-DD）" names the column it is about.
static bool read_date(std::string_view t, RosterColumn c, Date& out, std::string& zh, std::string& en) {
  if (auto d = Date::parse(t)) { out = *d; return true; }
  zh = fmt::format("{}无效（应为YYYY-MM-DD）", roster_column_name_zh(c));
  en = fmt::format("{} must be a real day written YYYY-MM-DD", roster_column_name(c));
  return false;
}

void RosterReader::read_event(RosterRecord& r) {
  const auto event_text = cell(RosterColumn::event);
  if (!event_text.empty()) {
    if (auto e = parse_event(event_text)) r.event = *e;
    else fail(RosterColumn::event, event_text, fmt::format("未知的特殊事件“{}”", event_text),
              fmt::format("unknown event '{}'", event_text));
  }
  if (auto t = cell(RosterColumn::event_date); !t.empty()) {
    std::string zh, en;
    if (read_date(t, RosterColumn::event_date, r.event_date, zh, en)) r.event_date_given = true;
    else fail(RosterColumn::event_date, t, std::move(zh), std::move(en));
  }
  // A birth is dated by the ID number; any other event needs its day.
  bool dated = r.event_date_given;
  if (r.event == Event::birth && !dated) { r.event_date = r.birth; dated = true; }
  // Named by a column the file has: 事件日期 when present, else 特殊事件.
  const bool has_date_column = col_[static_cast<int>(RosterColumn::event_date)] >= 0;
  if (r.event != Event::none && !dated)
    fail(has_date_column ? RosterColumn::event_date : RosterColumn::event, "", "特殊事件需要填写事件日期",
         "event_date is required with an event");
  if (r.event_date_given && event_text.empty())
    fail(RosterColumn::event, "", "填写了事件日期但未填写特殊事件", "event_date given without an event");
  if (r.event == Event::birth && r.event_date_given && r.event_date != r.birth && !r.id_number.empty())
    fail(RosterColumn::event_date, r.event_date.str(), "出生事件日期与身份证号中的出生日期不一致",
         "birth event date differs from the birth date in the ID number");
}

void RosterReader::read_flags_and_dates(RosterRecord& r) {
  if (auto t = cell(RosterColumn::employee_months); !t.empty()) {
    int v = -1;
    auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    if (res.ec != std::errc() || res.ptr != t.data() + t.size() || v < 0 || v > 1200)
      fail(RosterColumn::employee_months, t, "职工医保连续缴费月数应为0至1200的整数",
           "employee_months must be an integer 0–1200");
    else r.employee_months = static_cast<int16_t>(v);
  }
  if (auto t = cell(RosterColumn::parent_insured); !t.empty()) {
    if (auto v = parse_yes_no(t)) r.parent_insured = *v;
    else fail(RosterColumn::parent_insured, t, "父母参保应为“是”或“否”", "parent_insured must be yes or no");
  }
  if (auto t = cell(RosterColumn::insured_last_year); !t.empty()) {
    if (auto v = parse_yes_no(t)) r.insured_last_year = *v;
    else fail(RosterColumn::insured_last_year, t, std::string(kBadInsuredLastYearZh), std::string(kBadInsuredLastYearEn));
  }
  auto date = [&](RosterColumn c, Date& out, bool& has) {
    std::string zh, en;
    if (auto t = cell(c); !t.empty()) {
      if (read_date(t, c, out, zh, en)) has = true;
      else fail(c, t, std::move(zh), std::move(en));
    }
  };
  date(RosterColumn::paid_on, r.paid_on, r.has_paid_on);
  date(RosterColumn::registered_on, r.registered_on, r.has_registered_on);
  if (r.has_paid_on && !r.id_number.empty() && r.paid_on < r.birth)
    fail(RosterColumn::paid_on, r.paid_on.str(), "缴费日期早于出生日期", "paid_on is before the birth date");
}

RosterReader::RosterReader(const RosterReader& layout, int) : today_(layout.today_), header_(layout.header_) {
  std::copy(std::begin(layout.col_), std::end(layout.col_), std::begin(col_));
}

std::unique_ptr<RosterReader> RosterReader::worker() const {
  return std::unique_ptr<RosterReader>(new RosterReader(*this, 0));
}

bool RosterReader::next_rows(RowBlock& block, size_t max_rows, size_t max_bytes) {
  for (size_t n = 0; n < max_rows && block.bytes() < max_bytes; ++n) {
    if (!table_->next_into(block)) return false;
    ++rows_;
  }
  return true;
}

void RosterReader::read(const RowView& row, RosterRecord& r, bool& ok, std::vector<RowError>& errors) {
  row_ = row;
  validate(r, ok, errors);
  row_ = RowView{};
}

bool RosterReader::next(RosterRecord& r, bool& ok, std::vector<RowError>& errors) {
  one_.clear();
  if (!table_->next_into(one_)) return false;
  ++rows_;
  row_ = one_.row(0);
  validate(r, ok, errors);
  return true;
}

void RosterReader::validate(RosterRecord& r, bool& ok, std::vector<RowError>& errors) {
  ok = true;
  ok_ = &ok;
  errors_ = &errors;
  r.clear();
  // Cells are checked in interchange order, so a row's errors read left to right.
  read_identity(r);
  read_regions(r);
  read_categories_and_grade(r);
  read_event(r);
  read_flags_and_dates(r);
  ok_ = nullptr;
  errors_ = nullptr;
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
