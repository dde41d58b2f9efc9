// How a ledger row reads to people: the receipt's amount in words and the
// JSON of a row the API and the audit log show (server presentation, kept
// here because the writer audits rows in the same shape).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ledger/vocabulary.h"

namespace canbao::ledger {

std::string amount_words(int64_t fen);  // 人民币大写: 叁佰捌拾元整; negative amounts start with 负
// `unmask`: the full ID number and family-account holder (only for who may see them).
nlohmann::json row_json(const Row& r, bool unmask = false);

}  // namespace canbao::ledger
