#include "store/migrations.h"

#include "store/counters.h"

namespace canbao::store {

namespace {

// Version 1: the registry. Region codes are BIGINT (12-digit padded number),
// dates TEXT 'YYYY-MM-DD', every table has `region` for sharding by county.
constexpr std::string_view kV1 = R"SQL(
CREATE TABLE regions (
  code BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  level INTEGER NOT NULL,
  parent BIGINT,
  region BIGINT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent);

CREATE TABLE import_batches (
  id {{ID}},
  kind TEXT NOT NULL,
  file_name TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  mode TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('committed', 'rejected')),
  rows_total BIGINT NOT NULL DEFAULT 0,
  rows_written BIGINT NOT NULL DEFAULT 0,
  rows_rejected BIGINT NOT NULL DEFAULT 0,
  report TEXT NOT NULL DEFAULT '[]',
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  region BIGINT NOT NULL
);
CREATE INDEX import_batches_fingerprint ON import_batches(kind, fingerprint);

CREATE TABLE households (
  id TEXT PRIMARY KEY,
  region BIGINT NOT NULL,
  head TEXT
);
CREATE INDEX households_region ON households(region);

CREATE TABLE persons (
  id_number TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  birth TEXT NOT NULL,
  sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  household TEXT REFERENCES households(id),
  hukou_region BIGINT NOT NULL,
  residence_region BIGINT,
  disability_grade INTEGER,
  event TEXT,
  event_date TEXT,
  employee_months INTEGER,
  parent_insured INTEGER,
  deceased_on TEXT,
  import_batch BIGINT,
  region BIGINT NOT NULL
);
CREATE INDEX persons_household ON persons(household);
CREATE INDEX persons_region ON persons(region, id_number);

CREATE TABLE subsidy_list_batches (
  id {{ID}},
  department TEXT NOT NULL,
  category TEXT NOT NULL,
  as_of TEXT NOT NULL,
  import_batch BIGINT REFERENCES import_batches(id),
  region BIGINT NOT NULL
);

CREATE TABLE subsidy_list_entries (
  id {{ID}},
  batch BIGINT NOT NULL REFERENCES subsidy_list_batches(id),
  person TEXT NOT NULL,
  name TEXT,
  listed_on TEXT,
  reverses BIGINT REFERENCES subsidy_list_entries(id),
  region BIGINT NOT NULL
);
CREATE INDEX subsidy_list_entries_person ON subsidy_list_entries(person);
CREATE INDEX subsidy_list_entries_batch ON subsidy_list_entries(batch);

CREATE TABLE person_categories (
  id {{ID}},
  person TEXT NOT NULL,
  category TEXT NOT NULL,
  source TEXT NOT NULL,
  as_of TEXT,
  valid_from TEXT,
  valid_to TEXT,
  list_batch BIGINT REFERENCES subsidy_list_batches(id),
  region BIGINT NOT NULL
);
CREATE INDEX person_categories_person ON person_categories(person);

CREATE TABLE enrollments (
  id {{ID}},
  person TEXT NOT NULL REFERENCES persons(id_number),
  year INTEGER NOT NULL,
  place_region BIGINT NOT NULL,
  household TEXT,
  status TEXT NOT NULL CHECK (status IN ('registered', 'paid', 'suspended', 'transferred', 'cancelled')),
  registered_on TEXT,
  paid_on TEXT,
  ended_on TEXT,
  note TEXT NOT NULL DEFAULT '',
  region BIGINT NOT NULL
);
CREATE INDEX enrollments_person ON enrollments(person, year);
CREATE INDEX enrollments_place ON enrollments(year, place_region);

CREATE TABLE employee_insurance (
  id {{ID}},
  person TEXT NOT NULL,
  name TEXT,
  employer TEXT,
  insured_from TEXT,
  insured_to TEXT,
  as_of TEXT NOT NULL,
  import_batch BIGINT REFERENCES import_batches(id),
  region BIGINT NOT NULL
);
CREATE INDEX employee_insurance_person ON employee_insurance(person);

CREATE TABLE targets (
  region BIGINT NOT NULL,
  year INTEGER NOT NULL,
  unit TEXT NOT NULL,
  target BIGINT NOT NULL,
  extra TEXT NOT NULL DEFAULT '{}',
  import_batch BIGINT REFERENCES import_batches(id),
  PRIMARY KEY (region, year, unit)
);

CREATE TABLE audit_log (
  id {{ID}},
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT,
  old_value TEXT,
  new_value TEXT,
  region BIGINT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
)SQL";

// Version 2: the ledger (src/ledger) and the server's accounts (src/server).
// payments is append-only: a payment, a department subsidy row (代缴 /
// 先缴后补) or a reversal (negative amount, `reverses` the original). Every
// kind='payment' row carries its receipt (number, per-region-and-year
// sequence, verification code) written in the same INSERT, so there is no
// payment without a receipt (白条) and no receipt without a payment.
constexpr std::string_view kV2 = R"SQL(
CREATE TABLE payments (
  id {{ID}},
  kind TEXT NOT NULL CHECK (kind IN ('payment', 'subsidy', 'reversal')),
  person TEXT NOT NULL,
  year INTEGER NOT NULL,
  enrollment BIGINT,
  amount BIGINT NOT NULL,
  channel TEXT NOT NULL,
  payer_kind TEXT NOT NULL,
  payer_name TEXT,
  subsidy_mode TEXT,
  idem_key TEXT NOT NULL,
  external_txn TEXT,
  request_hash TEXT NOT NULL,
  reverses BIGINT REFERENCES payments(id),
  parent BIGINT REFERENCES payments(id),
  reason TEXT,
  collector TEXT NOT NULL,
  paid_on TEXT NOT NULL,
  created_at TEXT NOT NULL,
  receipt_region BIGINT,
  receipt_seq BIGINT,
  receipt_no TEXT,
  verify_code TEXT,
  clct_way TEXT NOT NULL,
  clct_type TEXT NOT NULL,
  policy TEXT,
  import_batch BIGINT,
  region BIGINT NOT NULL,
  CHECK (kind <> 'payment' OR (receipt_no IS NOT NULL AND receipt_seq IS NOT NULL AND verify_code IS NOT NULL))
);
CREATE UNIQUE INDEX payments_idem ON payments(idem_key);
CREATE UNIQUE INDEX payments_reverses ON payments(reverses);
CREATE UNIQUE INDEX payments_receipt ON payments(receipt_region, year, receipt_seq);
CREATE UNIQUE INDEX payments_receipt_no ON payments(receipt_no);
CREATE INDEX payments_person ON payments(person, year);
CREATE INDEX payments_region ON payments(region, year);

CREATE TABLE users (
  id {{ID}},
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('admin', 'township', 'village', 'school', 'tax', 'department', 'auditor')),
  scope BIGINT,
  department TEXT,
  password_hash TEXT NOT NULL,
  must_change INTEGER NOT NULL DEFAULT 1,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  region BIGINT NOT NULL
);

CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  region BIGINT NOT NULL
);
CREATE INDEX audit_log_region ON audit_log(region, id);
)SQL";


// Version 3: campaign (src/campaign). Progress counters per place, year and
// day, kept in the same transaction as every enrollment change and ledger
// row by triggers (rendered per dialect by store/counters.h), so progress is a read of a few
// thousand rows, never a scan of persons. lvl 12 = per place (the
// enrollment's code); lvl 9 / 6 = rolled up to the township / county code
// (region / 1000 * 1000, region / 10^6 * 10^6), so a county or province
// view reads a few rows per township or county. Day = the day written on the row
// (registered_on / paid_on), so counters always equal a recount of the
// current rows and "change since last week" is a sum over seven days.
// Also the stored reconciliation runs (数据核对) with their input rows.
constexpr std::string_view kV3Tables = R"SQL(
CREATE TABLE progress_counters (
  lvl INTEGER NOT NULL,
  region BIGINT NOT NULL,
  year INTEGER NOT NULL,
  day TEXT NOT NULL,
  registered BIGINT NOT NULL DEFAULT 0,
  paid BIGINT NOT NULL DEFAULT 0,
  subsidised BIGINT NOT NULL DEFAULT 0,
  collected_fen BIGINT NOT NULL DEFAULT 0,
  subsidy_fen BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (lvl, region, year, day)
);
CREATE INDEX progress_counters_day ON progress_counters(lvl, year, day);

CREATE TABLE progress_totals (
  lvl INTEGER NOT NULL,
  region BIGINT NOT NULL,
  year INTEGER NOT NULL,
  registered BIGINT NOT NULL DEFAULT 0,
  paid BIGINT NOT NULL DEFAULT 0,
  subsidised BIGINT NOT NULL DEFAULT 0,
  collected_fen BIGINT NOT NULL DEFAULT 0,
  subsidy_fen BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (lvl, region, year)
);

)SQL";

