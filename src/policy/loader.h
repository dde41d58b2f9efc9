// Reading a policy file: TOML text → validated Policy, or every problem
// found, each with file:line. Takes text, not a path: the policy stage does
// no I/O (the CLI and server read the file and pass it in).
//
// Checked on load: unknown keys and tables, unknown categories/events,
// amounts above the standard, percentages that are not exact in fen,
// `expect` figures that disagree with the computed amount, payer lines and
// fiscal splits that do not add up, rules that can both apply with equal
// amounts but different payers and no declared order (a conflict), targets
// whose rows do not add up to the document's total.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace canbao {

struct PolicyError {
  std::string file;
  int line = 0;
  std::string message;
  std::string str() const;  // "file:line: message"
};

struct PolicyLoad {
  std::optional<Policy> policy;
  std::vector<PolicyError> errors;
  bool ok() const { return policy.has_value() && errors.empty(); }
};

PolicyLoad parse_policy(std::string_view toml_text, const std::string& file_name);

}  // namespace canbao
