// The progress counters' SQL, rendered from the description in counters.h.
//
// Lines are broken the way migration 3 was first written by hand (lines of
// at most kWidth columns, continuation indented), because the rendered
// migration must equal the applied one byte for byte.
#include "store/counters.h"

#include <stdexcept>
#include <vector>

namespace canbao::store::counters {
namespace {

constexpr size_t kWidth = 125;

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

// `tmpl` with {r} standing for the row ("", "NEW.", "OLD.").
std::string on_row(std::string_view tmpl, std::string_view r) { return replace_all(std::string(tmpl), "{r}", r); }

std::string strip(std::string_view s) {
  size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string_view::npos ? std::string() : std::string(s.substr(a, b - a + 1));
}

// head + items joined by sep + tail, wrapped greedily at `width`. A comma
// ends the broken line; a word joiner (" OR ", " AND ") starts the next one.
std::string wrap(std::string_view head, const std::vector<std::string>& items, std::string_view sep,
                 std::string_view indent, std::string_view tail = {}, size_t width = kWidth) {
  const bool joiner_leads = strip(sep) != ",";
  std::string out, line = std::string(head) + items.at(0);
  for (size_t i = 1; i < items.size(); ++i) {
    size_t extra = sep.size() + items[i].size() + (i + 1 == items.size() ? tail.size() : 0);
    if (line.size() + extra <= width) {
      line += std::string(sep) + items[i];
    } else if (joiner_leads) {
      out += line + "\n";
      line = std::string(indent) + strip(sep) + " " + items[i];
    } else {
      out += line + strip(sep) + "\n";
      line = std::string(indent) + items[i];
    }
  }
  return out + line + std::string(tail);
}

template <class F>
std::vector<std::string> each_column(F f) {
  std::vector<std::string> v;
  for (auto& c : kColumns) v.push_back(f(c));
  return v;
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? std::string(sep) : std::string()) + items[i];
  return s;
}

// A function, not a global: the migrations table is built during static
// initialisation of another file.
const std::string& column_list() {
  static const std::string s = join(each_column([](const Column& c) { return std::string(c.name); }));
  return s;
}

// The code a level counts at, from the place's code expression.
std::string level_code(const Level& l, std::string_view region) {
  if (l.unit == 1) return std::string(region);
  std::string u = std::to_string(l.unit);
  return "(" + std::string(region) + " / " + u + ") * " + u;
}

// The counted values of one event: `sign` in its column, 0 elsewhere.
std::vector<std::string> event_values(const EnrollmentEvent& e, std::string_view sign) {
  return each_column([&](const Column& c) { return c.name == e.column ? std::string(sign) : std::string("0"); });
}

// ---------------------------------------------------------------- upserts

// How one dialect names the delta being added.
struct Delta {
  std::string_view region, year, day, excluded;
  std::vector<std::string> values;
};

// Adds the delta at every level to both counter tables (the day rows and the totals).
std::string upserts(const Delta& d) {
  std::string out;
  for (auto& l : kLevels) {
    for (bool days : {true, false}) {
      std::string table = days ? "progress_counters" : "progress_totals";
      std::string key = days ? "lvl, region, year, day" : "lvl, region, year";
      out += "  INSERT INTO " + table + " (" + key + ", " + column_list() + ")\n";
      out += "  VALUES (" + std::to_string(l.lvl) + ", " + level_code(l, d.region) + ", " + std::string(d.year) +
             (days ? ", " + std::string(d.day) : "") + ", " + join(d.values) + ")\n";
      out += "  ON CONFLICT (" + key + ") DO UPDATE SET\n";
      for (size_t i = 0; i < kColumns.size(); ++i) {
        std::string c(kColumns[i].name);
        out += "    " + c + " = " + table + "." + c + " + " + std::string(d.excluded) + "." + c +
               (i + 1 == kColumns.size() ? ";\n" : ",\n");
      }
    }
  }
  return out;
}

// ----------------------------------------------------------------- SQLite

// One event's delta row into progress_delta, guarded by its condition.
std::string sqlite_event(const EnrollmentEvent& e, std::string_view r, std::string_view sign) {
  std::string line = "  INSERT INTO progress_delta SELECT " + std::string(r) + "place_region, " + std::string(r) +
                     "year, " + on_row(e.day, r);
  std::string values = join(event_values(e, sign));
  if (line.size() + 2 + values.size() <= kWidth) {
    line += ", " + values;
  } else {
    line += ",\n    " + values;
  }
  std::string where = "WHERE " + std::string(r) + std::string(e.when) + ";";
  size_t last = line.rfind('\n') == std::string::npos ? line.size() : line.size() - line.rfind('\n') - 1;
  return line + (last + 1 + where.size() <= kWidth ? " " : "\n    ") + where + "\n";
}

std::string sqlite_events(std::string_view r, std::string_view sign) {
  std::string out;
  for (auto& e : kEnrollmentEvents) out += sqlite_event(e, r, sign);
  return out;
}

// `guard`: a further condition of the trigger (migration 8), empty in migration 3.
std::string sqlite_enrollment_update_trigger(std::string_view guard) {
  std::vector<std::string> changed;
  for (auto k : kEnrollmentKeys) changed.push_back("OLD." + std::string(k) + " IS NOT NEW." + std::string(k));
  std::string out = "CREATE TRIGGER progress_enrollment_update AFTER UPDATE ON enrollments\n";
  if (guard.empty()) out += wrap("WHEN ", changed, " OR ", "  ", " BEGIN") + "\n";
  else out += wrap("WHEN (", changed, " OR ", "  ", ")") + "\n  AND " + std::string(guard) + " BEGIN\n";
  return out + sqlite_events("OLD.", "-1") + sqlite_events("NEW.", "1") + "END;\n\n";
}

std::string sqlite_enrollment_triggers() {
  const auto& first = kEnrollmentEvents[0];
  std::string out = "CREATE TRIGGER progress_enrollment_insert AFTER INSERT ON enrollments\nWHEN NEW." +
                    std::string(first.when) + " BEGIN\n";
  // The trigger's WHEN already holds the first event's condition.
  out += "  INSERT INTO progress_delta VALUES (NEW.place_region, NEW.year, " + on_row(first.day, "NEW.") + ", " +
         join(event_values(first, "1")) + ");\n";
  for (size_t i = 1; i < kEnrollmentEvents.size(); ++i) out += sqlite_event(kEnrollmentEvents[i], "NEW.", "1");
  out += "END;\n\n";
  out += sqlite_enrollment_update_trigger({});
  out += "CREATE TRIGGER progress_enrollment_delete AFTER DELETE ON enrollments BEGIN\n";
  out += sqlite_events("OLD.", "-1") + "END;\n\n";
  return out;
}

constexpr std::string_view kSqlitePaymentTrigger = R"SQL(CREATE TRIGGER progress_payment_insert AFTER INSERT ON payments BEGIN
  INSERT INTO progress_delta VALUES (NEW.region, NEW.year, NEW.paid_on, 0, 0,
    CASE WHEN NEW.payer_kind <> 'department' THEN 0
         WHEN NEW.kind = 'subsidy' AND NOT EXISTS (
           SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
              AND p.id <> NEW.id AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN 1
         WHEN NEW.kind = 'reversal' AND NOT EXISTS (
           SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
              AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN -1
         ELSE 0 END,
    CASE WHEN NEW.payer_kind = 'department' THEN 0 ELSE NEW.amount END,
    CASE WHEN NEW.payer_kind = 'department' THEN NEW.amount ELSE 0 END);
END;
)SQL";

std::string render_sqlite_triggers() {
  std::string out = "\nCREATE VIEW progress_delta AS\n  SELECT region, year, day, " + column_list() +
                    " FROM progress_counters WHERE 0;\n\n";
  // A write-only view whose INSTEAD OF trigger upserts both counter tables;
  // the row triggers insert deltas into it.
  Delta d{"NEW.region", "NEW.year", "NEW.day", "excluded",
          each_column([](const Column& c) { return "NEW." + std::string(c.name); })};
  out += "CREATE TRIGGER progress_delta_apply INSTEAD OF INSERT ON progress_delta BEGIN\n" + upserts(d) + "END;\n\n";
  return out + sqlite_enrollment_triggers() + std::string(kSqlitePaymentTrigger);
}

// ------------------------------------------------------------- PostgreSQL

std::string pg_events(std::string_view r, std::string_view sign) {
  std::string out;
  for (auto& e : kEnrollmentEvents) {
    out += "    IF " + std::string(r) + std::string(e.when) + " THEN\n";
    out += "      PERFORM progress_add(" + std::string(r) + "place_region, " + std::string(r) + "year, " +
           on_row(e.day, r) + ", " + join(event_values(e, sign)) + ");\n";
    out += "    END IF;\n";
  }
  return out;
}

std::string pg_enrollment_trigger() {
  std::vector<std::string> same;
  for (auto k : kEnrollmentKeys) same.push_back("OLD." + std::string(k) + " IS NOT DISTINCT FROM NEW." + std::string(k));
  same.insert(same.begin(), "TG_OP = 'UPDATE'");
  std::string out = "CREATE FUNCTION progress_enrollment_trg() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n";
  out += wrap("  IF ", same, " AND ", "     ", " THEN") + "\n    RETURN NULL;\n  END IF;\n";
  out += "  IF TG_OP <> 'INSERT' THEN\n" + pg_events("OLD.", "-1") + "  END IF;\n";
  out += "  IF TG_OP <> 'DELETE' THEN\n" + pg_events("NEW.", "1") + "  END IF;\n";
  out += "  RETURN NULL;\nEND $$;\n\n";
  out += "CREATE TRIGGER progress_enrollment AFTER INSERT OR UPDATE OR DELETE ON enrollments\n"
         "  FOR EACH ROW EXECUTE FUNCTION progress_enrollment_trg();\n\n";
  return out;
}

constexpr std::string_view kPgPaymentTrigger = R"SQL(CREATE FUNCTION progress_payment_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sub BIGINT := 0;
BEGIN
  IF NEW.payer_kind = 'department' THEN
    IF NEW.kind = 'subsidy' AND NOT EXISTS (
        SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
           AND p.id <> NEW.id AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN
      sub := 1;
    ELSIF NEW.kind = 'reversal' AND NOT EXISTS (
        SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
           AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN
      sub := -1;
    END IF;
    PERFORM progress_add(NEW.region, NEW.year, NEW.paid_on, 0, 0, sub, 0, NEW.amount);
  ELSE
    PERFORM progress_add(NEW.region, NEW.year, NEW.paid_on, 0, 0, 0, NEW.amount, 0);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER progress_payment AFTER INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION progress_payment_trg();
)SQL";

std::string render_postgresql_triggers() {
  std::vector<std::string> params = {"p_region BIGINT", "p_year INTEGER", "p_day TEXT"};
  for (auto& c : kColumns) params.push_back(std::string(c.pg_param) + " BIGINT");
  std::string out = "\n" + wrap("CREATE FUNCTION progress_add(", params, ", ", std::string(29, ' '),
                                ") RETURNS void LANGUAGE sql AS $$", 110) + "\n";
  Delta d{"p_region", "p_year", "p_day", "EXCLUDED",
          each_column([](const Column& c) { return std::string(c.pg_param); })};
  out += upserts(d) + "$$;\n\n";
  return out + pg_enrollment_trigger() + std::string(kPgPaymentTrigger);
}

// ---------------------------------------------------------------- recount

constexpr std::string_view kRecountPayments = R"SQL(  SELECT region, year, paid_on, 0, 0, 0, CASE WHEN payer_kind = 'department' THEN 0 ELSE amount END,
         CASE WHEN payer_kind = 'department' THEN amount ELSE 0 END
    FROM payments
  UNION ALL
  SELECT p.region, p.year, p.paid_on, 0, 0, 1, 0, 0 FROM payments p
   WHERE p.kind = 'subsidy' AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)
     AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.person = p.person AND q.year = p.year AND q.kind = 'subsidy'
                     AND q.id < p.id AND NOT EXISTS (SELECT 1 FROM payments r2 WHERE r2.reverses = q.id)))SQL";

