// The batch path: persons held as columns (about 80 bytes each, no pointers
// to chase) and assessed on all cores into compact summaries (24 bytes each).
// The policy is used as loaded — it is already resolved to fen, masks and
// birth-date limits — so assessing a person touches no heap at all.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "assess/assessment.h"

namespace canbao {

struct PersonColumns {
  std::vector<std::array<char, 18>> id_number;
  std::vector<Date> birth;
  std::vector<RegionCode> hukou, residence;
  std::vector<CategoryMask> categories;
  std::vector<int8_t> disability_grade, parent_insured;
  std::vector<Event> event;
  std::vector<Date> event_date;
  std::vector<int16_t> employee_months;
  std::vector<Date> paid_on;        // kNoDate when unpaid
  std::vector<Date> registered_on;  // kNoDate when not given
  std::vector<RegionCode> school_region;
  std::vector<int8_t> insured_last_year;
  // Rare: certification days, sorted by row.
  std::vector<std::pair<uint32_t, DatedCategory>> dated;

  static constexpr Date kNoDate{INT32_MIN};
  size_t size() const { return birth.size(); }
  void reserve(size_t n);
  void push_back(const PersonFacts& f);
  // The engine's view of row i; `dated` entries are found by binary search.
  PersonFacts facts(size_t i) const;
  size_t bytes() const;  // memory held, for reports
};

struct AssessmentSummary {
  int32_t due_fen = 0;
  int32_t subsidy_fen = 0;
  Date coverage_start{};
  Date waiting_until{};
  int16_t winner = -1;
  uint16_t open = 0;
  uint8_t flags = 0;
  PaymentStatus payment = PaymentStatus::not_paid;

  enum : uint8_t { eligible = 1, due_known = 2, subsidy_known = 4, has_coverage = 8, has_waiting = 16 };
  static AssessmentSummary of(const Assessment& a);
};

// Assesses rows [0, n) into out (out.size() == persons.size()) on `threads`
// threads (0 = hardware concurrency).
void assess_batch(const Policy& policy, const PersonColumns& persons, Date as_of, std::span<AssessmentSummary> out,
                  unsigned threads = 0);

}  // namespace canbao
