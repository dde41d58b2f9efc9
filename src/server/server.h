// `canbao serve`: the JSON API of docs/api.md over cpp-httplib, the web UI's
// static files, accounts with region-scoped roles, sessions, audit.
#pragma once
#include <atomic>
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
  size_t threads = 256;             // HTTP worker threads (each keep-alive connection holds one)
  size_t pool = 8;                  // store connections for request threads
  size_t batch_max = 512;           // payments per group commit
  int public_per_minute = 10;       // resident self-service lookups per client address
  int login_failures = 5;           // failed logins per 15 minutes before 429
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
