#include "ledger/ledger.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "assess/assessment.h"
#include "core/id_number.h"
#include "core/money.h"
#include "io/policy_file.h"
#include "registry/facts_builder.h"
#include "store/sql_store.h"

namespace canbao::ledger {

using store::detail::Param;
using store::detail::RowView;
using store::detail::SqlStore;
using store::detail::region_p;
using store::detail::text_or_null;

// ------------------------------------------------------------ vocabulary

const std::vector<Channel>& channels() {
  static const std::vector<Channel> k = {
      {"wechat", "微信", "02", true},     {"alipay", "支付宝", "02", true},
      {"app", "手机App", "02", true},     {"tax_hall", "税务大厅", "02", true},
      {"bank", "银行", "08", true},       {"village_collector", "村协理员代收", "05"},
      {"school", "学校代收", "04"},       {"family_account", "职工医保家庭共济账户", "31"},
      {"department", "部门代缴（资助）", "06"},
  };
  return k;
}

const Channel* find_channel(std::string_view id) {
  for (const auto& c : channels())
    if (c.id == id) return &c;
  return nullptr;
}

bool valid_payer_kind(std::string_view k) {
  return k == "self" || k == "family_account" || k == "school" || k == "department";
}

std::string_view kind_id(Kind k) {
  switch (k) {
    case Kind::payment: return "payment";
    case Kind::subsidy: return "subsidy";
    case Kind::reversal: return "reversal";
  }
  return "payment";
}
static Kind parse_kind(std::string_view s) {
  return s == "subsidy" ? Kind::subsidy : s == "reversal" ? Kind::reversal : Kind::payment;
}

PolicySet PolicySet::load_dir(const std::string& dir) {
  std::vector<Policy> ps;
  for (const auto& f : io::policy_files_in(dir)) {
    auto load = io::load_policy_file(f);
    if (!load.ok()) {
      std::string msg = load.errors.empty() ? f : load.errors.front().str();
      throw std::runtime_error("政策文件有误 / bad policy file: " + msg);
    }
    ps.push_back(std::move(*load.policy));
  }
  return PolicySet(std::move(ps));
}

const Policy* PolicySet::find(RegionCode place, int year) const {
  const Policy* best = nullptr;
  for (const auto& p : ps_)
    if (p.year == year && place.inside(p.region) && (!best || p.region.level() > best->region.level())) best = &p;
  return best;
}

Refusal refusal(int http, std::string code, std::string message, std::string field, nlohmann::json details) {
  return Refusal{http, std::move(code), std::move(message), std::move(field), std::move(details)};
}

std::string amount_words(int64_t fen) {
  static const char* d[] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
  static const char* small[] = {"", "拾", "佰", "仟"};
  static const char* big[] = {"", "万", "亿", "万亿"};
  std::string out;
  if (fen < 0) { out = "负"; fen = -fen; }
  int64_t yuan = fen / 100;
  int jiao = int(fen / 10 % 10), f = int(fen % 10);
  if (yuan > 0) {
    std::vector<int> digits;
    for (int64_t y = yuan; y > 0; y /= 10) digits.push_back(int(y % 10));
    std::string s;
    bool zero = false;
    for (int i = int(digits.size()) - 1; i >= 0; --i) {
      int dg = digits[size_t(i)];
      if (dg == 0) {
        zero = true;
      } else {
        if (zero) s += d[0];
        zero = false;
        s += d[dg];
        s += small[i % 4];
      }
      if (i % 4 == 0 && i > 0) {
        // group end: add the big unit if the group had any digit
        bool any = false;
        for (int k = i; k < i + 4 && k < int(digits.size()); ++k) any |= digits[size_t(k)] != 0;
        if (any) s += big[i / 4];
      }
    }
    out += s + "元";
  }
  if (jiao == 0 && f == 0) return out.empty() ? "零元整" : out + "整";
  if (jiao) out += std::string(d[jiao]) + "角";
  else if (yuan > 0) out += "零";
  if (f) out += std::string(d[f]) + "分";
  return out;
}

nlohmann::json row_json(const Row& r, bool unmask) {
  const Channel* ch = find_channel(r.channel);
  nlohmann::json j = {
      {"id", r.id},
      {"kind", kind_id(r.kind)},
      {"id_number", unmask ? r.person : mask_id(r.person)},
      {"year", r.year},
      {"enrollment_id", r.enrollment ? nlohmann::json(r.enrollment) : nlohmann::json()},
      {"amount_fen", r.amount_fen},
      {"amount_yuan", Money::from_fen(r.amount_fen).yuan()},
      {"channel", r.channel},
      {"channel_label", ch ? std::string(ch->label) : r.channel},
      {"payer_kind", r.payer_kind},
      {"payer_name", r.payer_name.empty() ? nlohmann::json()
                     : r.payer_kind == "family_account" && !unmask ? nlohmann::json(mask_name(r.payer_name))
                                                                    : nlohmann::json(r.payer_name)},
      {"subsidy_mode", r.subsidy_mode.empty() ? nlohmann::json() : nlohmann::json(r.subsidy_mode)},
      {"external_txn_id", r.external_txn.empty() ? nlohmann::json() : nlohmann::json(r.external_txn)},
      {"reverses", r.reverses ? nlohmann::json(r.reverses) : nlohmann::json()},
      {"parent", r.parent ? nlohmann::json(r.parent) : nlohmann::json()},
      {"reversed_by", r.reversed_by ? nlohmann::json(r.reversed_by) : nlohmann::json()},
      {"reason", r.reason.empty() ? nlohmann::json() : nlohmann::json(r.reason)},
      {"paid_on", r.paid_on.str()},
      {"collector", r.collector},
      {"created_at", r.created_at},
      {"region", r.region.str()},
      {"policy", r.policy},
      {"receipt_no", r.receipt_no.empty() ? nlohmann::json() : nlohmann::json(r.receipt_no)},
      {"insutype", "390"},
      {"clct_way", r.clct_way},
      {"clct_type", r.clct_type},
      {"psn_clct_amt", r.kind == Kind::subsidy ? "0.00" : Money::from_fen(r.amount_fen).yuan()},
      {"oth_clct_amt", r.kind == Kind::subsidy ? Money::from_fen(r.amount_fen).yuan() : "0.00"},
      {"elec_taxrpt_no", r.channel == "tax_hall" || !r.external_txn.empty() ? nlohmann::json(r.external_txn)
                                                                              : nlohmann::json()},
      {"revs_flag", r.kind == Kind::reversal ? "-" : r.reversed_by ? "+" : "Z"},
  };
  return j;
}

// ------------------------------------------------------------- reading rows

namespace {

constexpr std::string_view kRowSelect =
    "SELECT p.id, p.kind, p.person, p.year, p.enrollment, p.amount, p.channel, p.payer_kind, p.payer_name, "
    "p.subsidy_mode, p.idem_key, p.external_txn, p.reverses, p.parent, "
    "(SELECT r.id FROM payments r WHERE r.reverses = p.id), p.reason, p.collector, p.paid_on, p.created_at, "
    "p.receipt_region, p.receipt_seq, p.receipt_no, p.verify_code, p.clct_way, p.clct_type, p.policy, "
    "p.import_batch, p.region FROM payments p ";

Row read_row(const RowView& v) {
  Row r;
  r.id = v.i(0);
  r.kind = parse_kind(v.s(1));
  r.person = v.s(2);
  r.year = int(v.i(3));
  r.enrollment = v.null(4) ? 0 : v.i(4);
  r.amount_fen = v.i(5);
  r.channel = v.s(6);
  r.payer_kind = v.s(7);
  if (!v.null(8)) r.payer_name = v.s(8);
  if (!v.null(9)) r.subsidy_mode = v.s(9);
  r.idem_key = v.s(10);
  if (!v.null(11)) r.external_txn = v.s(11);
  r.reverses = v.null(12) ? 0 : v.i(12);
  r.parent = v.null(13) ? 0 : v.i(13);
  r.reversed_by = v.null(14) ? 0 : v.i(14);
  if (!v.null(15)) r.reason = v.s(15);
  r.collector = v.s(16);
  r.paid_on = v.date(17).value_or(Date{});
  r.created_at = v.s(18);
  r.receipt_region = v.region(19);
  r.receipt_seq = v.null(20) ? 0 : v.i(20);
  if (!v.null(21)) r.receipt_no = v.s(21);
  if (!v.null(22)) r.verify_code = v.s(22);
  r.clct_way = v.s(23);
  r.clct_type = v.s(24);
  if (!v.null(25)) r.policy = v.s(25);
  r.import_batch = v.null(26) ? 0 : v.i(26);
  r.region = v.region(27);
  return r;
}

SqlStore& sql(store::Store& st) {
  auto* s = dynamic_cast<SqlStore*>(&st);
  if (!s) throw store::StoreError("ledger needs an SQL store");
  return *s;
}

std::optional<Row> find_by_key(SqlStore& s, std::string_view key, std::string* hash) {
  std::optional<Row> out;
  std::string h;
  s.sql_query(std::string(kRowSelect) + "WHERE p.idem_key = ?", {key}, [&](const RowView& v) { out = read_row(v); });
  if (out && hash)
    s.sql_query("SELECT request_hash FROM payments WHERE id = ?", {out->id},
                [&](const RowView& v) { *hash = v.s(0); });
  return out;
}

std::vector<Row> children_of(SqlStore& s, int64_t parent) {
  std::vector<Row> out;
  s.sql_query(std::string(kRowSelect) + "WHERE p.parent = ? ORDER BY p.id", {parent},
              [&](const RowView& v) { out.push_back(read_row(v)); });
  return out;
}

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

}  // namespace

void person_facts(store::Store& st, const store::Person& p, int year, OneFacts& out,
                  const std::vector<store::Enrollment>* enrolled) {
  const Date year_start = Date::from_ymd(year, 1, 1);
  PersonFacts f = registry::person_base_facts(p);
  out.dated.clear();
  for (const auto& c : st.categories_of(p.id_number)) registry::add_category(f, out.dated, 0, c, year_start);
  std::vector<store::Enrollment> read;
  if (!enrolled) read = st.enrollments_of(p.id_number, year);
  for (const auto& e : enrolled ? *enrolled : read) {
    if (!store::is_active(e.status)) continue;
    if (e.paid_on) { f.has_paid_on = true; f.paid_on = *e.paid_on; }
    if (e.registered_on) { f.has_registered_on = true; f.registered_on = *e.registered_on; }
  }
  f.dated = std::span<const DatedCategory>(out.dated);
  out.facts = f;
}

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
  std::promise<Outcome> done;
};

