#include "policy/loader.h"

#include <fmt/format.h>

#include <set>
#include <toml++/toml.h>

namespace canbao {

std::string PolicyError::str() const { return fmt::format("{}:{}: {}", file, line, message); }

namespace {

int line_of(const toml::node* n) { return n ? static_cast<int>(n->source().begin.line) : 0; }

// Reads one TOML table and remembers which keys were used, so anything left
// over is reported as an unknown key (a typo must never be silently ignored).
class Reader {
 public:
  Reader(const toml::table& t, std::string where, std::vector<PolicyError>& errors, const std::string& file)
      : t_(t), where_(std::move(where)), errors_(errors), file_(file) {}
  ~Reader() {
    for (auto& [k, v] : t_)
      if (!used_.count(std::string(k.str())))
        error(&v, fmt::format("unknown key '{}' in {}", k.str(), where_));
  }
  int line() const { return line_of(&t_); }
  const toml::node* get(const char* key) {
    used_.insert(key);
    return t_.get(key);
  }
  void error(const toml::node* n, std::string msg) {
    errors_.push_back({file_, n ? line_of(n) : line(), std::move(msg)});
  }
  std::optional<std::string> str(const char* key, bool required = false) {
    auto n = get(key);
    if (!n) { if (required) error(nullptr, fmt::format("missing '{}' in {}", key, where_)); return std::nullopt; }
    if (auto s = n->value<std::string>()) return *s;
    error(n, fmt::format("'{}' must be a string", key));
    return std::nullopt;
  }
  std::optional<int64_t> integer(const char* key, bool required = false) {
    auto n = get(key);
    if (!n) { if (required) error(nullptr, fmt::format("missing '{}' in {}", key, where_)); return std::nullopt; }
    if (n->is_integer()) return n->value<int64_t>();
    error(n, fmt::format("'{}' must be an integer", key));
    return std::nullopt;
  }
  std::optional<bool> boolean(const char* key) {
    auto n = get(key);
    if (!n) return std::nullopt;
    if (n->is_boolean()) return n->value<bool>();
    error(n, fmt::format("'{}' must be true or false", key));
    return std::nullopt;
  }
  std::optional<Date> date(const char* key, bool required = false) {
    auto n = get(key);
    if (!n) { if (required) error(nullptr, fmt::format("missing '{}' in {}", key, where_)); return std::nullopt; }
    if (auto d = n->value<toml::date>()) {
      if (!Date::valid_ymd(d->year, d->month, d->day)) { error(n, "not a real calendar day"); return std::nullopt; }
      return Date::from_ymd(d->year, d->month, d->day);
    }
    error(n, fmt::format("'{}' must be a date (YYYY-MM-DD, unquoted)", key));
    return std::nullopt;
  }
  std::optional<Money> money(const char* key, bool required = false) {
    auto n = get(key);
    if (!n) { if (required) error(nullptr, fmt::format("missing '{}' in {}", key, where_)); return std::nullopt; }
    auto s = n->value<std::string>();
    if (!s) { error(n, fmt::format("'{}' must be a yuan amount written as a string, e.g. \"342.00\"", key)); return std::nullopt; }
    auto m = Money::parse_yuan(*s);
    if (!m || m->fen < 0) { error(n, fmt::format("'{}': '{}' is not a yuan amount", key, *s)); return std::nullopt; }
    return m;
  }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    auto n = get(key);
    if (!n) return out;
    auto arr = n->as_array();
    if (!arr) { error(n, fmt::format("'{}' must be an array of strings", key)); return out; }
    for (auto& e : *arr) {
      if (auto s = e.value<std::string>()) out.push_back(*s);
      else error(&e, fmt::format("'{}' must hold strings", key));
    }
    return out;
  }
  CategoryMask categories(const char* key) {
    CategoryMask m = 0;
    auto n = t_.get(key);
    for (auto& s : strings(key)) {
      if (auto c = parse_category(s)) m |= bit(*c);
      else error(n, fmt::format("unknown category '{}' in '{}'", s, key));
    }
    return m;
  }
  Source source() {
    Source s;
    s.line = line();
    if (auto c = str("cite")) s.cite = *c;
    else error(nullptr, fmt::format("{} has no 'cite' (文号 + section)", where_));
    if (auto n = str("note")) s.note = *n;
    return s;
  }
  const toml::table& table() const { return t_; }

