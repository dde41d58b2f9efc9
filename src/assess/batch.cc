#include "assess/batch.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace canbao {

void PersonColumns::reserve(size_t n) {
  id_number.reserve(n);
  birth.reserve(n);
  hukou.reserve(n);
  residence.reserve(n);
  categories.reserve(n);
  disability_grade.reserve(n);
  parent_insured.reserve(n);
  event.reserve(n);
  event_date.reserve(n);
  employee_months.reserve(n);
  paid_on.reserve(n);
  registered_on.reserve(n);
  school_region.reserve(n);
  insured_last_year.reserve(n);
}

void PersonColumns::push_back(const PersonFacts& f) {
  std::array<char, 18> id{};
  std::memcpy(id.data(), f.id_number.data(), std::min<size_t>(18, f.id_number.size()));
  uint32_t row = static_cast<uint32_t>(size());
  id_number.push_back(id);
  birth.push_back(f.birth);
  hukou.push_back(f.hukou);
  residence.push_back(f.residence);
  categories.push_back(f.categories);
  disability_grade.push_back(f.disability_grade);
  parent_insured.push_back(f.parent_insured);
  event.push_back(f.event);
  event_date.push_back(f.event_date);
  employee_months.push_back(f.employee_months);
  paid_on.push_back(f.has_paid_on ? f.paid_on : kNoDate);
  registered_on.push_back(f.has_registered_on ? f.registered_on : kNoDate);
  school_region.push_back(f.school_region);
  insured_last_year.push_back(f.insured_last_year);
  for (const auto& d : f.dated) dated.emplace_back(row, d);
}

PersonFacts PersonColumns::facts(size_t i) const {
  PersonFacts f;
  f.id_number = std::string_view(id_number[i].data(), 18);
  f.birth = birth[i];
  f.hukou = hukou[i];
  f.residence = residence[i];
  f.categories = categories[i];
  f.disability_grade = disability_grade[i];
  f.parent_insured = parent_insured[i];
  f.event = event[i];
  f.event_date = event_date[i];
  f.employee_months = employee_months[i];
  f.has_paid_on = paid_on[i] != kNoDate;
  f.paid_on = paid_on[i];
  f.has_registered_on = registered_on[i] != kNoDate;
  f.registered_on = registered_on[i];
  f.school_region = school_region[i];
  f.insured_last_year = insured_last_year[i];
  if (!dated.empty()) {
    auto lo = std::lower_bound(dated.begin(), dated.end(), static_cast<uint32_t>(i),
                               [](const auto& e, uint32_t r) { return e.first < r; });
    auto hi = lo;
    while (hi != dated.end() && hi->first == i) ++hi;
    if (lo != hi) {
      // The span needs contiguous DatedCategory values; pairs are not, so the
      // few rows with dated entries are served from a per-thread scratch copy.
      thread_local std::vector<DatedCategory> scratch;
      scratch.clear();
      for (auto it = lo; it != hi; ++it) scratch.push_back(it->second);
      f.dated = scratch;
    }
  }
  return f;
}

size_t PersonColumns::bytes() const {
  return id_number.capacity() * sizeof(id_number[0]) + birth.capacity() * sizeof(Date) +
         (hukou.capacity() + residence.capacity() + school_region.capacity()) * sizeof(RegionCode) +
         categories.capacity() * sizeof(CategoryMask) + insured_last_year.capacity() +
         disability_grade.capacity() + parent_insured.capacity() + event.capacity() +
         event_date.capacity() * sizeof(Date) + employee_months.capacity() * 2 +
         (paid_on.capacity() + registered_on.capacity()) * sizeof(Date) + dated.capacity() * sizeof(dated[0]);
}

AssessmentSummary AssessmentSummary::of(const Assessment& a) {
  AssessmentSummary s;
  s.due_fen = static_cast<int32_t>(a.due.fen);
  s.subsidy_fen = static_cast<int32_t>(a.subsidy.fen);
  s.coverage_start = a.coverage_start;
  s.waiting_until = a.waiting_until;
  s.winner = a.winner;
  s.open = a.open;
  s.payment = a.payment;
  s.flags = (a.eligible ? eligible : 0) | (a.due_known ? due_known : 0) | (a.subsidy_known ? subsidy_known : 0) |
            (a.has_coverage ? has_coverage : 0) | (a.has_waiting ? has_waiting : 0);
  return s;
}

void assess_batch(const Policy& policy, const PersonColumns& persons, Date as_of, std::span<AssessmentSummary> out,
                  unsigned threads) {
  size_t n = persons.size();
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (n < 4096) threads = 1;
  // One pass over rows [begin, end): every column is read front to back, and
  // the rare `dated` entries are met by a cursor moving with the rows instead
  // of a binary search per person (a cache miss chain for every row).
  auto work = [&](size_t begin, size_t end) {
    const auto& c = persons;
    Assessment a;
    std::vector<DatedCategory> scratch;  // reused: a row's dated entries, contiguous for the span
    auto dated = std::lower_bound(c.dated.begin(), c.dated.end(), static_cast<uint32_t>(begin),
                                  [](const auto& e, uint32_t r) { return e.first < r; });
    PersonFacts f;
    for (size_t i = begin; i < end; ++i) {
      f.id_number = std::string_view(c.id_number[i].data(), 18);
      f.birth = c.birth[i];
      f.hukou = c.hukou[i];
      f.residence = c.residence[i];
      f.categories = c.categories[i];
      f.disability_grade = c.disability_grade[i];
      f.parent_insured = c.parent_insured[i];
      f.event = c.event[i];
      f.event_date = c.event_date[i];
      f.employee_months = c.employee_months[i];
      f.paid_on = c.paid_on[i];
      f.has_paid_on = f.paid_on != PersonColumns::kNoDate;
      f.registered_on = c.registered_on[i];
      f.has_registered_on = f.registered_on != PersonColumns::kNoDate;
      f.school_region = c.school_region[i];
      f.insured_last_year = c.insured_last_year[i];
      f.dated = {};
      if (dated != c.dated.end() && dated->first == i) {
        scratch.clear();
        for (; dated != c.dated.end() && dated->first == i; ++dated) scratch.push_back(dated->second);
        f.dated = scratch;
      }
      assess(policy, f, as_of, a, nullptr);
      out[i] = AssessmentSummary::of(a);
    }
  };
  std::vector<std::thread> pool;
  size_t chunk = (n + threads - 1) / threads;
  for (unsigned t = 1; t < threads; ++t) {
    size_t b = std::min(n, t * chunk), e = std::min(n, (t + 1) * chunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  work(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
}

}  // namespace canbao
