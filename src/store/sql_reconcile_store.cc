// ReconcileStore over SQL (both engines; '?' placeholders, see sql_store.h).
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "store/reconcile_store.h"
#include "store/sql_store.h"

namespace canbao::store::detail {
namespace {

// The row's `region` column: the unit's padded code, 0 when it has none.
int64_t region_number(RegionCode r) { return int64_t(r.empty() ? 0 : r.padded_number()); }

// Appends `nrows` rows to table inside the caller's transaction; fill(i, ps)
// appends row i's params. A tax file of a whole county is a million rows, so
// the params are built a chunk at a time (never all of them at once):
// PostgreSQL sends each chunk by COPY; SQLite runs one multi-row INSERT per
// chunk, a single prepared statement reused for every full chunk.
template <class Fill>
void insert_rows(SqlStore& s, std::string_view table, std::initializer_list<std::string_view> cols, size_t nrows,
                 Fill fill) {
  const size_t nc = cols.size();
  const bool pg = s.sql_dialect() == Dialect::postgresql;
  // SQLite binds at most 32766 parameters per statement (3.32+).
  const size_t per = pg ? 20000 : 32000 / nc;
  std::vector<std::string_view> names(cols);
  std::string head = fmt::format("INSERT INTO {} ({}) VALUES ", table, fmt::join(cols, ", "));
  std::string one;
  {
    std::string t;
    for (size_t i = 0; i < nc; ++i) t += i ? ", ?" : "?";
    one = "(" + t + ")";
  }
  auto sql_for = [&](size_t rows) {
    std::string q = head;
    q.reserve(head.size() + rows * (one.size() + 2));
    for (size_t r = 0; r < rows; ++r) {
      if (r) q += ", ";
      q += one;
    }
    return q;
  };
  std::string full;
  std::vector<Param> ps;
  ps.reserve(std::min(per, nrows) * nc);
  for (size_t r = 0; r < nrows; r += per) {
    size_t k = std::min(per, nrows - r);
    ps.clear();
    for (size_t i = r; i < r + k; ++i) fill(i, ps);
    if (pg) {
      s.sql_bulk_insert(table, names, ps);
    } else if (k == per) {
      if (full.empty()) full = sql_for(per);
      s.sql_exec(full, std::span<const Param>(ps));
    } else {
      s.sql_exec(sql_for(k), std::span<const Param>(ps));
    }
  }
}

class SqlReconcileStore final : public ReconcileStore {
 public:
  explicit SqlReconcileStore(SqlStore& s) : s_(s) {}

  AddedReconcileRun add_run(const NewReconcileRun& run) override {
    AddedReconcileRun out;
    out.created_at = now_iso();
    out.id = s_.sql_insert(
        "INSERT INTO reconciliation_runs (year, scope, inputs_from, tax_file, tax_fingerprint, treasury_file, "
        "treasury_fingerprint, actor, created_at, as_of, tax_rows, treasury_rows, mismatches, summary, region) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {run.year, region_p(run.scope), run.inputs_from ? Param(run.inputs_from) : Param(), text_or_null(run.tax_file),
         text_or_null(run.tax_fingerprint), text_or_null(run.treasury_file), text_or_null(run.treasury_fingerprint),
         run.actor, out.created_at, run.as_of, run.tax_rows, run.treasury_rows, run.mismatches, "{}",
         region_number(run.scope)});
    return out;
  }

  void add_tax_rows(int64_t run, std::span<const TaxDetailRow> rows) override {
    insert_rows(s_, "reconciliation_tax_rows",
                {"run", "row_no", "elec_taxrpt_no", "certno", "psn_name", "amount", "clct_time", "taxdept_code",
                 "revs_flag", "unit_region", "unit_name", "year", "region"},
                rows.size(), [&](size_t i, std::vector<Param>& ps) {
                  auto& r = rows[i];
                  ps.insert(ps.end(), {Param(run), Param(r.row_no), text_or_null(r.txn), Param(r.certno),
                                       text_or_null(r.name), Param(r.amount), text_or_null(r.clct_time),
                                       text_or_null(r.taxdept), Param(r.revs_flag), region_p(r.unit),
                                       text_or_null(r.unit_name), Param(r.year), Param(region_number(r.unit))});
                });
  }

