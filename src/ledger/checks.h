// The prepare phase's checks (internal to src/ledger): what a payment or a
// department subsidy must satisfy before it is queued for the writer. Each
// answers true/nullopt when the write may go on, else the refusal to return.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "assess/assessment.h"
#include "io/policy_set.h"
#include "ledger/actor.h"
#include "ledger/outcome.h"
#include "ledger/person_facts.h"
#include "ledger/vocabulary.h"
#include "store/store.h"

namespace canbao::ledger {

// What check_person found: the policy, the person, their one active
// enrollment and the assessment for the payment day.
struct Checked {
  const Policy* policy = nullptr;
  store::Person person;
  store::Enrollment enrollment;
  Assessment a;
};

// Looks up the person, their single active enrollment in scope and the
// policy; assesses with the payment day. Fills `ref` on refusal (absent or out
// of scope, not enrolled, duplicate, already paid when `need_unpaid`, no
// policy, employee-insured, ineligible). `ch`: the payment's channel (nullptr
// for department subsidy rows).
bool check_person(store::Store& st, const io::PolicySet& policies, const Actor& actor, std::string_view id, int year,
                  Date day, bool need_unpaid, Checked& c, Refusal& ref, const Channel* ch = nullptr);
// The same checks over rows from `src` (a batch's pre-read rows).
bool check_person(PersonSource& src, const io::PolicySet& policies, const Actor& actor, std::string_view id, int year,
                  Date day, bool need_unpaid, Checked& c, Refusal& ref, const Channel* ch = nullptr);

// The assessment's payment window admits `day`; else `ref` says which rule
// (day of month, window, too late, undetermined) with the window in details.
bool check_window(const Policy& pol, const Assessment& a, Date day, Refusal& ref);

// A paid_on before the actor's backdating window (issue 11): refused unless an
// admin gives a reason. `tax_record`: the tax bureau's own record (import, or
// tax-hall payment with its transaction id), which keeps its date.
std::optional<Refusal> backdate_refusal(const Actor& actor, const std::string& reason, Date day, Date today,
                                        bool tax_record);

}  // namespace canbao::ledger
