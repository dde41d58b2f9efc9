// `canbao serve`: the JSON API of docs/api.md over cpp-httplib, the web UI's
// static files, accounts with region-scoped roles, sessions, audit.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/date.h"
#include "store/store.h"

namespace canbao::server {

struct ServerOptions {
  std::string db;                   // store URL (SQLite path or postgresql://…)
  store::OpenOptions open;          // pg_schema for tests
  std::string bind = "127.0.0.1";
  int port = 8080;                  // 0: any free port (see Server::port())
  std::string policies_dir = "policies/2024";
  std::string web_dir;              // static files of the web UI (SPA fallback to index.html)
  std::optional<Date> today;        // the campaign's "today" (demo, tests); default: the clock
  // Connections served at once: each keep-alive connection holds a thread,
  // started when it connects (idle ones end after a minute). Past this many a
  // connection waits unread until another closes (issue 11: 1,000 collectors).
  size_t threads = 2048;
  size_t pool = 8;                  // store connections for request threads
  size_t batch_max = 512;           // payments per group commit
  int public_per_minute = 10;       // resident self-service lookups per client address
  int login_failures = 5;           // failed logins per 15 minutes before 429
  // How many days before today a payment a person enters may be dated, per
  // role (default for roles not listed). It also bounds how late an offline
  // payment may sync with its collection day, so the collecting roles get a
  // week: a collector in a 嘎查 without signal syncs when back in town, and
  // the daily handover is settled weekly at the latest. Older: admin with a reason.
  int backdate_days_default = 3;
  std::map<std::string, int> backdate_days = {{"village", 7}, {"township", 7}};
  bool secure_cookies = false;      // session cookie marked Secure (behind a TLS proxy)
  // Uploads read at once (imports, reconciliation files); more answer 429.
  // Each may inflate a workbook, so this bounds the memory they can take.
  int upload_slots = 2;
  // Called by an upload while it holds its slot, before reading the file:
  // tests hold uploads open with it to meet the limit deterministically.
  std::function<void(const std::string& kind)> on_upload;
  bool quiet = false;
};

class Server {
 public:
  explicit Server(ServerOptions opt);
  ~Server();
  // Binds (port 0 = ephemeral) and returns the port, or -1 on failure.
  int bind();
  // Serves until stop(); returns after in-flight requests finished and the ledger drained.
  void run();
  void stop();
  int port() const;
  Date today() const;
  // Group-commit figures of the ledger writer (for bench_payments).
  struct LedgerFigures {
    int64_t batches = 0, writes = 0, apply_us = 0, commit_us = 0;
  };
  LedgerFigures ledger_figures() const;

  struct Impl;
 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace canbao::server
