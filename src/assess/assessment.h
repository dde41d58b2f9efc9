// Assessment: what one person owes for one policy year and why (DESIGN.md
// §5). Fixed-size and allocation-free so the batch path can fill millions;
// the readable "why" goes into an optional Trace only when asked for.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "assess/facts.h"
#include "policy/policy.h"

namespace canbao {

enum class Ineligible : uint8_t {
  none,
  employee_insured,   // 已参加职工医保
  outside_region,     // 户籍和居住地均不在本统筹区
};

// Why an amount or a date could not be stated; several can hold at once.
enum Open : uint16_t {
  open_none = 0,
  open_subsidy_unspecified = 1 << 0,  // an applicable rule's amount is left to local configuration
  open_conflict = 1 << 1,             // two applicable rules tie with no order (run-time conflict)
  open_window_close = 1 << 2,         // the document gives no closing day and payment falls in the year
  open_coverage = 1 << 3,             // a path whose coverage start the document leaves open
  // Registration flag (issue 12 item 6), far from the subsidy bits for the same reason.
  open_registration_first = 1 << 13,  // 断保/新参保 paid before the registration the document requires first
  open_parent_insured = 1 << 4,       // a newborn waiver turns on the parents' insurance, which the roster leaves empty
  // Subsidy flags (issue 12) sit apart from the bits above so parallel additions do not collide.
  open_payer_unconfigured = 1 << 8,   // the winning rule's amount stands but the document names no payer
  open_disability_grade = 1 << 9,     // 重度残疾 without a grade where the document defines 重度 by grade
  open_personal_window = 1 << 10,     // the document leaves the time for the person's own share open
};

enum class PaymentStatus : uint8_t {
  not_paid,          // no paid_on: dates are projected for an in-window payment
  accepted,          // paid_on inside a window or a late path
  outside_window,    // paid_on on a day no window or late path accepts
  too_late,          // accepted path, but coverage would start after the period ends
  undetermined,      // the document leaves the closing day open and the day falls in the year
  window_closed,     // no paid_on, and every window and late path has closed on as_of: no cover this year
};

struct SubsidyLineOut {
  int16_t rule = -1;   // index into Policy::subsidies
  int8_t payer = -1;   // index into that rule's payers
  Money amount;
};

struct Assessment {
  bool eligible = false;
  Ineligible ineligible = Ineligible::none;
  uint16_t open = open_none;
  Money standard;
  bool subsidy_known = true;  // false: subsidy_fen is a lower bound of an unspecified rule
  bool due_known = true;
  Money subsidy;
  Money due;
  int16_t winner = -1;            // winning subsidy rule, -1 none
  int16_t unspecified_rule = -1;  // an applicable unspecified rule, -1 none
  SubsidyMode mode = SubsidyMode::paid_on_behalf;
  uint8_t nlines = 0;
  SubsidyLineOut lines[4];
  // Collection window that applies to the person (union of their windows).
  bool has_window = false, window_close_known = false;
  Date window_open, window_close;
  int16_t window = -1;     // window that accepted the payment, -1 none
  int16_t late_path = -1;  // late path that accepted the payment, -1 none
  PaymentStatus payment = PaymentStatus::not_paid;
  bool has_coverage = false;
  Date coverage_start, coverage_end;
  bool has_waiting = false;
  Date waiting_until;  // last day of the waiting period
};

struct TraceEntry {
  std::string rule;     // "subsidy.minimum_living_veteran", "window.general", "eligibility"
  std::string cite;
  std::string outcome;  // Chinese, readable: "适用：区财政资助342.00元" …
};

// The "why" of one assessment. Reused across persons: clear() keeps every
// entry's string capacity, so a warm trace formats without allocating.
class Trace {
 public:
  TraceEntry& add() {
    if (n_ == entries_.size()) entries_.emplace_back();
    auto& e = entries_[n_++];
    e.rule.clear();
    e.cite.clear();
    e.outcome.clear();
    return e;
  }
  void clear() { n_ = 0; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const TraceEntry& operator[](size_t i) const { return entries_[i]; }
  const TraceEntry* begin() const { return entries_.data(); }
  const TraceEntry* end() const { return entries_.data() + n_; }

 private:
  std::vector<TraceEntry> entries_;
  size_t n_ = 0;
};

// `as_of` is the day of the work: it stands in for the registration day when
// the facts carry none (newborn rules count days up to registration).
void assess(const Policy& policy, const PersonFacts& facts, Date as_of, Assessment& out, Trace* trace = nullptr);

// One-line reason for a person the assessment could not fully decide or
// found ineligible, in Chinese; empty when there is nothing to say.
std::string assessment_reason(const Policy& policy, const Assessment& a);

}  // namespace canbao
