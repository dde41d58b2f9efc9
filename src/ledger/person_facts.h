// Facts of one person for one year, from indexed per-person reads
// (registry::fill_facts reads by key range, which suits chunks of a scan, not
// one person). Shared by the ledger's checks and the server's person pages.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "assess/facts.h"
#include "store/store.h"

namespace canbao::ledger {

// Where the checks read one person's rows: the store, one read per call
// (StoreSource), or rows read for a whole batch up front (BatchSource). Both
// answer exactly what the Store calls of the same names answer.
class PersonSource {
 public:
  virtual ~PersonSource() = default;
  virtual std::optional<store::Person> person(std::string_view id) = 0;
  virtual std::vector<store::Enrollment> enrollments_of(std::string_view id, int year) = 0;
  virtual std::vector<store::PersonCategory> categories_of(std::string_view id) = 0;
  virtual std::vector<store::EmployeeInsured> employee_insured(std::string_view id) = 0;
};

class StoreSource final : public PersonSource {
 public:
  explicit StoreSource(store::Store& st) : st_(st) {}
  std::optional<store::Person> person(std::string_view id) override { return st_.person(id); }
  std::vector<store::Enrollment> enrollments_of(std::string_view id, int year) override {
    return st_.enrollments_of(id, year);
  }
  std::vector<store::PersonCategory> categories_of(std::string_view id) override { return st_.categories_of(id); }
  std::vector<store::EmployeeInsured> employee_insured(std::string_view id) override {
    return st_.employee_insured(id);
  }

 private:
  store::Store& st_;
};

// The rows of `ids` for years [year_from, year_to], read once
// (Store::persons_read); an ID or year outside those is read from `st`.
class BatchSource final : public PersonSource {
 public:
  BatchSource(store::Store& st, std::span<const std::string_view> ids, int year_from, int year_to);
  std::optional<store::Person> person(std::string_view id) override;
  std::vector<store::Enrollment> enrollments_of(std::string_view id, int year) override;
  std::vector<store::PersonCategory> categories_of(std::string_view id) override;
  std::vector<store::EmployeeInsured> employee_insured(std::string_view id) override;

 private:
  struct Of {
    std::optional<store::Person> person;
    std::vector<store::Enrollment> enrollments;
    std::vector<store::PersonCategory> categories;
    std::vector<store::EmployeeInsured> employee;
  };
  const Of* find(std::string_view id) const;
  store::Store& st_;
  int year_from_, year_to_;
  std::unordered_map<std::string, Of> of_;  // every ID asked for, found or not
};

struct OneFacts {
  std::vector<DatedCategory> dated;
  PersonFacts facts;  // facts.dated points into `dated`: keep them together
};
// `enrolled`: the person's enrollments of `year` when the caller has read them
// already (saves the read); only active enrollments give paid/registered dates.
void person_facts(store::Store& st, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled = nullptr);
void person_facts(PersonSource& src, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled = nullptr);

}  // namespace canbao::ledger
