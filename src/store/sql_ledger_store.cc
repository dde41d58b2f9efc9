// LedgerStore over SQL (both engines; '?' placeholders, see sql_store.h).
#include <algorithm>
#include <functional>
#include <map>

#include "store/ledger_store.h"
#include "store/in_lists.h"
#include "store/sql_store.h"

namespace canbao::store::detail {
namespace {

constexpr std::string_view kRowSelect =
    "SELECT p.id, p.kind, p.person, p.year, p.enrollment, p.amount, p.channel, p.payer_kind, p.payer_name, "
    "p.subsidy_mode, p.idem_key, p.external_txn, p.reverses, p.parent, "
    "(SELECT r.id FROM payments r WHERE r.reverses = p.id), p.reason, p.collector, p.paid_on, p.created_at, "
    "p.receipt_region, p.receipt_seq, p.receipt_no, p.verify_code, p.clct_way, p.clct_type, p.policy, "
    "p.import_batch, p.region FROM payments p ";

Payment read_row(const RowView& v) {
  Payment r;
  r.id = v.i(0);
  r.kind = parse_payment_kind(v.s(1));
  r.person = v.s(2);
  r.year = int(v.i(3));
  r.enrollment = v.null(4) ? 0 : v.i(4);
  r.amount_fen = v.i(5);
  r.channel = v.s(6);
  r.payer_kind = v.s(7);
  if (!v.null(8)) r.payer_name = v.s(8);
  if (!v.null(9)) r.subsidy_mode = v.s(9);
  r.idem_key = v.s(10);
  if (!v.null(11)) r.external_txn = v.s(11);
  r.reverses = v.null(12) ? 0 : v.i(12);
  r.parent = v.null(13) ? 0 : v.i(13);
  r.reversed_by = v.null(14) ? 0 : v.i(14);
  if (!v.null(15)) r.reason = v.s(15);
  r.collector = v.s(16);
  r.paid_on = v.date(17).value_or(Date{});
  r.created_at = v.s(18);
  r.receipt_region = v.region(19);
  r.receipt_seq = v.null(20) ? 0 : v.i(20);
  if (!v.null(21)) r.receipt_no = v.s(21);
  if (!v.null(22)) r.verify_code = v.s(22);
  r.clct_way = v.s(23);
  r.clct_type = v.s(24);
  if (!v.null(25)) r.policy = v.s(25);
  r.import_batch = v.null(26) ? 0 : v.i(26);
  r.region = v.region(27);
  return r;
}

// The writer's statements come in a few fixed shapes so each text is
// prepared once per connection and reused: IN lists are padded to 1, 8, 64
// or 256 values (repeating the last), multi-row statements go in
// power-of-two row counts up to 256 (a batch of n rows: at most one
// statement per set bit of n, per 256).
constexpr size_t kMaxRows = 256;

size_t rows_shape(size_t left) {
  size_t n = kMaxRows;
  while (n > left) n /= 2;
  return n;
}

// `head` then n rows of `width` placeholders ("(?, …)", or `row` when
// given), then `tail`.
std::string rows_sql(std::string_view head, size_t n, size_t width, std::string_view tail = {},
                     std::string_view row = {}) {
  std::string one(row);
  if (one.empty()) {
    one = "(";
    for (size_t k = 0; k < width; ++k) one += k ? ", ?" : "?";
    one += ")";
  }
  std::string sql(head);
  for (size_t r = 0; r < n; ++r) {
    if (r) sql += ", ";
    sql += one;
  }
  sql += tail;
  return sql;
}

// Statement texts by row count, built on first use.
class Shapes {
 public:
  explicit Shapes(std::function<std::string(size_t)> make) : make_(std::move(make)) {}
  const std::string& operator()(size_t n) {
    auto& s = by_n_[n];
    if (s.empty()) s = make_(n);
    return s;
  }

 private:
  std::function<std::string(size_t)> make_;
  std::map<size_t, std::string> by_n_;
};

template <class T>
void query_in(SqlStore& s, Shapes& shapes, std::span<const T> values, const RowFn& fn) {
  query_in_lists(s, shapes, values, {}, fn);
}

// Runs `rows` through multi-row statements of `shapes`; `push` appends one
// row's parameters.
template <class T, class Push>
void exec_rows(SqlStore& s, Shapes& shapes, std::span<const T> rows, Push&& push) {
  std::vector<Param> ps;
  for (size_t at = 0; at < rows.size();) {
    const size_t n = rows_shape(rows.size() - at);
    ps.clear();
    for (size_t k = 0; k < n; ++k) push(ps, at + k);
    s.sql_exec(shapes(n), std::span<const Param>(ps));
    at += n;
  }
}

constexpr std::string_view kPaymentColumns =
    "id, kind, person, year, enrollment, amount, channel, payer_kind, payer_name, subsidy_mode, idem_key, "
    "external_txn, request_hash, reverses, parent, reason, collector, paid_on, created_at, receipt_region, "
    "receipt_seq, receipt_no, verify_code, clct_way, clct_type, policy, import_batch, region";
constexpr size_t kPaymentWidth = 28;

class SqlLedgerStore final : public LedgerStore {
 public:
  explicit SqlLedgerStore(SqlStore& s) : s_(s) {}

