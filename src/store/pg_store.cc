// PostgreSQL engine (libpq): statements prepared once per connection and
// cached by SQL text, parameters always bound (text format), bulk loads by
// COPY FROM STDIN (through a temp staging table when the load is an upsert).
//
// A broken connection (the primary died or restarted, a fail-over, the
// network) throws Unavailable, never plain StoreError: libpq reports the
// connection bad, or the server's error is SQLSTATE class 08 (connection
// exception) or 57P01/57P02/57P03 (admin/crash shutdown, cannot connect now).
// reconnect() runs PQconnectdb again with the same conninfo — a multi-host URL
// with target_session_attrs=read-write then lands on the current primary —
// and redoes the session set-up (client_min_messages, search_path, bulk
// mode); the statement cache is emptied (prepared statements die with their
// session). Nothing here re-sends a statement: a transaction that met a
// broken connection is lost whole, and its owner (the ledger writer, a
// request) decides whether to run it again. The one thing done without being
// asked: a store whose connection is known broken and that is not inside a
// transaction reconnects once before the next statement (nothing was sent on
// the dead connection, so this repeats nothing).
#include <libpq-fe.h>
#include <poll.h>

#include <fmt/format.h>

#include <unordered_map>

#include "store/engines.h"
#include "store/sql_store.h"

namespace canbao::store {

namespace {

using detail::Param;
using detail::RowFn;
using detail::RowView;

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

std::string primary_message(PGresult* r, PGconn* c) {
  const char* m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string s = m ? m : PQerrorMessage(c);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// SQLSTATEs that mean "this connection/server is gone or not accepting work
// now", as opposed to an error of the statement.
bool unavailable_state(const char* st) {
  if (!st) return false;
  std::string_view s(st);
  return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03";
}

// libpq's own texts when the socket died (no SQLSTATE then).
bool connection_lost_text(std::string_view m) {
  for (std::string_view k : {"server closed the connection", "no connection to the server", "terminating connection",
                             "could not receive data from server", "could not send data to server",
                             "connection to server was lost", "SSL SYSCALL error", "SSL connection has been closed"})
    if (m.find(k) != std::string_view::npos) return true;
  return false;
}

// A refused connection attempt: most reasons pass (no server listening yet, a
// standby while read-write is asked for, starting up, too many clients); wrong
// credentials, a missing database or a bad URL do not, and are StoreError.
bool permanent_connect_failure(PGconn* c, std::string_view m) {
  if (c && PQconnectionNeedsPassword(c)) return true;
  for (std::string_view k : {"password authentication failed", "does not exist", "no pg_hba.conf entry",
                             "invalid", "unrecognized", "missing \"=\"", "password is required"})
    if (m.find(k) != std::string_view::npos) return true;
  return false;
}

// Opens a connection or throws (Unavailable when trying again later may work).
PGconn* pg_connect(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (c && PQstatus(c) == CONNECTION_OK) return c;
  std::string msg = c ? PQerrorMessage(c) : "out of memory";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  for (auto& ch : msg)
    if (ch == '\n') ch = ' ';
  bool permanent = permanent_connect_failure(c, msg);
  PQfinish(c);
  std::string text = "无法连接 PostgreSQL / cannot connect to PostgreSQL: " + msg;
  if (permanent) throw StoreError(text);
  throw Unavailable(text);
}

class PgRow final : public RowView {
 public:
  PgRow(PGresult* r, int row) : r_(r), row_(row) {}
  bool null(int c) const override { return PQgetisnull(r_, row_, c); }
  int64_t i(int c) const override {
    const char* v = PQgetvalue(r_, row_, c);
    return v && *v ? std::strtoll(v, nullptr, 10) : 0;
  }
  std::string_view s(int c) const override {
    return std::string_view(PQgetvalue(r_, row_, c), size_t(PQgetlength(r_, row_, c)));
  }
  void at(int row) { row_ = row; }
 private:
  PGresult* r_;
  int row_;
};

bool valid_ident(std::string_view s) {
  if (s.empty() || s.size() > 60) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return !(s[0] >= '0' && s[0] <= '9');
}

// COPY text format: backslash escapes for \, tab, newline, CR; NULL is \N.
void copy_escape(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

class PgStore final : public detail::SqlStore {
 public:
  PgStore(const std::string& url, const OpenOptions& opt) : url_(url), schema_(opt.pg_schema) {
    if (!schema_.empty() && !valid_ident(schema_)) throw StoreError("invalid schema name (use a-z, 0-9, _)");
    conn_ = pg_connect(url_);
    try {
      session_setup(true);
      migrate(opt.migrate);
    } catch (...) {
      // The destructor does not run for a constructor that throws.
      PQfinish(conn_);
      conn_ = nullptr;
      throw;
    }
  }
  ~PgStore() override { PQfinish(conn_); }

  std::string_view engine() const override { return "postgresql"; }

  // One big transaction waits for one WAL flush at its commit: relaxing
  // synchronous_commit would save nothing worth the risk, so bulk mode keeps
  // the commit durable and only raises the memory of index builds.
  void set_bulk_mode(bool on) override {
    exec_script(on ? "SET maintenance_work_mem = '256MB'" : "RESET maintenance_work_mem");
    bulk_ = on;
  }

  bool broken() override {
    if (broken_ || !conn_ || PQstatus(conn_) == CONNECTION_BAD) return true;
    // Idle: read whatever the server sent, without blocking. A server that
    // went away sent a FATAL message when it could (57P01 …) and closed the
    // socket: libpq marks the connection bad once it reads the end of file.
    if (in_tx_) return false;
    for (int k = 0; k < 8; ++k) {
      pollfd p{PQsocket(conn_), POLLIN, 0};
      if (p.fd < 0) return broken_ = true;
      if (poll(&p, 1, 0) <= 0) break;  // nothing waiting: alive as far as can be told
      if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) return broken_ = true;
    }
    return false;
  }

  void reconnect() override {
    if (in_tx_) throw StoreError("reconnect inside a transaction");
    PGconn* fresh = pg_connect(url_);  // throws; the old connection stays as it was
    PQfinish(conn_);
    conn_ = fresh;
    cache_.clear();
    broken_ = false;
    try {
      session_setup(false);
      if (bulk_) exec_script("SET maintenance_work_mem = '256MB'");
    } catch (...) {
      broken_ = true;
      throw;
    }
  }

 protected:
  Dialect dialect() const override { return Dialect::postgresql; }

  void exec_script(const std::string& sql) override {
    ready();
    ResultGuard g{PQexec(conn_, sql.c_str())};
    auto st = PQresultStatus(g.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(g.r, "PostgreSQL: ");
  }

  void exec(std::string_view sql, std::span<const Param> ps) override { run(sql, ps, nullptr); }
  void query(std::string_view sql, std::span<const Param> ps, const RowFn& fn) override { run(sql, ps, &fn); }

  int64_t insert_id(std::string_view sql, std::span<const Param> ps) override {
    int64_t id = 0;
    RowFn fn = [&](const RowView& r) { id = r.i(0); };
    run(std::string(sql) + " RETURNING id", ps, &fn);
    return id;
  }

  void bulk_insert(std::string_view table, std::span<const std::string_view> cols, std::span<const Param> ps,
                   std::string_view conflict) override {
    if (ps.empty()) return;
    std::string collist = fmt::format("{}", fmt::join(cols, ", "));
    std::string target(table);
    if (!conflict.empty()) {
      // Stage through a temp table, then one INSERT … SELECT … ON CONFLICT.
      target = fmt::format("canbao_stage_{}_{}", table, cols.size());
      exec_script(fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} AS SELECT {} FROM {} WITH NO DATA", target,
                              collist, table));
      exec_script("TRUNCATE " + target);
    }
    copy_in(target, collist, cols.size(), ps);
    if (!conflict.empty()) {
      exec_script(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {} {}", table, collist, collist, target,
                              conflict));
      exec_script("TRUNCATE " + target);
    }
  }