Ledger::Ledger(StorePool& pool, const PolicySet& policies, LedgerOptions opt)
    : pool_(pool), policies_(policies), opt_(opt) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium init failed");
  wst_ = pool_.open_one();
  auto& s = sql(*wst_);
  writer_session();
  // Receipt key: 32 random bytes kept in server_keys (created once).
  std::string hexkey = opt_.receipt_key_hex;
  if (hexkey.empty()) {
    auto tx = wst_->transaction();
    s.sql_query("SELECT value FROM server_keys WHERE name = 'receipt'", {}, [&](const RowView& v) { hexkey = v.s(0); });
    if (hexkey.empty()) {
      unsigned char k[32];
      randombytes_buf(k, sizeof k);
      hexkey = hex(k, sizeof k);
      s.sql_exec("INSERT INTO server_keys (name, value, region) VALUES ('receipt', ?, 0)", {hexkey});
    }
    tx.commit();
  }
  key_.resize(32);
  for (size_t i = 0; i < 32 && 2 * i + 1 < hexkey.size(); ++i)
    key_[i] = char(std::stoi(hexkey.substr(2 * i, 2), nullptr, 16));
  writer_ = std::thread([this] { writer_loop(); });
}

Ledger::~Ledger() { stop(); }

void Ledger::writer_session() {
  auto& s = sql(*wst_);
  if (s.sql_dialect() == store::Dialect::sqlite) s.sql_script("PRAGMA synchronous=FULL");
  else s.sql_script("SET synchronous_commit = on");
}

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
  auto fut = p->done.get_future();
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      Outcome o;
      o.refusal = refusal(503, "unavailable", "服务正在停止，请稍后重试");
      return o;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return fut.get();
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
        return refused(refusal(409, "idempotency_conflict", "该幂等键已用于另一笔不同的请求", "idempotency_key"));
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
  std::vector<std::unique_ptr<Prepared>> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < opt_.batch_max) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    apply_batch(batch);
    batch.clear();
  }
}