// The rows the counters count, one per event and payment (the union the
// recount and the backfill group by place, year and day).
std::string counted_rows() {
  std::string out;
  for (size_t i = 0; i < kEnrollmentEvents.size(); ++i) {
    const auto& e = kEnrollmentEvents[i];
    std::vector<std::string> items;
    if (i == 0) {  // the first branch of a UNION names the columns
      items = {"place_region AS region", "year", on_row(e.day, "") + " AS day"};
      auto vs = event_values(e, "1");
      for (size_t k = 0; k < kColumns.size(); ++k) items.push_back(vs[k] + " AS " + std::string(kColumns[k].name));
    } else {
      items = {"place_region", "year", on_row(e.day, "")};
      for (auto& v : event_values(e, "1")) items.push_back(v);
    }
    out += wrap("  SELECT ", items, ", ", "         ") + "\n    FROM enrollments WHERE " + std::string(e.when) +
           "\n  UNION ALL\n";
  }
  return out + std::string(kRecountPayments);
}

std::string sums() { return join(each_column([](const Column& c) { return "SUM(" + std::string(c.name) + ")"; })); }

// SELECT [lvl, ]region, year, day, SUM(...) FROM (counted rows) t GROUP BY ...
std::string grouped_recount(std::string_view lvl) {
  return "SELECT " + std::string(lvl) + "region, year, day, " + sums() + " FROM (\n" + counted_rows() +
         "\n) t GROUP BY region, year, day";
}