  void raw_begin() override {
    ready();  // may reconnect: nothing of this transaction was sent yet
    in_tx_ = true;
    try {
      exec_script("BEGIN");
    } catch (...) {
      in_tx_ = false;
      throw;
    }
  }
  // A COMMIT that throws Unavailable may or may not have been applied: the
  // owner looks its writes up (idempotency keys) before running them again.
  void raw_commit() override {
    struct Out {
      bool& f;
      ~Out() { f = false; }
    } out{in_tx_};
    exec_script("COMMIT");
  }
  void raw_rollback() override {
    struct Out {
      bool& f;
      ~Out() { f = false; }
    } out{in_tx_};
    // The server drops the transaction of a dead connection by itself.
    if (broken_ || PQstatus(conn_) == CONNECTION_BAD) return;
    exec_script("ROLLBACK");
  }
  void lock_for_migration() override { exec_script("SELECT pg_advisory_xact_lock(7426001)"); }

 private:
  // Reconnects a broken store between transactions; refuses inside one (the
  // transaction died with the connection).
  void ready() {
    if (!broken_ && conn_ && PQstatus(conn_) != CONNECTION_BAD) return;
    broken_ = true;
    if (in_tx_) throw Unavailable("PostgreSQL unavailable: connection lost inside a transaction (not committed)");
    reconnect();
  }

