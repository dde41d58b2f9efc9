#include "ledger/ledger.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "assess/assessment.h"
#include "core/id_number.h"
#include "core/money.h"
#include "ledger/checks.h"
#include "ledger/household_due.h"
#include "registry/rules.h"
#include "store/ledger_store.h"

namespace canbao::ledger {

Refusal refusal(ErrorKind kind, std::string code, std::string message, std::string field,
                const nlohmann::json& details) {
  return Refusal{kind, std::move(code), std::move(message), std::move(field), -1,
                 details.is_null() ? std::string() : details.dump()};
}

namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += k[p[i] >> 4];
    s += k[p[i] & 15];
  }
  return s;
}

std::string request_hash(std::string_view text) {
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  return hex(h, sizeof h);
}

std::string fen_yuan(int64_t fen) { return Money::from_fen(fen).yuan(); }

Outcome refused(Refusal r) {
  Outcome o;
  o.refusal = std::move(r);
  return o;
}


// The receipt key given as 64 hex digits (LedgerOptions::receipt_key_hex).
std::string key_from_hex(const std::string& hexkey) {
  std::string key(32, '\0');
  for (size_t i = 0; i < 32 && 2 * i + 1 < hexkey.size(); ++i)
    key[i] = char(std::stoi(hexkey.substr(2 * i, 2), nullptr, 16));
  return key;
}

// The prepare phase words a conflict for what it was asked; the writer, which
// sees every kind, words it as a payment request.
constexpr std::string_view kPaymentKeyConflict = "该幂等键已用于另一笔不同的缴费请求";
constexpr std::string_view kKeyConflict = "该幂等键已用于另一笔不同的请求";

// The committed result stored under `key`, answered as a replay (or as a
// conflict when it was written for a request with another hash); nullopt when
// no row carries the key.
std::optional<Outcome> replay(store::LedgerStore& ls, std::string_view key, const std::string& hash,
                              std::string_view conflict) {
  auto prev = ls.by_idempotency_key(key);
  if (!prev) return std::nullopt;
  if (prev->request_hash != hash)
    return refused(refusal(ErrorKind::conflict, "idempotency_conflict", std::string(conflict), "idempotency_key"));
  Outcome o;
  o.ok = o.replayed = true;
  o.row = std::move(prev->row);
  o.children = rows(ls.children(o.row.id));
  return o;
}

}  // namespace

// ------------------------------------------------------------------ Ledger

struct Ledger::Prepared {
  Actor actor;
  std::string request_hash;
  Row main;
  std::vector<Row> children;
  int64_t enrollment = 0;
  std::string enroll_from, enroll_to;
  std::optional<Date> enroll_paid_on;
  bool check_subsidy_dup = false;
  std::string audit_action;
  nlohmann::json audit_old, audit_new;
  size_t atomic_n = 0;  // on the first write of an atomic unit: how many writes it holds
  std::promise<Outcome> done;
};

Ledger::Ledger(StorePool& pool, const PolicySet& policies, LedgerOptions opt)
    : pool_(pool), policies_(policies), opt_(opt) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium init failed");
  wst_ = pool_.open_one();
  writer_session();
  // Receipt key: 32 random bytes kept in server_keys (created once).
  key_ = opt_.receipt_key_hex.empty() ? wst_->server_key("receipt") : key_from_hex(opt_.receipt_key_hex);
  writer_ = std::thread([this] { writer_loop(); });
}

Ledger::~Ledger() { stop(); }

void Ledger::writer_session() { wst_->ledger().make_writes_durable(); }

bool Ledger::writer_tx(const std::function<void()>& body, std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  for (int attempt = 0;; ++attempt) {
    try {
      if (attempt > 0 || wst_->broken()) {
        wst_->reconnect();  // same URL: a multi-host URL lands on the current primary
        writer_session();
        fmt::print(stderr, "canbao ledger: writer reconnected to the database\n");
      }
      body();
      return true;
    } catch (const store::Unavailable& e) {
      // The transaction died with the connection. Its COMMIT may still have
      // reached the database (and, with synchronous replication, the standby
      // that is now the primary): the next attempt finds those writes by their
      // idempotency keys and answers them as replays, never writes them twice.
      next_seq_.clear();  // receipt counters are re-read from the new primary
      if (attempt == 0) fmt::print(stderr, "canbao ledger: database unavailable, retrying the batch: {}\n", e.what());
      bool stopping;
      {
        std::lock_guard lk(mu_);
        stopping = stopping_;
      }
      auto now = Clock::now();
      if (stopping || now >= deadline) {
        fmt::print(stderr, "canbao ledger: database still unavailable; batch answered 503 (not acknowledged)\n");
        return false;
      }
      auto step = std::chrono::milliseconds(std::min(1000, 50 << std::min(attempt, 5)));
      std::this_thread::sleep_for(std::min<Clock::duration>(step, deadline - now));
    }
  }
}

void Ledger::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::string Ledger::verify_code(const Row& r) const {
  std::string msg = fmt::format("{}|{}|{}|{}|{}", r.receipt_no, mask_id(r.person), r.amount_fen, r.paid_on.str(),
                                r.channel);
  unsigned char h[10];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                     reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  static const char* b32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford
  std::string out;
  uint64_t acc = 0;
  int bits = 0;
  for (unsigned char c : h) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += b32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  // 16 characters in groups of 4
  return out.substr(0, 4) + "-" + out.substr(4, 4) + "-" + out.substr(8, 4) + "-" + out.substr(12, 4);
}

Outcome Ledger::submit(std::unique_ptr<Prepared> p) {
  std::vector<std::unique_ptr<Prepared>> one;
  one.push_back(std::move(p));
  return std::move(submit_unit(std::move(one), false).front());
}

std::vector<Outcome> Ledger::submit_unit(std::vector<std::unique_ptr<Prepared>> ps, bool atomic,
                                         bool unavailable_as_refusal) {
  std::vector<std::future<Outcome>> futs;
  futs.reserve(ps.size());
  for (auto& p : ps) futs.push_back(p->done.get_future());
  if (atomic && !ps.empty()) ps.front()->atomic_n = ps.size();
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      Outcome o;
      o.refusal = refusal(ErrorKind::unavailable, "unavailable", "服务正在停止，请稍后重试");
      return std::vector<Outcome>(ps.size(), o);
    }
    if (!ps.empty()) queue_.push_back(Unit{std::move(ps), atomic});
  }
  cv_.notify_one();
  // Every future is waited for before one's exception propagates, so no write
  // of the unit is still in flight when the caller releases its keys.
  std::vector<Outcome> outs(futs.size());
  std::exception_ptr err;
  for (size_t i = 0; i < futs.size(); ++i) {
    try {
      outs[i] = futs[i].get();
    } catch (const store::Unavailable&) {
      if (!unavailable_as_refusal) err = std::current_exception();
      outs[i] = refused(refusal(ErrorKind::unavailable, "unavailable",
                                "数据库暂时不可用，未确认记账，请用同一幂等键重试"));
    } catch (...) {
      err = std::current_exception();
    }
  }
  if (err) std::rethrow_exception(err);
  return outs;
}