 private:
  const toml::table& t_;
  std::string where_;
  std::vector<PolicyError>& errors_;
  const std::string& file_;
  std::set<std::string> used_;
};

// Iterates an array of tables ([[window]]), giving each a Reader.
template <typename F>
void each_table(Reader& parent, const char* key, std::vector<PolicyError>& errors, const std::string& file, F f) {
  auto n = parent.get(key);
  if (!n) return;
  auto arr = n->as_array();
  if (!arr) { parent.error(n, fmt::format("'{}' must be an array of tables ([[{}]])", key, key)); return; }
  int i = 0;
  for (auto& e : *arr) {
    ++i;
    auto t = e.as_table();
    if (!t) { parent.error(&e, fmt::format("'{}' entries must be tables", key)); continue; }
    Reader r(*t, fmt::format("[[{}]] #{}", key, i), errors, file);
    f(r);
  }
}

void read_condition(Reader& r, Condition& c, int year) {
  c.any = r.categories("any");
  c.all = r.categories("all");
  c.none = r.categories("none");
  if (auto v = r.integer("disability_grade_max")) {
    if (*v < 1 || *v > 4) r.error(r.get("disability_grade_max"), "disability_grade_max must be 1–4");
    c.disability_grade_max = static_cast<int>(*v);
  }
  c.born_on_or_before = r.date("born_on_or_before");
  c.born_on_or_after = r.date("born_on_or_after");
  c.age_at = r.date("age_at");
  if (auto v = r.integer("age_min")) c.age_min = static_cast<int>(*v);
  if (auto v = r.integer("age_below")) c.age_below = static_cast<int>(*v);
  if ((c.age_min >= 0 || c.age_below >= 0) && !c.age_at)
    r.error(nullptr, "age_min/age_below need 'age_at' (the day on which age is counted)");
  if (c.age_at) {
    // Age ≥ N on day D ⇔ born on or before D − N years; age < N ⇔ born after D − N years.
    if (c.age_min >= 0) {
      Date lim = c.age_at->plus_months(-12 * c.age_min);
      if (!c.born_on_or_before || lim < *c.born_on_or_before) c.born_on_or_before = lim;
    }
    if (c.age_below >= 0) {
      Date lim = c.age_at->plus_months(-12 * c.age_below).plus_days(1);
      if (!c.born_on_or_after || *c.born_on_or_after < lim) c.born_on_or_after = lim;
    }
  }
  c.hukou_in_region = r.boolean("hukou_in_region").value_or(false);
  for (auto& s : r.strings("events")) {
    if (auto e = parse_event(s); e && *e != Event::none) c.events.push_back(*e);
    else r.error(r.get("events"), fmt::format("unknown event '{}'", s));
  }
  if (auto v = r.integer("within_days")) c.within_days = static_cast<int>(*v);
  if (auto v = r.integer("within_months")) c.within_months = static_cast<int>(*v);
  c.event_on_or_after = r.date("event_on_or_after");
  if (auto v = r.integer("employee_months_min")) c.employee_months_min = static_cast<int>(*v);
  if (auto v = r.boolean("parent_insured")) c.parent_insured = *v ? 1 : 0;
  if ((c.within_days >= 0 || c.within_months >= 0 || c.event_on_or_after) && c.events.empty())
    r.error(nullptr, "within_days/within_months/event_on_or_after need 'events'");
  (void)year;
}

std::optional<CoverageStart> parse_coverage_start(std::string_view s) {
  for (auto c : {CoverageStart::period_start, CoverageStart::later_of_period_and_day_after_payment,
                 CoverageStart::event_date, CoverageStart::payment_month, CoverageStart::day_after_payment,
                 CoverageStart::after_waiting, CoverageStart::unspecified})
    if (coverage_start_id(c) == s) return c;
  return std::nullopt;
}

// "full", "90%", "342.00", "50% of 160.00", "unspecified" → kind + fen.
bool resolve_amount(Reader& r, const std::string& text, Money standard, Rounding rounding, SubsidyRule& rule) {
  rule.amount_text = text;
  if (text == "full") { rule.kind = AmountKind::full; rule.amount = standard; return true; }
  if (text == "unspecified") { rule.kind = AmountKind::unspecified; rule.amount = Money{}; return true; }
  auto of = text.find(" of ");
  std::string pct = of == std::string::npos ? text : text.substr(0, of);
  if (!pct.empty() && pct.back() == '%') {
    auto f = Fraction::parse(pct);
    Money base = standard;
    if (of != std::string::npos) {
      auto b = Money::parse_yuan(text.substr(of + 4));
      if (!b) { r.error(r.get("amount"), fmt::format("amount '{}': base is not a yuan amount", text)); return false; }
      base = *b;
    }
    if (!f) { r.error(r.get("amount"), fmt::format("amount '{}' is not a percentage", text)); return false; }
    auto m = apply(*f, base, rounding);
    if (!m) {
      r.error(r.get("amount"), fmt::format("amount '{}' of {} is not a whole number of fen; state a rounding", text, base.yuan()));
      return false;
    }
    rule.kind = AmountKind::percent;
    rule.amount = *m;
    return true;
  }
  auto m = Money::parse_yuan(text);
  if (!m) { r.error(r.get("amount"), fmt::format("amount '{}' is not full, a percentage, a yuan amount or unspecified", text)); return false; }
  rule.kind = AmountKind::fixed;
  rule.amount = *m;
  return true;
}

bool conditions_compatible(const Condition& a, const Condition& b) {
  if ((a.all | b.all) & (a.none | b.none)) return false;
  if (a.any && (a.any & ~b.none) == 0) return false;
  if (b.any && (b.any & ~a.none) == 0) return false;
  if (a.born_on_or_before && b.born_on_or_after && *a.born_on_or_before < *b.born_on_or_after) return false;
  if (b.born_on_or_before && a.born_on_or_after && *b.born_on_or_before < *a.born_on_or_after) return false;
  return true;
}

bool same_outcome(const SubsidyRule& a, const SubsidyRule& b) {
  if (a.amount != b.amount || a.mode != b.mode || a.payers.size() != b.payers.size()) return false;
  for (size_t i = 0; i < a.payers.size(); ++i)
    if (a.payers[i].payer != b.payers[i].payer || a.payers[i].amount != b.payers[i].amount) return false;
  return true;
}

void read_targets(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  each_table(root, "target", errors, file, [&](Reader& r) {
    p.targets_source = r.source();
    auto columns = r.strings("columns");
    std::string target_col = r.str("target_column").value_or("");
    int target_idx = 0;
    if (!columns.empty()) {
      target_idx = -1;
      for (size_t i = 0; i < columns.size(); ++i) if (columns[i] == target_col) target_idx = static_cast<int>(i);
      if (target_idx < 0) { r.error(nullptr, "target_column must name one of 'columns'"); return; }
    }
    size_t ncols = columns.empty() ? 1 : columns.size();
    std::vector<int64_t> sums(ncols, 0);
    auto rows = r.get("rows");
    if (!rows || !rows->is_array()) { r.error(rows, "target needs 'rows' = [[unit, number…], …]"); return; }
    for (auto& rn : *rows->as_array()) {
      auto a = rn.as_array();
      if (!a || a->size() < 1 + ncols || !(*a)[0].is_string()) {
        r.error(&rn, fmt::format("a target row is [\"unit\", {} number(s)] and optionally a region code", ncols));
        continue;
      }
      TargetRow t;
      t.line = line_of(&rn);
      t.unit = *(*a)[0].value<std::string>();
      for (size_t i = 0; i < ncols; ++i) {
        auto v = (*a)[1 + i].value<int64_t>();
        if (!v || *v < 0) { r.error(&rn, "target numbers must be non-negative integers"); continue; }
        sums[i] += *v;
        if (static_cast<int>(i) == target_idx) t.target = *v;
        if (!columns.empty()) t.extra.emplace_back(columns[i], *v);
      }
      if (a->size() > 1 + ncols) {
        auto code = (*a)[1 + ncols].value<std::string>();
        if (!code || !RegionCode::parse(*code)) r.error(&rn, "the last item of a target row must be a division code string");
        else t.region = *code;
      }
      p.targets.push_back(std::move(t));
    }
    auto total = r.get("total");
    if (total) {
      std::vector<int64_t> totals;
      if (auto v = total->value<int64_t>()) totals.push_back(*v);
      else if (auto arr = total->as_array()) for (auto& e : *arr) totals.push_back(e.value<int64_t>().value_or(-1));
      if (totals.size() != ncols) r.error(total, "'total' must have one number per column");
      else
        for (size_t i = 0; i < ncols; ++i)
          if (totals[i] != sums[i])
            r.error(total, fmt::format("target rows add up to {} but the document's total is {}{}", sums[i], totals[i],
                                       columns.empty() ? "" : " (" + columns[i] + ")"));
    }
  });
}

// A top-level [section]: null when absent (an error when required) or not a table.
const toml::table* section(Reader& root, const char* key, bool required, std::vector<PolicyError>& errors,
                           const std::string& file) {
  auto n = root.get(key);
  if (!n) { if (required) errors.push_back({file, 1, fmt::format("missing [{}]", key)}); return nullptr; }
  if (!n->is_table()) { root.error(n, fmt::format("'{}' must be a table", key)); return nullptr; }
  return n->as_table();
}

void read_policy_section(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "policy", true, errors, file);
  if (!t) return;
  Reader r(*t, "[policy]", errors, file);
  p.id = r.str("id", true).value_or("");
  p.jurisdiction = r.str("jurisdiction", true).value_or("");
  p.document = r.str("document", true).value_or("");
  p.title = r.str("title").value_or("");
  r.date("issued");
  p.year = static_cast<int>(r.integer("year", true).value_or(0));
  if (auto code = r.str("region", true)) {
    if (auto rc = RegionCode::parse(*code)) p.region = *rc;
    else r.error(r.get("region"), fmt::format("region '{}' is not a 2/4/6/9/12-digit division code", *code));
  }
  if (auto rs = r.str("rounding")) {
    if (auto ro = parse_rounding(*rs)) p.rounding = *ro;
    else r.error(r.get("rounding"), "rounding must be exact, half_up, down or up");
  }
}

