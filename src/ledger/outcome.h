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

}  // namespace canbao::ledger