  void add_treasury_rows(int64_t run, std::span<const TreasuryDepositRow> rows) override {
    insert_rows(s_, "reconciliation_treasury_rows",
                {"run", "row_no", "unit_region", "unit_name", "persons", "amount", "region"}, rows.size(),
                [&](size_t i, std::vector<Param>& ps) {
                  auto& r = rows[i];
                  ps.insert(ps.end(), {Param(run), Param(r.row_no), region_p(r.unit), text_or_null(r.unit_name),
                                       Param(r.persons), Param(r.amount), Param(int64_t(r.unit.padded_number()))});
                });
  }

  void finish_run(int64_t run, std::span<const ReconcileFinding> findings, std::string_view summary) override {
    insert_rows(s_, "reconciliation_items",
                {"run", "kind", "person", "unit_region", "tax", "platform", "action", "region"}, findings.size(),
                [&](size_t i, std::vector<Param>& ps) {
                  auto& f = findings[i];
                  ps.insert(ps.end(), {Param(run), Param(f.kind), text_or_null(f.person), region_p(f.unit),
                                       Param(f.tax), Param(f.platform), Param(f.action), Param(region_number(f.unit))});
                });
    s_.sql_exec("UPDATE reconciliation_runs SET summary = ?, mismatches = ? WHERE id = ?",
                {summary, int64_t(findings.size()), run});
  }

  std::optional<StoredReconcileRun> run(int64_t id) override {
    std::optional<StoredReconcileRun> out;
    s_.sql_query("SELECT id, year, scope, inputs_from, actor, created_at, tax_rows, treasury_rows, summary FROM "
                 "reconciliation_runs WHERE id = ?",
                 {id}, [&](const RowView& v) {
                   StoredReconcileRun r;
                   r.id = v.i(0);
                   r.year = int(v.i(1));
                   if (!v.null(2)) r.scope = v.region(2);
                   r.inputs_from = v.null(3) ? 0 : v.i(3);
                   r.actor = v.s(4);
                   r.created_at = v.s(5);
                   r.tax_rows = v.i(6);
                   r.treasury_rows = v.i(7);
                   r.summary = v.s(8);
                   out = std::move(r);
                 });
    return out;
  }

  std::optional<ReconcileRunInputs> inputs_of(int64_t run) override {
    std::optional<ReconcileRunInputs> out;
    s_.sql_query("SELECT COALESCE(inputs_from, id), year, scope FROM reconciliation_runs WHERE id = ?", {run},
                 [&](const RowView& v) {
                   out = ReconcileRunInputs{v.i(0), int(v.i(1)), v.null(2) ? RegionCode{} : v.region(2)};
                 });
    return out;
  }

  std::vector<TaxDetailRow> tax_rows(int64_t run) override {
    std::vector<TaxDetailRow> out;
    s_.sql_query(
        "SELECT row_no, elec_taxrpt_no, certno, psn_name, amount, clct_time, taxdept_code, revs_flag, unit_region, "
        "unit_name, year FROM reconciliation_tax_rows WHERE run = ? ORDER BY id",
        {run}, [&](const RowView& v) {
          TaxDetailRow r;
          r.row_no = v.i(0);
          if (!v.null(1)) r.txn = v.s(1);
          r.certno = v.s(2);
          if (!v.null(3)) r.name = v.s(3);
          r.amount = v.i(4);
          if (!v.null(5)) r.clct_time = v.s(5);
          if (!v.null(6)) r.taxdept = v.s(6);
          r.revs_flag = v.s(7);
          if (!v.null(8)) r.unit = v.region(8);
          if (!v.null(9)) r.unit_name = v.s(9);
          r.year = v.null(10) ? 0 : int(v.i(10));
          out.push_back(std::move(r));
        });
    return out;
  }

