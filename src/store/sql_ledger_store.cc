// LedgerStore over SQL (both engines; '?' placeholders, see sql_store.h).
#include <algorithm>

#include "store/ledger_store.h"
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

// IN lists and multi-row inserts use a few fixed statement shapes so the
// connection's statement cache stays small: IN lists are padded to kInChunk
// by repeating the last value; inserts go in power-of-two row counts.
constexpr size_t kInChunk = 64;

std::string in_list_sql(std::string_view head, size_t n) {
  std::string sql(head);
  sql += " IN (";
  for (size_t k = 0; k < n; ++k) sql += k ? ", ?" : "?";
  sql += ")";
  return sql;
}

template <class T, class Fn>
void query_in(SqlStore& s, const std::string& sql, std::span<const T> values, Fn&& fn) {
  std::vector<Param> ps;
  for (size_t at = 0; at < values.size(); at += kInChunk) {
    ps.clear();
    for (size_t k = 0; k < kInChunk; ++k) ps.push_back(Param(values[std::min(at + k, values.size() - 1)]));
    s.sql_query_span(sql, ps, fn);
  }
}

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

  std::unordered_set<std::string> existing_keys(std::span<const std::string_view> keys) override {
    static const std::string kKeys = in_list_sql("SELECT idem_key FROM payments WHERE idem_key", kInChunk);
    std::unordered_set<std::string> existing;
    if (!keys.empty()) query_in(s_, kKeys, keys, [&](const RowView& v) { existing.emplace(v.s(0)); });
    return existing;
  }

  std::unordered_map<int64_t, std::string> enrollment_statuses(std::span<const int64_t> ids) override {
    static const std::string kEnr = in_list_sql("SELECT id, status FROM enrollments WHERE id", kInChunk);
    std::unordered_map<int64_t, std::string> status;
    if (!ids.empty()) query_in(s_, kEnr, ids, [&](const RowView& v) { status[v.i(0)] = std::string(v.s(1)); });
    return status;
  }

  bool is_reversed(int64_t id) override {
    bool reversed = false;
    s_.sql_query("SELECT 1 FROM payments WHERE reverses = ?", {id}, [&](const RowView&) { reversed = true; });
    return reversed;
  }

  std::string unreversed_payment_receipt(std::string_view person, int year) override {
    std::string no;
    s_.sql_query("SELECT p.receipt_no FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'payment' "
                 "AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)",
                 {person, year}, [&](const RowView& v) { no = v.s(0); });
    return no;
  }

  bool has_unreversed_subsidy(std::string_view person, int year, std::string_view payer) override {
    bool found = false;
    s_.sql_query("SELECT 1 FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'subsidy' AND "
                 "p.payer_name = ? AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)",
                 {person, year, payer}, [&](const RowView&) { found = true; });
    return found;
  }

  int64_t max_receipt_seq(RegionCode receipt_region, int year) override {
    int64_t mx = 0;
    s_.sql_query("SELECT COALESCE(MAX(receipt_seq), 0) FROM payments WHERE receipt_region = ? AND year = ?",
                 {int64_t(receipt_region.padded_number()), year}, [&](const RowView& v) { mx = v.i(0); });
    return mx;
  }

  std::string now_stamp() override { return now_iso(); }

  int64_t insert(const Payment& r, std::string_view request_hash) override {
    return s_.sql_insert(
        "INSERT INTO payments (kind, person, year, enrollment, amount, channel, payer_kind, payer_name, "
        "subsidy_mode, idem_key, external_txn, request_hash, reverses, parent, reason, collector, paid_on, "
        "created_at, receipt_region, receipt_seq, receipt_no, verify_code, clct_way, clct_type, policy, "
        "import_batch, region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        {kind_id(r.kind), r.person, r.year, r.enrollment ? Param(r.enrollment) : Param(), r.amount_fen, r.channel,
         r.payer_kind, text_or_null(r.payer_name), text_or_null(r.subsidy_mode), r.idem_key,
         text_or_null(r.external_txn), request_hash, r.reverses ? Param(r.reverses) : Param(),
         r.parent ? Param(r.parent) : Param(), text_or_null(r.reason), r.collector, r.paid_on, r.created_at,
         r.receipt_seq ? region_p(r.receipt_region) : Param(), r.receipt_seq ? Param(r.receipt_seq) : Param(),
         text_or_null(r.receipt_no), text_or_null(r.verify_code), r.clct_way, r.clct_type, text_or_null(r.policy),
         r.import_batch ? Param(r.import_batch) : Param(), region_p(r.region)});
  }

  void set_enrollment_status(int64_t enrollment, std::string_view status, std::optional<Date> paid_on) override {
    s_.sql_exec("UPDATE enrollments SET status = ?, paid_on = ? WHERE id = ?", {status, paid_on, enrollment});
  }

  // INSERTs of 32/16/…/1 rows (a cached statement per shape).
  void append_audit(std::span<const AuditEntry> audits) override {
    std::vector<Param> ps;
    for (size_t at = 0; at < audits.size();) {
      size_t n = 32;
      while (n > audits.size() - at) n /= 2;
      std::string sql =
          "INSERT INTO audit_log (at, actor, action, entity, entity_id, old_value, new_value, region) VALUES ";
      ps.clear();
      for (size_t k = 0; k < n; ++k) {
        const auto& e = audits[at + k];
        sql += k ? ", (?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?)";
        ps.insert(ps.end(), {Param(e.at), Param(e.actor), Param(e.action), Param(e.entity), text_or_null(e.entity_id),
                             text_or_null(e.old_json), text_or_null(e.new_json),
                             e.region.empty() ? Param(0) : region_p(e.region)});
      }
      s_.sql_exec(sql, std::span<const Param>(ps));
      at += n;
    }
  }

 private:
  SqlStore& s_;
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