void read_standard(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "standard", true, errors, file);
  if (!t) return;
  Reader r(*t, "[standard]", errors, file);
  p.individual_standard = r.money("individual", true).value_or(Money{});
  p.fiscal_subsidy = r.money("fiscal_subsidy");
  p.standard_source = r.source();
  p.fiscal_source = p.standard_source;
  if (p.individual_standard.fen <= 0) r.error(r.get("individual"), "the individual standard must be positive");
}

void read_fiscal_split(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  each_table(root, "fiscal_split", errors, file, [&](Reader& r) {
    FiscalShare s;
    s.level = r.str("level", true).value_or("");
    s.name = r.str("name", true).value_or("");
    s.share_text = r.str("share", true).value_or("");
    s.source = r.source();
    auto f = Fraction::parse(s.share_text);
    if (!f) { r.error(r.get("share"), fmt::format("share '{}' is not a fraction (80%, 7/10, 20% * 7/10)", s.share_text)); return; }
    s.share = *f;
    if (!p.fiscal_subsidy) { r.error(nullptr, "fiscal_split needs [standard] fiscal_subsidy"); return; }
    auto m = apply(*f, *p.fiscal_subsidy, p.rounding);
    if (!m) { r.error(r.get("share"), fmt::format("{} of {} is not a whole number of fen", s.share_text, p.fiscal_subsidy->yuan())); return; }
    s.amount = *m;
    p.fiscal_split.push_back(std::move(s));
  });
  if (!p.fiscal_split.empty() && p.fiscal_subsidy) {
    Fraction sum{0, 1};
    Money total{};
    for (auto& s : p.fiscal_split) { sum = sum + s.share; total += s.amount; }
    if (!(sum == Fraction{1, 1}) || total != *p.fiscal_subsidy)
      errors.push_back({file, p.standard_source.line,
                        fmt::format("fiscal_split shares add up to {} ({} yuan), not 100% of {} yuan", sum.str(), total.yuan(),
                                    p.fiscal_subsidy->yuan())});
  }
}

