#include "store/migrations.h"

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

const std::vector<Migration> kMigrations = {
    {1, "registry: regions, households, persons, categories, enrollments, subsidy lists, "
        "employee roster, targets, import batches, audit log", kV1},
    {2, "ledger: payments with receipts, subsidy rows, reversals; users; server keys", kV2},
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
  return out;
}

}  // namespace canbao::store