void Ledger::apply_batch(std::vector<std::unique_ptr<Prepared>>& batch) {
  using Us = std::chrono::microseconds;
  auto since = [](auto t0) { return std::chrono::duration_cast<Us>(std::chrono::steady_clock::now() - t0).count(); };
  std::vector<Outcome> outs(batch.size());
  std::vector<Prepared*> items;
  items.reserve(batch.size());
  for (auto& p : batch) items.push_back(p.get());
  bool ok = false;
  // Unavailable: reconnect and run the whole batch again (writer_tx); a batch
  // is acknowledged only by a COMMIT that returned.
  const auto deadline = std::chrono::steady_clock::now() + opt_.store_retry;
  std::vector<bool> down(batch.size(), false);  // the store stayed unavailable: nothing acknowledged
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
      down.assign(batch.size(), true);
    }
  } catch (const std::exception& e) {
    next_seq_.clear();  // counters may have advanced inside the rolled-back batch
  }
  if (!ok && !gave_up) {
    // Retry one by one so a bad write fails alone.
    for (size_t i = 0; i < batch.size(); ++i) {
      outs[i] = Outcome{};
      try {
        down[i] = !writer_tx(
            [&] {
              outs[i] = Outcome{};
              auto tx = wst_->transaction();
              apply_items(std::span<Prepared* const>(&items[i], 1), std::span<Outcome>(&outs[i], 1));
              tx.commit();
            },
            deadline);
      } catch (const std::exception& e) {
        next_seq_.clear();
        outs[i] = Outcome{};
        outs[i].refusal = refusal(503, "unavailable", "写入失败，请稍后重试（未记账）");
        fmt::print(stderr, "canbao ledger: write failed: {}\n", e.what());
      }
    }
  }
  batches_++;
  writes_ += int64_t(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (down[i])
      batch[i]->done.set_exception(std::make_exception_ptr(
          store::Unavailable("数据库暂时不可用，未确认记账 / database unavailable, payment not acknowledged")));
    else
      batch[i]->done.set_value(std::move(outs[i]));
  }
}

namespace {
// IN lists and multi-row inserts use a few fixed statement shapes so the
// connection's statement cache stays small: IN lists are padded to kInChunk
// by repeating the last value; inserts go in power-of-two row counts.
constexpr size_t kInChunk = 64;

std::string in_list_sql(std::string_view head, size_t n) {
  std::string sql(head);
  sql += " IN (";
  for (size_t k = 0; k < n; ++k) sql += k ? ", ?" : "?";
  sql += ")";
  return sql;
}

template <class T, class Fn>
void query_in(SqlStore& s, const std::string& sql, const std::vector<T>& values, Fn&& fn) {
  std::vector<Param> ps;
  for (size_t at = 0; at < values.size(); at += kInChunk) {
    ps.clear();
    for (size_t k = 0; k < kInChunk; ++k) ps.push_back(Param(values[std::min(at + k, values.size() - 1)]));
    s.sql_query_span(sql, ps, fn);
  }
}
}  // namespace

bool Ledger::replay_or_conflict(Prepared& p, Outcome& out) {
  auto& s = sql(*wst_);
  std::string h;
  auto prev = find_by_key(s, p.main.idem_key, &h);
  if (!prev) return false;
  if (h != p.request_hash) {
    out.refusal = refusal(409, "idempotency_conflict", "该幂等键已用于另一笔不同的缴费请求", "idempotency_key");
    return true;
  }
  out.ok = true;
  out.replayed = true;
  out.row = *prev;
  out.children = children_of(s, prev->id);
  return true;
}