  std::optional<KeyedPayment> by_idempotency_key(std::string_view key) override {
    std::optional<KeyedPayment> out;
    s_.sql_query(std::string(kRowSelect) + "WHERE p.idem_key = ?", {key},
                 [&](const RowView& v) { out = KeyedPayment{read_row(v), {}}; });
    if (out)
      s_.sql_query("SELECT request_hash FROM payments WHERE id = ?", {out->row.id},
                   [&](const RowView& v) { out->request_hash = v.s(0); });
    return out;
  }

  std::optional<Payment> payment(int64_t id, RegionCode scope) override {
    auto [lo, hi] = region_range(scope);
    std::optional<Payment> out;
    s_.sql_query(std::string(kRowSelect) + "WHERE p.id = ? AND p.region BETWEEN ? AND ?", {id, lo, hi},
                 [&](const RowView& v) { out = read_row(v); });
    return out;
  }

  std::optional<Payment> by_receipt(std::string_view number, RegionCode scope) override {
    auto [lo, hi] = region_range(scope);
    std::optional<Payment> out;
    s_.sql_query(std::string(kRowSelect) + "WHERE p.receipt_no = ? AND p.region BETWEEN ? AND ?", {number, lo, hi},
                 [&](const RowView& v) { out = read_row(v); });
    return out;
  }

  std::vector<Payment> children(int64_t parent) override {
    std::vector<Payment> out;
    s_.sql_query(std::string(kRowSelect) + "WHERE p.parent = ? ORDER BY p.id", {parent},
                 [&](const RowView& v) { out.push_back(read_row(v)); });
    return out;
  }

  std::vector<Payment> list(const PaymentFilter& f, RegionCode scope, int64_t* total) override {
    auto [lo, hi] = region_range(scope);
    std::string where = "WHERE p.region BETWEEN ? AND ?";
    std::vector<Param> ps = {lo, hi};
    std::string from = f.from ? f.from->str() : "", to = f.to ? f.to->str() : "";
    if (f.year) { where += " AND p.year = ?"; ps.push_back(f.year); }
    if (!f.person.empty()) { where += " AND p.person = ?"; ps.push_back(Param(f.person)); }
    if (!f.channel.empty()) { where += " AND p.channel = ?"; ps.push_back(Param(f.channel)); }
    if (!f.kind.empty()) { where += " AND p.kind = ?"; ps.push_back(Param(f.kind)); }
    if (!f.payer_name.empty()) { where += " AND p.payer_name = ?"; ps.push_back(Param(f.payer_name)); }
    if (f.from) { where += " AND p.paid_on >= ?"; ps.push_back(Param(from)); }
    if (f.to) { where += " AND p.paid_on <= ?"; ps.push_back(Param(to)); }
    if (total) {
      std::vector<Param> cps = ps;
      int64_t n = 0;
      std::string csql = "SELECT COUNT(*) FROM payments p " + where;
      s_.sql_query_span(csql, cps, [&](const RowView& v) { n = v.i(0); });
      *total = n;
    }
    std::vector<Payment> out;
    std::string qsql = std::string(kRowSelect) + where + " ORDER BY p.id DESC LIMIT ? OFFSET ?";
    ps.push_back(f.limit);
    ps.push_back(f.offset);
    s_.sql_query_span(qsql, ps, [&](const RowView& v) { out.push_back(read_row(v)); });
    return out;
  }

  void make_writes_durable() override {
    if (s_.sql_dialect() == Dialect::sqlite) s_.sql_script("PRAGMA synchronous=FULL");
    else s_.sql_script("SET synchronous_commit = on");
  }

  void take_over_counters() override {
    if (s_.sql_dialect() == Dialect::sqlite) s_.sql_exec("INSERT INTO progress_by_writer (writer) VALUES (1)", {});
    else s_.sql_query("SELECT set_config('canbao.counters', 'writer', true)", {}, [](const RowView&) {});
  }

  // PostgreSQL: the setting is transaction-local and ends with the COMMIT
  // (one round trip saved); SQLite: the row must go before it.
  void hand_back_counters() override {
    if (s_.sql_dialect() == Dialect::sqlite) s_.sql_exec("DELETE FROM progress_by_writer", {});
  }

  std::unordered_set<std::string> existing_keys(std::span<const std::string_view> keys) override {
    std::unordered_set<std::string> existing;
    query_in(s_, keys_, keys, [&](const RowView& v) { existing.emplace(v.s(0)); });
    return existing;
  }