Outcome Ledger::keyed(const std::string& key, const std::string& hash, const std::function<Outcome()>& run) {
  for (;;) {
    std::shared_future<Outcome> first;
    std::string first_hash;
    std::promise<Outcome> mine;
    {
      std::lock_guard lk(keys_mu_);
      auto it = pending_.find(key);
      if (it != pending_.end()) {
        first = it->second.result;
        first_hash = it->second.hash;
      } else {
        pending_.emplace(key, PendingKey{hash, mine.get_future().share()});
      }
    }
    if (first.valid()) {
      hook("key_pending");
      Outcome o;
      try {
        o = first.get();
      } catch (const store::Unavailable&) {
        continue;  // nothing acknowledged under the key: run this request itself
      }
      if (!o.ok) continue;  // the first was refused: nothing stored under the key
      if (first_hash != hash)
        return refused(refusal(ErrorKind::conflict, "idempotency_conflict", "该幂等键已用于另一笔不同的请求", "idempotency_key"));
      o.replayed = true;
      return o;
    }
    // The entry leaves the map before its result is published: by then the
    // write has committed, so a later request finds the key in the database.
    auto release = [&] {
      std::lock_guard lk(keys_mu_);
      pending_.erase(key);
    };
    Outcome o;
    try {
      o = run();
    } catch (...) {
      release();
      mine.set_exception(std::current_exception());
      throw;
    }
    release();
    mine.set_value(o);
    return o;
  }
}

void Ledger::writer_loop() {
  std::vector<Unit> units;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      // Whole units only: a batch call's writes share one commit even when
      // they outnumber batch_max.
      size_t n = 0;
      while (!queue_.empty() && (n == 0 || n + queue_.front().items.size() <= opt_.batch_max)) {
        n += queue_.front().items.size();
        units.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    apply_batch(units);
    units.clear();
  }
}

void Ledger::apply_batch(std::vector<Unit>& units) {
  using Us = std::chrono::microseconds;
  auto since = [](auto t0) { return std::chrono::duration_cast<Us>(std::chrono::steady_clock::now() - t0).count(); };
  std::vector<Prepared*> items;
  std::vector<std::pair<size_t, size_t>> spans;  // each unit's [first, count) for the one-by-one retry
  for (auto& u : units) {
    const size_t first = items.size();
    for (auto& p : u.items) {
      p->atomic_n = 0;
      items.push_back(p.get());
    }
    if (u.atomic) {
      items[first]->atomic_n = u.items.size();
      spans.emplace_back(first, u.items.size());
    } else {
      for (size_t k = 0; k < u.items.size(); ++k) spans.emplace_back(first + k, 1);
    }
  }
  const size_t total = items.size();
  std::vector<Outcome> outs(total);
  bool ok = false;
  // Unavailable: reconnect and run the whole batch again (writer_tx); a batch
  // is acknowledged only by a COMMIT that returned.
  const auto deadline = std::chrono::steady_clock::now() + opt_.store_retry;
  std::vector<bool> down(total, false);  // the store stayed unavailable: nothing acknowledged
  bool gave_up = false;
  try {
    ok = writer_tx(
        [&] {
          for (auto& o : outs) o = Outcome{};
          auto tx = wst_->transaction();
          auto t0 = std::chrono::steady_clock::now();
          apply_items(items, outs);
          apply_us_ += since(t0);
          auto t1 = std::chrono::steady_clock::now();
          tx.commit();  // durable: one fsync for the whole batch
          commit_us_ += since(t1);
          if (opt_.after_commit) opt_.after_commit();
        },
        deadline);
    if (!ok) {
      gave_up = true;
      down.assign(total, true);
    }
  } catch (const std::exception& e) {
    next_seq_.clear();  // counters may have advanced inside the rolled-back batch
  }
  if (!ok && !gave_up) {
    // Retry unit by unit (a write alone, an atomic unit whole) so a bad write fails alone.
    for (const auto& span : spans) {
      // Named copies: lambdas may not capture structured bindings before C++20 P1091 (clang).
      const size_t i = span.first, n = span.second;
      auto reset = [&] { std::fill(outs.begin() + ptrdiff_t(i), outs.begin() + ptrdiff_t(i + n), Outcome{}); };
      try {
        bool up = writer_tx(
            [&] {
              reset();
              auto tx = wst_->transaction();
              apply_items(std::span<Prepared* const>(&items[i], n), std::span<Outcome>(&outs[i], n));
              tx.commit();
            },
            deadline);
        std::fill(down.begin() + ptrdiff_t(i), down.begin() + ptrdiff_t(i + n), !up);
      } catch (const std::exception& e) {
        next_seq_.clear();
        reset();
        for (size_t k = i; k < i + n; ++k)
          outs[k].refusal = refusal(ErrorKind::unavailable, "unavailable", "写入失败，请稍后重试（未记账）");
        fmt::print(stderr, "canbao ledger: write failed: {}\n", e.what());
      }
    }
  }
  batches_++;
  writes_ += int64_t(total);
  for (size_t i = 0; i < total; ++i) {
    if (down[i])
      items[i]->done.set_exception(std::make_exception_ptr(
          store::Unavailable("数据库暂时不可用，未确认记账 / database unavailable, payment not acknowledged")));
    else
      items[i]->done.set_value(std::move(outs[i]));
  }
}

// ------------------------------------------------------------------ writer

// What the writer reads once per batch inside its transaction (it holds the
// write lock on SQLite, the enrollment rows' locks on PostgreSQL), what the
// batch has decided so far (later writes of the batch see earlier ones), and
// the rows it will write with one multi-row statement per table. Enrollments
// are also written by registry/campaign code, so they are read each batch,
// never cached across batches.
struct Ledger::BatchReads {
  using EnrollmentState = store::counters::EnrollmentState;
  std::unordered_set<std::string> existing;  // keys stored before the batch
  std::unordered_set<std::string> in_batch;  // keys written by this batch
  std::unordered_map<int64_t, EnrollmentState> read;  // enrollments as read
  std::unordered_map<int64_t, EnrollmentState> now;   // … as the batch moves them
  std::unordered_map<int64_t, std::optional<Date>> moved;  // enrollment → its new paid_on
  std::unordered_set<int64_t> reversed;  // payments reversed (stored or by this batch)
  // (person, year) → payer of each unreversed subsidy row; read for the
  // persons of writes that touch subsidies only (plain payments do not).
  std::map<std::pair<std::string, int>, std::vector<std::string>> standing;
  std::vector<int64_t> ids;  // reserved payment ids, used in order
  size_t next_id = 0;
  std::vector<store::Payment> rows;  // not yet inserted
  std::vector<std::string_view> hashes;
  store::counters::Deltas deltas;