void Ledger::apply_items(std::span<Prepared* const> items, std::span<Outcome> outs) {
  auto& s = sql(*wst_);
  // 1. Batched reads inside the transaction (the writer holds the write
  //    lock on SQLite): which idempotency keys exist already, and the
  //    current status of every enrollment the batch touches. Enrollments
  //    are also written by registry/campaign code, so their status is read
  //    here each batch, never cached across batches.
  std::unordered_set<std::string> existing;
  std::unordered_map<int64_t, std::string> status;
  {
    std::vector<std::string_view> keys;
    std::vector<int64_t> enr;
    for (auto* p : items) {
      keys.push_back(p->main.idem_key);
      if (p->enrollment && !p->enroll_from.empty()) enr.push_back(p->enrollment);
    }
    static const std::string kKeys = in_list_sql("SELECT idem_key FROM payments WHERE idem_key", kInChunk);
    static const std::string kEnr = in_list_sql("SELECT id, status FROM enrollments WHERE id", kInChunk);
    if (!keys.empty()) query_in(s, kKeys, keys, [&](const RowView& v) { existing.emplace(v.s(0)); });
    if (!enr.empty())
      query_in(s, kEnr, enr, [&](const RowView& v) { status[v.i(0)] = std::string(v.s(1)); });
  }
  std::unordered_set<std::string_view> in_batch;  // keys written earlier in this batch
  std::vector<store::AuditEntry> audits;
  audits.reserve(items.size());
  const std::string now = store::detail::now_iso();
  for (size_t i = 0; i < items.size(); ++i) {
    Prepared& p = *items[i];
    Outcome& out = outs[i];
    // 2. Idempotency: the key seen before (also earlier in this batch) → the first result.
    if ((existing.count(p.main.idem_key) || in_batch.count(p.main.idem_key)) && replay_or_conflict(p, out)) continue;
    // 3. What a concurrent writer could have changed since the prepare phase.
    //    A reversal that lost the race to another reversal of the same row is
    //    "already reversed" (checked before the enrollment, which that other
    //    reversal moved back to registered).
    if (p.main.kind == Kind::reversal) {
      bool reversed = false;
      s.sql_query("SELECT 1 FROM payments WHERE reverses = ?", {p.main.reverses},
                  [&](const RowView&) { reversed = true; });
      if (reversed) {
        out.refusal = refusal(409, "already_reversed", "该笔缴费已冲正，不能重复冲正");
        continue;
      }
    }
    if (p.enrollment && !p.enroll_from.empty()) {
      auto it = status.find(p.enrollment);
      const std::string st = it == status.end() ? std::string() : it->second;
      if (st != p.enroll_from) {
        if (st == "paid") {
          std::string no;
          s.sql_query("SELECT p.receipt_no FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'payment' "
                      "AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)",
                      {p.main.person, p.main.year}, [&](const RowView& v) { no = v.s(0); });
          out.refusal = refusal(409, "already_paid", "该人员本年度已缴费" + (no.empty() ? "" : "，凭证号 " + no), "",
                                nlohmann::json{{"receipt_no", no}});
        } else if (st == "registered") {
          out.refusal = refusal(409, "not_paid", "该缴费已被冲正或尚未缴费");
        } else {
          out.refusal = refusal(422, "not_enrolled", "该人员本年度参保登记已失效（" + st + "）");
        }
        continue;
      }
    }
    if (p.check_subsidy_dup) {
      bool dup = false;
      s.sql_query("SELECT 1 FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'subsidy' AND "
                  "p.payer_name = ? AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)",
                  {p.main.person, p.main.year, p.main.payer_name}, [&](const RowView&) { dup = true; });
      if (dup) {
        out.refusal = refusal(409, "already_paid", "该部门对该人员本年度的资助已记账");
        continue;
      }
    }
    // A 代缴 line the department already recorded itself (POST /subsidy-payments
    // before the person paid) is not written a second time by the payment.
    if (p.main.kind == Kind::payment && !p.children.empty()) {
      std::erase_if(p.children, [&](const Row& ch) {
        if (ch.kind != Kind::subsidy) return false;
        bool recorded = false;
        s.sql_query("SELECT 1 FROM payments p WHERE p.person = ? AND p.year = ? AND p.kind = 'subsidy' AND "
                    "p.payer_name = ? AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)",
                    {ch.person, ch.year, ch.payer_name}, [&](const RowView&) { recorded = true; });
        return recorded;
      });
    }
    // 4. Receipt number: next in (receipt region, year), kept in memory by
    //    the writer (the only writer of payments), loaded once per key.
    Row& m = p.main;
    m.created_at = now;
    if (m.kind == Kind::payment) {
      auto k = std::make_pair(int64_t(m.receipt_region.padded_number()), m.year);
      auto it = next_seq_.find(k);
      if (it == next_seq_.end()) {
        int64_t mx = 0;
        s.sql_query("SELECT COALESCE(MAX(receipt_seq), 0) FROM payments WHERE receipt_region = ? AND year = ?",
                    {k.first, m.year}, [&](const RowView& v) { mx = v.i(0); });
        it = next_seq_.emplace(k, mx + 1).first;
      }
      m.receipt_seq = it->second++;
      m.receipt_no = fmt::format("{}-{}-{:08d}", m.receipt_region.str(), m.year, m.receipt_seq);
      m.verify_code = verify_code(m);
    }
    auto insert = [&](Row& r) {
      r.id = s.sql_insert(
          "INSERT INTO payments (kind, person, year, enrollment, amount, channel, payer_kind, payer_name, "
          "subsidy_mode, idem_key, external_txn, request_hash, reverses, parent, reason, collector, paid_on, "
          "created_at, receipt_region, receipt_seq, receipt_no, verify_code, clct_way, clct_type, policy, "
          "import_batch, region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?)",
          {kind_id(r.kind), r.person, r.year, r.enrollment ? Param(r.enrollment) : Param(), r.amount_fen, r.channel,
           r.payer_kind, text_or_null(r.payer_name), text_or_null(r.subsidy_mode), r.idem_key,
           text_or_null(r.external_txn), p.request_hash, r.reverses ? Param(r.reverses) : Param(),
           r.parent ? Param(r.parent) : Param(), text_or_null(r.reason), r.collector, r.paid_on, r.created_at,
           r.receipt_seq ? region_p(r.receipt_region) : Param(), r.receipt_seq ? Param(r.receipt_seq) : Param(),
           text_or_null(r.receipt_no), text_or_null(r.verify_code), r.clct_way, r.clct_type, text_or_null(r.policy),
           r.import_batch ? Param(r.import_batch) : Param(), region_p(r.region)});
    };
    insert(m);
    in_batch.insert(m.idem_key);
    for (auto& c : p.children) {
      c.parent = m.id;
      c.created_at = m.created_at;
      insert(c);
      in_batch.insert(c.idem_key);
    }
    // 5. Enrollment status follows the ledger (one UPDATE per enrollment).
    if (p.enrollment && !p.enroll_to.empty()) {
      s.sql_exec("UPDATE enrollments SET status = ?, paid_on = ? WHERE id = ?",
                 {p.enroll_to, p.enroll_paid_on, p.enrollment});
      status[p.enrollment] = p.enroll_to;
    }
    // 6. Audit, same transaction (written below as multi-row inserts).
    nlohmann::json nj = row_json(m);
    if (!p.children.empty()) {
      nj["children"] = nlohmann::json::array();
      for (auto& c : p.children)
        nj["children"].push_back({{"id", c.id}, {"payer", c.payer_name}, {"amount_fen", c.amount_fen}});
    }
    if (!p.audit_new.is_null()) nj["request"] = p.audit_new;
    audits.push_back(store::AuditEntry{now, p.actor.username, p.audit_action, "payment", std::to_string(m.id),
                                       p.audit_old.is_null() ? "" : p.audit_old.dump(), nj.dump(), m.region});
    out.ok = true;
    out.row = m;
    out.children = p.children;
  }
  // Audit rows: INSERTs of 32/16/…/1 rows (cached statement per shape).
  std::vector<Param> ps;
  for (size_t at = 0; at < audits.size();) {
    size_t n = 32;
    while (n > audits.size() - at) n /= 2;
    std::string sql = "INSERT INTO audit_log (at, actor, action, entity, entity_id, old_value, new_value, region) VALUES ";
    ps.clear();
    for (size_t k = 0; k < n; ++k) {
      const auto& e = audits[at + k];
      sql += k ? ", (?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?)";
      ps.insert(ps.end(), {Param(e.at), Param(e.actor), Param(e.action), Param(e.entity), text_or_null(e.entity_id),
                           text_or_null(e.old_json), text_or_null(e.new_json),
                           e.region.empty() ? Param(0) : region_p(e.region)});
    }
    s.sql_exec(sql, std::span<const Param>(ps));
    at += n;
  }
}

