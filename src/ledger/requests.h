// The writes callers ask the ledger for. Each carries an idempotency key: the
// same key with the same request answers the first result, with another
// request a conflict.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"

namespace canbao::ledger {

struct PaymentRequest {
  std::string idempotency_key;
  std::string person;  // full ID number
  int year = 0;
  int64_t amount_fen = 0;
  std::string channel;
  std::string payer_kind = "self";
  std::string payer_name;
  std::string external_txn;
  std::optional<Date> paid_on;  // default: today
  std::string backdate_reason;  // admin only: a paid_on older than the actor's backdate_days
  int64_t import_batch = 0;
};

struct SubsidyRequest {
  std::string idempotency_key;
  std::string person;
  int year = 0;
  int64_t amount_fen = 0;
  std::string payer_name;  // department
  std::string mode = "paid_on_behalf";
  std::optional<Date> paid_on;
  std::string backdate_reason;
};

// 整户缴费: every listed member (empty: every member who owes `year` inside
// the actor's scope) pays their assessed due, all in one transaction or none.
// Member rows carry the keys "<key>#<n>" (n = 1.. in member order), so a
// replay finds exactly the rows the first request wrote.
struct HouseholdPaymentRequest {
  std::string idempotency_key;
  std::string household;
  int year = 0;
  std::string channel;
  std::string payer_kind = "self";
  std::string payer_name;
  std::optional<Date> paid_on;
  std::string backdate_reason;
  std::vector<std::string> members;  // full ID numbers
};

}  // namespace canbao::ledger