  std::unordered_map<int64_t, counters::EnrollmentState> enrollments_for_update(
      std::span<const int64_t> ids) override {
    std::unordered_map<int64_t, counters::EnrollmentState> out;
    query_in(s_, enrollments_, ids, [&](const RowView& v) {
      auto& e = out[v.i(0)];
      e.place = v.i(1);
      e.year = int(v.i(2));
      e.status = v.s(3);
      if (!v.null(4)) e.registered_on = v.s(4);
      if (!v.null(5)) e.paid_on = v.s(5);
    });
    return out;
  }

  std::unordered_set<int64_t> reversed(std::span<const int64_t> ids) override {
    std::unordered_set<int64_t> out;
    query_in(s_, reversed_, ids, [&](const RowView& v) { out.insert(v.i(0)); });
    return out;
  }

  std::vector<StandingSubsidy> standing_subsidies(std::span<const std::string_view> persons) override {
    std::vector<StandingSubsidy> out;
    std::unordered_set<std::string> seen;  // padding repeats a person
    query_in(s_, standing_, persons, [&](const RowView& v) {
      if (!seen.emplace(std::string(v.s(3))).second) return;
      out.push_back({std::string(v.s(0)), int(v.i(1)), v.null(2) ? std::string() : std::string(v.s(2))});
    });
    return out;
  }

  std::string unreversed_payment_receipt(std::string_view person, int year) override {
    std::string no;
    s_.sql_query("SELECT p.receipt_no FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'payment' "
                 "AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)",
                 {person, year}, [&](const RowView& v) { no = v.s(0); });
    return no;
  }

  int64_t max_receipt_seq(RegionCode receipt_region, int year) override {
    int64_t mx = 0;
    s_.sql_query("SELECT COALESCE(MAX(receipt_seq), 0) FROM payments WHERE receipt_region = ? AND year = ?",
                 {int64_t(receipt_region.padded_number()), year}, [&](const RowView& v) { mx = v.i(0); });
    return mx;
  }

  std::string now_stamp() override { return now_iso(); }