  int64_t take_id() {
    if (next_id >= ids.size()) throw std::logic_error("ledger writer: more rows than reserved ids");
    return ids[next_id++];
  }
  bool taken(const std::string& key) const { return existing.count(key) || in_batch.count(key); }
  bool has_subsidy(const std::string& person, int year, const std::string& payer) const {
    auto it = standing.find({person, year});
    return it != standing.end() && std::find(it->second.begin(), it->second.end(), payer) != it->second.end();
  }
};

namespace {

using BatchReads = Ledger::BatchReads;

// Writes touching subsidy rows: their person's standing subsidies are read.
bool touches_subsidies(const Ledger::Prepared& p) { return p.main.kind != Kind::payment || !p.children.empty(); }

BatchReads read_batch(store::LedgerStore& ls, std::span<Ledger::Prepared* const> items) {
  std::vector<std::string_view> keys, persons;
  std::vector<int64_t> enr, targets;
  size_t rows = 0;
  for (auto* p : items) {
    keys.push_back(p->main.idem_key);
    if (p->enrollment && !p->enroll_from.empty()) enr.push_back(p->enrollment);
    if (p->main.kind == Kind::reversal) targets.push_back(p->main.reverses);
    if (touches_subsidies(*p)) persons.push_back(p->main.person);
    rows += 1 + p->children.size();
  }
  std::sort(persons.begin(), persons.end());
  persons.erase(std::unique(persons.begin(), persons.end()), persons.end());
  BatchReads b;
  b.existing = ls.existing_keys(keys);
  b.read = ls.enrollments_for_update(enr);
  b.now = b.read;
  b.reversed = ls.reversed(targets);
  for (auto& s : ls.standing_subsidies(persons)) b.standing[{s.person, s.year}].push_back(std::move(s.payer));
  b.ids = ls.reserve_payment_ids(rows);
  return b;
}

// The receipt of the person's unreversed payment of the year, written by
// this batch or stored before it.
std::string paid_receipt(store::LedgerStore& ls, const BatchReads& b, const std::string& person, int year) {
  for (auto it = b.rows.rbegin(); it != b.rows.rend(); ++it)
    if (it->kind == Kind::payment && it->person == person && it->year == year && !b.reversed.count(it->id))
      return it->receipt_no;
  return ls.unreversed_payment_receipt(person, year);
}

// What a concurrent writer (or an earlier write of this batch) could have
// changed since the prepare phase. A reversal that lost the race to another
// reversal of the same row is "already reversed" (checked before the
// enrollment, which that other reversal moved back to registered).
std::optional<Refusal> recheck(store::LedgerStore& ls, const Ledger::Prepared& p, const BatchReads& b) {
  if (p.main.kind == Kind::reversal && b.reversed.count(p.main.reverses))
    return refusal(ErrorKind::conflict, "already_reversed", "该笔缴费已冲正，不能重复冲正");
  if (p.enrollment && !p.enroll_from.empty()) {
    auto it = b.now.find(p.enrollment);
    const std::string st = it == b.now.end() ? std::string() : it->second.status;
    if (st != p.enroll_from) {
      if (st == "paid") {
        std::string no = paid_receipt(ls, b, p.main.person, p.main.year);
        return refusal(ErrorKind::conflict, "already_paid", "该人员本年度已缴费" + (no.empty() ? "" : "，凭证号 " + no),
                       "", nlohmann::json{{"receipt_no", no}});
      }
      if (st == "registered") return refusal(ErrorKind::conflict, "not_paid", "该缴费已被冲正或尚未缴费");
      return refusal(ErrorKind::refused, "not_enrolled", "该人员本年度参保登记已失效（" + st + "）");
    }
  }
  if (p.check_subsidy_dup && b.has_subsidy(p.main.person, p.main.year, p.main.payer_name))
    return refusal(ErrorKind::conflict, "already_paid", "该部门对该人员本年度的资助已记账");
  return std::nullopt;
}

// A 代缴 line the department already recorded itself (POST /subsidy-payments
// before the person paid) is not written a second time by the payment.
void drop_recorded_subsidies(const BatchReads& b, Ledger::Prepared& p) {
  if (p.main.kind != Kind::payment || p.children.empty()) return;
  std::erase_if(p.children, [&](const Row& ch) {
    return ch.kind == Kind::subsidy && b.has_subsidy(ch.person, ch.year, ch.payer_name);
  });
}

// One row into the batch: what later writes of the batch see, and its
// counter change (the payment trigger's, which stands aside for the writer).
void stage(BatchReads& b, const Row& r, const std::string& hash) {
  b.rows.push_back(r);
  b.hashes.push_back(hash);
  b.in_batch.insert(r.idem_key);
  const bool department = r.payer_kind == "department";
  int64_t standing = 0;
  if (r.kind == Kind::subsidy || (r.kind == Kind::reversal && department)) {
    auto& payers = b.standing[{r.person, r.year}];
    if (r.kind == Kind::subsidy) {
      payers.push_back(r.payer_name);
    } else if (auto it = std::find(payers.begin(), payers.end(), r.payer_name); it != payers.end()) {
      payers.erase(it);  // only subsidy rows are the department's: this reversal reverses one
    }
    standing = int64_t(payers.size());
  }
  if (r.kind == Kind::reversal) b.reversed.insert(r.reverses);
  b.deltas.payment(int64_t(r.region.padded_number()), r.year, r.paid_on.str(), department, r.amount_fen,
                   store::counters::subsidised_change(kind_id(r.kind), department, standing));
}

// The rows of one write (ids from the reserve, children after their
// parent), then the enrollment status that follows the ledger.
void write_rows(Ledger::Prepared& p, BatchReads& b) {
  Row& m = p.main;
  m.id = b.take_id();
  stage(b, m, p.request_hash);
  for (auto& c : p.children) {
    c.parent = m.id;
    c.created_at = m.created_at;
    c.id = b.take_id();
    stage(b, c, p.request_hash);
  }
  if (p.enrollment && !p.enroll_to.empty()) {
    auto& e = b.now[p.enrollment];
    e.status = p.enroll_to;
    e.paid_on = p.enroll_paid_on ? p.enroll_paid_on->str() : std::string();
    b.moved[p.enrollment] = p.enroll_paid_on;
  }
}

// Inserts the rows staged so far (one multi-row statement per chunk).
void flush_rows(store::LedgerStore& ls, BatchReads& b) {
  if (b.rows.empty()) return;
  ls.insert_payments(b.rows, b.hashes);
  b.rows.clear();
  b.hashes.clear();
}

// The end of a batch: the rows, the enrollments' statuses, the audit rows
// and the counters' change, each in one multi-row statement per chunk.
void write_batch(store::LedgerStore& ls, BatchReads& b, std::span<const store::AuditEntry> audits) {
  flush_rows(ls, b);
  std::vector<store::LedgerStore::StatusChange> changes;
  changes.reserve(b.moved.size());
  for (const auto& [id, paid_on] : b.moved) {
    const auto& after = b.now.at(id);
    if (auto it = b.read.find(id); it != b.read.end()) b.deltas.enrollment(it->second, after);
    changes.push_back({id, after.status, paid_on});
  }
  ls.set_enrollment_statuses(changes);
  ls.append_audit(audits);
  ls.add_counter_deltas(b.deltas);
  ls.hand_back_counters();
}

// The audit row of a written write (same transaction as its rows).
store::AuditEntry audit_of(const Ledger::Prepared& p, const std::string& now) {
  const Row& m = p.main;
  nlohmann::json nj = row_json(m);
  if (!p.children.empty()) {
    nj["children"] = nlohmann::json::array();
    for (auto& c : p.children)
      nj["children"].push_back({{"id", c.id}, {"payer", c.payer_name}, {"amount_fen", c.amount_fen}});
  }
  if (!p.audit_new.is_null()) nj["request"] = p.audit_new;
  return store::AuditEntry{now, p.actor.username, p.audit_action, "payment", std::to_string(m.id),
                           p.audit_old.is_null() ? "" : p.audit_old.dump(), nj.dump(), m.region};
}

// The result stored under the key of `p`: a replay, or a conflict when
// another request wrote it. Rows of this batch are inserted first so the
// lookup finds them (a key met twice in one batch is rare).
std::optional<Outcome> replay_in_batch(store::LedgerStore& ls, BatchReads& b, const Ledger::Prepared& p) {
  if (b.in_batch.count(p.main.idem_key)) flush_rows(ls, b);
  return replay(ls, p.main.idem_key, p.request_hash, kPaymentKeyConflict);
}

}  // namespace