// ----------------------------------------------------------- prepare phase

namespace {

struct Checked {
  const Policy* policy = nullptr;
  store::Person person;
  store::Enrollment enrollment;
  Assessment a;
};

// Insured here the year before: a paid enrollment of year - 1 inside the
// policy's region (what the registry knows of 续费 vs 断保/新参保).
bool insured_here_last_year(store::Store& st, std::string_view id, int year, const Policy& pol) {
  for (const auto& e : st.enrollments_of(id, year - 1))
    if (e.place.inside(pol.region) && (e.paid_on || e.status == store::EnrollmentStatus::paid)) return true;
  return false;
}

Refusal registration_required(const Policy& pol, std::string why) {
  return refusal(422, "registration_required",
                 fmt::format("{}（{}）。该人员上年度未在本地参加居民医保（断保或新参保），{}", pol.register_first_words,
                             pol.register_first_source.cite, why),
                 "person", nlohmann::json{{"cite", pol.register_first_source.cite}});
}

// Looks up the person, their single active enrollment in scope and the
// policy; assesses with the payment day. Fills `ref` on refusal. `ch`: the
// payment's channel (nullptr for department subsidy rows).
bool check_person(store::Store& st, const PolicySet& policies, const Actor& actor, std::string_view id, int year,
                  Date day, bool need_unpaid, Checked& c, Refusal& ref, const Channel* ch = nullptr) {
  auto person = st.person(id);
  auto enr = person ? st.enrollments_of(id, year) : std::vector<store::Enrollment>{};
  bool visible = person && actor.in_scope(person->hukou);
  for (auto& e : enr) visible |= actor.in_scope(e.place);
  if (!person || !visible) {
    ref = refusal(404, "not_found", "未找到该人员（或不在您的管辖范围内）", "person");
    return false;
  }
  c.person = *person;
  std::vector<store::Enrollment> active;
  for (auto& e : enr)
    if (store::is_active(e.status)) active.push_back(e);
  if (active.empty()) {
    // Where the document makes new residents register before paying by
    // themselves, say so with its words rather than the generic refusal.
    const Policy* here = person->residence.empty() ? nullptr : policies.find(person->residence, year);
    if (!here) here = policies.find(person->hukou, year);
    if (ch && ch->self_service && here && here->register_before_self_payment &&
        !insured_here_last_year(st, id, year, *here)) {
      ref = registration_required(*here, fmt::format("尚未办理 {} 年度参保登记，须先到医保经办机构或基层医保服务站（点）登记后方可自主缴费", year));
      return false;
    }
    ref = refusal(422, "not_enrolled", fmt::format("该人员尚未办理 {} 年度参保登记，请先登记", year), "person");
    return false;
  }
  if (active.size() > 1) {
    ref = refusal(409, "duplicate_enrollment", "该人员本年度存在多条有效参保登记（重复参保），请先办理参保暂停", "person");
    return false;
  }
  c.enrollment = active[0];
  if (!actor.in_scope(c.enrollment.place)) {
    ref = refusal(403, "out_of_scope", "该人员的参保地不在您的管辖范围内", "person");
    return false;
  }
  if (need_unpaid && c.enrollment.status == store::EnrollmentStatus::paid) {
    ref = refusal(409, "already_paid", "该人员本年度已缴费，不能重复缴费");
    return false;
  }
  c.policy = policies.find(c.enrollment.place, year);
  if (!c.policy) {
    ref = refusal(422, "no_policy", fmt::format("参保地 {} 没有 {} 年度的政策", c.enrollment.place.str(), year));
    return false;
  }
  for (const auto& e : st.employee_insured(id)) {
    bool from_ok = !e.insured_from || *e.insured_from <= day;
    bool to_ok = !e.insured_to || day <= *e.insured_to;
    if (from_ok && to_ok) {
      ref = refusal(422, "employee_insured", "该人员已参加职工基本医疗保险，不能参加城乡居民医保（重复参保）");
      return false;
    }
  }
  int8_t last_year = -1;
  if (c.policy->register_before_self_payment) {
    last_year = insured_here_last_year(st, id, year, *c.policy) ? 1 : 0;
    if (ch && ch->self_service && last_year == 0 && c.enrollment.registered_on && day < *c.enrollment.registered_on) {
      ref = registration_required(*c.policy, fmt::format("缴费日期 {} 早于参保登记日期 {}，须登记后方可自主缴费", day.str(),
                                                         c.enrollment.registered_on->str()));
      return false;
    }
  }
  OneFacts of;
  person_facts(st, *person, year, of, &enr);  // enrollments read above
  PersonFacts f = of.facts;
  f.insured_last_year = last_year;
  f.has_paid_on = true;
  f.paid_on = day;
  if (c.enrollment.registered_on) {
    f.has_registered_on = true;
    f.registered_on = *c.enrollment.registered_on;
  }
  assess(*c.policy, f, day, c.a);
  if (!c.a.eligible) {
    if (c.a.ineligible == Ineligible::employee_insured)
      ref = refusal(422, "employee_insured", "该人员已参加职工基本医疗保险，不能参加城乡居民医保（重复参保）");
    else
      ref = refusal(422, "not_eligible", "该人员不符合本统筹区参保条件：" + assessment_reason(*c.policy, c.a));
    return false;
  }
  return true;
}

bool check_window(const Policy& pol, const Assessment& a, Date day, Refusal& ref) {
  if (a.payment == PaymentStatus::accepted) return true;
  nlohmann::json det = {{"window_open", a.has_window ? nlohmann::json(a.window_open.str()) : nlohmann::json()},
                        {"window_close", a.has_window && a.window_close_known ? nlohmann::json(a.window_close.str())
                                                                              : nlohmann::json()},
                        {"paid_on", day.str()}};
  std::string win = a.has_window ? fmt::format("{} 至 {}", a.window_open.str(),
                                               a.window_close_known ? a.window_close.str() : std::string("（未定）"))
                                 : std::string("（无）");
  switch (a.payment) {
    case PaymentStatus::outside_window: {
      for (const auto& w : pol.windows) {
        bool in_dates = w.open <= day && (!w.close || day <= *w.close);
        if (in_dates && !w.allows(day)) {
          det["allowed_days"] = {w.day_min, w.day_max};
          ref = refusal(422, "day_not_allowed",
                        fmt::format("缴费日期 {} 不在允许缴费的日期内：每月 {}–{} 日（集中征缴期 {}）", day.str(),
                                    w.day_min, w.day_max, win),
                        "paid_on", det);
          return false;
        }
      }
      ref = refusal(422, "outside_window",
                    fmt::format("缴费日期 {} 不在集中征缴期内（{}），且不符合中途参保条件", day.str(), win),
                    "paid_on", det);
      return false;
    }
    case PaymentStatus::too_late:
      ref = refusal(422, "too_late", fmt::format("缴费日期 {} 过晚：待遇享受期将在生效前结束", day.str()), "paid_on", det);
      return false;
    case PaymentStatus::undetermined:
      // Two documents leave the time open in different ways: 乌拉特前旗 names
      // no closing day; its 单纯低保户 pay "具体缴费时间另行通知".
      ref = refusal(422, "undetermined",
                    (a.open & open_personal_window)
                        ? fmt::format("{} 的缴费需本地确认后办理：{}", day.str(), assessment_reason(pol, a))
                        : fmt::format("政策文件未规定集中征缴期截止日，{} 的缴费需本地确认后办理", day.str()),
                    "paid_on", det);
      return false;
    default:
      ref = refusal(422, "outside_window", fmt::format("缴费日期 {} 无法确认是否可以缴费", day.str()), "paid_on", det);
      return false;
  }
}

// A paid_on before the actor's backdating window (issue 11): refused unless an
// admin gives a reason. `tax_record`: the tax bureau's own record (import, or
// tax-hall payment with its transaction id), which keeps its date.
std::optional<Refusal> backdate_refusal(const Actor& actor, const std::string& reason, Date day, Date today,
                                        bool tax_record) {
  if (actor.backdate_days < 0 || tax_record) return std::nullopt;
  Date earliest = today.plus_days(-actor.backdate_days);
  if (!(day < earliest)) return std::nullopt;
  if (actor.role == "admin" && !reason.empty()) return std::nullopt;
  return refusal(422, "backdated",
                 fmt::format("缴费日期 {} 早于允许补录的期限：最多可填写 {} 天前的日期（{} 起）；更早的日期须由管理员"
                             "填写补录原因（backdate_reason）办理",
                             day.str(), actor.backdate_days, earliest.str()),
                 "paid_on", nlohmann::json{{"earliest", earliest.str()}, {"backdate_days", actor.backdate_days}});
}

}  // namespace

