// Policy: one jurisdiction's campaign for one year, as transcribed from its
// official document (policies/<year>/<jurisdiction>.toml). Every rule keeps
// its `cite` (文号 + section) and the clerk's `note` where the document is
// ambiguous, so an assessment can always say why.
//
// The loader resolves everything the engine needs up front (amounts in fen,
// category masks, age limits turned into birth-date limits, tie ranks), so
// the assessment reads plain fields and never parses or allocates.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/money.h"
#include "core/region_code.h"
#include "policy/category.h"

namespace canbao {

// Where a rule comes from in the policy file, for file:line messages.
struct Source {
  std::string cite;  // "贵医保组〔2023〕1号 附件1 三.2"
  std::string note;  // the reading chosen where the document is ambiguous
  int line = 0;      // line in the policy file
};

// A conjunction of tests on a person. Unset fields test nothing.
struct Condition {
  CategoryMask any = 0;   // has at least one of these
  CategoryMask all = 0;   // has every one of these
  CategoryMask none = 0;  // has none of these
  int disability_grade_max = 0;  // >0: grade 1..max (重度 = 1–2); see engine for unknown grades
  std::optional<Date> born_on_or_before, born_on_or_after;
  // Ages as written in the document, kept for display; the engine uses the born_* limits.
  std::optional<Date> age_at;
  int age_min = -1, age_below = -1;
  bool hukou_in_region = false;     // 户籍在本区 / 在户籍所在地参保
  std::vector<Event> events;        // person's event is one of these (birth: from the ID number)
  int within_days = -1;             // event_date → payment/registration day, 民法典 201
  int within_months = -1;           // event_date → payment day, 民法典 202
  std::optional<Date> event_on_or_after;
  int employee_months_min = -1;     // 职工医保连续缴费月数 ≥
  int parent_insured = -1;          // 1: a parent insured (newborn rules)
  bool empty() const;
};

enum class SubsidyMode : uint8_t { paid_on_behalf, reimbursed, waived };
std::string_view mode_id(SubsidyMode m);     // "paid_on_behalf" …
std::string_view mode_label(SubsidyMode m);  // "代缴" / "先缴后补" / "免缴"

enum class AmountKind : uint8_t { full, percent, fixed, unspecified };

struct PayerLine {
  std::string payer;  // 资助部门: "区财政", "医保局", "乡村振兴局" …
  Money amount;       // resolved fen
  // Non-empty: the document names no unit that pays this line (肖岭's 民政办
  // only provides lists). The amount stands; `payer` is a placeholder, and
  // no department row may be written until a payer is configured locally.
  std::string unconfigured;
  bool configured() const { return unconfigured.empty(); }
};

struct SubsidyRule {
  std::string id;     // "guichi.minimum_living"
  std::string label;  // "低保对象、重点优抚对象 90%定额资助"
  Source source;
  Condition when;
  AmountKind kind = AmountKind::fixed;
  std::string amount_text;     // as written: "full", "90%", "342.00", "50% of 160.00"
  Money amount;                // resolved fen (0 when unspecified)
  std::vector<PayerLine> payers;  // sum == amount (checked at load)
  SubsidyMode mode = SubsidyMode::paid_on_behalf;
  std::optional<Date> list_as_of;    // categories certified after this day do not count
  std::vector<int> overrides;        // indices of rules this one beats when both apply
  int rank = 0;                      // tie order (lower wins); equal ranks = no order
  std::string unspecified_reason;    // for kind == unspecified
  // 重度 read from the grade: with disability_grade_max set and the grade
  // unknown, true withholds the subsidy and asks for the grade (贵池 defines
  // 重度 as 一级、二级); false lets the department's list stand for it.
  bool grade_required = false;
  // Non-empty: the document leaves the time for the person's own share open
  // (乌拉特前旗 单纯低保户 "具体缴费时间另行通知"); says why, zh.
  std::string personal_window_unspecified;
};

enum class CoverageStart : uint8_t {
  period_start,                 // 待遇享受期起始日
  later_of_period_and_day_after_payment,  // 贵池 外出务工 延长期: 缴费次日
  event_date,                   // 新生儿: 出生之日
  payment_month,                // 缴费当月
  day_after_payment,            // 缴费次日
  after_waiting,                // 等待期满次日
  unspecified,
};
std::string_view coverage_start_id(CoverageStart s);

struct CollectionWindow {
  std::string id, label;
  Source source;
  Condition applies_to;          // who may pay in this window
  Date open;
  std::optional<Date> close;     // nullopt: the document gives no closing day
  int day_min = 1, day_max = 31;  // allowed days of each month (晋城: 1–25)
  CoverageStart coverage = CoverageStart::period_start;
  bool allows(Date d) const;
};

// A way to enroll outside the collection windows (newborns, life events).
struct LatePath {
  std::string id, label;
  Source source;
  Condition when;
  CoverageStart coverage = CoverageStart::day_after_payment;
  int waiting_months = 0;
  std::optional<Date> accept_until;  // payments accepted until (default: coverage end)
  // The document counts within_days/within_months to the registration (参保登记),
  // not the payment (乌拉特前旗 一(三), 肖岭 一 "…90天内…办理参保登记手续").
  bool counted_to_registration = false;
};

struct FiscalShare {
  std::string level, name;  // "central", "中央"
  std::string share_text;   // "80%", "20% * 7/10"
  Fraction share;
  Money amount;
  Source source;
};

struct Stage {  // dated campaign stages (数据核对期 …), for the campaign calendar
  std::string id, label;
  Source source;
  DateRange range;
};

struct TargetRow {
  std::string unit;
  std::string region;  // division code when known
  int64_t target = 0;
  std::vector<std::pair<std::string, int64_t>> extra;  // 总人口, 咸惠保应参保人数 …
  int line = 0;
};

struct Policy {
  // Identity
  std::string id;            // "guichi-2024"
  std::string jurisdiction;  // "安徽省池州市贵池区"
  std::string document;      // 文号
  std::string title;
  RegionCode region;
  int year = 0;
  std::string file;          // path it was loaded from