void read_agent_fee(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "agent_fee", false, errors, file);
  if (!t) return;
  Reader r(*t, "[agent_fee]", errors, file);
  p.agent_fee_per_person = r.money("per_person", true);
  p.agent_fee_source = r.source();
}

// school_in = { <category> = ["<division code>", …], … }; only for categories
// enrolled regardless of place.
void read_school_in(Reader& r, Policy& p) {
  auto n = r.get("school_in");
  if (!n) return;
  auto st = n->as_table();
  if (!st) { r.error(n, "school_in = { student = [\"<division code>\", …], … }"); return; }
  for (auto& [k, v] : *st) {
    auto c = parse_category(k.str());
    if (!c || !(p.enroll_regardless_of_place & bit(*c))) {
      r.error(&v, fmt::format("school_in: '{}' is not one of regardless_of_place", k.str()));
      continue;
    }
    auto arr = v.as_array();
    if (!arr || arr->empty()) { r.error(&v, fmt::format("school_in.{} must be a non-empty array of division codes", k.str())); continue; }
    for (auto& e : *arr) {
      auto code = e.value<std::string>();
      auto rc = code ? RegionCode::parse(*code) : std::nullopt;
      if (!rc) r.error(&e, fmt::format("school_in.{}: not a division code", k.str()));
      else p.school_in.emplace_back(*c, *rc);
    }
  }
}

