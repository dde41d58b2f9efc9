// Durable payments per second over HTTP on loopback (issue 4).
//
// An in-process `canbao serve` (same code as the binary) on an ephemeral
// port, many client threads with keep-alive connections, each POSTing
// /api/v1/payments for distinct enrolled persons. A payment is acknowledged
// only after its group-commit transaction returned (SQLite WAL +
// synchronous=FULL; PostgreSQL synchronous_commit=on). Printed: payments/s,
// p50/p99 latency, mean batch size, failed requests, the process's memory
// and threads, and the same engine's raw one-row-per-transaction durable
// commit rate measured in the same run.
//
// Batch mode (issue 14, --mode batch|both): --batch-clients callers each POST
// /api/v1/payments/batch with --batch-items payments per call (default 1,000:
// a phone's offline queue, a school class), every item acknowledged after the
// one group commit of its call. Printed beside the raw commit rate of the same
// run: durable payments/s and p50/p99 per call.
//
// One run per --clients value (default 128 and 1000 keep-alive clients, each
// its own connection, all started at once), each against a fresh server with
// the server's default options (threads as `canbao serve`) unless --threads.
// A failed request (no response, or a status other than 201) is counted and
// its kind printed: a collector's phone would show an error for it.
//
//   bench_payments [--persons 120000] [--clients 128,1000] [--seconds 8] [--batch 512]
//                  [--threads N] [--no-progress-triggers 1]   (drops the counter triggers; the ledger
//                                                              writer adds its own per-batch deltas anyway)
//                  [--mode http|batch|both] [--batch-items 1000] [--batch-clients 2]
// PostgreSQL too when CANBAO_PG_URL is set.
#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <sys/resource.h>

#include "server/auth.h"
#include "support/fixture.h"
#include "server/server.h"
#include "store/sql_store.h"

using namespace canbao;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int persons = 120000, seconds = 8;
  std::vector<int> clients = {128, 1000};
  size_t threads = 0;  // 0: the server's default (as `canbao serve`)
  size_t batch = 512;
  bool no_triggers = false;  // drop migration 3's progress triggers in the bench DB (to measure their cost)
  std::string mode = "http";  // http | batch | both
  int batch_items = 1000, batch_clients = 2;
};

// VmRSS / VmHWM (kB) and Threads of this process (server and clients).
struct Proc {
  long rss_kb = 0, hwm_kb = 0, threads = 0;
};
Proc proc_status() {
  Proc p;
  std::ifstream f("/proc/self/status");
  std::string k;
  long v = 0;
  while (f >> k) {
    if (k == "VmRSS:" && f >> v) p.rss_kb = v;
    else if (k == "VmHWM:" && f >> v) p.hwm_kb = v;
    else if (k == "Threads:" && f >> v) p.threads = v;
  }
  return p;
}

double raw_rate(const std::string& url, const store::OpenOptions& oo, double seconds) {
  auto st = store::open_store(url, oo);
  auto& s = dynamic_cast<store::detail::SqlStore&>(*st);
  if (s.sql_dialect() == store::Dialect::sqlite) s.sql_script("PRAGMA synchronous=FULL");
  else s.sql_script("SET synchronous_commit = on");
  s.sql_script("CREATE TABLE IF NOT EXISTS bench_raw (id BIGINT PRIMARY KEY, v TEXT NOT NULL)");
  auto t0 = Clock::now();
  int64_t n = 0;
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
    auto tx = st->transaction();
    ++n;
    s.sql_exec("INSERT INTO bench_raw (id, v) VALUES (?, ?)", {n + 1000000 * int64_t(getpid() % 1000), "x"});
    tx.commit();
  }
  double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  s.sql_script("DROP TABLE bench_raw");
  return double(n) / dt;
}

void http_run(const std::string& url, const store::OpenOptions& oo, const Args& a, const server::Fixture& fx,
              int clients, double raw, size_t& next_person);
void batch_run(const std::string& url, const store::OpenOptions& oo, const Args& a, const server::Fixture& fx,
               double raw, size_t& next_person);