  // Money
  Money individual_standard;  Source standard_source;
  std::optional<Money> fiscal_subsidy;  Source fiscal_source;
  std::vector<FiscalShare> fiscal_split;
  std::optional<Money> agent_fee_per_person;  Source agent_fee_source;
  Rounding rounding = Rounding::exact;

  // Who may enroll here
  std::vector<RegionCode> enroll_hukou_or_residence_in;  Source eligibility_source;
  CategoryMask enroll_regardless_of_place = 0;  // students at school here
  // Where such a student's school must be ([eligibility] school_in); a
  // category without an entry: inside `region`.
  std::vector<std::pair<Category, RegionCode>> school_in;
  CategoryMask excluded = 0;  Source excluded_source;  // employee_insured

  // When
  DateRange coverage_period;  Source coverage_source;
  std::vector<CollectionWindow> windows;
  std::vector<LatePath> late_paths;
  std::vector<Stage> stages;
  enum class Refund : uint8_t { unspecified, allowed, not_after_coverage_start } refund = Refund::unspecified;
  Source refund_source;
  bool family_account_payment = false;  Source family_account_source;
  // [registration] before_self_payment = "new_or_lapsed": residents not insured
  // here the year before (断保/新参保) pay by themselves only after registering.
  bool register_before_self_payment = false;  std::string register_first_words;  Source register_first_source;

  // Subsidies
  std::vector<SubsidyRule> subsidies;
  Source combine_source;  // 就高不就低 / 不重复资助
  std::optional<Date> lists_as_of;  Source lists_as_of_source;
  // Categories a 动态新增 (newly_special) event adds; such an event after a
  // rule's list day drops them for that rule. 0: the event may concern any.
  CategoryMask newly_special_categories = 0;

  std::vector<TargetRow> targets;  Source targets_source;
  // [[remark]]: what the document says that no rule encodes, shown to the clerk as written.
  std::vector<Source> remarks;

  int find_subsidy(std::string_view id) const;  // index or -1
};

}  // namespace canbao