void read_eligibility(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "eligibility", true, errors, file);
  if (!t) return;
  Reader r(*t, "[eligibility]", errors, file);
  for (auto& s : r.strings("hukou_or_residence_in")) {
    if (auto rc = RegionCode::parse(s)) p.enroll_hukou_or_residence_in.push_back(*rc);
    else r.error(r.get("hukou_or_residence_in"), fmt::format("'{}' is not a division code", s));
  }
  p.enroll_regardless_of_place = r.categories("regardless_of_place");
  read_school_in(r, p);
  p.excluded = r.categories("excluded");
  p.eligibility_source = r.source();
  p.excluded_source = p.eligibility_source;
}

void read_coverage(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "coverage", true, errors, file);
  if (!t) return;
  Reader r(*t, "[coverage]", errors, file);
  auto s = r.date("start", true), e = r.date("end", true);
  if (s && e) {
    p.coverage_period = {*s, *e};
    if (*e < *s) r.error(nullptr, "coverage end is before its start");
  }
  p.coverage_source = r.source();
}

void read_refund(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "refund", false, errors, file);
  if (!t) return;
  Reader r(*t, "[refund]", errors, file);
  auto rule = r.str("rule", true).value_or("");
  if (rule == "not_after_coverage_start") p.refund = Policy::Refund::not_after_coverage_start;
  else if (rule == "allowed") p.refund = Policy::Refund::allowed;
  else r.error(r.get("rule"), "refund rule must be not_after_coverage_start or allowed");
  p.refund_source = r.source();
}

void read_payment(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "payment", false, errors, file);
  if (!t) return;
  Reader r(*t, "[payment]", errors, file);
  p.family_account_payment = r.boolean("family_account").value_or(false);
  if (auto c = r.str("family_account_cite")) p.family_account_source.cite = *c;
  p.family_account_source.line = r.line();
}

void read_registration(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  auto t = section(root, "registration", false, errors, file);
  if (!t) return;
  Reader r(*t, "[registration]", errors, file);
  auto who = r.str("before_self_payment", true).value_or("");
  if (who == "new_or_lapsed") p.register_before_self_payment = true;
  else r.error(r.get("before_self_payment"), "before_self_payment must be \"new_or_lapsed\" (断保或新参保人员)");
  p.register_first_words = r.str("words", true).value_or("");
  p.register_first_source = r.source();
}

