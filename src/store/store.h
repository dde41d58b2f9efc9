// Store: the persistence interface behind the registry (DESIGN.md §6).
//
// Two engines implement it: SQLite (a file, the default) and PostgreSQL (a
// connection URL). Both run the same numbered migrations (store/migrations.h)
// and the same SQL with bound parameters; only the bulk path differs
// (prepared INSERTs in one transaction vs COPY FROM STDIN).
//
// This header is interface-only (plain structs and pure virtuals), so the
// registry can program against it without a link dependency on the engines.
//
// Conventions in the database:
//  * region codes are BIGINT, the 12-digit zero-padded number, so "inside a
//    region" is a range test (code between lo and hi) that uses an index;
//  * dates are TEXT "YYYY-MM-DD" (NULL when unknown);
//  * categories are their ids ("minimum_living");
//  * every row has a `region` column (sharding by county later);
//  * subsidy list entries are append-only (a correction is a reversal row).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/region_code.h"
#include "policy/category.h"

namespace canbao::store {

// The domain stores (DESIGN.md §3): what each folder above asks of the
// database, one interface each in store/<area>_store.h, all over the same
// connection, statement cache and transaction as the Store that hands them out.
class LedgerStore;
class CampaignStore;
class ReconcileStore;
class AuthStore;
class AdminStore;

// Messages never contain ID numbers or names (SQL errors are reported by
// their primary text only, which names constraints, not values).
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The database cannot be reached right now: the connection broke (primary
// killed or restarted, fail-over, network) or no server accepts connections
// yet. The open transaction, if any, is lost as a whole (never partly
// applied); the code that owns the transaction may reconnect() and run it
// again. A statement sent outside a transaction may or may not have been
// applied: look it up (idempotency key) before redoing it. The HTTP API
// answers 503 store_unavailable with Retry-After. Derived from StoreError so
// existing catch sites keep working.
struct Unavailable : StoreError {
  using StoreError::StoreError;
};

struct Region {
  RegionCode code;  // level and parent follow from the code
  std::string name;
};

struct Household {
  std::string id;      // 户号
  RegionCode region;   // where the household is registered
  std::string head;    // id_number of the head (户主), may be empty
  // Contact phone for reminders, "" when none. Read by household(); written
  // only by set_household_phone, so a roster import never clears it.
  std::string phone;
};

struct Person {
  std::string id_number;  // validated 18-digit form
  std::string name;
  Date birth;
  bool male = false;
  std::string household;  // 户号, empty when unknown
  RegionCode hukou;
  RegionCode residence;   // empty when unknown
  RegionCode school_region;  // 学校所在地 of a student, empty when unknown
  int8_t disability_grade = 0;
  Event event = Event::none;
  std::optional<Date> event_date;
  int16_t employee_months = -1;
  int8_t parent_insured = -1;
  std::optional<Date> deceased_on;
  int64_t import_batch = 0;  // 0 = entered by hand
  // Undated categories from the roster (人员类别 column). Stored on the
  // person; categories_of/categories_for return them as source "roster".
  CategoryMask categories = 0;
};

struct PersonCategory {
  std::string person;  // id_number
  Category category{};
  std::string source;  // "roster" or the certifying department (民政局 …)
  std::optional<Date> as_of;       // the list's as-of date
  std::optional<Date> valid_from;  // day the person was certified (列入名单日期)
  std::optional<Date> valid_to;
  int64_t list_batch = 0;  // subsidy_list_batches.id, 0 = none
  RegionCode region;
};

enum class EnrollmentStatus { registered, paid, suspended, transferred, cancelled };
inline std::string_view status_id(EnrollmentStatus s) {
  switch (s) {
    case EnrollmentStatus::registered: return "registered";
    case EnrollmentStatus::paid: return "paid";
    case EnrollmentStatus::suspended: return "suspended";
    case EnrollmentStatus::transferred: return "transferred";
    case EnrollmentStatus::cancelled: return "cancelled";
  }
  return "registered";
}
inline std::string_view status_label(EnrollmentStatus s) {
  switch (s) {
    case EnrollmentStatus::registered: return "已登记";
    case EnrollmentStatus::paid: return "已缴费";
    case EnrollmentStatus::suspended: return "参保暂停";
    case EnrollmentStatus::transferred: return "已转移";
    case EnrollmentStatus::cancelled: return "已注销";
  }
  return "已登记";
}
inline std::optional<EnrollmentStatus> parse_status(std::string_view t) {
  for (auto s : {EnrollmentStatus::registered, EnrollmentStatus::paid, EnrollmentStatus::suspended,
                 EnrollmentStatus::transferred, EnrollmentStatus::cancelled})
    if (t == status_id(s) || t == status_label(s)) return s;
  return std::nullopt;
}
// An enrollment that still holds the person at its place for the year.
inline bool is_active(EnrollmentStatus s) {
  return s == EnrollmentStatus::registered || s == EnrollmentStatus::paid;
}

struct Enrollment {
  int64_t id = 0;
  std::string person;  // id_number
  int year = 0;        // policy year (待遇年度)
  RegionCode place;    // where enrolled (village/community or school's region)
  std::string household;
  EnrollmentStatus status = EnrollmentStatus::registered;
  std::optional<Date> registered_on, paid_on, ended_on;
  std::string note;
};

struct SubsidyListBatch {
  int64_t id = 0;
  std::string department;  // 民政局, 乡村振兴局 …
  Category category{};
  Date as_of;              // 名单截止日期
  RegionCode region;       // the department's jurisdiction
  int64_t import_batch = 0;
};

struct SubsidyListEntry {
  int64_t id = 0;
  int64_t batch = 0;
  std::string person;  // id_number
  std::string name;
  std::optional<Date> listed_on;  // day the person entered the list; empty = before as_of
  RegionCode region;
  int64_t reverses = 0;  // id of the entry this row withdraws, 0 = an addition
};

struct EmployeeInsured {
  std::string person;
  std::string name;
  std::string employer;
  std::optional<Date> insured_from, insured_to;
  Date as_of;
  RegionCode region;
  int64_t import_batch = 0;
};

struct Target {
  RegionCode region;  // the unit's code, or the parent's when the unit has none (高校)
  int year = 0;
  std::string unit;   // 单位 name as the document writes it
  int64_t target = 0; // 任务数 / 应参保人数
  std::string extra_json = "{}";  // other columns ({"总人口":4702,"咸惠保应参保人数":961})
};

struct ImportBatch {
  int64_t id = 0;
  std::string kind;         // roster | subsidy_list | employee_roster | targets
  std::string file_name;
  std::string fingerprint;  // sha256 hex of the file bytes
  std::string mode;         // all_or_nothing | partial
  std::string status;       // committed | rejected
  int64_t rows_total = 0, rows_written = 0, rows_rejected = 0;
  std::string report_json = "[]";
  std::string actor;
  RegionCode region;
  std::string created_at;   // set by the store (UTC ISO 8601)
};

// One person's stored assessment for a year (`canbao assess --db`).
struct StoredAssessment {
  std::string person;       // id_number
  int year = 0;
  std::string policy;       // the policy's region code (the jurisdiction bound to the place)
  RegionCode place;         // enrollment place
  int64_t enrollment = 0;   // enrollments.id, 0 = none
  std::string enrollment_status;  // registered | paid | …
  bool eligible = false;
  std::string ineligible;   // employee_insured | outside_region | ""
  int64_t standard_fen = 0, subsidy_fen = 0, due_fen = 0;
  bool amounts_known = true;  // false: an unspecified rule or a conflict leaves them open
  std::string subsidy_rule;   // winning rule id, "" none
  std::string subsidy_mode;   // paid_on_behalf | reimbursed | ""
  std::string subsidy_lines_json = "[]";  // [{"payer":…,"amount_fen":…,"rule":…}]
  std::string payment_status;  // not_paid | accepted | outside_window | too_late | undetermined | window_closed
  std::optional<Date> coverage_start, coverage_end, waiting_until;
  std::string reason;       // Chinese, "" when nothing to say
  std::string assessed_at;  // set by the store when empty
};

struct AuditEntry {
  std::string at;  // set by the store when empty
  std::string actor, action, entity, entity_id;
  std::string old_json, new_json;
  RegionCode region;
};

class Store {
 public:
  virtual ~Store() = default;
  // The domain stores of this connection (valid while the Store lives; they
  // join its open transaction like every other call).
  virtual LedgerStore& ledger() = 0;
  virtual CampaignStore& campaign() = 0;
  virtual ReconcileStore& reconcile() = 0;
  virtual AuthStore& auth() = 0;
  virtual AdminStore& admin() = 0;
  // The named 32-byte server secret (receipt codes, person keys), created at
  // random in server_keys on first use and the same for every server after.
  virtual std::string server_key(std::string_view name) = 0;
  virtual std::string_view engine() const = 0;  // "sqlite" | "postgresql"
  virtual int schema_version() = 0;

  // RAII transaction: rolls back unless commit() was called. Nested guards
  // join the outermost one (only it commits).
  class Transaction {
   public:
    explicit Transaction(Store& s) : s_(&s) { s_->begin_tx(); }
    Transaction(Transaction&& o) noexcept : s_(o.s_), done_(o.done_) { o.s_ = nullptr; }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
      if (s_ && !done_) {
        try { s_->rollback_tx(); } catch (...) {}
      }
    }
    void commit() { done_ = true; s_->commit_tx(); }
   private:
    Store* s_;
    bool done_ = false;
  };
  Transaction transaction() { return Transaction(*this); }
  virtual void begin_tx() = 0;
  virtual void commit_tx() = 0;
  virtual void rollback_tx() = 0;
  // Bulk mode relaxes durability for big imports (SQLite synchronous=OFF
  // inside WAL with foreign-key checks off — the importer checks its own
  // rows; PG synchronous_commit=off) and is reset afterwards; turning it off
  // checkpoints and fsyncs, so the batch as a whole is durable. Call outside
  // a transaction.
  virtual void set_bulk_mode(bool on) = 0;

  // --- connection health (PostgreSQL; an SQLite file never breaks this way)
  // True when the connection is known to be unusable: a statement threw
  // Unavailable, or the server closed it while idle (checked without
  // blocking). Call reconnect() before using the store again.
  virtual bool broken() { return false; }
  // Drops the connection and opens a new one with the same URL and options (a
  // multi-host URL with target_session_attrs=read-write finds the current
  // primary), empties the prepared-statement cache and redoes the session
  // settings made at open (search_path, bulk mode). Call outside a
  // transaction. Throws Unavailable when no server accepts the connection.
  virtual void reconnect() {}

  // --- bulk loading (imports). Call inside the import's transaction, after
  // set_bulk_mode(true). When persons and households are both empty (the
  // first load) the engine drops their indexes and key constraints (and
  // enrollments' indexes, for a load that also enrolls) and
  // returns true: rows then go in by plain insert_* in file order, and
  // bulk_end() rebuilds everything, sorted, in the same transaction (a
  // rolled-back load leaves the schema as it was). Returns false otherwise
  // (indexes stay; use any_*_exist to pick insert_* or put_* per chunk).
  virtual bool bulk_begin() = 0;
  virtual void bulk_end() = 0;
  virtual bool any_persons_exist(std::span<const Person> ps) = 0;
  virtual bool any_households_exist(std::span<const Household> hs) = 0;
  // Plain inserts (no upsert): fail on an existing key.
  virtual void insert_persons(std::span<const Person> ps) = 0;
  virtual void insert_households(std::span<const Household> hs) = 0;
  // Enrollment progress counters during a load (store/bulk_load.h wraps the
  // pair). Inside the load's transaction: pause_… turns the counters' row
  // trigger off only when enrollments is empty and returns whether it did
  // (false: the trigger counts as usual); resume_… turns it on again and
  // rebuilds every counter from the rows, before commit. A rollback restores
  // the trigger by itself.
  virtual bool pause_enrollment_counters() = 0;
  virtual void resume_enrollment_counters() = 0;

  // --- regions (division tree)
  virtual void put_regions(std::span<const Region> regions) = 0;  // upsert by code
  virtual std::optional<Region> region(RegionCode code) = 0;
  virtual std::vector<Region> regions_under(RegionCode scope) = 0;  // scope and below, by code

  // --- households and persons (upserts; the bulk path of imports)
  virtual void put_households(std::span<const Household> hs) = 0;
  virtual void put_persons(std::span<const Person> ps) = 0;
  virtual std::optional<Household> household(std::string_view id) = 0;
  virtual std::optional<Person> person(std::string_view id_number) = 0;
  virtual std::vector<Person> household_members(std::string_view household) = 0;
  // "" clears. The caller has validated the number.
  virtual void set_household_phone(std::string_view household, std::string_view phone) = 0;
  virtual int64_t count_persons(RegionCode scope) = 0;
  // Persons whose hukou lies in scope, ordered by id_number, `chunk` at a
  // time (keyset pagination; never holds the whole region in memory).
  virtual void scan_persons(RegionCode scope, size_t chunk,
                            const std::function<void(std::span<const Person>)>& fn) = 0;

  // --- categories
  virtual void add_categories(std::span<const PersonCategory> cs) = 0;
  virtual std::vector<PersonCategory> categories_of(std::string_view person) = 0;
  // Categories of the persons of one scan_persons() chunk (ordered by person).
  virtual std::vector<PersonCategory> categories_for(std::span<const Person> chunk) = 0;

  // --- enrollments
  virtual int64_t add_enrollment(const Enrollment& e) = 0;  // returns id
  // Many at once (roster imports with a year). skip_if_active: a person who
  // already holds an active enrollment for the year keeps it and gets none.
  // Returns the number written.
  virtual int64_t add_enrollments(std::span<const Enrollment> es, bool skip_if_active) = 0;
  virtual void update_enrollment(const Enrollment& e) = 0;  // by id
  virtual std::optional<Enrollment> enrollment(int64_t id) = 0;
  virtual std::vector<Enrollment> enrollments_of(std::string_view person, std::optional<int> year) = 0;
  virtual std::vector<Enrollment> enrollments_in(RegionCode scope, int year) = 0;
  // Enrollments in `year` of the persons of one scan_persons() chunk.
  virtual std::vector<Enrollment> enrollments_for(std::span<const Person> chunk, int year) = 0;

  // --- subsidy lists (append-only)
  virtual int64_t add_subsidy_list(const SubsidyListBatch& batch) = 0;  // returns id
  virtual void add_subsidy_entries(std::span<const SubsidyListEntry> es) = 0;
  virtual std::vector<SubsidyListBatch> subsidy_lists(RegionCode scope) = 0;
  virtual std::vector<SubsidyListEntry> subsidy_entries_of(std::string_view person) = 0;
  virtual std::vector<SubsidyListEntry> subsidy_entries(int64_t batch) = 0;

  // --- employee-insurance roster (职工医保参保名单)
  virtual void add_employee_insured(std::span<const EmployeeInsured> es) = 0;
  virtual std::vector<EmployeeInsured> employee_insured(std::string_view person) = 0;

  // --- many persons at once (batch payment checks)
  // What person(), enrollments_of(·, year) for years [year_from, year_to],
  // categories_of() and employee_insured() answer for each of `ids`, in one
  // read per table (IN lists of at most 256). Per person the rows keep those
  // calls' order; unknown IDs have no person. Rejects nothing.
  struct PersonsRead {
    std::vector<Person> persons;
    std::vector<Enrollment> enrollments;       // by person, year, id
    std::vector<PersonCategory> categories;    // by person: roster first, then dated by id
    std::vector<EmployeeInsured> employee;     // by person, id
  };
  virtual PersonsRead persons_read(std::span<const std::string_view> ids, int year_from, int year_to) = 0;

  // --- targets (upsert by region, year, unit)
  virtual void put_targets(std::span<const Target> ts) = 0;
  virtual std::vector<Target> targets(RegionCode scope, int year) = 0;

  // --- import batches
  virtual std::optional<ImportBatch> find_import(std::string_view kind, std::string_view fingerprint) = 0;
  virtual int64_t add_import(const ImportBatch& b) = 0;  // returns id
  virtual void update_import(const ImportBatch& b) = 0;   // counts, status, report by id

  // --- assessments (upsert by person and year)
  virtual void put_assessments(std::span<const StoredAssessment> as) = 0;
  virtual std::optional<StoredAssessment> assessment(std::string_view person, int year) = 0;
  virtual int64_t count_assessments(RegionCode scope, int year) = 0;

  // --- audit (same transaction as the change)
  virtual void audit(const AuditEntry& e) = 0;
  virtual std::vector<AuditEntry> audit_trail(std::string_view entity, std::string_view entity_id) = 0;
};

struct OpenOptions {
  // PostgreSQL only: work inside this schema (created when missing); tests
  // use one schema per test. Letters, digits and '_' only.
  std::string pg_schema;
  bool migrate = true;  // apply pending migrations at open
};

// "canbao.db", "sqlite:canbao.db", ":memory:" → SQLite;
// "postgresql://…" / "postgres://…" → PostgreSQL.
// Throws StoreError (e.g. when the database's schema is newer than this code).
std::unique_ptr<Store> open_store(const std::string& url, const OpenOptions& opt = {});

}  // namespace canbao::store
