// The payment ledger (DESIGN.md §6, issue 4): append-only rows of payments,
// department subsidy rows (代缴 / 先缴后补) and reversals, each checked
// against the person's assessment, each payment with a gap-free receipt.
//
// Writes go through one writer thread (group commit): callers prepare a
// write on their own pooled connection (reads + assessment, no locks), then
// queue it; the writer applies up to `batch_max` queued writes in ONE
// transaction with a durable commit (SQLite WAL + synchronous=FULL,
// PostgreSQL synchronous_commit=on), re-checking what concurrent writers
// could change (idempotency key, enrollment status, reversal), assigning
// receipt numbers, and only then answers each caller. A write is
// acknowledged only after its commit returned.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/date.h"
#include "io/policy_set.h"
#include "ledger/actor.h"
#include "ledger/outcome.h"
#include "ledger/person_facts.h"
#include "ledger/pool.h"
#include "ledger/presentation.h"
#include "ledger/requests.h"
#include "ledger/tax_import.h"
#include "ledger/vocabulary.h"
#include "store/store.h"

namespace canbao::ledger {

// The year's policies (loaded by io/); the ledger picks one per place.
using PolicySet = io::PolicySet;

struct LedgerOptions {
  size_t batch_max = 512;
  std::string receipt_key_hex;  // 64 hex digits; empty: Store::server_key("receipt")
  // When a batch meets store::Unavailable (fail-over), the writer reconnects
  // and runs the whole batch again for up to this long; then its callers get
  // store::Unavailable (retry later with the same key), nothing acknowledged.
  std::chrono::milliseconds store_retry{30000};
  // Tests only: called after each batch COMMIT returned. Throwing
  // store::Unavailable from it stands for the fail-over race "the COMMIT
  // reached the database, its answer was lost with the connection".
  std::function<void()> after_commit;
  // Tests only: called with "key_absent" (a request found its idempotency key
  // neither pending nor committed and goes on to check the person),
  // "key_pending" (it found the key pending and waits for that result) and
  // "prepared" (checked, about to be queued for the writer). Lets a test force
  // the interleaving of two same-key requests without relying on timing.
  std::function<void(std::string_view stage)> test_hook;
};

class Ledger {
 public:
  // `pool` serves the prepare phase of callers; the writer opens its own
  // connection with the pool's URL and options.
  Ledger(StorePool& pool, const PolicySet& policies, LedgerOptions opt = {});
  ~Ledger();  // drains the queue, stops the writer
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // All block until the write is durable (or refused). Throw
  // store::Unavailable when the database stayed unreachable (nothing written
  // by this call; retry with the same idempotency key).
  Outcome pay(const Actor& a, const PaymentRequest& r, Date today);
  // Many payments at once (the offline queue's sync, a school class): each is
  // checked and answered as pay() would alone, all accepted ones go to the
  // writer together and are made durable by one commit before any answer.
  // Outcomes in request order.
  std::vector<Outcome> pay_batch(const Actor& a, std::span<const PaymentRequest> rs, Date today);
  // 整户缴费 (requests.h): all members in one transaction or nothing; the
  // whole-household rule as for enrollment (registry::household_status).
  HouseholdOutcome pay_household(const Actor& a, const HouseholdPaymentRequest& r, Date today);
  Outcome subsidy(const Actor& a, const SubsidyRequest& r, Date today);
  Outcome reverse(const Actor& a, int64_t payment_id, const std::string& reason, const std::string& key,
                  Date today);

  // Reads (scope-filtered by the store). nullopt = absent or outside scope.
  std::optional<Row> row(store::Store& st, const Actor& a, int64_t id);
  std::optional<Row> row_by_receipt(store::Store& st, const Actor& a, std::string_view number);
  std::vector<Row> children(store::Store& st, int64_t parent);

  using Filter = store::PaymentFilter;
  // One page, newest first, inside the actor's scope (or f.under when inside
  // it; outside: empty, `total` untouched).
  std::vector<Row> list(store::Store& st, const Actor& a, const Filter& f, int64_t* total);

  // Receipt verification code over the receipt's fields.
  std::string verify_code(const Row& r) const;
  const PolicySet& policies() const { return policies_; }
  StorePool& pool() { return pool_; }
  void stop();

  // Figures of the writer (for the benchmark).
  // apply_us: writer time inside the transaction before COMMIT; commit_us:
  // time in COMMIT (the fsync). Both summed over batches.
  struct Stats {
    int64_t batches = 0, writes = 0, apply_us = 0, commit_us = 0;
  };
  Stats stats() const { return {batches_.load(), writes_.load(), apply_us_.load(), commit_us_.load()}; }