// Receipt number: next in (receipt region, year), kept in memory by the
// writer (the only writer of payments), loaded once per key.
void Ledger::assign_receipt(store::LedgerStore& ls, Row& m) {
  auto k = std::make_pair(int64_t(m.receipt_region.padded_number()), m.year);
  auto it = next_seq_.find(k);
  if (it == next_seq_.end()) it = next_seq_.emplace(k, ls.max_receipt_seq(m.receipt_region, m.year) + 1).first;
  m.receipt_seq = it->second++;
  m.receipt_no = fmt::format("{}-{}-{:08d}", m.receipt_region.str(), m.year, m.receipt_seq);
  m.verify_code = verify_code(m);
}

void Ledger::apply_items(std::span<Prepared* const> items, std::span<Outcome> outs) {
  auto& ls = wst_->ledger();
  // Before any row: the triggers leave the counters to this batch's deltas.
  ls.take_over_counters();
  BatchReads b = read_batch(ls, items);
  std::vector<store::AuditEntry> audits;
  audits.reserve(items.size());
  const std::string now = ls.now_stamp();
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i]->atomic_n > 1) {
      const size_t n = std::min(items[i]->atomic_n, items.size() - i);
      apply_atomic(ls, items.subspan(i, n), outs.subspan(i, n), b, audits, now);
      i += n - 1;
      continue;
    }
    Prepared& p = *items[i];
    Outcome& out = outs[i];
    // Idempotency: the key seen before (also earlier in this batch) → the first result.
    if (b.taken(p.main.idem_key)) {
      if (auto o = replay_in_batch(ls, b, p)) {
        out = std::move(*o);
        continue;
      }
    }
    if (auto ref = recheck(ls, p, b)) {
      out.refusal = std::move(*ref);
      continue;
    }
    drop_recorded_subsidies(b, p);
    p.main.created_at = now;
    if (p.main.kind == Kind::payment) assign_receipt(ls, p.main);
    write_rows(p, b);
    audits.push_back(audit_of(p, now));
    out.ok = true;
    out.row = p.main;
    out.children = p.children;
  }
  write_batch(ls, b, audits);
}

void Ledger::apply_atomic(store::LedgerStore& ls, std::span<Prepared* const> items, std::span<Outcome> outs,
                          BatchReads& b, std::vector<store::AuditEntry>& audits, const std::string& now) {
  // The unit's keys are written together, so the first one decides: stored
  // (a COMMIT whose answer was lost, run again) → every write answers its replay.
  if (b.taken(items.front()->main.idem_key)) {
    for (size_t i = 0; i < items.size(); ++i) {
      auto o = replay_in_batch(ls, b, *items[i]);
      outs[i] = o ? std::move(*o)
                  : refused(refusal(ErrorKind::conflict, "idempotency_conflict", std::string(kPaymentKeyConflict),
                                    "idempotency_key"));
    }
    return;
  }
  // Every recheck before the first row: one refusal refuses the unit, nothing written.
  for (size_t i = 0; i < items.size(); ++i) {
    auto ref = b.taken(items[i]->main.idem_key)
                   ? std::optional<Refusal>(refusal(ErrorKind::conflict, "idempotency_conflict",
                                                    std::string(kPaymentKeyConflict), "idempotency_key"))
                   : recheck(ls, *items[i], b);
    if (!ref) continue;
    for (size_t k = 0; k < items.size(); ++k)
      outs[k] = refused(k == i ? *ref : refusal(ErrorKind::conflict, "group_aborted", "同组其他缴费被拒绝，本笔未记账"));
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    Prepared& p = *items[i];
    drop_recorded_subsidies(b, p);
    p.main.created_at = now;
    if (p.main.kind == Kind::payment) assign_receipt(ls, p.main);
    write_rows(p, b);
    audits.push_back(audit_of(p, now));
    outs[i].ok = true;
    outs[i].row = p.main;
    outs[i].children = p.children;
  }
}

// ----------------------------------------------------------- prepare phase

