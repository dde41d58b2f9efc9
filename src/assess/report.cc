#include "assess/report.h"

#include <fmt/format.h>

#include <charconv>

namespace canbao {

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        else out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string_view payment_status_id(PaymentStatus s) {
  switch (s) {
    case PaymentStatus::not_paid: return "not_paid";
    case PaymentStatus::accepted: return "accepted";
    case PaymentStatus::outside_window: return "outside_window";
    case PaymentStatus::too_late: return "too_late";
    case PaymentStatus::undetermined: return "undetermined";
    case PaymentStatus::window_closed: return "window_closed";
  }
  return "?";
}

std::string_view matched_category(const SubsidyRule& r, const PersonFacts& f) {
  CategoryMask m = f.categories & (r.when.any | r.when.all);
  if (r.when.disability_grade_max && f.disability_grade > 0 && f.disability_grade <= r.when.disability_grade_max)
    m |= bit(Category::severe_disability) & r.when.any;
  for (int i = 0; i < kCategoryCount; ++i)
    if (m & (CategoryMask{1} << i)) return category_id(static_cast<Category>(i));
  return "";
}

namespace {
// Hand-written appends: the JSONL path formats millions of rows, and fmt's
// format-string parsing was most of its cost.
void put_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void put_date(std::string& out, Date d) {
  char buf[10];
  d.write(buf);
  out.append(buf, 10);
}
void date_or_null(std::string& out, bool has, Date d) {
  if (has) {
    out.push_back('"');
    put_date(out, d);
    out.push_back('"');
  } else {
    out += "null";
  }
}
}  // namespace

void append_jsonl(const Policy& p, const PersonFacts& f, const Assessment& a, const Trace* trace, std::string& out) {
  out += "{\"id_number\":";
  append_json_string(out, f.id_number);
  out += ",\"policy\":";
  append_json_string(out, p.id);
  out += a.eligible ? ",\"eligible\":true,\"reason\":" : ",\"eligible\":false,\"reason\":";
  bool anything_to_say = !a.eligible || a.open || a.payment == PaymentStatus::outside_window ||
                         a.payment == PaymentStatus::too_late || a.payment == PaymentStatus::window_closed;
  if (!anything_to_say) out += "null";
  else append_json_string(out, assessment_reason(p, a));
  out += ",\"standard_fen\":";
  put_int(out, a.standard.fen);
  out += ",\"subsidy_fen\":";
  if (a.subsidy_known) put_int(out, a.subsidy.fen);
  else out += "null";
  out += ",\"individual_due_fen\":";
  if (a.due_known) put_int(out, a.due.fen);
  else out += "null";
  if (p.fiscal_subsidy && a.eligible) {
    out += ",\"fiscal_fen\":";
    put_int(out, p.fiscal_subsidy->fen);
  }
  out += ",\"subsidies\":[";
  for (int i = 0; i < a.nlines; ++i) {
    const auto& r = p.subsidies[a.lines[i].rule];
    if (i) out += ',';
    out += "{\"rule\":";
    append_json_string(out, r.id);
    out += ",\"category\":";
    append_json_string(out, matched_category(r, f));
    out += ",\"payer\":";
    append_json_string(out, r.payers[a.lines[i].payer].payer);
    out += ",\"fen\":";
    put_int(out, a.lines[i].amount.fen);
    out += ",\"mode\":\"";
    out += mode_id(r.mode);
    out += "\"}";
  }
  out += "],\"unspecified_rule\":";
  if (a.unspecified_rule >= 0 && (a.open & open_subsidy_unspecified)) append_json_string(out, p.subsidies[a.unspecified_rule].id);
  else out += "null";
  out += ",\"window_open\":";
  date_or_null(out, a.has_window, a.window_open);
  out += ",\"window_close\":";
  date_or_null(out, a.has_window && a.window_close_known, a.window_close);
  out += ",\"payment_status\":\"";
  out += payment_status_id(a.payment);
  out += "\",\"coverage_start\":";
  date_or_null(out, a.has_coverage, a.coverage_start);
  out += ",\"coverage_end\":";
  date_or_null(out, a.has_coverage, a.coverage_end);
  out += ",\"waiting_until\":";
  date_or_null(out, a.has_waiting, a.waiting_until);
  if (trace) {
    out += ",\"trace\":[";
    for (size_t i = 0; i < trace->size(); ++i) {
      const auto& e = (*trace)[i];
      if (i) out += ',';
      out += "{\"rule\":";
      append_json_string(out, e.rule);
      out += ",\"cite\":";
      append_json_string(out, e.cite);
      out += ",\"outcome\":";
      append_json_string(out, e.outcome);
      out += '}';
    }
    out += ']';
  }
  out += "}\n";
}

void append_csv_header(std::string& out) {
  out +=
      "id_number,eligible,standard_fen,subsidy_fen,individual_due_fen,subsidy_rule,payers,mode,window_open,"
      "window_close,payment_status,coverage_start,coverage_end,waiting_until,reason\n";
}

void append_csv(const Policy& p, const PersonFacts& f, const Assessment& a, std::string& out) {
  auto o = std::back_inserter(out);
  auto date = [&](bool has, Date d) { if (has) out += d.str(); out += ','; };
  fmt::format_to(o, "{},{},{},", f.id_number, a.eligible ? "true" : "false", a.standard.fen);
  if (a.subsidy_known) fmt::format_to(o, "{}", a.subsidy.fen);
  out += ',';
  if (a.due_known) fmt::format_to(o, "{}", a.due.fen);
  out += ',';
  if (a.winner >= 0) out += p.subsidies[a.winner].id;
  out += ',';
  for (int i = 0; i < a.nlines; ++i) {
    const auto& r = p.subsidies[a.lines[i].rule];
    fmt::format_to(o, "{}{}:{}", i ? ";" : "", r.payers[a.lines[i].payer].payer, a.lines[i].amount.fen);
  }
  out += ',';
  if (a.winner >= 0 || (a.open & open_subsidy_unspecified)) out += mode_id(a.mode);
  out += ',';
  date(a.has_window, a.window_open);
  date(a.has_window && a.window_close_known, a.window_close);
  fmt::format_to(o, "{},", payment_status_id(a.payment));
  date(a.has_coverage, a.coverage_start);
  date(a.has_coverage, a.coverage_end);
  date(a.has_waiting, a.waiting_until);
  std::string reason = assessment_reason(p, a);
  if (reason.find_first_of(",\"\n") != std::string::npos) {
    out += '"';
    for (char c : reason) { if (c == '"') out += '"'; out += c; }
    out += '"';
  } else {
    out += reason;
  }
  out += '\n';
}

}  // namespace canbao