  // Throws for a failed result: Unavailable when the connection or the server
  // is gone, StoreError for an error of the statement.
  [[noreturn]] void fail(PGresult* r, std::string_view prefix, std::string_view suffix = {}) {
    std::string msg = primary_message(r, conn_);
    const char* st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (PQstatus(conn_) == CONNECTION_BAD || unavailable_state(st) || connection_lost_text(msg)) {
      broken_ = true;
      throw Unavailable(fmt::format("PostgreSQL unavailable: {}", msg));
    }
    throw StoreError(fmt::format("{}{}{}", prefix, msg, suffix));
  }

  void session_setup(bool create_schema) {
    exec_script("SET client_min_messages = warning");
    if (!schema_.empty()) {
      if (create_schema) exec_script(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", schema_));
      exec_script(fmt::format("SET search_path TO {}", schema_));
    }
  }

  void copy_in(const std::string& table, const std::string& collist, size_t ncols, std::span<const Param> ps) {
    ready();
    {
      ResultGuard g{PQexec(conn_, fmt::format("COPY {} ({}) FROM STDIN", table, collist).c_str())};
      if (PQresultStatus(g.r) != PGRES_COPY_IN) fail(g.r, "PostgreSQL COPY: ");
    }
    std::string buf;
    buf.reserve(1 << 20);
    auto flush = [&] {
      if (!buf.empty() && PQputCopyData(conn_, buf.data(), int(buf.size())) != 1) fail(nullptr, "PostgreSQL COPY: ");
      buf.clear();
    };
    char tmp[24];
    for (size_t k = 0; k < ps.size(); ++k) {
      const Param& p = ps[k];
      switch (p.kind) {
        case Param::null_: buf += "\\N"; break;
        case Param::int_: {
          auto n = fmt::format_to_n(tmp, sizeof tmp, "{}", p.i).size;
          buf.append(tmp, n);
          break;
        }
        case Param::text_: copy_escape(buf, p.s); break;
        case Param::date_: buf.append(tmp, detail::render_date(int32_t(p.i), tmp)); break;
      }
      buf += (k + 1) % ncols == 0 ? '\n' : '\t';
      if (buf.size() > (1 << 20) - 4096) flush();
    }
    flush();
    if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr, "PostgreSQL COPY end: ");
    ResultGuard g{PQgetResult(conn_)};
    bool failed = PQresultStatus(g.r) != PGRES_COMMAND_OK;
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
    if (failed) fail(g.r, "PostgreSQL COPY: ");
  }

  const std::string& prepared(std::string_view sql) {
    ready();
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return it->second;
    std::string text;
    text.reserve(sql.size() + 16);
    int n = 0;
    for (char c : sql) {
      if (c == '?') text += fmt::format("${}", ++n);
      else text += c;
    }
    std::string name = fmt::format("canbao_{}", cache_.size() + 1);
    ResultGuard g{PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr)};
    if (PQresultStatus(g.r) != PGRES_COMMAND_OK) fail(g.r, "PostgreSQL: ", fmt::format(" in: {}", sql.substr(0, 200)));
    return cache_.emplace(std::string(sql), std::move(name)).first->second;
  }

  void run(std::string_view sql, std::span<const Param> ps, const RowFn* fn) {
    const std::string& name = prepared(sql);
    std::vector<std::string> vals(ps.size());
    std::vector<const char*> ptrs(ps.size());
    for (size_t k = 0; k < ps.size(); ++k) {
      const Param& p = ps[k];
      switch (p.kind) {
        case Param::null_: ptrs[k] = nullptr; continue;
        case Param::int_: vals[k] = std::to_string(p.i); break;
        case Param::text_: vals[k] = std::string(p.s); break;
        case Param::date_: {
          char tmp[11];
          vals[k].assign(tmp, detail::render_date(int32_t(p.i), tmp));
          break;
        }
      }
      ptrs[k] = vals[k].c_str();
    }
    ResultGuard g{PQexecPrepared(conn_, name.c_str(), int(ps.size()), ptrs.data(), nullptr, nullptr, 0)};
    auto st = PQresultStatus(g.r);
    // A failed prepared statement inside an aborted transaction stays prepared; nothing to undo.
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(g.r, "PostgreSQL: ");
    if (fn) {
      PgRow row(g.r, 0);
      int n = PQntuples(g.r);
      for (int k = 0; k < n; ++k) {
        row.at(k);
        (*fn)(row);
      }
    }
  }

  std::string url_;     // conninfo as given (multi-host URLs stay multi-host)
  std::string schema_;  // OpenOptions::pg_schema
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> cache_;
  bool in_tx_ = false;   // between BEGIN and COMMIT/ROLLBACK
  bool broken_ = false;  // a statement met a dead connection: reconnect() first
  bool bulk_ = false;    // set_bulk_mode(true) in effect (redone on reconnect)
};

}  // namespace

std::unique_ptr<Store> open_postgres(const std::string& url, const OpenOptions& opt) {
  return std::make_unique<PgStore>(url, opt);
}

}  // namespace canbao::store