namespace {

// The request's own fields and the backdating window, before any read; on
// success `day` and `hash` are the payment day and the request's hash.
std::optional<Refusal> pay_precheck(const Actor& actor, const PaymentRequest& r, Date today, Date& day,
                                    std::string& hash) {
  // Keys are bounded in characters by the API; bytes here (scope prefix + UTF-8).
  if (r.idempotency_key.empty() || r.idempotency_key.size() > 512)
    return refusal(ErrorKind::invalid, "missing_field", "缺少幂等键（idempotency_key，不超过100个字符）", "idempotency_key");
  const Channel* ch = find_channel(r.channel);
  if (!ch || r.channel == "department") return refusal(ErrorKind::invalid, "bad_field", "缴费渠道无效", "channel");
  if (!valid_payer_kind(r.payer_kind) || r.payer_kind == "department")
    return refusal(ErrorKind::invalid, "bad_field", "缴费人类型无效", "payer_kind");
  if (r.payer_kind == "family_account" && r.payer_name.empty())
    return refusal(ErrorKind::invalid, "missing_field", "家庭共济账户缴费须填写账户持有人", "payer_name");
  if (r.amount_fen < 0) return refusal(ErrorKind::invalid, "bad_field", "缴费金额不能为负", "amount_fen");
  if (r.year < 2000 || r.year > 2199) return refusal(ErrorKind::invalid, "bad_field", "年度无效", "year");
  day = r.paid_on.value_or(today);
  if (today < day) return refusal(ErrorKind::invalid, "bad_field", "缴费日期不能晚于今天", "paid_on");
  const bool tax_record = r.import_batch != 0 || (r.channel == "tax_hall" && !r.external_txn.empty());
  if (auto ref = backdate_refusal(actor, r.backdate_reason, day, today, tax_record)) return ref;
  // The external transaction id is part of the request (a different one under
  // the same key is a conflict); appended only when present, so the hashes
  // stored before it was compared still match their replays.
  hash = request_hash(fmt::format("pay|{}|{}|{}|{}|{}|{}|{}", r.person, r.year, r.amount_fen, r.channel,
                                  r.payer_kind, r.payer_name, day.str()) +
                      (r.external_txn.empty() ? std::string() : "|txn:" + r.external_txn));
  return std::nullopt;
}

}  // namespace

Outcome Ledger::pay(const Actor& actor, const PaymentRequest& r, Date today) {
  Date day;
  std::string hash;
  if (auto ref = pay_precheck(actor, r, today, day, hash)) return refused(*ref);
  return keyed(r.idempotency_key, hash, [&] { return pay_checked(actor, r, day, hash); });
}

Outcome Ledger::pay_checked(const Actor& actor, const PaymentRequest& r, Date day, const std::string& hash) {
  auto p = std::make_unique<Prepared>();
  p->request_hash = hash;
  {
    auto lease = pool_.lease();
    auto& st = *lease;
    if (auto o = replay(st.ledger(), r.idempotency_key, hash, kPaymentKeyConflict)) return *o;  // fast replay
    hook("key_absent");
    if (auto ref = prepare_payment(st, actor, r, day, false, *p)) return refused(*ref);
  }
  hook("prepared");
  return submit(std::move(p));
}

std::optional<Refusal> Ledger::prepare_payment(store::Store& st, const Actor& actor, const PaymentRequest& r, Date day,
                                               bool take_due, Prepared& p) {
  StoreSource src(st);
  return prepare_payment(src, actor, r, day, take_due, p);
}

std::optional<Refusal> Ledger::prepare_payment(PersonSource& st, const Actor& actor, const PaymentRequest& r, Date day,
                                               bool take_due, Prepared& p) {
  const Channel* ch = find_channel(r.channel);
  p.actor = actor;
  Checked c;
  Refusal ref;
  if (!check_person(st, policies_, actor, r.person, r.year, day, true, c, ref, ch)) return ref;
  if (!check_window(*c.policy, c.a, day, ref)) return ref;
  if (!c.a.due_known)
    return refusal(ErrorKind::refused, "due_unknown",
                   "政策文件未明确该人员的个人缴费金额（需本地配置），暂不能收费：" + assessment_reason(*c.policy, c.a));
  const int64_t amount = take_due ? c.a.due.fen : r.amount_fen;
  if (amount != c.a.due.fen)
    return refusal(ErrorKind::refused, "wrong_amount",
                   fmt::format("缴费金额与应缴金额不符：应缴 {} 元，实收 {} 元", c.a.due.yuan(), fen_yuan(amount)),
                   "amount_fen", nlohmann::json{{"expected_fen", c.a.due.fen}});
  Row& m = p.main;
  m.kind = Kind::payment;
  m.person = c.person.id_number;
  m.year = r.year;
  m.enrollment = c.enrollment.id;
  m.amount_fen = amount;
  m.channel = r.channel;
  m.payer_kind = r.payer_kind;
  m.payer_name = r.payer_name;
  m.idem_key = r.idempotency_key;
  m.external_txn = r.external_txn;
  m.collector = actor.username;
  m.paid_on = day;
  m.receipt_region = c.policy->region;
  m.clct_way = std::string(ch->clct_way);
  m.clct_type = "10";
  m.policy = c.policy->id;
  m.import_batch = r.import_batch;
  m.region = c.enrollment.place;
  // Department rows for the paid-on-behalf subsidy lines (代缴), same transaction.
  for (int k = 0; k < c.a.nlines; ++k) {
    const auto& line = c.a.lines[k];
    const auto& rule = c.policy->subsidies.at(size_t(line.rule));
    if (rule.mode != SubsidyMode::paid_on_behalf || line.amount.fen == 0) continue;
    // The document names no payer for this line: the person's own share is
    // taken, the 代缴 waits until a payer is configured locally.
    if (!rule.payers.at(size_t(line.payer)).configured()) continue;
    Row s = m;
    s.kind = Kind::subsidy;
    s.amount_fen = line.amount.fen;
    s.channel = "department";
    s.payer_kind = "department";
    s.payer_name = rule.payers.at(size_t(line.payer)).payer;
    s.subsidy_mode = "paid_on_behalf";
    s.idem_key = fmt::format("{}#subsidy{}", r.idempotency_key, k);
    s.external_txn.clear();
    s.receipt_region = {};
    s.clct_way = "06";
    p.children.push_back(std::move(s));
  }
  p.enrollment = c.enrollment.id;
  p.enroll_from = "registered";
  p.enroll_to = "paid";
  p.enroll_paid_on = day;
  p.audit_action = "payment.create";
  if (!r.backdate_reason.empty()) p.audit_new = {{"backdate_reason", r.backdate_reason}};
  return std::nullopt;
}

Outcome Ledger::subsidy(const Actor& actor, const SubsidyRequest& r, Date today) {
  if (r.idempotency_key.empty() || r.idempotency_key.size() > 512)
    return refused(refusal(ErrorKind::invalid, "missing_field", "缺少幂等键（idempotency_key）", "idempotency_key"));
  if (r.payer_name.empty()) return refused(refusal(ErrorKind::invalid, "missing_field", "缺少资助部门", "payer_name"));
  if (actor.role == "department" && r.payer_name != actor.department)
    return refused(refusal(ErrorKind::forbidden, "forbidden", "只能记录本部门的资助", "payer_name"));
  if (r.mode != "paid_on_behalf" && r.mode != "reimbursed")
    return refused(refusal(ErrorKind::invalid, "bad_field", "资助方式须为 paid_on_behalf（代缴）或 reimbursed（先缴后补）", "mode"));
  Date day = r.paid_on.value_or(today);
  if (today < day) return refused(refusal(ErrorKind::invalid, "bad_field", "日期不能晚于今天", "paid_on"));
  if (auto ref = backdate_refusal(actor, r.backdate_reason, day, today, false)) return refused(*ref);
  const std::string hash = request_hash(fmt::format("subsidy|{}|{}|{}|{}|{}|{}", r.person, r.year, r.amount_fen,
                                                    r.payer_name, r.mode, day.str()));
  return keyed(r.idempotency_key, hash, [&] { return subsidy_checked(actor, r, day, hash); });
}

