// Registry rules (DESIGN.md §2): whole-household enrollment, duplicate and
// conflicting enrollments, life events. Every refusal or finding carries a
// Chinese and an English message; ID numbers in messages are masked.
#pragma once
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/error.h"
#include "core/region_code.h"
#include "store/store.h"

namespace canbao::registry {

// A refused change: the domain error (core/error.h) with its code and Chinese
// message also as `code`/`zh`; what() in English. A duplicate enrollment is a
// conflict, an unknown person not found, every other refusal is refused.
struct RegistryError : DomainError {
  RegistryError(std::string code, const std::string& en, std::string zh)
      : DomainError(Error{kind_of(code), code, zh, {}, -1, {}}, en), code(std::move(code)), zh(std::move(zh)) {}
  std::string code;  // "selective_enrollment", "duplicate_enrollment", "unknown_person", …
  std::string zh;

 private:
  static ErrorKind kind_of(std::string_view code) {
    return code == "duplicate_enrollment" ? ErrorKind::conflict
           : code == "unknown_person"     ? ErrorKind::not_found
                                          : ErrorKind::refused;
  }
};

// Why a household member not being enrolled now is acceptable.
enum class Accounted { not_accounted, enrolling, enrolled, employee_insured, deceased, university_student };
std::string_view accounted_label(Accounted a);  // Chinese

struct MemberStatus {
  std::string id_number;  // full (internal use; never print)
  Accounted why = Accounted::not_accounted;
};

// 不得选择性参保: checks that every member of `household` is either in
// `enrolling`, already actively enrolled for `year` (here or elsewhere),
// employee-insured (roster or category) on `today`, deceased, or a university
// student at school. Returns each member's status.
std::vector<MemberStatus> household_status(store::Store& st, std::string_view household, int year,
                                           std::span<const std::string> enrolling, Date today);

struct EnrollRequest {
  std::string household;
  std::vector<std::string> persons;  // id numbers to enroll now
  int year = 0;
  RegionCode place;
  Date today;
  std::string actor = "system";
};
// Enrolls the persons (status registered) in one transaction with an audit
// row each. Throws RegistryError: selective_enrollment (lists the missing
// members, masked), duplicate_enrollment (an active enrollment for the year
// exists — at another place this also means 未办理参保暂停), unknown_person,
// not_in_household, deceased, employee_insured. Returns the new ids.
std::vector<int64_t> enroll_household(store::Store& st, const EnrollRequest& req);

// A finding over existing records, naming both records.
struct Finding2 {
  std::string code;  // same_place_twice | two_places | employee_insured
  std::string person;  // masked
  int64_t first = 0, second = 0;  // enrollment ids (second = 0 for employee_insured)
  std::string zh, en;
};
// Scans enrollments of `year` whose place lies in scope (empty = all).
std::vector<Finding2> find_conflicts(store::Store& st, RegionCode scope, int year, Date today);

// Life events. Each writes an audit row; nothing is deleted.
// 参保暂停 at the old place before enrolling elsewhere.
// `reason` (free text, e.g. "迁往外省") is kept in the enrollment's note and the audit row.
void suspend_enrollment(store::Store& st, int64_t enrollment_id, Date on, const std::string& actor,
                        const std::string& reason = {});
// Moves a whole household's registration to another region (members' hukou follows).
void move_household(store::Store& st, std::string_view household, RegionCode to, Date on, const std::string& actor);
// Moves one person to another household (e.g. marriage).
void move_person(store::Store& st, std::string_view id_number, std::string_view to_household, Date on,
                 const std::string& actor);
// Moves one person into a household that does not exist yet (分户): creates it
// in `region` with the person as head, then moves; one transaction, audited.
// Throws RegistryError duplicate_household when the id is taken.
void move_person_to_new_household(store::Store& st, std::string_view id_number, std::string_view household,
                                  RegionCode region, Date on, const std::string& actor);
// Adds a newborn to a household (event birth on the ID's birth date).
void register_birth(store::Store& st, const store::Person& newborn, const std::string& actor);
// Records a death: deceased_on set, active enrollments of later years
// cancelled and the current one ended on the day (status kept for the record).
void register_death(store::Store& st, std::string_view id_number, Date on, const std::string& actor);

}  // namespace canbao::registry