Outcome Ledger::pay(const Actor& actor, const PaymentRequest& r, Date today) {
  // Keys are bounded in characters by the API; bytes here (scope prefix + UTF-8).
  if (r.idempotency_key.empty() || r.idempotency_key.size() > 512)
    return refused(refusal(400, "missing_field", "缺少幂等键（idempotency_key，不超过100个字符）", "idempotency_key"));
  const Channel* ch = find_channel(r.channel);
  if (!ch || r.channel == "department")
    return refused(refusal(400, "bad_field", "缴费渠道无效", "channel"));
  if (!valid_payer_kind(r.payer_kind) || r.payer_kind == "department")
    return refused(refusal(400, "bad_field", "缴费人类型无效", "payer_kind"));
  if (r.payer_kind == "family_account" && r.payer_name.empty())
    return refused(refusal(400, "missing_field", "家庭共济账户缴费须填写账户持有人", "payer_name"));
  if (r.amount_fen < 0) return refused(refusal(400, "bad_field", "缴费金额不能为负", "amount_fen"));
  if (r.year < 2000 || r.year > 2199) return refused(refusal(400, "bad_field", "年度无效", "year"));
  Date day = r.paid_on.value_or(today);
  if (today < day) return refused(refusal(400, "bad_field", "缴费日期不能晚于今天", "paid_on"));
  const bool tax_record = r.import_batch != 0 || (r.channel == "tax_hall" && !r.external_txn.empty());
  if (auto ref = backdate_refusal(actor, r.backdate_reason, day, today, tax_record)) return refused(*ref);

  // The external transaction id is part of the request (a different one under
  // the same key is a conflict); appended only when present, so the hashes
  // stored before it was compared still match their replays.
  const std::string hash = request_hash(
      fmt::format("pay|{}|{}|{}|{}|{}|{}|{}", r.person, r.year, r.amount_fen, r.channel, r.payer_kind, r.payer_name,
                  day.str()) +
      (r.external_txn.empty() ? std::string() : "|txn:" + r.external_txn));
  return keyed(r.idempotency_key, hash, [&] { return pay_checked(actor, r, day, hash); });
}