Outcome Ledger::subsidy_checked(const Actor& actor, const SubsidyRequest& r, Date day, const std::string& hash) {
  auto p = std::make_unique<Prepared>();
  p->actor = actor;
  p->request_hash = hash;
  {
    auto lease = pool_.lease();
    auto& st = *lease;
    if (auto o = replay(st.ledger(), r.idempotency_key, hash, kKeyConflict)) return *o;
    hook("key_absent");
    Checked c;
    Refusal ref;
    if (!check_person(st, policies_, actor, r.person, r.year, day, false, c, ref)) return refused(ref);
    int64_t expected = 0;
    std::string mode;
    for (int k = 0; k < c.a.nlines; ++k) {
      const auto& line = c.a.lines[k];
      const auto& rule = c.policy->subsidies.at(size_t(line.rule));
      // An unconfigured line's placeholder name is no department.
      if (rule.payers.at(size_t(line.payer)).configured() && rule.payers.at(size_t(line.payer)).payer == r.payer_name) {
        expected += line.amount.fen;
        mode = std::string(mode_id(rule.mode));
      }
    }
    if (expected == 0)
      return refused(refusal(ErrorKind::refused, "not_eligible", "按政策该人员本年度不享受该部门的资助", "payer_name"));
    if (mode != r.mode)
      return refused(refusal(ErrorKind::refused, "bad_field", "资助方式与政策不符：政策规定为 " + mode, "mode"));
    if (r.amount_fen != expected)
      return refused(refusal(ErrorKind::refused, "wrong_amount",
                             fmt::format("资助金额与政策不符：应为 {} 元", fen_yuan(expected)), "amount_fen",
                             nlohmann::json{{"expected_fen", expected}}));
    Row& m = p->main;
    m.kind = Kind::subsidy;
    m.person = c.person.id_number;
    m.year = r.year;
    m.enrollment = c.enrollment.id;
    m.amount_fen = r.amount_fen;
    m.channel = "department";
    m.payer_kind = "department";
    m.payer_name = r.payer_name;
    m.subsidy_mode = r.mode;
    m.idem_key = r.idempotency_key;
    m.collector = actor.username;
    m.paid_on = day;
    m.clct_way = "06";
    m.clct_type = "10";
    m.policy = c.policy->id;
    m.region = c.enrollment.place;
    p->check_subsidy_dup = true;
    p->audit_action = "subsidy.create";
    if (!r.backdate_reason.empty()) p->audit_new = {{"backdate_reason", r.backdate_reason}};
  }
  hook("prepared");
  return submit(std::move(p));
}

Outcome Ledger::reverse(const Actor& actor, int64_t payment_id, const std::string& reason, const std::string& key,
                        Date today) {
  if (reason.empty()) return refused(refusal(ErrorKind::invalid, "missing_field", "冲正必须填写原因", "reason"));
  if (key.empty()) return refused(refusal(ErrorKind::invalid, "missing_field", "缺少幂等键（idempotency_key）", "idempotency_key"));
  const std::string hash = request_hash(fmt::format("reverse|{}|{}", payment_id, reason));
  return keyed(key, hash, [&] { return reverse_checked(actor, payment_id, reason, key, today, hash); });
}

Outcome Ledger::reverse_checked(const Actor& actor, int64_t payment_id, const std::string& reason,
                                const std::string& key, Date today, const std::string& hash) {
  auto p = std::make_unique<Prepared>();
  p->actor = actor;
  p->request_hash = hash;
  {
    auto lease = pool_.lease();
    auto& st = *lease;
    if (auto o = replay(st.ledger(), key, hash, kKeyConflict)) return *o;
    hook("key_absent");
    auto orig = row(st, actor, payment_id);
    if (!orig) return refused(refusal(ErrorKind::not_found, "not_found", "未找到该缴费记录"));
    if (orig->kind == Kind::reversal) return refused(refusal(ErrorKind::refused, "bad_field", "冲正记录不能再冲正"));
    if (orig->kind == Kind::subsidy && orig->parent)
      return refused(refusal(ErrorKind::refused, "bad_field", "随缴费记账的代缴资助随原缴费一起冲正"));
    if (orig->reversed_by) return refused(refusal(ErrorKind::conflict, "already_reversed", "该笔缴费已冲正，不能重复冲正"));
    const Policy* pol = policies_.find(orig->region, orig->year);
    if (pol && pol->refund == Policy::Refund::not_after_coverage_start && orig->kind == Kind::payment) {
      // Coverage start of this payment, as assessed for its payment day.
      Date start = pol->coverage_period.first;
      if (auto person = st.person(orig->person)) {
        OneFacts of;
        person_facts(st, *person, orig->year, of);
        PersonFacts f = of.facts;
        f.has_paid_on = true;
        f.paid_on = orig->paid_on;
        Assessment a;
        assess(*pol, f, orig->paid_on, a);
        if (a.has_coverage) start = a.coverage_start;
      }
      if (start <= today)
        return refused(refusal(ErrorKind::refused, "refund_not_allowed",
                               fmt::format("待遇享受期已于 {} 开始，按政策（{}）不予退费", start.str(),
                                           pol->refund_source.cite)));
    }
    Row& m = p->main;
    m = *orig;
    m.id = 0;
    m.kind = Kind::reversal;
    m.amount_fen = -orig->amount_fen;
    m.idem_key = key;
    m.reverses = orig->id;
    m.parent = 0;
    m.reversed_by = 0;
    m.reason = reason;
    m.collector = actor.username;
    m.paid_on = today;
    m.receipt_seq = 0;
    m.receipt_no.clear();
    m.verify_code.clear();
    m.clct_type = "991";
    m.import_batch = 0;
    for (const auto& c : children(st, orig->id)) {
      if (c.kind != Kind::subsidy || c.reversed_by) continue;
      Row rv = c;
      rv.id = 0;
      rv.kind = Kind::reversal;
      rv.amount_fen = -c.amount_fen;
      rv.idem_key = fmt::format("{}#{}", key, c.id);
      rv.reverses = c.id;
      rv.reason = reason;
      rv.collector = actor.username;
      rv.paid_on = today;
      rv.clct_type = "991";
      p->children.push_back(std::move(rv));
    }
    if (orig->kind == Kind::payment && orig->enrollment) {
      p->enrollment = orig->enrollment;
      p->enroll_from = "paid";
      p->enroll_to = "registered";
      p->enroll_paid_on = std::nullopt;
    }
    p->audit_action = "payment.reverse";
    p->audit_old = row_json(*orig);
  }
  hook("prepared");
  return submit(std::move(p));
}

