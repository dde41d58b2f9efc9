// SQLite engine: one connection, WAL, foreign keys on, busy timeout,
// prepared statements cached by SQL text, parameters always bound.
#include <sqlite3.h>

#include <fmt/format.h>

#include <unordered_map>

#include "store/engines.h"
#include "store/sql_store.h"

namespace canbao::store {

namespace {

using detail::Param;
using detail::RowFn;
using detail::RowView;

class SqliteRow final : public RowView {
 public:
  explicit SqliteRow(sqlite3_stmt* st) : st_(st) {}
  bool null(int c) const override { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  int64_t i(int c) const override { return sqlite3_column_int64(st_, c); }
  std::string_view s(int c) const override {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, c));
    return p ? std::string_view(p, size_t(sqlite3_column_bytes(st_, c))) : std::string_view();
  }
 private:
  sqlite3_stmt* st_;
};

class SqliteStore final : public detail::SqlStore {
 public:
  SqliteStore(const std::string& path, const OpenOptions& opt) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw StoreError(fmt::format("无法打开数据库 / cannot open SQLite database {}: {}", path, msg));
    }
    try {
      sqlite3_busy_timeout(db_, 10000);
      exec_script("PRAGMA journal_mode=WAL");
      exec_script("PRAGMA synchronous=NORMAL");
      exec_script("PRAGMA cache_size=-65536");  // 64 MiB
      exec_script("PRAGMA temp_store=MEMORY");
      // Migrations that rebuild a table (version 4) run with foreign keys off,
      // as SQLite's table-rebuild procedure asks; they copy rows unchanged.
      exec_script("PRAGMA foreign_keys=OFF");
      migrate(opt.migrate);
      exec_script("PRAGMA foreign_keys=ON");
    } catch (...) {
      // A refused database (e.g. a newer schema) must not leak the connection:
      // the destructor does not run for a constructor that throws.
      close();
      throw;
    }
  }
  ~SqliteStore() override { close(); }

  void close() {
    for (auto& [_, st] : cache_) sqlite3_finalize(st);
    cache_.clear();
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
  }

  std::string_view engine() const override { return "sqlite"; }

  void set_bulk_mode(bool on) override {
    if (on == bulk_) return;
    bulk_ = on;
    if (on) {
      // The importer checks its own rows (every person's household is in the
      // same load), so per-row foreign-key lookups are skipped; both pragmas
      // only take effect outside a transaction.
      exec_script("PRAGMA foreign_keys=OFF");
      exec_script("PRAGMA synchronous=OFF");
      exec_script("PRAGMA cache_size=-524288");  // 512 MiB: tables and index sorts stay in memory
      exec_script("PRAGMA threads=2");           // the sorter of CREATE INDEX may use a helper thread
      return;
    }
    exec_script("PRAGMA threads=0");
    exec_script("PRAGMA cache_size=-65536");
    if (sqlite3_get_autocommit(db_)) {
      // Durability of the batch as a whole: copy the WAL into the database
      // and fsync both before returning.
      exec_script("PRAGMA synchronous=FULL");
      exec_script("PRAGMA wal_checkpoint(TRUNCATE)");
      exec_script("PRAGMA foreign_keys=ON");
    }
    exec_script("PRAGMA synchronous=NORMAL");
  }

 protected:
  bool may_drop_indexes() override {
    int fk = 1;
    query("PRAGMA foreign_keys", {}, [&](const RowView& r) { fk = int(r.i(0)); });
    return fk == 0;
  }

 public:

 protected:
  Dialect dialect() const override { return Dialect::sqlite; }

  void exec_script(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw StoreError("SQLite: " + msg);
    }
  }

  void exec(std::string_view sql, std::span<const Param> ps) override {
    auto st = prepare(sql);
    bind(st, ps);
    step_all(st, nullptr);
  }

  void query(std::string_view sql, std::span<const Param> ps, const RowFn& fn) override {
    auto st = prepare(sql);
    bind(st, ps);
    step_all(st, &fn);
  }

  int64_t insert_id(std::string_view sql, std::span<const Param> ps) override {
    exec(sql, ps);
    return sqlite3_last_insert_rowid(db_);
  }

  void bulk_insert(std::string_view table, std::span<const std::string_view> cols, std::span<const Param> ps,
                   std::string_view conflict) override {
    if (ps.empty()) return;
    std::string sql = fmt::format("INSERT INTO {} ({}) VALUES (", table, fmt::join(cols, ", "));
    for (size_t k = 0; k < cols.size(); ++k) sql += k ? ", ?" : "?";
    sql += ") ";
    sql += conflict;
    auto st = prepare(sql);
    size_t n = cols.size();
    for (size_t off = 0; off < ps.size(); off += n) {
      bind(st, ps.subspan(off, n));
      step_all(st, nullptr);
    }
  }

  void raw_begin() override { exec_script("BEGIN IMMEDIATE"); }
  void raw_commit() override { exec_script("COMMIT"); }
  void raw_rollback() override {
    if (!sqlite3_get_autocommit(db_)) exec_script("ROLLBACK");
  }
  void lock_for_migration() override {}  // BEGIN IMMEDIATE already holds the write lock

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
      throw StoreError(fmt::format("SQLite: {} in: {}", sqlite3_errmsg(db_), sql.substr(0, 200)));
    cache_.emplace(std::string(sql), st);
    return st;
  }

  void bind(sqlite3_stmt* st, std::span<const Param> ps) {
    for (size_t k = 0; k < ps.size(); ++k) {
      const Param& p = ps[k];
      int idx = int(k) + 1, rc = SQLITE_OK;
      switch (p.kind) {
        case Param::null_: rc = sqlite3_bind_null(st, idx); break;
        case Param::int_: rc = sqlite3_bind_int64(st, idx, p.i); break;
        case Param::text_: rc = sqlite3_bind_text(st, idx, p.s.data(), int(p.s.size()), SQLITE_STATIC); break;
        case Param::date_: {
          char buf[11];
          detail::render_date(int32_t(p.i), buf);
          rc = sqlite3_bind_text(st, idx, buf, 10, SQLITE_TRANSIENT);
          break;
        }
      }
      if (rc != SQLITE_OK) throw StoreError(fmt::format("SQLite bind: {}", sqlite3_errmsg(db_)));
    }
  }

  void step_all(sqlite3_stmt* st, const RowFn* fn) {
    struct Reset {
      sqlite3_stmt* st;
      ~Reset() { sqlite3_reset(st); sqlite3_clear_bindings(st); }
    } reset{st};
    SqliteRow row(st);
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) return;
      if (rc == SQLITE_ROW) {
        if (fn) (*fn)(row);
        continue;
      }
      throw StoreError(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
    }
  }

  sqlite3* db_ = nullptr;
  bool bulk_ = false;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, const OpenOptions& opt) {
  return std::make_unique<SqliteStore>(path, opt);
}

}  // namespace canbao::store