  std::vector<int64_t> reserve_payment_ids(size_t n) override {
    std::vector<int64_t> ids;
    if (n == 0) return ids;
    ids.reserve(n);
    if (s_.sql_dialect() == Dialect::sqlite) {
      int64_t mx = 0;
      s_.sql_query("SELECT COALESCE(MAX(id), 0) FROM payments", {}, [&](const RowView& v) { mx = v.i(0); });
      for (size_t k = 1; k <= n; ++k) ids.push_back(mx + int64_t(k));
      return ids;
    }
    if (next_ids_sql_.empty()) {
      std::string seq;
      s_.sql_query("SELECT pg_get_serial_sequence('payments', 'id')", {}, [&](const RowView& v) { seq = v.s(0); });
      std::string quoted;
      for (char c : seq) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      next_ids_sql_ = "SELECT nextval('" + quoted + "') FROM generate_series(1, CAST(? AS INTEGER))";
    }
    s_.sql_query(next_ids_sql_, {int64_t(n)}, [&](const RowView& v) { ids.push_back(v.i(0)); });
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  void insert_payments(std::span<const Payment> rows, std::span<const std::string_view> hashes) override {
    exec_rows(s_, insert_, rows, [&](std::vector<Param>& ps, size_t i) {
      const Payment& r = rows[i];
      ps.insert(ps.end(),
                {Param(r.id), Param(kind_id(r.kind)), Param(r.person), Param(r.year),
                 r.enrollment ? Param(r.enrollment) : Param(), Param(r.amount_fen), Param(r.channel),
                 Param(r.payer_kind), text_or_null(r.payer_name), text_or_null(r.subsidy_mode), Param(r.idem_key),
                 text_or_null(r.external_txn), Param(hashes[i]), r.reverses ? Param(r.reverses) : Param(),
                 r.parent ? Param(r.parent) : Param(), text_or_null(r.reason), Param(r.collector), Param(r.paid_on),
                 Param(r.created_at), r.receipt_seq ? region_p(r.receipt_region) : Param(),
                 r.receipt_seq ? Param(r.receipt_seq) : Param(), text_or_null(r.receipt_no),
                 text_or_null(r.verify_code), Param(r.clct_way), Param(r.clct_type), text_or_null(r.policy),
                 r.import_batch ? Param(r.import_batch) : Param(), region_p(r.region)});
    });
  }

  void set_enrollment_statuses(std::span<const StatusChange> changes) override {
    exec_rows(s_, statuses_, changes, [&](std::vector<Param>& ps, size_t i) {
      const auto& c = changes[i];
      ps.insert(ps.end(), {Param(c.enrollment), Param(c.status), Param(c.paid_on)});
    });
  }

  void append_audit(std::span<const AuditEntry> audits) override {
    exec_rows(s_, audit_, audits, [&](std::vector<Param>& ps, size_t i) {
      const auto& e = audits[i];
      ps.insert(ps.end(), {Param(e.at), Param(e.actor), Param(e.action), Param(e.entity), text_or_null(e.entity_id),
                           text_or_null(e.old_json), text_or_null(e.new_json),
                           e.region.empty() ? Param(0) : region_p(e.region)});
    });
  }

  void add_counter_deltas(const counters::Deltas& d) override {
    for (bool days : {true, false}) {
      const auto rows = d.rows(days);
      exec_rows(s_, days ? day_deltas_ : total_deltas_, std::span<const counters::Deltas::Row>(rows),
                [&](std::vector<Param>& ps, size_t i) {
                  const auto& r = rows[i];
                  ps.insert(ps.end(), {Param(r.lvl), Param(r.region), Param(r.year)});
                  if (days) ps.push_back(Param(r.day));
                  for (auto v : r.values) ps.push_back(Param(v));
                });
    }
  }

 private:
  SqlStore& s_;
  Shapes keys_{[](size_t n) { return in_list_sql("SELECT idem_key FROM payments WHERE idem_key", n); }};
  Shapes enrollments_{[this](size_t n) {
    return in_list_sql("SELECT id, place_region, year, status, registered_on, paid_on FROM enrollments WHERE id", n,
                       s_.sql_dialect() == Dialect::postgresql ? " FOR UPDATE" : "");
  }};
  Shapes reversed_{[](size_t n) { return in_list_sql("SELECT reverses FROM payments WHERE reverses", n); }};
  // The row id (column 3) tells a padded repeat from a second row.
  Shapes standing_{[](size_t n) {
    return in_list_sql("SELECT p.person, p.year, p.payer_name, p.id FROM payments p WHERE p.kind = 'subsidy' AND "
                       "NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id) AND p.person",
                       n);
  }};
  Shapes insert_{[](size_t n) {
    return rows_sql("INSERT INTO payments (" + std::string(kPaymentColumns) + ") VALUES ", n, kPaymentWidth);
  }};
  // A CTE, not UPDATE … FROM (VALUES …) AS v(…): SQLite names no VALUES
  // columns. The casts type PostgreSQL's parameters outside an INSERT.
  Shapes statuses_{[](size_t n) {
    return rows_sql("WITH v(id, status, paid_on) AS (VALUES ", n, 3,
                    ") UPDATE enrollments SET status = v.status, paid_on = v.paid_on FROM v WHERE enrollments.id = v.id",
                    "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT))");
  }};
  Shapes audit_{[](size_t n) {
    return rows_sql("INSERT INTO audit_log (at, actor, action, entity, entity_id, old_value, new_value, region) VALUES ",
                    n, 8);
  }};
  Shapes day_deltas_{[](size_t n) { return counters::delta_upsert(true, n); }};
  Shapes total_deltas_{[](size_t n) { return counters::delta_upsert(false, n); }};
  std::string next_ids_sql_;  // PostgreSQL: nextval of the payments id sequence, n times
};

}  // namespace

std::unique_ptr<LedgerStore> make_ledger_store(SqlStore& s) { return std::make_unique<SqlLedgerStore>(s); }

}  // namespace canbao::store::detail

// ---------------------------------------------------------------------------
// Daily handover (日结)
namespace canbao::store {

std::vector<CollectedRow> collected_on(Store& st, Date day, RegionCode scope, std::string_view collector) {
  auto& s = dynamic_cast<detail::SqlStore&>(st);
  auto [lo, hi] = detail::region_range(scope);
  const std::string date = day.str();
  // The row select with the cash collector as one more column (28).
  std::string select(detail::kRowSelect);
  select.insert(select.rfind(" FROM payments p"), ", o.collector");
  std::string sql = select +
                    "LEFT JOIN payments o ON o.id = p.reverses "
                    "WHERE p.paid_on = ? AND p.region BETWEEN ? AND ? AND "
                    "(p.kind = 'payment' OR (p.kind = 'reversal' AND o.kind = 'payment'))";
  std::vector<detail::Param> ps = {detail::Param(date), lo, hi};
  if (!collector.empty()) {
    sql += " AND COALESCE(o.collector, p.collector) = ?";
    ps.push_back(detail::Param(collector));
  }
  sql += " ORDER BY p.id";
  std::vector<CollectedRow> out;
  s.sql_query_span(sql, ps, [&](const detail::RowView& v) {
    CollectedRow r{detail::read_row(v), {}};
    r.cash_collector = v.null(28) ? r.row.collector : std::string(v.s(28));
    out.push_back(std::move(r));
  });
  return out;
}

}  // namespace canbao::store