// Then the counters filled from the rows (store/counters.h renders the
// backfill, the roll-ups and the totals), then the reconciliation tables.
constexpr std::string_view kV3Reconciliation = R"SQL(
CREATE TABLE reconciliation_runs (
  id {{ID}},
  year INTEGER NOT NULL,
  scope BIGINT,
  inputs_from BIGINT REFERENCES reconciliation_runs(id),
  tax_file TEXT,
  tax_fingerprint TEXT,
  treasury_file TEXT,
  treasury_fingerprint TEXT,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  as_of TEXT,
  tax_rows BIGINT NOT NULL DEFAULT 0,
  treasury_rows BIGINT NOT NULL DEFAULT 0,
  mismatches BIGINT NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '{}',
  region BIGINT NOT NULL
);

CREATE TABLE reconciliation_tax_rows (
  id {{ID}},
  run BIGINT NOT NULL REFERENCES reconciliation_runs(id),
  row_no BIGINT NOT NULL,
  elec_taxrpt_no TEXT,
  certno TEXT NOT NULL,
  psn_name TEXT,
  amount BIGINT NOT NULL,
  clct_time TEXT,
  taxdept_code TEXT,
  revs_flag TEXT NOT NULL DEFAULT 'Z',
  unit_region BIGINT,
  unit_name TEXT,
  year INTEGER,
  region BIGINT NOT NULL
);
CREATE INDEX reconciliation_tax_rows_run ON reconciliation_tax_rows(run, id);

CREATE TABLE reconciliation_treasury_rows (
  id {{ID}},
  run BIGINT NOT NULL REFERENCES reconciliation_runs(id),
  row_no BIGINT NOT NULL,
  unit_region BIGINT,
  unit_name TEXT,
  persons BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  region BIGINT NOT NULL
);
CREATE INDEX reconciliation_treasury_rows_run ON reconciliation_treasury_rows(run, id);

CREATE TABLE reconciliation_items (
  id {{ID}},
  run BIGINT NOT NULL REFERENCES reconciliation_runs(id),
  kind TEXT NOT NULL,
  person TEXT,
  unit_region BIGINT,
  tax TEXT NOT NULL DEFAULT '{}',
  platform TEXT NOT NULL DEFAULT '{}',
  action TEXT NOT NULL DEFAULT '',
  region BIGINT NOT NULL
);
CREATE INDEX reconciliation_items_run ON reconciliation_items(run, kind, id);
)SQL";

const std::string& v3_sql() {
  static const std::string s = std::string(kV3Tables) + counters::migration3_counters() + std::string(kV3Reconciliation);
  return s;
}

// The counter triggers of version 3 (one script per dialect) are rendered
// by store/counters.h from the same description as the backfill.

// Version 4: registry bulk-load layout and stored assessments (src/registry,
// src/store). Persons and households become plain rowid tables whose keys
// are UNIQUE indexes (persons_id, households_id) rather than table-owned
// primary keys, so the first big roster load can drop every index, append
// rows in file order and build the indexes once, sorted, at the end (SQLite
// rebuilds both tables here; PostgreSQL keeps its heap tables and drops and
// re-adds the constraints inside the load's own transaction). The roster's
// undated categories become a column of persons (`categories`, ids joined by
// ';') instead of one person_categories row each; dated department lists stay
// in person_categories. `assessments` holds `canbao assess --db` results: one
// row per person and year, replaced when assessed again.
constexpr std::string_view kV4 = R"SQL(
CREATE TABLE assessments (
  person TEXT NOT NULL,
  year INTEGER NOT NULL,
  policy TEXT NOT NULL,
  place_region BIGINT NOT NULL,
  enrollment BIGINT,
  enrollment_status TEXT NOT NULL,
  eligible INTEGER NOT NULL,
  ineligible TEXT,
  standard BIGINT NOT NULL,
  subsidy BIGINT NOT NULL,
  due BIGINT NOT NULL,
  amounts_known INTEGER NOT NULL,
  subsidy_rule TEXT,
  subsidy_mode TEXT,
  subsidy_lines TEXT NOT NULL DEFAULT '[]',
  payment_status TEXT NOT NULL,
  coverage_start TEXT,
  coverage_end TEXT,
  waiting_until TEXT,
  reason TEXT,
  assessed_at TEXT NOT NULL,
  region BIGINT NOT NULL,
  PRIMARY KEY (person, year)
);
CREATE INDEX assessments_region ON assessments(year, region);
)SQL";

constexpr std::string_view kV4Sqlite = R"SQL(
CREATE TABLE households_v4 (
  id TEXT NOT NULL,
  region BIGINT NOT NULL,
  head TEXT
);
INSERT INTO households_v4 (rowid, id, region, head) SELECT rowid, id, region, head FROM households;
DROP TABLE households;
ALTER TABLE households_v4 RENAME TO households;
CREATE UNIQUE INDEX households_id ON households(id);
CREATE INDEX households_region ON households(region);