  std::vector<TreasuryDepositRow> treasury_rows(int64_t run) override {
    std::vector<TreasuryDepositRow> out;
    s_.sql_query("SELECT row_no, unit_region, unit_name, persons, amount FROM reconciliation_treasury_rows WHERE run = ? "
                 "ORDER BY id",
                 {run}, [&](const RowView& v) {
                   TreasuryDepositRow r;
                   r.row_no = v.i(0);
                   if (!v.null(1)) r.unit = v.region(1);
                   if (!v.null(2)) r.unit_name = v.s(2);
                   r.persons = v.i(3);
                   r.amount = v.i(4);
                   out.push_back(std::move(r));
                 });
    return out;
  }

  std::vector<ReconcileFinding> findings(int64_t run) override {
    std::vector<ReconcileFinding> out;
    s_.sql_query(
        "SELECT kind, person, unit_region, tax, platform, action FROM reconciliation_items WHERE run = ? ORDER BY id",
        {run}, [&](const RowView& v) {
          ReconcileFinding f;
          f.kind = v.s(0);
          if (!v.null(1)) f.person = v.s(1);
          if (!v.null(2)) f.unit = v.region(2);
          f.tax = v.s(3);
          f.platform = v.s(4);
          f.action = v.s(5);
          out.push_back(std::move(f));
        });
    return out;
  }

  std::vector<ReconcileRunListing> runs(int year) override {
    std::vector<ReconcileRunListing> out;
    s_.sql_query("SELECT id, COALESCE(inputs_from, 0), mismatches, year, created_at, actor, scope FROM "
                 "reconciliation_runs WHERE year = ? ORDER BY id",
                 {year}, [&](const RowView& v) {
                   out.push_back({v.i(0), v.i(1), v.i(2), int(v.i(3)), std::string(v.s(4)), std::string(v.s(5)),
                                  v.null(6) ? RegionCode{} : v.region(6)});
                 });
    return out;
  }

  std::vector<ReconcileRunTotals> run_totals(int year) override {
    std::vector<ReconcileRunTotals> out;
    s_.sql_query("SELECT id, tax_rows, treasury_rows, summary FROM reconciliation_runs WHERE year = ?", {year},
                 [&](const RowView& v) { out.push_back({v.i(0), v.i(1), v.i(2), std::string(v.s(3))}); });
    return out;
  }

  // Both platform reads below are whole-table scans in id order ('+' keeps
  // SQLite off the (year, place) and (region, year) indexes): for a county's
  // year they return most rows, and a scan reads each page once where an
  // index walk fetches every row by a random seek. The ledger is summed here,
  // not by GROUP BY, which would sort the year's payments first.
  void each_active_enrollment(RegionCode scope, int year,
                              const std::function<void(const PlatformEnrollmentRow&)>& fn) override {
    auto [lo, hi] = region_range(scope);
    // SQLite: in id order for free (a person with two active enrollments in
    // scope takes the later one's); PostgreSQL: as the server reads them.
    const bool sqlite = s_.sql_dialect() == Dialect::sqlite;
    PlatformEnrollmentRow e;
    s_.sql_query(sqlite ? "SELECT person, id, place_region, status, paid_on FROM enrollments WHERE +year = ? AND "
                          "+place_region BETWEEN ? AND ? AND status IN ('registered', 'paid') ORDER BY id"
                        : "SELECT person, id, place_region, status, paid_on FROM enrollments WHERE year = ? AND "
                          "place_region BETWEEN ? AND ? AND status IN ('registered', 'paid')",
                 {year, lo, hi}, [&](const RowView& v) {
                   e.person = v.s(0);
                   e.id = v.i(1);
                   e.place = v.region(2);
                   e.paid = v.s(3) == "paid";
                   e.paid_on = v.null(4) ? std::string_view() : v.s(4);
                   fn(e);
                 });
  }

