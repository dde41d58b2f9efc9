// The one table from a domain error's kind (core/error.h) to its HTTP status.
// Everything below the server refuses with an ErrorKind; only this file
// knows that a conflict is 409 and a rule's refusal 422.
#pragma once
#include "core/error.h"

namespace canbao::server {

constexpr int http_status(ErrorKind k) {
  switch (k) {
    case ErrorKind::invalid: return 400;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::refused: return 422;
    case ErrorKind::busy: return 429;
    case ErrorKind::unavailable: return 503;
  }
  return 500;
}

}  // namespace canbao::server