std::string rollup(const Level& l) {
  std::vector<std::string> items = {std::to_string(l.lvl), level_code(l, "region"), "year", "day"};
  for (auto& c : kColumns) items.push_back("SUM(" + std::string(c.name) + ")");
  items.back() += " FROM progress_counters WHERE lvl = 12 GROUP BY " + level_code(l, "region") + ", year, day";
  return "INSERT INTO progress_counters (lvl, region, year, day, " + column_list() + ")\n" +
         wrap("SELECT ", items, ", ", "       ");
}

std::string totals() {
  return "INSERT INTO progress_totals (lvl, region, year, " + column_list() + ")\nSELECT lvl, region, year, " + sums() +
         "\n  FROM progress_counters GROUP BY lvl, region, year";
}

}  // namespace

const std::string& migration3_counters() {
  static const std::string s = [] {
    std::string out = "INSERT INTO progress_counters (lvl, region, year, day, " + column_list() + ")\n" +
                      grouped_recount("12, ") + ";\n\n";
    for (auto& l : kLevels)
      if (l.lvl != 12) out += rollup(l) + ";\n\n";
    return out + totals() + ";\n";
  }();
  return s;
}

const std::string& sqlite_triggers() {
  static const std::string s = render_sqlite_triggers();
  return s;
}