void read_windows(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  each_table(root, "window", errors, file, [&](Reader& r) {
    CollectionWindow w;
    w.id = r.str("id", true).value_or("");
    w.label = r.str("label", true).value_or("");
    w.open = r.date("open", true).value_or(Date{});
    w.close = r.date("close");
    if (w.close && *w.close < w.open) r.error(r.get("close"), "window closes before it opens");
    w.applies_to.any = r.categories("for");
    w.applies_to.none = r.categories("except");
    if (auto n = r.get("days_of_month")) {
      auto a = n->as_array();
      if (!a || a->size() != 2 || !(*a)[0].is_integer() || !(*a)[1].is_integer()) r.error(n, "days_of_month = [first, last]");
      else {
        w.day_min = static_cast<int>(*(*a)[0].value<int64_t>());
        w.day_max = static_cast<int>(*(*a)[1].value<int64_t>());
        if (w.day_min < 1 || w.day_max > 31 || w.day_min > w.day_max) r.error(n, "days_of_month must be within 1–31, first ≤ last");
      }
    }
    if (auto c = r.str("coverage")) {
      if (auto cs = parse_coverage_start(*c)) w.coverage = *cs;
      else r.error(r.get("coverage"), fmt::format("unknown coverage start '{}'", *c));
    }
    w.source = r.source();
    p.windows.push_back(std::move(w));
  });
  if (p.windows.empty()) errors.push_back({file, 1, "the policy has no [[window]] (collection window)"});
}

void read_late_paths(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  each_table(root, "late_path", errors, file, [&](Reader& r) {
    LatePath lp;
    lp.id = r.str("id", true).value_or("");
    lp.label = r.str("label", true).value_or("");
    read_condition(r, lp.when, p.year);
    if (auto c = r.str("coverage", true)) {
      if (auto cs = parse_coverage_start(*c)) lp.coverage = *cs;
      else r.error(r.get("coverage"), fmt::format("unknown coverage start '{}'", *c));
    }
    if (auto v = r.integer("waiting_months")) lp.waiting_months = static_cast<int>(*v);
    if (lp.coverage == CoverageStart::after_waiting && lp.waiting_months <= 0)
      r.error(nullptr, "coverage = after_waiting needs waiting_months > 0");
    lp.accept_until = r.date("accept_until");
    if (auto c = r.str("counted_to")) {
      if (*c == "registration") lp.counted_to_registration = true;
      else if (*c != "payment") r.error(r.get("counted_to"), fmt::format("counted_to must be payment or registration, not '{}'", *c));
    }
    lp.source = r.source();
    if (lp.when.events.empty()) r.error(nullptr, "a late_path needs 'events'");
    p.late_paths.push_back(std::move(lp));
  });
}

// What [subsidy] names by rule id, resolved once every rule has been read.
struct SubsidyRefs {
  std::vector<std::string> order;
  std::vector<std::pair<std::vector<std::string>, int>> overrides_by_rule;  // (names, index of the rule)
};

void read_payers(Reader& rr, SubsidyRule& rule, std::vector<PolicyError>& errors, const std::string& file) {
  auto pn = rr.get("payers");
  if (!pn) return;
  auto arr = pn->as_array();
  if (!arr) { rr.error(pn, "payers = [{ payer = \"…\", amount = \"…\" }, …]"); return; }
  for (auto& e : *arr) {
    auto pt = e.as_table();
    if (!pt) { rr.error(&e, "each payer is { payer = \"…\", amount = \"…\" }"); continue; }
    Reader pr(*pt, "payer", errors, file);
    PayerLine pl;
    pl.unconfigured = pr.str("unconfigured").value_or("");
    // The placeholder keeps displays and tallies readable; the flag, not the name, stops 代缴 rows.
    pl.payer = pl.unconfigured.empty() ? pr.str("payer", true).value_or("") : pr.str("payer").value_or("需本地配置");
    auto a = pr.str("amount", true).value_or("");
    if (a == "full") pl.amount = rule.amount;
    else if (auto m = Money::parse_yuan(a)) pl.amount = *m;
    else pr.error(pt, fmt::format("payer amount '{}' is not a yuan amount or \"full\"", a));
    rule.payers.push_back(std::move(pl));
  }
}