  void each_payment(RegionCode scope, int year, const std::function<void(const PlatformPaymentRow&)>& fn) override {
    auto [lo, hi] = region_range(scope);
    PlatformPaymentRow p;
    s_.sql_query("SELECT person, payer_kind, amount, external_txn FROM payments WHERE +year = ? AND +region BETWEEN ? "
                 "AND ?",
                 {year, lo, hi}, [&](const RowView& v) {
                   p.person = v.s(0);
                   p.payer_kind = v.s(1);
                   p.amount = v.i(2);
                   p.external_txn = v.null(3) ? std::string_view() : v.s(3);
                   fn(p);
                 });
  }

  std::vector<PersonElsewhere> persons_elsewhere(std::span<const std::string> persons, int year) override {
    std::vector<PersonElsewhere> out;
    std::unordered_map<std::string_view, size_t> asked;  // views into `persons` → its line in out, or npos
    asked.reserve(persons.size());
    for (auto& p : persons) asked.emplace(p, std::string::npos);
    auto entry = [&](std::string_view id) -> PersonElsewhere& {
      auto it = asked.find(id);
      if (it == asked.end()) throw StoreError("reconciliation: a row for a person not asked for");
      if (it->second == std::string::npos) {
        it->second = out.size();
        out.emplace_back();
        out.back().person = std::string(it->first);
      }
      return out[it->second];
    };
    const size_t per = 500;
    std::vector<Param> ps;
    for (size_t from = 0; from < persons.size(); from += per) {
      size_t k = std::min(per, persons.size() - from);
      std::string marks;
      for (size_t i = 0; i < k; ++i) marks += i ? ", ?" : "?";
      ps.clear();
      for (size_t i = 0; i < k; ++i) ps.emplace_back(persons[from + i]);
      s_.sql_query_span(fmt::format("SELECT id_number, hukou_region FROM persons WHERE id_number IN ({})", marks), ps,
                        [&](const RowView& v) {
                          auto& e = entry(v.s(0));
                          e.in_roster = true;
                          e.hukou = v.region(1);
                        });
      ps.emplace_back(year);
      s_.sql_query_span(fmt::format("SELECT person, id, place_region, status FROM enrollments WHERE person IN ({}) AND "
                                    "year = ? ORDER BY id",
                                    marks),
                        ps, [&](const RowView& v) {
                          auto& p = entry(v.s(0));
                          Enrollment e;
                          e.id = v.i(1);
                          e.person = p.person;
                          e.year = year;
                          e.place = v.region(2);
                          e.status = parse_status(v.s(3)).value_or(EnrollmentStatus::registered);
                          p.enrollments.push_back(std::move(e));
                        });
    }
    return out;
  }

  std::vector<ChannelPaymentTotal> payments_by_channel(RegionCode scope, int year) override {
    auto [lo, hi] = region_range(scope);
    std::vector<ChannelPaymentTotal> out;
    s_.sql_query(
        "SELECT channel, SUM(CASE WHEN kind = 'payment' THEN 1 WHEN kind = 'reversal' THEN -1 ELSE 0 END), "
        "SUM(amount) FROM payments WHERE year = ? AND region BETWEEN ? AND ? AND payer_kind <> 'department' "
        "AND kind IN ('payment', 'reversal') GROUP BY channel ORDER BY channel",
        {year, lo, hi}, [&](const RowView& v) { out.push_back({std::string(v.s(0)), v.i(1), v.i(2)}); });
    return out;
  }

 private:
  SqlStore& s_;
};

}  // namespace

std::unique_ptr<ReconcileStore> make_reconcile_store(SqlStore& s) { return std::make_unique<SqlReconcileStore>(s); }

}  // namespace canbao::store::detail