const std::string& postgresql_triggers() {
  static const std::string s = render_postgresql_triggers();
  return s;
}

const std::string& recount_select() {
  static const std::string s = "\n" + grouped_recount("");
  return s;
}

const std::string& recount_insert() {
  static const std::string s = "INSERT INTO progress_counters (lvl, region, year, day, " + column_list() +
                               ") SELECT 12, t2.* FROM (" + recount_select() + ") t2";
  return s;
}

std::string rollup_insert(const Level& l) { return "\n" + rollup(l); }

const std::string& totals_insert() {
  static const std::string s = totals();
  return s;
}

// ------------------------------------------------------------ the ledger writer

namespace {

constexpr std::string_view kSqliteWriterOff = "NOT EXISTS (SELECT 1 FROM progress_by_writer)";
constexpr std::string_view kPgWriterOff = "current_setting('canbao.counters', true) IS DISTINCT FROM 'writer'";

size_t column_index(std::string_view name) {
  for (size_t i = 0; i < kColumns.size(); ++i)
    if (kColumns[i].name == name) return i;
  throw std::logic_error("counters: no column " + std::string(name));
}

}  // namespace

int subsidised_change(std::string_view kind, bool department, int64_t standing_after) {
  if (!department) return 0;
  if (kind == "subsidy" && standing_after == 1) return 1;
  if (kind == "reversal" && standing_after == 0) return -1;
  return 0;
}