Outcome Ledger::pay_checked(const Actor& actor, const PaymentRequest& r, Date day, const std::string& hash) {
  const Channel* ch = find_channel(r.channel);
  auto p = std::make_unique<Prepared>();
  p->actor = actor;
  p->request_hash = hash;
  {
    auto lease = pool_.lease();
    auto& st = *lease;
    std::string h;
    if (auto prev = find_by_key(sql(st), r.idempotency_key, &h)) {  // fast replay
      if (h != p->request_hash)
        return refused(refusal(409, "idempotency_conflict", "该幂等键已用于另一笔不同的缴费请求", "idempotency_key"));
      Outcome o;
      o.ok = o.replayed = true;
      o.row = *prev;
      o.children = children_of(sql(st), prev->id);
      return o;
    }
    hook("key_absent");
    Checked c;
    Refusal ref;
    if (!check_person(st, policies_, actor, r.person, r.year, day, true, c, ref, ch)) return refused(ref);
    if (!check_window(*c.policy, c.a, day, ref)) return refused(ref);
    if (!c.a.due_known)
      return refused(refusal(422, "due_unknown",
                             "政策文件未明确该人员的个人缴费金额（需本地配置），暂不能收费：" +
                                 assessment_reason(*c.policy, c.a)));
    if (r.amount_fen != c.a.due.fen)
      return refused(refusal(422, "wrong_amount",
                             fmt::format("缴费金额与应缴金额不符：应缴 {} 元，实收 {} 元", c.a.due.yuan(),
                                         fen_yuan(r.amount_fen)),
                             "amount_fen", nlohmann::json{{"expected_fen", c.a.due.fen}}));
    Row& m = p->main;
    m.kind = Kind::payment;
    m.person = c.person.id_number;
    m.year = r.year;
    m.enrollment = c.enrollment.id;
    m.amount_fen = r.amount_fen;
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
      p->children.push_back(std::move(s));
    }
    p->enrollment = c.enrollment.id;
    p->enroll_from = "registered";
    p->enroll_to = "paid";
    p->enroll_paid_on = day;
    p->audit_action = "payment.create";
    if (!r.backdate_reason.empty()) p->audit_new = {{"backdate_reason", r.backdate_reason}};
  }
  hook("prepared");
  return submit(std::move(p));
}