void run(const std::string& engine, const std::string& url, const store::OpenOptions& oo, const Args& a) {
  fmt::print("== {} ==\n", engine);
  server::Fixture fx;
  {
    auto t0 = Clock::now();
    auto st = store::open_store(url, oo);
    st->set_bulk_mode(true);
    fx = server::make_fixture(*st, std::max(1, a.persons / 2500), 0, 2500);
    st->set_bulk_mode(false);
    server::User u;
    u.username = "bench";
    u.role = "admin";
    server::create_user(*st, u, "bench-password-1", "bench", false);
    fmt::print("fixture: {} enrolled persons in {:.1f} s\n", fx.persons.size(),
               std::chrono::duration<double>(Clock::now() - t0).count());
  }
  if (a.no_triggers) {
    auto st = store::open_store(url, [&] { auto x = oo; x.migrate = false; return x; }());
    auto& s = dynamic_cast<store::detail::SqlStore&>(*st);
    if (s.sql_dialect() == store::Dialect::sqlite)
      s.sql_script("DROP TRIGGER IF EXISTS progress_enrollment_insert; DROP TRIGGER IF EXISTS progress_enrollment_update; "
                   "DROP TRIGGER IF EXISTS progress_enrollment_delete; DROP TRIGGER IF EXISTS progress_payment_insert;");
    else
      s.sql_script("DROP TRIGGER IF EXISTS progress_enrollment ON enrollments; "
                   "DROP TRIGGER IF EXISTS progress_payment ON payments;");
    fmt::print("progress triggers dropped in the bench database (measuring their cost)\n");
  }
  double raw = raw_rate(url, oo, 2.0);
  fmt::print("raw one-row-per-transaction durable commits: {:.0f}/s\n", raw);

  size_t next_person = 0;
  if (a.mode != "batch")
    for (int clients : a.clients) {
      http_run(url, oo, a, fx, clients, raw, next_person);
      fmt::print("\n");
    }
  if (a.mode != "http") batch_run(url, oo, a, fx, raw, next_person);
}

// A fresh server as `canbao serve` would run it over the bench database.
server::ServerOptions bench_options(const std::string& url, const store::OpenOptions& oo, const Args& a) {
  server::ServerOptions o;
  o.db = url;
  o.open = oo;
  o.port = 0;
  o.policies_dir = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
  o.today = Date::from_ymd(2023, 11, 20);
  if (a.threads > 0) o.threads = a.threads;
  o.pool = 16;
  o.batch_max = a.batch;
  o.quiet = true;
  return o;
}

// Logs in as the bench user; empty cookie when the login failed.
std::pair<std::string, std::string> bench_login(int port) {
  httplib::Client lc("127.0.0.1", port);
  auto lr = lc.Post("/api/v1/auth/login", R"({"username":"bench","password":"bench-password-1"})", "application/json");
  if (!lr || lr->status != 200) return {};
  std::string cookie = lr->get_header_value("Set-Cookie");
  return {cookie.substr(0, cookie.find(';')), json::parse(lr->body)["csrf_token"]};
}

void batch_run(const std::string& url, const store::OpenOptions& oo, const Args& a, const server::Fixture& fx,
               double raw, size_t& next_person) {
  server::Server srv(bench_options(url, oo, a));
  int port = srv.bind();
  std::thread th([&] { srv.run(); });
  auto [cookie, csrf] = bench_login(port);
  if (cookie.empty()) {
    fmt::print("login failed\n");
    srv.stop();
    th.join();
    return;
  }
  const size_t per = size_t(std::max(1, a.batch_items));
  std::atomic<size_t> next{next_person};
  std::atomic<int64_t> ok{0}, bad{0}, calls{0};
  std::mutex m;
  std::vector<float> lat;
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::seconds(a.seconds);
  std::vector<std::thread> ts;
  for (int t = 0; t < std::max(1, a.batch_clients); ++t)
    ts.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_read_timeout(120);
      httplib::Headers h = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
      std::string body;
      while (Clock::now() < deadline) {
        size_t first = next.fetch_add(per);
        if (first + per > fx.persons.size()) return;
        body = R"({"items":[)";
        for (size_t i = first; i < first + per; ++i)
          body += fmt::format(R"({}{{"idempotency_key":"bb-{}","person":"{}","year":2024,"amount_fen":38000,"channel":"wechat"}})",
                              i == first ? "" : ",", i, fx.persons[i].id_number);
        body += "]}";
        auto s = Clock::now();
        auto r = c.Post("/api/v1/payments/batch", h, body, "application/json");
        float ms = std::chrono::duration<float, std::milli>(Clock::now() - s).count();
        ++calls;
        if (!r || r->status != 200) {
          bad += int64_t(per);
          fmt::print("error: batch call answered {}\n", r ? std::to_string(r->status) + " " + r->body.substr(0, 200)
                                                         : "-1 " + httplib::to_string(r.error()));
          continue;
        }
        int64_t good = 0;
        const json answer = json::parse(r->body);  // kept: a range-for over a temporary's member dangles
        for (auto& x : answer["results"]) {
          if (x["status"] == 201) ++good;
          else if (bad.load() == 0 && good == 0) fmt::print("refused item: {}\n", x.dump().substr(0, 300));
        }
        ok += good;
        bad += int64_t(per) - good;
        std::lock_guard lk(m);
        lat.push_back(ms);
      }
    });
  for (auto& t : ts) t.join();
  double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  next_person = next.load();
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat.empty() ? 0.0 : double(lat[size_t(p * double(lat.size() - 1))]); };
  auto lf = srv.ledger_figures();
  srv.stop();
  th.join();
  double rate = double(ok) / dt;
  fmt::print("HTTP batch payments, {} callers x {} items per call: {} acknowledged in {} calls, {:.2f} s\n",
             std::max(1, a.batch_clients), per, ok.load(), calls.load(), dt);
  fmt::print("  refused or failed items: {}\n", bad.load());
  fmt::print("  durable payments/s: {:.0f}   per call p50 {:.1f} ms   p99 {:.1f} ms   max {:.1f} ms\n", rate, pct(0.5),
             pct(0.99), lat.empty() ? 0.0 : double(lat.back()));
  fmt::print("  raw single-row commit rate: {:.0f}/s   speed-up {:.1f}x (goal 20x)\n", raw, raw > 0 ? rate / raw : 0.0);
  if (lf.batches > 0 && lf.writes > 0)
    fmt::print("  writer: {} batches, mean {:.1f} writes/batch, apply {:.1f} us/write, commit {:.2f} ms/batch, "
               "busy {:.0f}% of the run\n",
               lf.batches, double(lf.writes) / double(lf.batches), double(lf.apply_us) / double(lf.writes),
               double(lf.commit_us) / 1000.0 / double(lf.batches),
               100.0 * double(lf.apply_us + lf.commit_us) / 1e6 / dt);
}

