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
#include <functional>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/date.h"
#include "core/region_code.h"
#include "ledger/pool.h"
#include "assess/facts.h"
#include "policy/policy.h"
#include "store/store.h"

namespace canbao::ledger {

// --- vocabulary (data tables, NHSA-CODES.md)
struct Channel {
  std::string_view id, label, clct_way;
  // The resident pays by themselves (自主缴费), not through a collector,
  // school or department: where documents require a registration first.
  bool self_service = false;
};
const std::vector<Channel>& channels();
const Channel* find_channel(std::string_view id);
bool valid_payer_kind(std::string_view k);  // self | family_account | school | department

// The year's policies; a place is covered by the policy whose region contains it.
class PolicySet {
 public:
  PolicySet() = default;
  explicit PolicySet(std::vector<Policy> ps) : ps_(std::move(ps)) {}
  // Loads every *.toml of a directory; throws std::runtime_error with file:line.
  static PolicySet load_dir(const std::string& dir);
  const Policy* find(RegionCode place, int year) const;
  const std::vector<Policy>& all() const { return ps_; }
 private:
  std::vector<Policy> ps_;
};

// Who is writing or reading, with the region subtree they may touch.
struct Actor {
  std::string username = "system";
  std::string role = "admin";
  RegionCode scope;         // empty = everything
  std::string department;   // department users: their department
  // How many days before today a payment this actor enters may be dated
  // (paid_on); -1: no limit (imports and tax-bureau records keep their dates).
  // Older only for an admin with a backdate_reason, which is audited.
  int backdate_days = -1;
  bool in_scope(RegionCode r) const { return scope.empty() || (!r.empty() && r.inside(scope)); }
};

enum class Kind { payment, subsidy, reversal };
std::string_view kind_id(Kind k);

struct Row {  // one ledger row
  int64_t id = 0;
  Kind kind = Kind::payment;
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

// A refusal: HTTP status, error code (docs/api.md), Chinese message.
struct Refusal {
  int http = 422;
  std::string code, message, field;
  nlohmann::json details = nullptr;
};

struct Outcome {
  bool ok = false;
  bool replayed = false;  // the idempotency key was seen before: the first result
  Row row;
  std::vector<Row> children;  // subsidy rows of a payment; reversal rows of them
  Refusal refusal;
};

struct PaymentRequest {
  std::string idempotency_key;
  std::string person;  // full ID number
  int year = 0;
  int64_t amount_fen = 0;
  std::string channel;
  std::string payer_kind = "self";
  std::string payer_name;
  std::string external_txn;
  std::optional<Date> paid_on;  // default: today
  std::string backdate_reason;  // admin only: a paid_on older than the actor's backdate_days
  int64_t import_batch = 0;
};

struct SubsidyRequest {
  std::string idempotency_key;
  std::string person;
  int year = 0;
  int64_t amount_fen = 0;
  std::string payer_name;  // department
  std::string mode = "paid_on_behalf";
  std::optional<Date> paid_on;
  std::string backdate_reason;
};

struct LedgerOptions {
  size_t batch_max = 512;
  std::string receipt_key_hex;  // empty: read/create server_keys 'receipt'
  // When a batch meets store::Unavailable (fail-over), the writer reconnects
  // and runs the whole batch again for up to this long; then its callers get
  // store::Unavailable (HTTP 503 + Retry-After), nothing acknowledged.
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
  Outcome subsidy(const Actor& a, const SubsidyRequest& r, Date today);
  Outcome reverse(const Actor& a, int64_t payment_id, const std::string& reason, const std::string& key,
                  Date today);

  // Reads (scope-filtered in SQL). nullopt = absent or outside scope.
  std::optional<Row> row(store::Store& st, const Actor& a, int64_t id);
  std::optional<Row> row_by_receipt(store::Store& st, const Actor& a, std::string_view number);
  std::vector<Row> children(store::Store& st, int64_t parent);

  struct Filter {
    int year = 0;
    RegionCode under;          // inside the actor's scope
    std::string person, channel, kind;
    std::optional<Date> from, to;
    int64_t offset = 0, limit = 50;
    std::string payer_name;  // a department's own rows
  };
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

  struct Prepared;  // a checked write waiting for the writer

 private:
  Outcome submit(std::unique_ptr<Prepared> p);
  void writer_loop();
  void apply_batch(std::vector<std::unique_ptr<Prepared>>& batch);
  // Runs one writer transaction (`body` opens, applies and commits it). On
  // store::Unavailable the transaction is lost whole: reconnect the writer and
  // run `body` again, until `deadline`. Returns false when the store stayed
  // unavailable; other errors propagate.
  bool writer_tx(const std::function<void()>& body, std::chrono::steady_clock::time_point deadline);
  void writer_session();  // session settings of the writer's connection (at open and after reconnect)
  // Applies `items` inside the open transaction: batched idempotency and
  // enrollment reads, per-row inserts with cached statements, one
  // multi-row audit insert. Throws on a store error (the caller rolls back).
  void apply_items(std::span<Prepared* const> items, std::span<Outcome> outs);
  bool replay_or_conflict(Prepared& p, Outcome& out);  // false: key not found
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
  std::deque<std::unique_ptr<Prepared>> queue_;
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

// Helpers shared with the server and the import.
// Facts of one person from indexed per-person reads (registry::fill_facts
// reads by key range, which suits chunks of a scan, not one person).
struct OneFacts {
  std::vector<DatedCategory> dated;
  PersonFacts facts;
};
// `enrolled`: the person's enrollments of `year` when the caller has read them already.
void person_facts(store::Store& st, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled = nullptr);
std::string amount_words(int64_t fen);  // 人民币大写: 叁佰捌拾元整
nlohmann::json row_json(const Row& r, bool unmask = false);
Refusal refusal(int http, std::string code, std::string message, std::string field = {},
                nlohmann::json details = nullptr);

// Tax-bureau payment file (`canbao import payments FILE`): rows matched to
// persons by ID number, idempotent by elec_taxrpt_no, mismatches reported.
struct TaxImportResult {
  int64_t batch_id = 0;
  bool already_imported = false;
  int64_t rows_total = 0, rows_written = 0, rows_replayed = 0, rows_rejected = 0;
  struct Problem {
    int64_t row = 0;
    std::string column, value, reason;
  };
  std::vector<Problem> problems;
  nlohmann::json report() const;
};
TaxImportResult import_tax_payments(Ledger& l, const Actor& a, const std::string& path, int default_year,
                                    Date today);

}  // namespace canbao::ledger