void read_subsidy_rule(Reader& rr, Policy& p, SubsidyRefs& refs, std::vector<PolicyError>& errors,
                       const std::string& file) {
  SubsidyRule rule;
  rule.id = rr.str("id", true).value_or("");
  rule.label = rr.str("label", true).value_or("");
  read_condition(rr, rule.when, p.year);
  if (rule.when.empty()) rr.error(nullptr, fmt::format("subsidy rule '{}' has no condition", rule.id));
  auto amount = rr.str("amount", true).value_or("unspecified");
  resolve_amount(rr, amount, p.individual_standard, p.rounding, rule);
  if (rule.amount > p.individual_standard)
    rr.error(rr.get("amount"), fmt::format("subsidy {} yuan is above the individual standard {} yuan", rule.amount.yuan(),
                                           p.individual_standard.yuan()));
  if (auto e = rr.money("expect"); e && *e != rule.amount)
    rr.error(rr.get("expect"), fmt::format("amount '{}' computes to {} yuan but the document says {} yuan", amount,
                                           rule.amount.yuan(), e->yuan()));
  if (auto m = rr.str("mode")) {
    if (*m == "paid_on_behalf") rule.mode = SubsidyMode::paid_on_behalf;
    else if (*m == "reimbursed") rule.mode = SubsidyMode::reimbursed;
    else if (*m == "waived") rule.mode = SubsidyMode::waived;
    else rr.error(rr.get("mode"), "mode must be paid_on_behalf, reimbursed or waived");
  }
  rule.list_as_of = rr.date("list_as_of");
  if (!rule.list_as_of) rule.list_as_of = p.lists_as_of;
  if (auto u = rr.str("unspecified")) rule.unspecified_reason = *u;
  rule.grade_required = rr.boolean("grade_required").value_or(false);
  if (rule.grade_required && rule.when.disability_grade_max == 0)
    rr.error(rr.get("grade_required"), "grade_required needs disability_grade_max");
  if (auto w = rr.str("personal_window_unspecified")) rule.personal_window_unspecified = *w;
  if (rule.kind == AmountKind::unspecified && rule.unspecified_reason.empty())
    rr.error(nullptr, fmt::format("unspecified rule '{}' must say why in 'unspecified'", rule.id));
  read_payers(rr, rule, errors, file);
  if (rule.kind != AmountKind::unspecified) {
    Money sum{};
    for (auto& pl : rule.payers) sum += pl.amount;
    if (rule.payers.empty()) rr.error(nullptr, fmt::format("subsidy rule '{}' names no payer (资助部门)", rule.id));
    else if (sum != rule.amount)
      rr.error(rr.get("payers"), fmt::format("payer lines add up to {} yuan but the subsidy is {} yuan", sum.yuan(),
                                             rule.amount.yuan()));
  }
  refs.overrides_by_rule.emplace_back(rr.strings("overrides"), static_cast<int>(p.subsidies.size()));
  rule.source = rr.source();
  p.subsidies.push_back(std::move(rule));
}

void read_subsidies(Reader& root, Policy& p, SubsidyRefs& refs, std::vector<PolicyError>& errors,
                    const std::string& file) {
  auto t = section(root, "subsidy", false, errors, file);
  if (!t) return;
  Reader r(*t, "[subsidy]", errors, file);
  auto combine = r.str("combine", true).value_or("");
  if (combine != "highest") r.error(r.get("combine"), "combine must be \"highest\" (就高不就低, 不重复资助)");
  p.lists_as_of = r.date("lists_as_of");
  p.newly_special_categories = r.categories("newly_special");
  refs.order = r.strings("order");
  p.combine_source = r.source();
  p.lists_as_of_source = p.combine_source;
  each_table(r, "rule", errors, file, [&](Reader& rr) { read_subsidy_rule(rr, p, refs, errors, file); });
}

