// The ledger's words (data tables, NHSA-CODES.md): payment channels, payer
// kinds, row kinds, and the ledger row itself (a store::Payment: the row is
// what the payments table holds, so the store defines its fields).
#pragma once
#include <string_view>
#include <utility>
#include <vector>

#include "store/ledger_store.h"

namespace canbao::ledger {

struct Channel {
  std::string_view id, label, clct_way;
  // The resident pays by themselves (自主缴费), not through a collector,
  // school or department: where documents require a registration first.
  bool self_service = false;
};
const std::vector<Channel>& channels();
const Channel* find_channel(std::string_view id);  // nullptr: no such channel
bool valid_payer_kind(std::string_view k);  // self | family_account | school | department

using Kind = store::PaymentKind;
using store::kind_id;
// One ledger row: the stored payment, as a type of this namespace so that
// ledger functions taking a row (row_json) are found for it by
// argument-dependent lookup, as callers written before the store held it expect.
struct Row : store::Payment {
  Row() = default;
  Row(store::Payment p) : store::Payment(std::move(p)) {}  // NOLINT: implicit, a row read from the store
};
std::vector<Row> rows(std::vector<store::Payment> ps);  // the store's rows as ledger rows

}  // namespace canbao::ledger