Outcome Ledger::subsidy(const Actor& actor, const SubsidyRequest& r, Date today) {
  if (r.idempotency_key.empty() || r.idempotency_key.size() > 512)
    return refused(refusal(400, "missing_field", "缺少幂等键（idempotency_key）", "idempotency_key"));
  if (r.payer_name.empty()) return refused(refusal(400, "missing_field", "缺少资助部门", "payer_name"));
  if (actor.role == "department" && r.payer_name != actor.department)
    return refused(refusal(403, "forbidden", "只能记录本部门的资助", "payer_name"));
  if (r.mode != "paid_on_behalf" && r.mode != "reimbursed")
    return refused(refusal(400, "bad_field", "资助方式须为 paid_on_behalf（代缴）或 reimbursed（先缴后补）", "mode"));
  Date day = r.paid_on.value_or(today);
  if (today < day) return refused(refusal(400, "bad_field", "日期不能晚于今天", "paid_on"));
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
    std::string h;
    if (auto prev = find_by_key(sql(st), r.idempotency_key, &h)) {
      if (h != p->request_hash)
        return refused(refusal(409, "idempotency_conflict", "该幂等键已用于另一笔不同的请求", "idempotency_key"));
      Outcome o;
      o.ok = o.replayed = true;
      o.row = *prev;
      o.children = children_of(sql(st), prev->id);
      return o;
    }
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
      return refused(refusal(422, "not_eligible", "按政策该人员本年度不享受该部门的资助", "payer_name"));
    if (mode != r.mode)
      return refused(refusal(422, "bad_field", "资助方式与政策不符：政策规定为 " + mode, "mode"));
    if (r.amount_fen != expected)
      return refused(refusal(422, "wrong_amount",
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
  if (reason.empty()) return refused(refusal(400, "missing_field", "冲正必须填写原因", "reason"));
  if (key.empty()) return refused(refusal(400, "missing_field", "缺少幂等键（idempotency_key）", "idempotency_key"));
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
    std::string h;
    if (auto prev = find_by_key(sql(st), key, &h)) {
      if (h != p->request_hash)
        return refused(refusal(409, "idempotency_conflict", "该幂等键已用于另一笔不同的请求", "idempotency_key"));
      Outcome o;
      o.ok = o.replayed = true;
      o.row = *prev;
      o.children = children_of(sql(st), prev->id);
      return o;
    }
    hook("key_absent");
    auto orig = row(st, actor, payment_id);
    if (!orig) return refused(refusal(404, "not_found", "未找到该缴费记录"));
    if (orig->kind == Kind::reversal) return refused(refusal(422, "bad_field", "冲正记录不能再冲正"));
    if (orig->kind == Kind::subsidy && orig->parent)
      return refused(refusal(422, "bad_field", "随缴费记账的代缴资助随原缴费一起冲正"));
    if (orig->reversed_by) return refused(refusal(409, "already_reversed", "该笔缴费已冲正，不能重复冲正"));
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
        return refused(refusal(422, "refund_not_allowed",
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
  auto [lo, hi] = store::detail::region_range(a.scope);
  std::optional<Row> out;
  sql(st).sql_query(std::string(kRowSelect) + "WHERE p.id = ? AND p.region BETWEEN ? AND ?", {id, lo, hi},
                    [&](const RowView& v) { out = read_row(v); });
  return out;
}

std::optional<Row> Ledger::row_by_receipt(store::Store& st, const Actor& a, std::string_view number) {
  auto [lo, hi] = store::detail::region_range(a.scope);
  std::optional<Row> out;
  sql(st).sql_query(std::string(kRowSelect) + "WHERE p.receipt_no = ? AND p.region BETWEEN ? AND ?", {number, lo, hi},
                    [&](const RowView& v) { out = read_row(v); });
  return out;
}

std::vector<Row> Ledger::children(store::Store& st, int64_t parent) { return children_of(sql(st), parent); }

std::vector<Row> Ledger::list(store::Store& st, const Actor& a, const Filter& f, int64_t* total) {
  RegionCode scope = a.scope;
  if (!f.under.empty()) {
    if (!a.in_scope(f.under)) return {};
    scope = f.under;
  }
  auto [lo, hi] = store::detail::region_range(scope);
  std::string where = "WHERE p.region BETWEEN ? AND ?";
  std::vector<Param> ps = {lo, hi};
  std::string from = f.from ? f.from->str() : "", to = f.to ? f.to->str() : "";
  if (f.year) { where += " AND p.year = ?"; ps.push_back(f.year); }
  if (!f.person.empty()) { where += " AND p.person = ?"; ps.push_back(Param(f.person)); }
  if (!f.channel.empty()) { where += " AND p.channel = ?"; ps.push_back(Param(f.channel)); }
  if (!f.kind.empty()) { where += " AND p.kind = ?"; ps.push_back(Param(f.kind)); }
  if (!f.payer_name.empty()) { where += " AND p.payer_name = ?"; ps.push_back(Param(f.payer_name)); }
  if (f.from) { where += " AND p.paid_on >= ?"; ps.push_back(Param(from)); }
  if (f.to) { where += " AND p.paid_on <= ?"; ps.push_back(Param(to)); }
  auto& s = sql(st);
  if (total) {
    std::vector<Param> cps = ps;
    int64_t n = 0;
    std::string csql = "SELECT COUNT(*) FROM payments p " + where;
    s.sql_query_span(csql, cps, [&](const RowView& v) { n = v.i(0); });
    *total = n;
  }
  std::vector<Row> out;
  std::string qsql = std::string(kRowSelect) + where + " ORDER BY p.id DESC LIMIT ? OFFSET ?";
  ps.push_back(f.limit);
  ps.push_back(f.offset);
  s.sql_query_span(qsql, ps, [&](const RowView& v) { out.push_back(read_row(v)); });
  return out;
}

}  // namespace canbao::ledger
