// AdminStore over SQL (both engines; '?' placeholders, see sql_store.h).
#include <fmt/format.h>

#include "store/admin_store.h"
#include "store/sql_store.h"

namespace canbao::store::detail {
namespace {

class SqlAdminStore final : public AdminStore {
 public:
  explicit SqlAdminStore(SqlStore& s) : s_(s) {}

  PersonPage find_persons(const PersonFilter& f, int64_t offset, int64_t limit) override;
  HouseholdPage find_households(const PersonFilter& persons, std::string_view household_id, int64_t offset,
                                int64_t limit) override;
  std::vector<Household> households_in(RegionCode region) override;
  std::vector<ImportBatch> import_batches(RegionCode scope, int64_t offset, int64_t limit) override;
  std::optional<ImportBatch> import_batch(int64_t id, RegionCode scope) override;
  std::optional<std::string> import_report(int64_t id, RegionCode scope) override;
  AuditPage audit_log(const AuditFilter& f, int64_t offset, int64_t limit) override;
  std::vector<std::string> standing_receipts(std::string_view person, int year) override;

 private:
  SqlStore& s_;
};

// The text tests of the person search, appended to `where` with their
// parameters (which point into `f` and `texts`, alive for the query).
void person_text_where(const PersonFilter& f, std::string& texts, std::string& where, std::vector<Param>& ps) {
  if (!f.id_number.empty()) {
    where += " AND p.id_number = ?";
    ps.push_back(Param(f.id_number));
  } else if (!f.id_suffix.empty()) {
    texts = "%" + f.id_suffix;
    where += " AND p.id_number LIKE ?";
    ps.push_back(Param(texts));
  } else if (!f.name_prefix.empty()) {
    texts = f.name_prefix + "%";
    where += " AND (p.name LIKE ?";
    ps.push_back(Param(texts));
    if (!f.initials.empty()) {
      where += " OR (";
      for (size_t k = 0; k < f.initials.size(); ++k) {
        const auto& cands = f.initials[k];
        where += fmt::format("{}substr(p.name, {}, 1) IN (", k ? " AND " : "", k + 1);
        for (size_t i = 0; i < cands.size(); ++i) {
          where += i ? ",?" : "?";
          ps.push_back(Param(cands[i]));
        }
        if (cands.empty()) where += "NULL";
        where += ")";
      }
      where += ")";
    }
    where += ")";
  }
}

PersonPage SqlAdminStore::find_persons(const PersonFilter& f, int64_t offset, int64_t limit) {
  auto [lo, hi] = region_range(f.scope);
  std::string where = "WHERE (p.region BETWEEN ? AND ? OR e.place_region BETWEEN ? AND ?)";
  std::vector<Param> ps = {f.year, lo, hi, lo, hi};
  std::string texts;
  person_text_where(f, texts, where, ps);
  if (!f.village.empty()) {
    auto [vlo, vhi] = region_range(f.village);
    where += " AND (p.region BETWEEN ? AND ? OR e.place_region BETWEEN ? AND ?)";
    ps.insert(ps.end(), {vlo, vhi, vlo, vhi});
  }
  if (!f.household.empty()) {
    where += " AND p.household = ?";
    ps.push_back(Param(f.household));
  }
  if (f.status == "registered" || f.status == "paid") {
    where += " AND e.status = ?";
    ps.push_back(Param(f.status));
  } else if (f.status == "unpaid") {
    where += " AND e.status = 'registered'";
  } else if (f.status == "enrolled") {
    where += " AND e.id IS NOT NULL";
  } else if (f.status == "none") {
    where += " AND e.id IS NULL";
  }
  const std::string from =
      "FROM persons p LEFT JOIN enrollments e ON e.person = p.id_number AND e.year = ? AND e.status IN "
      "('registered', 'paid') ";
  PersonPage page;
  s_.sql_query_span("SELECT COUNT(*) " + from + where, ps, [&](const RowView& v) { page.total = v.i(0); });
  ps.push_back(limit);
  ps.push_back(offset);
  s_.sql_query_span("SELECT p.id_number, e.id, e.status, e.place_region, e.paid_on " + from + where +
                        " ORDER BY p.region, p.household, p.id_number LIMIT ? OFFSET ?",
                    ps, [&](const RowView& v) {
                      PersonListRow r;
                      r.id_number = v.s(0);
                      if (!v.null(1)) {
                        r.enrollment = v.i(1);
                        r.status = v.s(2);
                        r.place = v.region(3);
                        r.paid_on = v.date(4);
                      }
                      page.rows.push_back(std::move(r));
                    });
  return page;
}

HouseholdPage SqlAdminStore::find_households(const PersonFilter& f, std::string_view household_id, int64_t offset,
                                             int64_t limit) {
  auto [lo, hi] = region_range(f.scope);
  std::string where =
      "WHERE p.household IS NOT NULL AND (p.region BETWEEN ? AND ? OR e.place_region BETWEEN ? AND ?)";
  std::vector<Param> ps = {f.year, lo, hi, lo, hi};
  std::string texts, tw;
  person_text_where(f, texts, tw, ps);
  if (!household_id.empty()) {
    // The text tests come as " AND (…)"; a 户号 is one more alternative.
    std::string alt = tw.empty() ? std::string("1 = 0") : tw.substr(5);
    tw = " AND (" + alt + " OR p.household = ?)";
    ps.push_back(Param(household_id));
  }
  where += tw;
  const std::string from =
      "FROM persons p LEFT JOIN enrollments e ON e.person = p.id_number AND e.year = ? AND e.status IN "
      "('registered', 'paid') ";
  HouseholdPage page;
  s_.sql_query_span("SELECT COUNT(DISTINCT p.household) " + from + where, ps,
                    [&](const RowView& v) { page.total = v.i(0); });
  ps.push_back(limit);
  ps.push_back(offset);
  s_.sql_query_span("SELECT DISTINCT p.household " + from + where + " ORDER BY p.household LIMIT ? OFFSET ?", ps,
                    [&](const RowView& v) { page.ids.emplace_back(v.s(0)); });
  return page;
}

std::vector<Household> SqlAdminStore::households_in(RegionCode region) {
  auto [lo, hi] = region_range(region);
  std::vector<Household> out;
  s_.sql_query("SELECT id, region, head, phone FROM households WHERE region BETWEEN ? AND ? ORDER BY id", {lo, hi},
               [&](const RowView& v) {
                 out.push_back(Household{std::string(v.s(0)), v.region(1), v.null(2) ? "" : std::string(v.s(2)),
                                         v.null(3) ? "" : std::string(v.s(3))});
               });
  return out;
}

ImportBatch batch_of(const RowView& v) {
  ImportBatch b;
  b.id = v.i(0);
  b.kind = v.s(1);
  b.file_name = v.s(2);
  b.status = v.s(3);
  b.rows_total = v.i(4);
  b.rows_written = v.i(5);
  b.rows_rejected = v.i(6);
  b.actor = v.s(7);
  b.created_at = v.s(8);
  return b;
}

std::vector<ImportBatch> SqlAdminStore::import_batches(RegionCode scope, int64_t offset, int64_t limit) {
  auto [lo, hi] = region_range(scope);
  std::vector<ImportBatch> out;
  s_.sql_query(
      "SELECT id, kind, file_name, status, rows_total, rows_written, rows_rejected, actor, created_at, region "
      "FROM import_batches WHERE region BETWEEN ? AND ? ORDER BY id DESC LIMIT ? OFFSET ?",
      {lo, hi, limit, offset}, [&](const RowView& v) {
        ImportBatch b = batch_of(v);
        b.region = v.region(9);
        b.report_json.clear();
        out.push_back(std::move(b));
      });
  return out;
}

std::optional<ImportBatch> SqlAdminStore::import_batch(int64_t id, RegionCode scope) {
  auto [lo, hi] = region_range(scope);
  std::optional<ImportBatch> out;
  s_.sql_query(
      "SELECT id, kind, file_name, status, rows_total, rows_written, rows_rejected, actor, created_at, report "
      "FROM import_batches WHERE id = ? AND region BETWEEN ? AND ?",
      {id, lo, hi}, [&](const RowView& v) {
        out = batch_of(v);
        out->report_json = v.s(9);
      });
  return out;
}

std::optional<std::string> SqlAdminStore::import_report(int64_t id, RegionCode scope) {
  auto [lo, hi] = region_range(scope);
  std::optional<std::string> report;
  s_.sql_query("SELECT kind, report FROM import_batches WHERE id = ? AND region BETWEEN ? AND ?",
               {id, lo, hi},
               [&](const RowView& v) { report = v.null(1) ? "[]" : std::string(v.s(1)); });
  return report;
}

AuditPage SqlAdminStore::audit_log(const AuditFilter& f, int64_t offset, int64_t limit) {
  auto [lo, hi] = region_range(f.scope);
  std::string where = "WHERE region BETWEEN ? AND ?";
  std::vector<Param> params = {lo, hi};
  const std::pair<const char*, const std::string*> exact[] = {
      {"entity", &f.entity}, {"entity_id", &f.entity_id}, {"actor", &f.actor}, {"action", &f.action}};
  for (auto& [column, value] : exact) {
    if (value->empty()) continue;
    where += fmt::format(" AND {} = ?", column);
    params.push_back(Param(*value));
  }
  if (!f.from.empty()) {
    where += " AND at >= ?";
    params.push_back(Param(f.from));
  }
  AuditPage page;
  s_.sql_query_span("SELECT COUNT(*) FROM audit_log " + where, params, [&](const RowView& v) { page.total = v.i(0); });
  params.push_back(limit);
  params.push_back(offset);
  auto opt_text = [](const RowView& v, int col) {
    return v.null(col) ? std::nullopt : std::optional<std::string>(std::string(v.s(col)));
  };
  s_.sql_query_span(
      "SELECT id, at, actor, action, entity, entity_id, old_value, new_value, region FROM audit_log " + where +
          " ORDER BY id DESC LIMIT ? OFFSET ?",
      params, [&](const RowView& v) {
        AuditRecord r;
        r.id = v.i(0);
        r.at = v.s(1);
        r.actor = v.s(2);
        r.action = v.s(3);
        r.entity = v.s(4);
        r.entity_id = opt_text(v, 5);
        r.old_json = opt_text(v, 6);
        r.new_json = opt_text(v, 7);
        r.region = v.region(8);
        page.rows.push_back(std::move(r));
      });
  return page;
}

std::vector<std::string> SqlAdminStore::standing_receipts(std::string_view person, int year) {
  std::vector<std::string> out;
  s_.sql_query("SELECT p.receipt_no FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'payment' "
               "AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id) ORDER BY p.id",
               {person, year}, [&](const RowView& v) { out.push_back(std::string(v.s(0))); });
  return out;
}

}  // namespace

std::unique_ptr<AdminStore> make_admin_store(SqlStore& s) { return std::make_unique<SqlAdminStore>(s); }

}  // namespace canbao::store::detail
