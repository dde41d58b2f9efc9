// Error: the one shape of a refusal below the server (ledger, registry,
// campaign, imports). A stable `code` the API and tests key on, a Chinese
// `message` for the user, and where it happened (`field`, `row`).
//
// The layers below the server never speak HTTP: `kind` says what the caller
// may do next, and src/server/status.h maps each kind to a status in one
// table (the CLI maps it to its exit code). A function that refuses as part
// of its normal answer returns an Error in its result (the ledger's Outcome);
// one that cannot go on throws DomainError.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace canbao {

enum class ErrorKind : uint8_t {
  invalid,      // the request itself is malformed or incomplete: fix it and send again
  forbidden,    // outside the user's role or region: someone else must do it
  not_found,    // the thing named does not exist (or is outside the user's scope)
  conflict,     // the records already say otherwise (already paid, key reused): look before retrying
  refused,      // well-formed, but the rules refuse it (window closed, not eligible)
  busy,         // too many at once: retry later, unchanged
  unavailable,  // cannot be done right now (shutting down, write failed): retry with the same key
};

struct Error {
  ErrorKind kind = ErrorKind::refused;
  std::string code;     // stable identifier: "already_paid", "outside_window", …
  std::string message;  // Chinese, for the user; never an ID number or a name
  std::string field;    // the request or file field it is about, empty when none
  int64_t row = -1;     // 1-based row of an import file, -1 when none
  std::string details;  // a JSON object as text (embedded as is by the server), empty when none
};

// An Error that stops the operation. what() is the English text for logs.
struct DomainError : std::runtime_error {
  DomainError(Error e, const std::string& en) : std::runtime_error(en), error(std::move(e)) {}
  explicit DomainError(Error e) : std::runtime_error(e.code), error(std::move(e)) {}
  Error error;
};

}  // namespace canbao
