// Writing assessments out: the JSONL contract of `canbao assess` (keys that
// other tools read: id_number, eligible, reason, standard_fen, subsidy_fen,
// individual_due_fen, subsidies[], window_open/close, coverage_start/end,
// waiting_until, trace[]) and a flat CSV. Appends to a string so callers
// batch their own I/O; amounts stay integer fen, unknown amounts are null.
#pragma once
#include <string>
#include <string_view>

#include "assess/assessment.h"

namespace canbao {

void append_json_string(std::string& out, std::string_view s);
void append_jsonl(const Policy& p, const PersonFacts& f, const Assessment& a, const Trace* trace, std::string& out);

void append_csv_header(std::string& out);
void append_csv(const Policy& p, const PersonFacts& f, const Assessment& a, std::string& out);

std::string_view payment_status_id(PaymentStatus s);
// The category that made a rule apply to this person (first match), or "".
std::string_view matched_category(const SubsidyRule& r, const PersonFacts& f);

}  // namespace canbao
