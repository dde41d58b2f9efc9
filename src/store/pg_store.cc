// PostgreSQL engine (libpq): statements prepared once per connection and
// cached by SQL text, parameters always bound (text format), bulk loads by
// COPY FROM STDIN (through a temp staging table when the load is an upsert).
#include <libpq-fe.h>

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
  PgStore(const std::string& url, const OpenOptions& opt) {
    conn_ = PQconnectdb(url.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw StoreError("无法连接 PostgreSQL / cannot connect to PostgreSQL: " + msg);
    }
    try {
      exec_script("SET client_min_messages = warning");
      if (!opt.pg_schema.empty()) {
        if (!valid_ident(opt.pg_schema)) throw StoreError("invalid schema name (use a-z, 0-9, _)");
        exec_script(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", opt.pg_schema));
        exec_script(fmt::format("SET search_path TO {}", opt.pg_schema));
      }
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
  }

 protected:
  Dialect dialect() const override { return Dialect::postgresql; }

  void exec_script(const std::string& sql) override {
    ResultGuard g{PQexec(conn_, sql.c_str())};
    auto st = PQresultStatus(g.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      throw StoreError("PostgreSQL: " + primary_message(g.r, conn_));
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

  void raw_begin() override { exec_script("BEGIN"); }
  void raw_commit() override { exec_script("COMMIT"); }
  void raw_rollback() override { exec_script("ROLLBACK"); }
  void lock_for_migration() override { exec_script("SELECT pg_advisory_xact_lock(7426001)"); }

 private:
  void copy_in(const std::string& table, const std::string& collist, size_t ncols, std::span<const Param> ps) {
    {
      ResultGuard g{PQexec(conn_, fmt::format("COPY {} ({}) FROM STDIN", table, collist).c_str())};
      if (PQresultStatus(g.r) != PGRES_COPY_IN) throw StoreError("PostgreSQL COPY: " + primary_message(g.r, conn_));
    }
    std::string buf;
    buf.reserve(1 << 20);
    auto flush = [&] {
      if (!buf.empty() && PQputCopyData(conn_, buf.data(), int(buf.size())) != 1)
        throw StoreError("PostgreSQL COPY: " + std::string(PQerrorMessage(conn_)));
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
    if (PQputCopyEnd(conn_, nullptr) != 1) throw StoreError("PostgreSQL COPY end: " + std::string(PQerrorMessage(conn_)));
    ResultGuard g{PQgetResult(conn_)};
    std::string err;
    if (PQresultStatus(g.r) != PGRES_COMMAND_OK) err = primary_message(g.r, conn_);
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
    if (!err.empty()) throw StoreError("PostgreSQL COPY: " + err);
  }

  const std::string& prepared(std::string_view sql) {
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
    if (PQresultStatus(g.r) != PGRES_COMMAND_OK)
      throw StoreError(fmt::format("PostgreSQL: {} in: {}", primary_message(g.r, conn_), sql.substr(0, 200)));
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
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = primary_message(g.r, conn_);
      // A failed prepared statement inside an aborted transaction stays prepared; nothing to undo.
      throw StoreError("PostgreSQL: " + msg);
    }
    if (fn) {
      PgRow row(g.r, 0);
      int n = PQntuples(g.r);
      for (int k = 0; k < n; ++k) {
        row.at(k);
        (*fn)(row);
      }
    }
  }

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> cache_;
};

}  // namespace

std::unique_ptr<Store> open_postgres(const std::string& url, const OpenOptions& opt) {
  return std::make_unique<PgStore>(url, opt);
}

}  // namespace canbao::store