// Ids unique; overrides and order resolve.
void resolve_subsidy_refs(Policy& p, const SubsidyRefs& refs, std::vector<PolicyError>& errors, const std::string& file) {
  std::set<std::string> seen;
  for (auto& r : p.subsidies)
    if (!seen.insert(r.id).second) errors.push_back({file, r.source.line, fmt::format("duplicate subsidy rule id '{}'", r.id)});
  for (auto& [names, idx] : refs.overrides_by_rule)
    for (auto& n : names) {
      int j = p.find_subsidy(n);
      if (j < 0) errors.push_back({file, p.subsidies[idx].source.line, fmt::format("overrides unknown rule '{}'", n)});
      else p.subsidies[idx].overrides.push_back(j);
    }
  if (!refs.order.empty()) {
    for (auto& r : p.subsidies) r.rank = -1;
    for (size_t i = 0; i < refs.order.size(); ++i) {
      int j = p.find_subsidy(refs.order[i]);
      if (j < 0) errors.push_back({file, p.combine_source.line, fmt::format("order names unknown rule '{}'", refs.order[i])});
      else p.subsidies[j].rank = static_cast<int>(i) + 1;
    }
    for (auto& r : p.subsidies)
      if (r.rank < 0) errors.push_back({file, r.source.line, fmt::format("rule '{}' is missing from [subsidy] order", r.id)});
  }
}

// Conflicts: two rules that may both apply, with the same amount but a
// different outcome, and nothing that decides between them.
void check_subsidy_conflicts(const Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  for (size_t i = 0; i < p.subsidies.size(); ++i)
    for (size_t j = i + 1; j < p.subsidies.size(); ++j) {
      auto &a = p.subsidies[i], &b = p.subsidies[j];
      if (a.kind == AmountKind::unspecified || b.kind == AmountKind::unspecified) continue;
      if (a.amount != b.amount || same_outcome(a, b) || !conditions_compatible(a.when, b.when)) continue;
      auto overrides = [](const SubsidyRule& x, int y) {
        for (int o : x.overrides) if (o == y) return true;
        return false;
      };
      if (overrides(a, static_cast<int>(j)) || overrides(b, static_cast<int>(i)) || a.rank != b.rank) continue;
      errors.push_back({file, b.source.line,
                        fmt::format("conflict: rules '{}' and '{}' can both apply with {} yuan but different payers or "
                                    "modes; declare [subsidy] order or 'overrides'",
                                    a.id, b.id, a.amount.yuan())});
    }
}

void read_stages(Reader& root, Policy& p, std::vector<PolicyError>& errors, const std::string& file) {
  each_table(root, "stage", errors, file, [&](Reader& r) {
    Stage s;
    s.id = r.str("id", true).value_or("");
    s.label = r.str("label", true).value_or("");
    auto a = r.date("start", true), b = r.date("end", true);
    if (a && b) {
      s.range = {*a, *b};
      if (*b < *a) r.error(nullptr, "stage ends before it starts");
    }
    s.source = r.source();
    p.stages.push_back(std::move(s));
  });
}

}  // namespace

PolicyLoad parse_policy(std::string_view text, const std::string& file) {
  PolicyLoad out;
  auto& errors = out.errors;
  toml::table doc;
  try {
    doc = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    errors.push_back({file, static_cast<int>(e.source().begin.line), std::string(e.description())});
    return out;
  }
  Policy p;
  p.file = file;
  Reader root(doc, "the file", errors, file);

  read_policy_section(root, p, errors, file);
  read_standard(root, p, errors, file);
  read_fiscal_split(root, p, errors, file);
  read_agent_fee(root, p, errors, file);
  read_eligibility(root, p, errors, file);
  read_coverage(root, p, errors, file);
  read_refund(root, p, errors, file);
  read_payment(root, p, errors, file);
  read_registration(root, p, errors, file);
  read_windows(root, p, errors, file);
  read_late_paths(root, p, errors, file);
  SubsidyRefs refs;
  read_subsidies(root, p, refs, errors, file);
  resolve_subsidy_refs(p, refs, errors, file);
  check_subsidy_conflicts(p, errors, file);
  read_targets(root, p, errors, file);
  read_stages(root, p, errors, file);
  each_table(root, "remark", errors, file, [&](Reader& r) { p.remarks.push_back(r.source()); });

  if (errors.empty()) out.policy = std::move(p);
  return out;
}

}  // namespace canbao
