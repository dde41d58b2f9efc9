// Internal: the domain methods of Store written once over a tiny SQL
// interface (exec / query / insert_id / bulk_insert) that each engine
// implements. SQL uses '?' placeholders; the PostgreSQL engine numbers them.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "store/migrations.h"
#include "store/store.h"

namespace canbao::store::detail {

struct Param {
  enum Kind : uint8_t { null_, int_, text_, date_ } kind = null_;
  int64_t i = 0;
  std::string_view s;

  Param() = default;
  Param(std::nullptr_t) {}
  template <class T>
    requires std::is_integral_v<T>
  Param(T v) : kind(int_), i(static_cast<int64_t>(v)) {}
  Param(std::string_view v) : kind(text_), s(v) {}
  Param(const std::string& v) : kind(text_), s(v) {}
  Param(const char* v) : kind(text_), s(v) {}
  Param(Date d) : kind(date_), i(d.days) {}
  Param(const std::optional<Date>& d) : kind(d ? date_ : null_), i(d ? d->days : 0) {}
};
// Empty string → NULL.
inline Param text_or_null(std::string_view v) { return v.empty() ? Param() : Param(v); }
// Empty region → NULL; else the 12-digit padded number.
inline Param region_p(RegionCode r) { return r.empty() ? Param() : Param(static_cast<int64_t>(r.padded_number())); }
// Renders a date param as "YYYY-MM-DD" into buf (11 bytes), returns length 10.
size_t render_date(int32_t days, char* buf);

class RowView {
 public:
  virtual ~RowView() = default;
  virtual bool null(int col) const = 0;
  virtual int64_t i(int col) const = 0;
  virtual std::string_view s(int col) const = 0;
  std::optional<Date> date(int col) const;
  RegionCode region(int col) const;
};

// [lo, hi] of padded codes inside scope (everything when scope is empty).
std::pair<int64_t, int64_t> region_range(RegionCode scope);
RegionCode region_from_number(int64_t n);
std::string now_iso();

using RowFn = std::function<void(const RowView&)>;

class SqlStore;
// Each defined next to its SQL in store/sql_<area>_store.cc.
std::unique_ptr<LedgerStore> make_ledger_store(SqlStore& s);
std::unique_ptr<CampaignStore> make_campaign_store(SqlStore& s);
std::unique_ptr<ReconcileStore> make_reconcile_store(SqlStore& s);
std::unique_ptr<AuthStore> make_auth_store(SqlStore& s);
std::unique_ptr<AdminStore> make_admin_store(SqlStore& s);

class SqlStore : public Store {
 public:
  SqlStore();
  ~SqlStore() override;
  LedgerStore& ledger() override;
  CampaignStore& campaign() override;
  ReconcileStore& reconcile() override;
  AuthStore& auth() override;
  AdminStore& admin() override;
  std::string server_key(std::string_view name) override;
  int schema_version() override;
  void begin_tx() override;
  void commit_tx() override;
  void rollback_tx() override;

  bool bulk_begin() override;
  void bulk_end() override;
  bool any_persons_exist(std::span<const Person> ps) override;
  bool any_households_exist(std::span<const Household> hs) override;
  void insert_persons(std::span<const Person> ps) override;
  void insert_households(std::span<const Household> hs) override;
  bool pause_enrollment_counters() override;   // in bulk_load.cc
  void resume_enrollment_counters() override;  // in bulk_load.cc
  void put_assessments(std::span<const StoredAssessment> as) override;
  std::optional<StoredAssessment> assessment(std::string_view person, int year) override;
  int64_t count_assessments(RegionCode scope, int year) override;
  void put_regions(std::span<const Region> regions) override;
  std::optional<Region> region(RegionCode code) override;
  std::vector<Region> regions_under(RegionCode scope) override;
  void put_households(std::span<const Household> hs) override;
  void put_persons(std::span<const Person> ps) override;
  std::optional<Household> household(std::string_view id) override;
  std::optional<Person> person(std::string_view id_number) override;
  std::vector<Person> household_members(std::string_view household) override;
  void set_household_phone(std::string_view household, std::string_view phone) override;
  int64_t count_persons(RegionCode scope) override;
  void scan_persons(RegionCode scope, size_t chunk,
                    const std::function<void(std::span<const Person>)>& fn) override;
  void add_categories(std::span<const PersonCategory> cs) override;
  std::vector<PersonCategory> categories_of(std::string_view person) override;
  std::vector<PersonCategory> categories_for(std::span<const Person> chunk) override;
  int64_t add_enrollment(const Enrollment& e) override;
  int64_t add_enrollments(std::span<const Enrollment> es, bool skip_if_active) override;
  void update_enrollment(const Enrollment& e) override;
  std::optional<Enrollment> enrollment(int64_t id) override;
  std::vector<Enrollment> enrollments_of(std::string_view person, std::optional<int> year) override;
  std::vector<Enrollment> enrollments_in(RegionCode scope, int year) override;
  std::vector<Enrollment> enrollments_for(std::span<const Person> chunk, int year) override;
  int64_t add_subsidy_list(const SubsidyListBatch& batch) override;
  void add_subsidy_entries(std::span<const SubsidyListEntry> es) override;
  std::vector<SubsidyListBatch> subsidy_lists(RegionCode scope) override;
  std::vector<SubsidyListEntry> subsidy_entries_of(std::string_view person) override;
  std::vector<SubsidyListEntry> subsidy_entries(int64_t batch) override;
  void add_employee_insured(std::span<const EmployeeInsured> es) override;
  std::vector<EmployeeInsured> employee_insured(std::string_view person) override;
  PersonsRead persons_read(std::span<const std::string_view> ids, int year_from, int year_to) override;
  void put_targets(std::span<const Target> ts) override;
  std::vector<Target> targets(RegionCode scope, int year) override;
  std::optional<ImportBatch> find_import(std::string_view kind, std::string_view fingerprint) override;
  int64_t add_import(const ImportBatch& b) override;
  void update_import(const ImportBatch& b) override;
  void audit(const AuditEntry& e) override;
  std::vector<AuditEntry> audit_trail(std::string_view entity, std::string_view entity_id) override;