// One run of `clients` keep-alive clients against a fresh server; persons are
// taken from `next_person` on (each payment is for a person not yet paid).
void http_run(const std::string& url, const store::OpenOptions& oo, const Args& a, const server::Fixture& fx,
              int clients, double raw, size_t& next_person) {
  server::ServerOptions o;
  o.db = url;
  o.open = oo;
  o.port = 0;
  o.policies_dir = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
  o.today = Date::from_ymd(2023, 11, 20);
  if (a.threads > 0) o.threads = a.threads;
  o.pool = 16;
  o.batch_max = a.batch;
  o.quiet = true;
  server::Server srv(o);
  int port = srv.bind();
  std::thread th([&] { srv.run(); });
  auto idle = proc_status();

  httplib::Client lc("127.0.0.1", port);
  auto lr = lc.Post("/api/v1/auth/login", R"({"username":"bench","password":"bench-password-1"})", "application/json");
  if (!lr || lr->status != 200) {
    fmt::print("login failed\n");
    srv.stop();
    th.join();
    return;
  }
  std::string cookie = lr->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  std::string csrf = json::parse(lr->body)["csrf_token"];

  std::atomic<size_t> next{next_person};
  std::atomic<int64_t> ok{0}, bad{0};
  std::mutex bad_m;
  std::map<std::string, int64_t> bad_kinds;  // "-1 Read", "503", …
  std::vector<std::vector<float>> lat(static_cast<size_t>(clients));
  // Memory and threads while the clients run (sampled every 100 ms).
  std::atomic<bool> sampling{true};
  Proc peak;
  std::thread sampler([&] {
    while (sampling) {
      auto p = proc_status();
      peak.rss_kb = std::max(peak.rss_kb, p.rss_kb);
      peak.threads = std::max(peak.threads, p.threads);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::seconds(a.seconds);
  std::vector<std::thread> ts;
  ts.reserve(size_t(clients));
  for (int t = 0; t < clients; ++t)
    ts.emplace_back([&, t] {
      // A plain HTTP/1.1 keep-alive client: no retries, so every connection
      // the server drops or leaves unanswered shows here.
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);  // no Nagle stall between the request's header and body writes
      c.set_read_timeout(30);
      httplib::Headers h = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
      auto& my = lat[size_t(t)];
      my.reserve(1 << 12);
      std::string body;
      for (;;) {
        if (Clock::now() > deadline) return;
        size_t i = next++;
        if (i >= fx.persons.size()) return;
        body = fmt::format(R"({{"idempotency_key":"b-{}","person":"{}","year":2024,"amount_fen":38000,"channel":"wechat"}})",
                           i, fx.persons[i].id_number);
        auto s = Clock::now();
        auto r = c.Post("/api/v1/payments", h, body, "application/json");
        float ms = std::chrono::duration<float, std::milli>(Clock::now() - s).count();
        if (r && r->status == 201) {
          ++ok;
          my.push_back(ms);
        } else {
          std::string kind = r ? std::to_string(r->status) : "-1 " + httplib::to_string(r.error());
          std::lock_guard lk(bad_m);
          ++bad_kinds[kind];
          if (bad++ < 3)
            fmt::print("error: {} after {:.0f} ms, request {} of this client\n",
                       r ? kind + " " + r->body.substr(0, 200) : kind, ms, my.size() + 1);
        }
      }
    });
  for (auto& t : ts) t.join();
  double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  sampling = false;
  sampler.join();
  next_person = next.load();
  std::vector<float> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : double(all[size_t(p * double(all.size() - 1))]); };
  auto lf = srv.ledger_figures();
  srv.stop();
  th.join();
  int64_t rows = 0;
  {
    auto st = store::open_store(url, [&] { auto x = oo; x.migrate = false; return x; }());
    dynamic_cast<store::detail::SqlStore&>(*st).sql_query(
        "SELECT COUNT(*) FROM payments WHERE kind = 'payment'", {}, [&](const store::detail::RowView& v) { rows = v.i(0); });
  }
  std::string kinds;
  for (auto& [k, n] : bad_kinds) kinds += fmt::format("{}{}: {}", kinds.empty() ? " (" : ", ", k, n);
  if (!kinds.empty()) kinds += ")";
  fmt::print("HTTP payments, {} keep-alive clients: {} acknowledged in {:.2f} s\n", clients, ok.load(), dt);
  fmt::print("  failed requests: {} of {}{}\n", bad.load(), ok.load() + bad.load(), kinds);
  fmt::print("  durable payments/s: {:.0f}   p50 {:.2f} ms   p99 {:.2f} ms   max {:.2f} ms\n", double(ok) / dt, pct(0.5),
             pct(0.99), all.empty() ? 0.0 : double(all.back()));
  fmt::print("  ledger rows (kind=payment, all runs): {}   raw single-row commit rate: {:.0f}/s   speed-up {:.1f}x\n",
             rows, raw, raw > 0 ? double(ok) / dt / raw : 0.0);
  fmt::print("  process (server + {} client threads): RSS {:.0f} MB before the clients, peak {:.0f} MB; "
             "peak {} threads\n",
             clients, double(idle.rss_kb) / 1024, double(peak.rss_kb) / 1024, peak.threads);
  if (lf.batches > 0 && lf.writes > 0)
    fmt::print("  writer: {} batches, mean {:.1f} writes/batch, apply {:.1f} us/write, commit {:.2f} ms/batch, "
               "busy {:.0f}% of the run\n",
               lf.batches, double(lf.writes) / double(lf.batches), double(lf.apply_us) / double(lf.writes),
               double(lf.commit_us) / 1000.0 / double(lf.batches),
               100.0 * double(lf.apply_us + lf.commit_us) / 1e6 / dt);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--persons") a.persons = std::atoi(argv[i + 1]);
    else if (k == "--clients") {
      a.clients.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string n; std::getline(ss, n, ',');)
        if (std::atoi(n.c_str()) > 0) a.clients.push_back(std::atoi(n.c_str()));
    } else if (k == "--threads") a.threads = size_t(std::atoi(argv[i + 1]));
    else if (k == "--seconds") a.seconds = std::atoi(argv[i + 1]);
    else if (k == "--batch") a.batch = size_t(std::atoi(argv[i + 1]));
    else if (k == "--no-progress-triggers") a.no_triggers = std::atoi(argv[i + 1]) != 0;
    else if (k == "--mode") a.mode = argv[i + 1];
    else if (k == "--batch-items") a.batch_items = std::atoi(argv[i + 1]);
    else if (k == "--batch-clients") a.batch_clients = std::atoi(argv[i + 1]);
  }
  {
    // Two descriptors per client here (its socket and the server's end).
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  auto dir = std::filesystem::temp_directory_path() / "canbao-bench-payments";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  run("sqlite", (dir / "bench.db").string(), {}, a);
  if (const char* pg = std::getenv("CANBAO_PG_URL")) {
    store::OpenOptions oo;
    oo.pg_schema = "bench_payments";
    {
      auto st = store::open_store(pg, oo);
      dynamic_cast<store::detail::SqlStore&>(*st).sql_script("DROP SCHEMA IF EXISTS bench_payments CASCADE");
    }
    run("postgresql", pg, oo, a);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