// ------------------------------------------------------------------- reads

std::optional<Row> Ledger::row(store::Store& st, const Actor& a, int64_t id) {
  return st.ledger().payment(id, a.scope);
}

std::optional<Row> Ledger::row_by_receipt(store::Store& st, const Actor& a, std::string_view number) {
  return st.ledger().by_receipt(number, a.scope);
}

std::vector<Row> Ledger::children(store::Store& st, int64_t parent) { return rows(st.ledger().children(parent)); }

std::vector<Row> Ledger::list(store::Store& st, const Actor& a, const Filter& f, int64_t* total) {
  RegionCode scope = a.scope;
  if (!f.under.empty()) {
    if (!a.in_scope(f.under)) return {};
    scope = f.under;
  }
  return rows(st.ledger().list(f, scope, total));
}

}  // namespace canbao::ledger

// ------------------------------------------------------- field collection

namespace canbao::ledger {

std::vector<Outcome> Ledger::pay_batch(const Actor& actor, std::span<const PaymentRequest> rs, Date today) {
  std::vector<Outcome> outs(rs.size());
  std::vector<Date> days(rs.size());
  std::vector<std::string> hashes(rs.size());
  std::vector<size_t> mine, later;
  std::vector<std::promise<Outcome>> promises(rs.size());
  {
    std::lock_guard lk(keys_mu_);
    for (size_t i = 0; i < rs.size(); ++i) {
      if (auto ref = pay_precheck(actor, rs[i], today, days[i], hashes[i])) {
        outs[i] = refused(*ref);
        continue;
      }
      // A key another request holds (or an earlier item of this batch) is
      // answered after this batch through pay(), which waits for its result.
      if (pending_.count(rs[i].idempotency_key)) {
        later.push_back(i);
        continue;
      }
      pending_.emplace(rs[i].idempotency_key, PendingKey{hashes[i], promises[i].get_future().share()});
      mine.push_back(i);
    }
  }
  // Keys leave the map before their results are published (as in keyed()).
  auto release = [&](std::exception_ptr err) {
    {
      std::lock_guard lk(keys_mu_);
      for (size_t i : mine) pending_.erase(rs[i].idempotency_key);
    }
    for (size_t i : mine) {
      if (err) promises[i].set_exception(err);
      else promises[i].set_value(outs[i]);
    }
  };
  try {
    std::vector<std::unique_ptr<Prepared>> ps;
    std::vector<size_t> at;
    {
      auto lease = pool_.lease();
      auto& st = *lease;
      // One read per table for the whole batch: the stored keys, then the
      // persons' rows the checks ask for (the writer rechecks in its transaction).
      std::vector<std::string_view> keys, persons;
      keys.reserve(mine.size());
      persons.reserve(mine.size());
      int year_lo = 0, year_hi = 0;
      for (size_t i : mine) {
        keys.push_back(rs[i].idempotency_key);
        persons.push_back(rs[i].person);
        // The checks read the payment year and the year before (续费).
        year_lo = keys.size() == 1 ? rs[i].year - 1 : std::min(year_lo, rs[i].year - 1);
        year_hi = keys.size() == 1 ? rs[i].year : std::max(year_hi, rs[i].year);
      }
      const auto stored = st.ledger().existing_keys(keys);
      BatchSource src(st, persons, year_lo, year_hi);
      for (size_t i : mine) {
        if (stored.count(rs[i].idempotency_key)) {
          if (auto o = replay(st.ledger(), rs[i].idempotency_key, hashes[i], kPaymentKeyConflict)) {
            outs[i] = std::move(*o);
            continue;
          }
        }
        auto p = std::make_unique<Prepared>();
        p->request_hash = hashes[i];
        if (auto ref = prepare_payment(src, actor, rs[i], days[i], false, *p)) {
          outs[i] = refused(*ref);
          continue;
        }
        ps.push_back(std::move(p));
        at.push_back(i);
      }
    }
    auto res = submit_unit(std::move(ps), false, true);
    for (size_t k = 0; k < at.size(); ++k) outs[at[k]] = std::move(res[k]);
  } catch (...) {
    release(std::current_exception());
    throw;
  }
  release(nullptr);
  for (size_t i : later) {
    try {
      outs[i] = pay(actor, rs[i], today);
    } catch (const store::Unavailable&) {
      outs[i] = refused(refusal(ErrorKind::unavailable, "unavailable", "数据库暂时不可用，未确认记账，请用同一幂等键重试"));
    }
  }
  return outs;
}

namespace {

// keyed() hands Outcomes between same-key requests; a household's travels
// packed: its member rows as children, the refused member's ID in row.person.
Outcome pack(HouseholdOutcome h) {
  Outcome o;
  o.ok = h.ok;
  o.replayed = h.replayed;
  o.refusal = std::move(h.refusal);
  o.row.person = std::move(h.failed_member);
  for (auto& m : h.members) o.children.push_back(std::move(m.row));
  return o;
}

HouseholdOutcome unpack(Outcome o) {
  HouseholdOutcome h;
  h.ok = o.ok;
  h.replayed = o.replayed;
  h.refusal = std::move(o.refusal);
  h.failed_member = std::move(o.row.person);
  for (auto& r : o.children) {
    Outcome m;
    m.ok = true;
    m.replayed = o.replayed;
    m.row = std::move(r);
    h.members.push_back(std::move(m));
  }
  return h;
}

HouseholdOutcome household_refused(Refusal r, std::string member = {}) {
  HouseholdOutcome h;
  h.refusal = std::move(r);
  h.failed_member = std::move(member);
  return h;
}

std::string member_key(const std::string& key, size_t i) { return fmt::format("{}#{}", key, i + 1); }

// The rows a first household request wrote under `key` (members "#1".. in
// order); nullopt when none, a conflict when written for another request.
std::optional<HouseholdOutcome> household_replay(store::LedgerStore& ls, const std::string& key,
                                                 const std::string& hash) {
  HouseholdOutcome h;
  for (size_t i = 0;; ++i) {
    auto o = replay(ls, member_key(key, i), hash, kPaymentKeyConflict);
    if (!o) break;
    if (!o->ok) return household_refused(o->refusal);
    h.members.push_back(std::move(*o));
  }
  if (h.members.empty()) return std::nullopt;
  h.ok = h.replayed = true;
  return h;
}

// Whether the member is one the household pays for now: an active unpaid
// enrollment at a place the actor collects for, read as the household card
// reads it (ledger/household_due). A member the card shows as 无需缴费
// (deceased, 职工医保) or whose time has passed (window closed while a
// newborn's 90 days still run) neither joins the default members nor blocks
// the others as selective. Any other reason the card gives (a duplicate
// enrollment, an amount left to local configuration …) keeps the member in,
// so the household is refused naming that member and the reason — a data
// problem is fixed first, not paid around.
bool owes_here(store::Store& st, const PolicySet& policies, const Actor& actor, std::string_view id, int year,
               Date day) {
  bool registered = false;
  for (const auto& e : st.enrollments_of(id, year))
    registered |= e.status == store::EnrollmentStatus::registered && actor.in_scope(e.place);
  if (!registered) return false;
  auto p = st.person(id);
  if (!p) return false;
  const MemberDue m = member_due(st, policies, actor, *p, year, day);
  if (m.status == DueStatus::owing) return true;
  if (m.status != DueStatus::cannot_pay) return false;
  return m.code != "outside_window" && m.code != "day_not_allowed" && m.code != "too_late";
}

}  // namespace

HouseholdOutcome Ledger::pay_household(const Actor& actor, const HouseholdPaymentRequest& r, Date today) {
  // The members' keys append "#n" to the household's; bound it as pay() does.
  PaymentRequest probe;
  probe.idempotency_key = r.idempotency_key.empty() ? std::string() : member_key(r.idempotency_key, 999);
  probe.person = r.household;
  probe.year = r.year;
  probe.channel = r.channel;
  probe.payer_kind = r.payer_kind;
  probe.payer_name = r.payer_name;
  probe.paid_on = r.paid_on;
  probe.backdate_reason = r.backdate_reason;
  Date day;
  std::string unused;
  if (auto ref = pay_precheck(actor, probe, today, day, unused)) return household_refused(*ref);
  if (r.household.empty())
    return household_refused(refusal(ErrorKind::invalid, "missing_field", "缺少户号", "household"));
  std::vector<std::string> members = r.members;
  std::sort(members.begin(), members.end());
  if (std::adjacent_find(members.begin(), members.end()) != members.end())
    return household_refused(refusal(ErrorKind::invalid, "bad_field", "缴费成员重复", "members"));
  std::string listed;
  for (auto& m : members) listed += m + ",";
  const std::string hash = request_hash(fmt::format("household|{}|{}|{}|{}|{}|{}|{}|{}", r.household, r.year,
                                                    r.channel, r.payer_kind, r.payer_name, day.str(),
                                                    members.empty() ? "*" : listed, r.backdate_reason));
  return unpack(keyed(r.idempotency_key, hash, [&] {
    HouseholdPaymentRequest sorted = r;
    sorted.members = members;
    return pack(household_checked(actor, sorted, day, hash, today));
  }));
}

HouseholdOutcome Ledger::household_checked(const Actor& actor, const HouseholdPaymentRequest& r, Date day,
                                           const std::string& hash, Date today) {
  std::vector<std::unique_ptr<Prepared>> ps;
  {
    auto lease = pool_.lease();
    auto& st = *lease;
    if (auto h = household_replay(st.ledger(), r.idempotency_key, hash)) return *h;
    hook("key_absent");
    auto hh = st.household(r.household);
    if (!hh || !actor.in_scope(hh->region))
      return household_refused(refusal(ErrorKind::not_found, "not_found", "未找到该户（或不在您的管辖范围内）", "household"));
    // Each member's reading is an assessment: taken once, asked by both loops below.
    std::unordered_map<std::string, bool> owes_memo;
    auto owes = [&](const std::string& id) {
      auto [it, fresh] = owes_memo.try_emplace(id, false);
      if (fresh) it->second = owes_here(st, policies_, actor, id, r.year, day);
      return it->second;
    };
    std::vector<std::string> paying;
    const auto all = st.household_members(r.household);
    for (const auto& m : all)
      if (r.members.empty() ? owes(m.id_number)
                            : std::binary_search(r.members.begin(), r.members.end(), m.id_number))
        paying.push_back(m.id_number);
    if (paying.size() < r.members.size())
      return household_refused(refusal(ErrorKind::refused, "not_in_household", "所选人员不是该户成员", "members"));
    if (paying.empty())
      return household_refused(refusal(ErrorKind::refused, "nothing_due",
                                       fmt::format("该户 {} 年度没有需要缴费的成员", r.year), "household"));
    // 不得选择性参保, as for enrollment; a member who owes here but is left
    // out now counts as missing too (enrolled, not paid).
    nlohmann::json missing = nlohmann::json::array();
    std::string list;
    for (const auto& m : registry::household_status(st, r.household, r.year, paying, today)) {
      bool out = m.why == registry::Accounted::not_accounted ||
                 (m.why == registry::Accounted::enrolled && owes(m.id_number));
      if (!out) continue;
      missing.push_back(mask_id(m.id_number));
      list += (list.empty() ? "" : "、") + mask_id(m.id_number);
    }
    if (!missing.empty())
      return household_refused(refusal(
          ErrorKind::refused, "selective_enrollment",
          fmt::format("须以户为单位整户缴费（不得选择性参保），以下成员本年度既未缴费也无职工医保、异地参保、死亡或高校在校等情形：{}", list),
          "members", nlohmann::json{{"missing", missing}}));
    for (size_t i = 0; i < paying.size(); ++i) {
      PaymentRequest pr;
      pr.idempotency_key = member_key(r.idempotency_key, i);
      pr.person = paying[i];
      pr.year = r.year;
      pr.channel = r.channel;
      pr.payer_kind = r.payer_kind;
      pr.payer_name = r.payer_name;
      pr.paid_on = day;
      pr.backdate_reason = r.backdate_reason;
      auto p = std::make_unique<Prepared>();
      p->request_hash = hash;
      if (auto ref = prepare_payment(st, actor, pr, day, true, *p)) return household_refused(*ref, paying[i]);
      p->audit_new["household"] = r.household;
      ps.push_back(std::move(p));
    }
  }
  hook("prepared");
  std::vector<std::string> ids;
  for (auto& p : ps) ids.push_back(p->main.person);
  auto outs = submit_unit(std::move(ps), true);
  // The writer refuses an atomic unit whole: the member it names, the rest "group_aborted".
  std::optional<size_t> bad;
  for (size_t i = 0; i < outs.size(); ++i)
    if (!outs[i].ok && (!bad || outs[*bad].refusal.code == "group_aborted")) bad = i;
  if (bad) return household_refused(outs[*bad].refusal, ids[*bad]);
  HouseholdOutcome h;
  h.ok = true;
  h.members = std::move(outs);
  return h;
}

}  // namespace canbao::ledger
