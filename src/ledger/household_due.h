// What each member of a household owes for one year (issue 14): the
// collector's household card, the phone's offline cache and the whole-household
// payment all read it. The amounts come from the very checks Ledger::pay() runs
// (check_person + check_window + assess), so charging individual_due_fen on
// `day` is never refused as wrong_amount.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "io/policy_set.h"
#include "ledger/actor.h"
#include "policy/category.h"
#include "store/store.h"

namespace canbao::ledger {

enum class DueStatus {
  owing,         // may be paid on `day`: individual_due_fen is the amount pay() accepts
  paid,          // an active paid enrollment; receipt_no when the ledger holds one
  not_required,  // 职工医保 (employee-insured), deceased, a university student insured by the school
  cannot_pay,    // not enrolled, window closed, no policy, amount left to local configuration …: see reason
};
std::string_view due_status_id(DueStatus s);     // "owing" | "paid" | "not_required" | "cannot_pay"
std::string_view due_status_label(DueStatus s);  // 待缴费 | 已缴费 | 无需缴费 | 暂不能缴费

struct DueSubsidy {
  std::string payer;  // 民政局 …; the document's words, "" when it names none
  std::string label;  // the subsidy rule's Chinese label
  int64_t amount_fen = 0;
};

struct MemberDue {
  store::Person person;
  std::vector<Category> categories;  // the categories the assessment saw on `day`
  std::vector<DueSubsidy> subsidies;
  std::optional<int64_t> individual_due_fen;  // nullopt when unknown (no policy, rule left open, not enrolled)
  DueStatus status = DueStatus::cannot_pay;
  std::string code;        // the ledger's refusal code behind cannot_pay/not_required ("outside_window" …)
  std::string reason;      // Chinese, for cannot_pay and not_required; "" otherwise
  std::string receipt_no;  // paid: the standing receipt of the year, "" when none
};

struct HouseholdDue {
  store::Household household;
  int year = 0;
  Date day;
  std::vector<MemberDue> members;  // ordered as household_members() returns them
  int64_t total_due_fen = 0;       // sum of individual_due_fen over the owing members
};

// nullopt when the household does not exist or none of its members (nor its
// region) lies in `actor`'s scope. `day` is the payment day the dues are
// computed for (today, or the offline collection date). Reads only.
std::optional<HouseholdDue> household_due(store::Store& st, const io::PolicySet& policies, const Actor& actor,
                                          std::string_view household_id, int year, Date day);

// One member, for callers that already hold the person (the offline cache
// walks many households). `actor` scopes the enrollment as pay() does.
MemberDue member_due(store::Store& st, const io::PolicySet& policies, const Actor& actor, const store::Person& p,
                     int year, Date day);

}  // namespace canbao::ledger