  // Bound-parameter SQL for folders that keep their own tables (ledger,
  // server): the same connection, statement cache and transaction.
  Dialect sql_dialect() const { return dialect(); }
  void sql_script(const std::string& sql) { exec_script(sql); }
  void sql_exec(std::string_view sql, std::initializer_list<Param> ps) { x(sql, ps); }
  void sql_exec(std::string_view sql, std::span<const Param> ps) { exec(sql, ps); }
  void sql_query(std::string_view sql, std::initializer_list<Param> ps, const RowFn& fn) { q(sql, ps, fn); }
  void sql_query_span(std::string_view sql, std::span<const Param> ps, const RowFn& fn) { query(sql, ps, fn); }
  // Appends rows (cols.size() params each) to table: PostgreSQL by COPY, SQLite
  // by one reused prepared statement. Throws StoreError as sql_exec does.
  void sql_bulk_insert(std::string_view table, std::span<const std::string_view> cols, std::span<const Param> ps) {
    bulk_insert(table, cols, ps, "");
  }
  int64_t sql_insert(std::string_view sql, std::initializer_list<Param> ps) {
    return insert_id(sql, std::span(ps.begin(), ps.size()));
  }

 protected:
  virtual Dialect dialect() const = 0;
  virtual void exec_script(const std::string& sql) = 0;  // DDL, no params
  virtual void exec(std::string_view sql, std::span<const Param> ps) = 0;
  virtual void query(std::string_view sql, std::span<const Param> ps, const RowFn& fn) = 0;
  virtual int64_t insert_id(std::string_view sql, std::span<const Param> ps) = 0;
  // Inserts rows (ps holds cols.size() params per row) into table; conflict
  // is "" or an "ON CONFLICT … DO …" clause valid on both engines.
  virtual void bulk_insert(std::string_view table, std::span<const std::string_view> cols,
                           std::span<const Param> ps, std::string_view conflict) = 0;
  virtual void raw_begin() = 0;  // BEGIN (SQLite: IMMEDIATE)
  virtual void raw_commit() = 0;
  virtual void raw_rollback() = 0;
  virtual void lock_for_migration() = 0;  // inside the migration transaction

  void x(std::string_view sql, std::initializer_list<Param> ps) { exec(sql, std::span(ps.begin(), ps.size())); }
  void q(std::string_view sql, std::initializer_list<Param> ps, const RowFn& fn) {
    query(sql, std::span(ps.begin(), ps.size()), fn);
  }
  // Creates schema_version, refuses newer databases, applies pending migrations.
  void migrate(bool apply);
  // Whether bulk_begin() may drop indexes (SQLite: only with foreign keys off).
  virtual bool may_drop_indexes() { return true; }

 private:
  void write_persons(std::span<const Person> ps, bool upsert);
  void write_households(std::span<const Household> hs, bool upsert);
  bool bulk_dropped_ = false;
  std::unique_ptr<LedgerStore> ledger_;
  std::unique_ptr<CampaignStore> campaign_;
  std::unique_ptr<ReconcileStore> reconcile_;
  std::unique_ptr<AuthStore> auth_;
  std::unique_ptr<AdminStore> admin_;

 private:
  int depth_ = 0;
  bool failed_ = false;  // an inner guard rolled back: the outer commit must fail
};

}  // namespace canbao::store::detail
