#include "assess/report.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace canbao {

namespace {
// Bytes JSON needs escaped: '"', '\\' and controls. A table, so the scan for
// them is one load per byte and the common cell (no such byte) is appended
// whole instead of byte by byte.
constexpr auto kJsonEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = true;
  t['"'] = t['\\'] = true;
  return t;
}();
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!kJsonEscape[static_cast<unsigned char>(c)]) continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      default: fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    }
  }
  out.append(s.data() + start, s.size() - start);
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
// Rosters repeat a handful of days (window, coverage period, payment days),
// and turning a day count into Y-M-D is the costly part of writing one, so
// each thread keeps the last text written per slot.
void put_date(std::string& out, Date d) {
  struct Slot {
    int32_t days = INT32_MIN;
    char text[10];
  };
  thread_local std::array<Slot, 64> cache;
  Slot& s = cache[static_cast<uint32_t>(d.days) & 63u];
  if (s.days != d.days) {
    d.write(s.text);
    s.days = d.days;
  }
  out.append(s.text, 10);
}
// A literal's length is known at compile time: no strlen per append.
template <size_t N>
void lit(std::string& out, const char (&s)[N]) {
  out.append(s, N - 1);
}
void date_or_null(std::string& out, bool has, Date d) {
  if (has) {
    out.push_back('"');
    put_date(out, d);
    out.push_back('"');
  } else {
    lit(out, "null");
  }
}
}  // namespace

void append_jsonl(const Policy& p, const PersonFacts& f, const Assessment& a, const Trace* trace, std::string& out) {
  lit(out, "{\"id_number\":");
  append_json_string(out, f.id_number);
  lit(out, ",\"policy\":");
  append_json_string(out, p.id);
  if (a.eligible) lit(out, ",\"eligible\":true,\"reason\":");
  else lit(out, ",\"eligible\":false,\"reason\":");
  bool anything_to_say = !a.eligible || a.open || a.payment == PaymentStatus::outside_window ||
                         a.payment == PaymentStatus::too_late || a.payment == PaymentStatus::window_closed;
  if (!anything_to_say) lit(out, "null");
  else append_json_string(out, assessment_reason(p, a));
  lit(out, ",\"standard_fen\":");
  put_int(out, a.standard.fen);
  lit(out, ",\"subsidy_fen\":");
  if (a.subsidy_known) put_int(out, a.subsidy.fen);
  else lit(out, "null");
  lit(out, ",\"individual_due_fen\":");
  if (a.due_known) put_int(out, a.due.fen);
  else lit(out, "null");
  if (p.fiscal_subsidy && a.eligible) {
    lit(out, ",\"fiscal_fen\":");
    put_int(out, p.fiscal_subsidy->fen);
  }
  lit(out, ",\"subsidies\":[");
  for (int i = 0; i < a.nlines; ++i) {
    const auto& r = p.subsidies[a.lines[i].rule];
    if (i) out += ',';
    lit(out, "{\"rule\":");
    append_json_string(out, r.id);
    lit(out, ",\"category\":");
    append_json_string(out, matched_category(r, f));
    lit(out, ",\"payer\":");
    append_json_string(out, r.payers[a.lines[i].payer].payer);
    lit(out, ",\"fen\":");
    put_int(out, a.lines[i].amount.fen);
    lit(out, ",\"mode\":\"");
    out += mode_id(r.mode);
    lit(out, "\"}");
  }
  lit(out, "],\"unspecified_rule\":");
  if (a.unspecified_rule >= 0 && (a.open & open_subsidy_unspecified)) append_json_string(out, p.subsidies[a.unspecified_rule].id);
  else lit(out, "null");
  lit(out, ",\"window_open\":");
  date_or_null(out, a.has_window, a.window_open);
  lit(out, ",\"window_close\":");
  date_or_null(out, a.has_window && a.window_close_known, a.window_close);
  lit(out, ",\"payment_status\":\"");
  out += payment_status_id(a.payment);
  lit(out, "\",\"coverage_start\":");
  date_or_null(out, a.has_coverage, a.coverage_start);
  lit(out, ",\"coverage_end\":");
  date_or_null(out, a.has_coverage, a.coverage_end);
  lit(out, ",\"waiting_until\":");
  date_or_null(out, a.has_waiting, a.waiting_until);
  if (trace) {
    lit(out, ",\"trace\":[");
    for (size_t i = 0; i < trace->size(); ++i) {
      const auto& e = (*trace)[i];
      if (i) out += ',';
      lit(out, "{\"rule\":");
      append_json_string(out, e.rule);
      lit(out, ",\"cite\":");
      append_json_string(out, e.cite);
      lit(out, ",\"outcome\":");
      append_json_string(out, e.outcome);
      out += '}';
    }
    out += ']';
  }
  lit(out, "}\n");
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