void Deltas::add(int64_t region, int year, std::string_view day, size_t column, int64_t n) {
  if (n == 0) return;
  at_[{region, year, std::string(day)}][column] += n;
}

void Deltas::enrollment(const EnrollmentState& before, const EnrollmentState& after) {
  for (const auto& e : kEnrollmentEvents) {
    const size_t c = column_index(e.column);
    if (e.holds(before.status)) add(before.place, before.year, e.day_of(before), c, -1);
    if (e.holds(after.status)) add(after.place, after.year, e.day_of(after), c, 1);
  }
}

void Deltas::payment(int64_t region, int year, std::string_view paid_on, bool department, int64_t amount,
                     int subsidised) {
  static const size_t sub = column_index("subsidised"), col = column_index("collected_fen"),
                      sf = column_index("subsidy_fen");
  add(region, year, paid_on, department ? sf : col, amount);
  add(region, year, paid_on, sub, subsidised);
}

bool Deltas::empty() const { return at_.empty(); }

std::vector<Deltas::Row> Deltas::rows(bool days) const {
  std::map<std::tuple<int, int64_t, int, std::string>, std::array<int64_t, kColumns.size()>> sum;
  for (const auto& [k, v] : at_) {
    const auto& [region, year, day] = k;
    for (const auto& l : kLevels) {
      auto& s = sum[{l.lvl, region / l.unit * l.unit, year, days ? day : std::string()}];
      for (size_t i = 0; i < v.size(); ++i) s[i] += v[i];
    }
  }
  std::vector<Row> out;
  for (const auto& [k, v] : sum) {
    bool zero = true;
    for (auto x : v) zero = zero && x == 0;
    if (zero) continue;
    out.push_back(Row{std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), v});
  }
  return out;
}

std::string delta_upsert(bool days, size_t n) {
  const std::string table = days ? "progress_counters" : "progress_totals";
  const std::string key = days ? "lvl, region, year, day" : "lvl, region, year";
  const size_t width = (days ? 4 : 3) + kColumns.size();
  std::string row = "(";
  for (size_t i = 0; i < width; ++i) row += i ? ", ?" : "?";
  row += ")";
  std::string out = "INSERT INTO " + table + " (" + key + ", " + column_list() + ") VALUES ";
  for (size_t r = 0; r < n; ++r) out += (r ? ", " : "") + row;
  out += " ON CONFLICT (" + key + ") DO UPDATE SET " + join(each_column([&](const Column& c) {
           return std::string(c.name) + " = " + table + "." + std::string(c.name) + " + excluded." +
                  std::string(c.name);
         }));
  return out;
}

const std::string& migration8_sqlite() {
  static const std::string s = [] {
    std::string payment(kSqlitePaymentTrigger);
    payment.replace(payment.find(" BEGIN\n"), 7, "\nWHEN " + std::string(kSqliteWriterOff) + " BEGIN\n");
    return "\nCREATE TABLE progress_by_writer (writer INTEGER PRIMARY KEY);\n"
           "DROP TRIGGER progress_enrollment_update;\n"
           "DROP TRIGGER progress_payment_insert;\n\n" +
           sqlite_enrollment_update_trigger(kSqliteWriterOff) + payment;
  }();
  return s;
}

const std::string& migration8_postgresql() {
  static const std::string s =
      "\nDROP TRIGGER progress_enrollment ON enrollments;\n"
      "CREATE TRIGGER progress_enrollment AFTER INSERT OR UPDATE OR DELETE ON enrollments\n"
      "  FOR EACH ROW WHEN (" + std::string(kPgWriterOff) + ")\n"
      "  EXECUTE FUNCTION progress_enrollment_trg();\n\n"
      "DROP TRIGGER progress_payment ON payments;\n"
      "CREATE TRIGGER progress_payment AFTER INSERT ON payments\n"
      "  FOR EACH ROW WHEN (" + std::string(kPgWriterOff) + ")\n"
      "  EXECUTE FUNCTION progress_payment_trg();\n";
  return s;
}

}  // namespace canbao::store::counters