  struct Prepared;    // a checked write waiting for the writer
  struct BatchReads;  // what the writer reads once per transaction

 private:
  // A unit: one write, or a batch / household queued together (never split).
  struct Unit {
    std::vector<std::unique_ptr<Prepared>> items;
    bool atomic = false;
  };
  Outcome submit(std::unique_ptr<Prepared> p);
  // Queues `ps` as one unit the writer never splits across transactions;
  // `atomic`: all written or none (one refusal refuses the whole unit).
  // `unavailable_as_refusal`: a write the store never acknowledged answers an
  // "unavailable" refusal instead of throwing store::Unavailable.
  std::vector<Outcome> submit_unit(std::vector<std::unique_ptr<Prepared>> ps, bool atomic,
                                   bool unavailable_as_refusal = false);
  // The prepare phase of one payment on the caller's connection: checks and
  // the rows to write into `p`. `take_due`: the amount is the assessed due
  // (household payments), not checked against r.amount_fen.
  std::optional<Refusal> prepare_payment(store::Store& st, const Actor& a, const PaymentRequest& r, Date day,
                                         bool take_due, Prepared& p);
  // The same over rows from `src` (pay_batch: read once for the batch).
  std::optional<Refusal> prepare_payment(PersonSource& src, const Actor& a, const PaymentRequest& r, Date day,
                                         bool take_due, Prepared& p);
  HouseholdOutcome household_checked(const Actor& a, const HouseholdPaymentRequest& r, Date day,
                                     const std::string& hash, Date today);
  void writer_loop();
  void apply_batch(std::vector<Unit>& units);
  // Runs one writer transaction (`body` opens, applies and commits it). On
  // store::Unavailable the transaction is lost whole: reconnect the writer and
  // run `body` again, until `deadline`. Returns false when the store stayed
  // unavailable; other errors propagate.
  bool writer_tx(const std::function<void()>& body, std::chrono::steady_clock::time_point deadline);
  void writer_session();  // session settings of the writer's connection (at open and after reconnect)
  // Applies `items` inside the open transaction, set-based: one read each of
  // keys, enrollments (locked), reversals and standing subsidies; decisions
  // in memory; then one multi-row insert per table (payments with their
  // subsidy children under reserved ids, audit rows), one multi-row
  // enrollment update and the counters' deltas of the batch (the triggers
  // stand aside, store/counters.h). Throws on a store error (the caller
  // rolls back and retries unit by unit).
  void apply_items(std::span<Prepared* const> items, std::span<Outcome> outs);
  // An atomic unit inside apply_items: replayed whole, refused whole or written whole.
  void apply_atomic(store::LedgerStore& ls, std::span<Prepared* const> items, std::span<Outcome> outs,
                    BatchReads& b, std::vector<store::AuditEntry>& audits, const std::string& now);
  void assign_receipt(store::LedgerStore& ls, Row& m);  // next number of m's (receipt region, year)
  // The idempotency key decides first and last: while one request with `key`
  // is being checked or committed, every other request with the same key
  // waits for its result and answers it as a replay (or a conflict when its
  // request hash differs); only when that first request was refused or failed
  // does a waiter run its own. `run` does the lookup of committed keys, the
  // checks and the write.
  // The prepare phase under a held key: committed-key lookup, checks, submit.
  Outcome pay_checked(const Actor& a, const PaymentRequest& r, Date day, const std::string& hash);
  Outcome subsidy_checked(const Actor& a, const SubsidyRequest& r, Date day, const std::string& hash);
  Outcome reverse_checked(const Actor& a, int64_t payment_id, const std::string& reason, const std::string& key,
                          Date today, const std::string& hash);
  Outcome keyed(const std::string& key, const std::string& hash, const std::function<Outcome()>& run);
  void hook(std::string_view stage) const {
    if (opt_.test_hook) opt_.test_hook(stage);
  }

  StorePool& pool_;
  const PolicySet& policies_;
  LedgerOptions opt_;
  std::string key_;  // 32 bytes
  std::unique_ptr<store::Store> wst_;  // the writer's connection
  std::map<std::pair<int64_t, int>, int64_t> next_seq_;  // (receipt region, year) → next
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Unit> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::atomic<int64_t> batches_{0}, writes_{0}, apply_us_{0}, commit_us_{0};
  struct PendingKey {
    std::string hash;
    std::shared_future<Outcome> result;
  };
  std::mutex keys_mu_;
  std::unordered_map<std::string, PendingKey> pending_;  // keys being checked or committed
};

}  // namespace canbao::ledger
