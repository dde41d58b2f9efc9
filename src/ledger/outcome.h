// What the ledger answers: a write either went in (or was found in, for a
// replayed idempotency key) or was refused with a domain error; callers map
// the refusal's kind to their own status (server/status.h, the CLI's exit code).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "ledger/vocabulary.h"

namespace canbao::ledger {

// A refusal: the domain error of core/error.h (code of docs/api.md, Chinese message, field).
using Refusal = canbao::Error;

// `details`: a JSON object (null: none), kept as text in the Refusal.
Refusal refusal(ErrorKind kind, std::string code, std::string message, std::string field = {},
                const nlohmann::json& details = nullptr);

struct Outcome {
  bool ok = false;
  bool replayed = false;  // the idempotency key was seen before: the first result
  Row row;
  std::vector<Row> children;  // subsidy rows of a payment; reversal rows of them
  Refusal refusal;
};

// A whole-household payment: every member's outcome (ok) or none written and
// the one member's refusal (or the household's own, e.g. selective_enrollment).
struct HouseholdOutcome {
  bool ok = false;
  bool replayed = false;
  std::vector<Outcome> members;  // in member order, each ok
  Refusal refusal;
  std::string failed_member;  // full ID of the member refused; empty: the household as a whole
};

}  // namespace canbao::ledger
