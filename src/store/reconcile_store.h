// ReconcileStore: what reconciliation (src/campaign/reconcile) asks of the
// database — the tax and treasury rows a run compared, the runs and their
// findings, and the platform side of the year (active enrollments, payments
// by person and by channel).
//
// Interface only (plain structs and pure virtuals); the SQL is in
// store/sql_reconcile_store.cc. Reached as Store::reconcile(): the same
// connection and transaction as the Store. Runs, their input rows and their
// findings are never changed once finish_run has written them: a rerun is a
// new run (migration 3).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/region_code.h"
#include "store/store.h"

namespace canbao::store {

// One row of the tax bureau's payment detail (居民缴费明细) as read.
struct TaxDetailRow {
  int64_t row_no = 0;
  std::string txn, certno, name;  // elec_taxrpt_no, validated ID number, psn_name
  int64_t amount = 0;             // fen; negative for a write-off (revs_flag "-")
  std::string clct_time, taxdept, revs_flag = "Z";
  RegionCode unit;                // insuplc_admdvs, or the unit name's code; empty when unknown
  std::string unit_name;
  int year = 0;                   // cashym's year, or the run's year
};

// One unit of the treasury's deposit summary (国库入库汇总).
struct TreasuryDepositRow {
  int64_t row_no = 0;
  RegionCode unit;
  std::string unit_name;
  int64_t persons = 0, amount = 0;  // 入库人数, 入库金额 in fen
};

// A run as first written; the findings and the summary follow (finish_run).
struct NewReconcileRun {
  int year = 0;
  RegionCode scope;          // empty = every region
  int64_t inputs_from = 0;   // the run whose input rows were compared, 0 = its own
  std::string tax_file, tax_fingerprint, treasury_file, treasury_fingerprint;  // empty for a rerun
  std::string actor;
  Date as_of;
  int64_t tax_rows = 0, treasury_rows = 0, mismatches = 0;
};

// What add_run wrote: the new id and the creation time the store gave it.
struct AddedReconcileRun {
  int64_t id = 0;
  std::string created_at;  // UTC ISO 8601
};

// A stored run's header; summary is the JSON text finish_run wrote ("{}" before).
struct StoredReconcileRun {
  int64_t id = 0;
  int year = 0;
  RegionCode scope;
  int64_t inputs_from = 0;  // 0 = its own inputs
  std::string actor, created_at;
  int64_t tax_rows = 0, treasury_rows = 0;
  std::string summary;
};

// Which input rows a rerun of a run compares, and for which year and scope.
struct ReconcileRunInputs {
  int64_t inputs_run = 0;  // the run holding the rows (the run itself, or the one it reran)
  int year = 0;
  RegionCode scope;
};

// One line of the run list (the newest last).
struct ReconcileRunListing {
  int64_t id = 0, inputs_from = 0, mismatches = 0;
  int year = 0;
  std::string created_at, actor;
  RegionCode scope;
};

// A run's row counts and stored summary JSON text, for the web's run list.
struct ReconcileRunTotals {
  int64_t id = 0, tax_rows = 0, treasury_rows = 0;
  std::string summary;
};

// One finding; tax and platform are JSON objects as text (never IDs or names).
struct ReconcileFinding {
  std::string kind;    // tax_only | platform_only | amount_differs | …
  std::string person;  // full ID number, empty for a treasury unit
  RegionCode unit;
  std::string tax, platform;
  std::string action;
};

// An enrollment that holds its person for the year (registered or paid), as
// read: the views live only for the callback that receives it.
struct PlatformEnrollmentRow {
  std::string_view person;  // ID number
  int64_t id = 0;
  RegionCode place;
  bool paid = false;          // status "paid", else "registered"
  std::string_view paid_on;   // "YYYY-MM-DD", empty when unpaid
};

// One ledger row of the year, as read (views live only for the callback).
struct PlatformPaymentRow {
  std::string_view person;
  std::string_view payer_kind;    // "department" = subsidy, "family_account" = 个帐代扣, else individual
  int64_t amount = 0;             // fen, negative for a reversal
  std::string_view external_txn;  // empty when NULL
};

// Individual payments of a channel for the year: payments minus reversals.
struct ChannelPaymentTotal {
  std::string channel;
  int64_t count = 0, amount_fen = 0;  // may both be 0 (everything reversed)
};

// A tax payer with no active enrollment in scope, as the roster and the
// enrollments of the year (every place, every status) know them.
struct PersonElsewhere {
  std::string person;
  bool in_roster = false;
  RegionCode hukou;                     // empty when not in the roster
  std::vector<Enrollment> enrollments;  // of the year, by id; only id, place and status are read
};

class ReconcileStore {
 public:
  virtual ~ReconcileStore() = default;

  // --- runs (call the writers inside one transaction: a run is whole or absent)
  // Writes a run's header with an empty summary; returns its id and created_at.
  virtual AddedReconcileRun add_run(const NewReconcileRun& run) = 0;
  // Keeps the rows a run read so that a rerun compares the very same inputs.
  virtual void add_tax_rows(int64_t run, std::span<const TaxDetailRow> rows) = 0;
  virtual void add_treasury_rows(int64_t run, std::span<const TreasuryDepositRow> rows) = 0;
  // Writes the findings in order, then the summary and mismatch count.
  virtual void finish_run(int64_t run, std::span<const ReconcileFinding> findings, std::string_view summary) = 0;

  // nullopt when no run has this id.
  virtual std::optional<StoredReconcileRun> run(int64_t id) = 0;
  // nullopt when no run has this id.
  virtual std::optional<ReconcileRunInputs> inputs_of(int64_t run) = 0;
  // In file order; empty for an unknown run or one without a treasury file.
  virtual std::vector<TaxDetailRow> tax_rows(int64_t run) = 0;
  virtual std::vector<TreasuryDepositRow> treasury_rows(int64_t run) = 0;
  // In the order written; empty for an unknown run.
  virtual std::vector<ReconcileFinding> findings(int64_t run) = 0;
  // Every run of the year, oldest first (all scopes: the caller filters).
  virtual std::vector<ReconcileRunListing> runs(int year) = 0;
  // Every run of the year, in no particular order.
  virtual std::vector<ReconcileRunTotals> run_totals(int year) = 0;

  // --- the platform side, inside scope (empty = everywhere)
  // Streams them row by row (a county's year is millions of rows: no vector
  // of strings); SQLite in id order, PostgreSQL as the server reads them.
  // Throws StoreError on a failed read; fn may throw, which ends the read.
  virtual void each_active_enrollment(RegionCode scope, int year,
                                      const std::function<void(const PlatformEnrollmentRow&)>& fn) = 0;
  // Every ledger row of the year (any status of enrollment), in no particular
  // order; the caller nets them per person. Throws as above.
  virtual void each_payment(RegionCode scope, int year, const std::function<void(const PlatformPaymentRow&)>& fn) = 0;
  // Those of `persons` in the roster or enrolled in the year, one line each,
  // in no particular order (absent ones are left out); read a chunk of IDs
  // per statement, not a statement per person.
  virtual std::vector<PersonElsewhere> persons_elsewhere(std::span<const std::string> persons, int year) = 0;
  // By channel name; department rows are not individual payments and are left out.
  virtual std::vector<ChannelPaymentTotal> payments_by_channel(RegionCode scope, int year) = 0;
};

}  // namespace canbao::store