CREATE TABLE persons_v4 (
  id_number TEXT NOT NULL,
  name TEXT NOT NULL,
  birth TEXT NOT NULL,
  sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  household TEXT REFERENCES households(id),
  hukou_region BIGINT NOT NULL,
  residence_region BIGINT,
  disability_grade INTEGER,
  event TEXT,
  event_date TEXT,
  employee_months INTEGER,
  parent_insured INTEGER,
  deceased_on TEXT,
  import_batch BIGINT,
  region BIGINT NOT NULL,
  categories TEXT
);
INSERT INTO persons_v4 (rowid, id_number, name, birth, sex, household, hukou_region, residence_region,
  disability_grade, event, event_date, employee_months, parent_insured, deceased_on, import_batch, region)
SELECT rowid, id_number, name, birth, sex, household, hukou_region, residence_region, disability_grade, event,
  event_date, employee_months, parent_insured, deceased_on, import_batch, region FROM persons;
DROP TABLE persons;
ALTER TABLE persons_v4 RENAME TO persons;
CREATE UNIQUE INDEX persons_id ON persons(id_number);
CREATE INDEX persons_household ON persons(household);
CREATE INDEX persons_region ON persons(region, id_number);
)SQL";

constexpr std::string_view kV4Postgres = R"SQL(
ALTER TABLE persons ADD COLUMN categories TEXT;
)SQL";

// Version 5: sessions in the database (issue 11), so a restart keeps users
// logged in and servers over one database share them. Only a BLAKE2b hash of
// the token is stored: a copy of the table opens no session. Times are unix
// seconds; expires_at is the idle expiry (last_seen + idle), last_seen is
// written at most once a minute per session.
constexpr std::string_view kV5 = R"SQL(
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users(id),
  must_change INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  last_seen BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  region BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);
)SQL";

// Version 6: the roster's 学校所在地 (issue 12): documents admit students by
// where their school is, so the registry must keep it to assess them.
constexpr std::string_view kV6 = R"SQL(
ALTER TABLE persons ADD COLUMN school_region BIGINT;
)SQL";

// Version 7: a household's contact phone (issue 14, 贵池 五(二) 未缴费提醒):
// optional, set by the collector, never by a roster import.
constexpr std::string_view kV7 = R"SQL(
ALTER TABLE households ADD COLUMN phone TEXT;
)SQL";

const std::vector<Migration> kMigrations = {
    {1, "registry: regions, households, persons, categories, enrollments, subsidy lists, "
        "employee roster, targets, import batches, audit log", kV1},
    {2, "ledger: payments with receipts, subsidy rows, reversals; users; server keys", kV2},
    {3, "campaign: progress counters kept by triggers, reconciliation runs", v3_sql(), counters::sqlite_triggers(),
     counters::postgresql_triggers()},
    {4, "registry: persons and households keyed by unique indexes (bulk loads), roster categories column, "
        "assessments", kV4, kV4Sqlite, kV4Postgres},
    {5, "server: sessions (token hash, CSRF token, idle expiry) shared by every server", kV5},
    {6, "registry: persons.school_region (学校所在地)", kV6},
    {7, "registry: households.phone (联系电话 for reminders)", kV7},
    // Version 8 (issue 15): the ledger writer adds the counters' deltas per
    // batch itself; the payment and enrollment-update triggers stand aside
    // inside its transaction and keep counting for every other writer
    // (store/counters.h renders both scripts).
    {8, "campaign: progress triggers stand aside for the ledger writer's per-batch counter deltas", {},
     counters::migration8_sqlite(), counters::migration8_postgresql()},
};

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

}  // namespace

const std::vector<Migration>& migrations() { return kMigrations; }
int latest_schema_version() { return kMigrations.back().version; }

std::vector<std::string> migration_statements(const Migration& m, Dialect d) {
  std::string sql(m.sql);
  sql = replace_all(sql, "{{ID}}", d == Dialect::sqlite ? "INTEGER PRIMARY KEY"
                                                        : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t p = sql.find(";\n"); ; p = sql.find(";\n", start)) {
    std::string stmt = sql.substr(start, p == std::string::npos ? std::string::npos : p - start);
    size_t a = stmt.find_first_not_of(" \n\t");
    if (a != std::string::npos) out.push_back(stmt.substr(a));
    if (p == std::string::npos) break;
    start = p + 2;
  }
  // The per-dialect script runs whole, after the common statements.
  std::string_view extra = d == Dialect::sqlite ? m.sqlite_sql : m.postgresql_sql;
  if (!extra.empty()) out.emplace_back(extra);
  return out;
}

}  // namespace canbao::store
