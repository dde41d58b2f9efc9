// LedgerStore: what the payment ledger (src/ledger) asks of the database —
// its append-only payments table, looked up by idempotency key, id, receipt
// and parent, and the writer's per-batch checks and inserts.
//
// Interface only (plain structs and pure virtuals); the SQL is in
// store/sql_ledger_store.cc. Reached as Store::ledger(): the same connection and
// transaction as the Store, so a writer batch's checks, rows, enrollment
// statuses and audit rows commit or roll back together.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/counters.h"
#include "store/store.h"

namespace canbao::store {

enum class PaymentKind { payment, subsidy, reversal };
// The stored word of a kind ("payment" | "subsidy" | "reversal").
inline std::string_view kind_id(PaymentKind k) {
  switch (k) {
    case PaymentKind::payment: return "payment";
    case PaymentKind::subsidy: return "subsidy";
    case PaymentKind::reversal: return "reversal";
  }
  return "payment";
}
// Unknown words read as a payment (the column only ever holds the three).
inline PaymentKind parse_payment_kind(std::string_view s) {
  return s == "subsidy" ? PaymentKind::subsidy : s == "reversal" ? PaymentKind::reversal : PaymentKind::payment;
}

struct Payment {  // one ledger row
  int64_t id = 0;
  PaymentKind kind = PaymentKind::payment;
  std::string person;  // full ID number (mask before showing)
  int year = 0;
  int64_t enrollment = 0;
  int64_t amount_fen = 0;
  std::string channel, payer_kind, payer_name, subsidy_mode;
  std::string idem_key, external_txn;
  int64_t reverses = 0, parent = 0, reversed_by = 0;
  std::string reason, collector;
  Date paid_on;
  std::string created_at;
  RegionCode receipt_region;
  int64_t receipt_seq = 0;
  std::string receipt_no, verify_code;
  std::string clct_way, clct_type;
  std::string policy;
  int64_t import_batch = 0;
  RegionCode region;  // enrollment place
};

// A row found by its idempotency key, with the hash of the request that wrote
// it: the same key with another hash is a conflict, not a replay.
struct KeyedPayment {
  Payment row;
  std::string request_hash;
};

// The paged list's filter (GET /payments). Empty fields do not filter.
struct PaymentFilter {
  int year = 0;
  RegionCode under;  // inside the actor's scope
  std::string person, channel, kind;
  std::optional<Date> from, to;
  int64_t offset = 0, limit = 50;
  std::string payer_name;  // a department's own rows
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // --- reads (any connection). `scope` limits by the row's enrollment place
  // (empty: everything); a row outside it reads as absent.
  // nullopt when no row carries `key`.
  virtual std::optional<KeyedPayment> by_idempotency_key(std::string_view key) = 0;
  // nullopt when absent or outside scope.
  virtual std::optional<Payment> payment(int64_t id, RegionCode scope) = 0;
  // nullopt when no receipt has that number inside scope.
  virtual std::optional<Payment> by_receipt(std::string_view receipt_no, RegionCode scope) = 0;
  // Subsidy rows of a payment, reversal rows of them; by id, empty when none.
  virtual std::vector<Payment> children(int64_t parent) = 0;
  // Newest first, one page of `f` inside `scope`; `total` (when given)
  // receives the count of all matching rows.
  virtual std::vector<Payment> list(const PaymentFilter& f, RegionCode scope, int64_t* total) = 0;

  // --- the writer (one connection, inside its batch transaction). Its reads
  // and writes are per batch, in a few fixed statement shapes (chunks of
  // 1..256 rows), so a batch costs a few statements, not a few per row.
  // Every commit of this connection is durable before it returns (group
  // commit relies on it); a session setting, so redo after reconnect().
  virtual void make_writes_durable() = 0;
  // From here to the end of the transaction the payment and enrollment
  // triggers leave the progress counters to add_counter_deltas (migration 8);
  // hand_back_counters() before COMMIT. Other transactions keep their triggers.
  virtual void take_over_counters() = 0;
  virtual void hand_back_counters() = 0;
  // Which of `keys` are already stored (the rest are new).
  virtual std::unordered_set<std::string> existing_keys(std::span<const std::string_view> keys) = 0;
  // The counted columns of each enrollment, locked against other writers
  // until the transaction ends (PostgreSQL FOR UPDATE; SQLite's write lock is
  // the writer's already); ids not found are left out.
  virtual std::unordered_map<int64_t, counters::EnrollmentState> enrollments_for_update(
      std::span<const int64_t> ids) = 0;
  // Which of payments `ids` some reversal row already reverses.
  virtual std::unordered_set<int64_t> reversed(std::span<const int64_t> ids) = 0;
  // The unreversed subsidy rows (kind subsidy) of `persons`, every year.
  struct StandingSubsidy {
    std::string person;
    int year = 0;
    std::string payer;
  };
  virtual std::vector<StandingSubsidy> standing_subsidies(std::span<const std::string_view> persons) = 0;
  // Receipt number of the person's unreversed payment of `year`; "" when none
  // (or when that payment has no receipt).
  virtual std::string unreversed_payment_receipt(std::string_view person, int year) = 0;
  // Highest receipt sequence number issued in (receipt region, year); 0 when none.
  virtual int64_t max_receipt_seq(RegionCode receipt_region, int year) = 0;
  // The created_at stamp of rows written now (UTC, the store's text form).
  virtual std::string now_stamp() = 0;
  // `n` unused payment ids, ascending, for rows this transaction inserts
  // (SQLite: above max(id) under the write lock; PostgreSQL: n nextval()s of
  // the id sequence in one statement). Ids left unused are simply skipped.
  virtual std::vector<int64_t> reserve_payment_ids(size_t n) = 0;
  // Appends rows as given, ids included (created_at, receipt, parent filled
  // by the caller); request_hashes[i] belongs to rows[i]. Throws on a
  // constraint (duplicate key, receipt, reversal): the caller rolls back.
  virtual void insert_payments(std::span<const Payment> rows, std::span<const std::string_view> request_hashes) = 0;
  // Moves enrollments to a status with its paid_on (nullopt clears it); the
  // ledger's only write outside its own table. At most one change per id.
  struct StatusChange {
    int64_t enrollment = 0;
    std::string_view status;
    std::optional<Date> paid_on;
  };
  virtual void set_enrollment_statuses(std::span<const StatusChange> changes) = 0;
  // The batch's audit rows in few statements (`at` and `region` as given).
  virtual void append_audit(std::span<const AuditEntry> entries) = 0;
  // Adds a batch's counter changes at every level to progress_counters and
  // progress_totals (after take_over_counters).
  virtual void add_counter_deltas(const counters::Deltas& d) = 0;
};

}  // namespace canbao::store

// ---------------------------------------------------------------------------
// Daily handover (日结): kept as free functions beside LedgerStore (not
// methods of it) so this block stays apart from the writer's interface.
namespace canbao::store {

// One row of a collector's day. `cash_collector` is whose cash the row moves:
// for a payment its collector, for a reversal the collector of the payment it
// reverses — a refund comes out of the cash that collector holds, whoever
// keyed the reversal.
struct CollectedRow {
  Payment row;
  std::string cash_collector;
};

// The self-paid rows (kind payment) dated `day` inside `scope` and the
// reversals of such rows dated `day`, of `collector` (empty: every collector),
// by id.
std::vector<CollectedRow> collected_on(Store& st, Date day, RegionCode scope, std::string_view collector);

}  // namespace canbao::store
