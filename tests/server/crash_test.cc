// Crash test: a load generator sends payments with unique idempotency keys
// while `canbao serve` (CANBAO_BINARY) is killed with SIGKILL several times
// and restarted; unacknowledged payments are retried with the same key.
// Afterwards every acknowledged payment is in the ledger exactly once and the
// receipt sequence has no gaps.
#include <gtest/gtest.h>
#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "server/auth.h"
#include "support/fixture.h"
#include "store/sql_store.h"

using json = nlohmann::json;
using namespace canbao;

namespace {

pid_t spawn_server(const std::string& db, int port) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    dup2(fd, 2);
    std::string p = std::to_string(port), pol = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
    execl(CANBAO_BINARY, CANBAO_BINARY, "serve", "--db", db.c_str(), "--port", p.c_str(), "--today", "2023-11-20",
          "--policies", pol.c_str(), "--threads", "64", (char*)nullptr);
    _exit(127);
  }
  return pid;
}

bool wait_healthy(int port, int ms) {
  for (int i = 0; i < ms / 20; ++i) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(0, 200000);
    if (auto r = c.Get("/api/v1/health"); r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(Crash, SigkillLosesNoAcknowledgedPaymentAndLeavesNoGap) {
  auto dir = std::filesystem::temp_directory_path() / "canbao-crash-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "crash.db").string();
  server::Fixture fx;
  {
    auto st = store::open_store(db);
    fx = server::make_fixture(*st, 4, 0, 300);
    server::User u;
    u.username = "admin";
    u.role = "admin";
    server::create_user(*st, u, "pw-admin-123", "test", false);
  }
  const size_t n = fx.persons.size();  // 1200 payments
  std::vector<int> state(n, 0);        // 0 not acknowledged, 1 acknowledged
  std::mutex mu;
  std::mt19937 rng(42);
  int port = 21000 + int(getpid() % 20000);
  const int rounds = 5;
  int64_t acked_total = 0;
  for (int round = 0; round < rounds; ++round) {
    pid_t pid = spawn_server(db, port);
    ASSERT_TRUE(wait_healthy(port, 10000)) << "server did not start";
    httplib::Client lc("127.0.0.1", port);
    auto lr = lc.Post("/api/v1/auth/login", R"({"username":"admin","password":"pw-admin-123"})", "application/json");
    ASSERT_TRUE(lr && lr->status == 200);
    std::string cookie = lr->get_header_value("Set-Cookie");
    cookie = cookie.substr(0, cookie.find(';'));
    std::string csrf = json::parse(lr->body)["csrf_token"];
    std::atomic<bool> stop{false};
    std::vector<std::thread> ts;
    const int nt = 16;
    for (int t = 0; t < nt; ++t)
      ts.emplace_back([&, t] {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(5);
        httplib::Headers h = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
        for (size_t i = size_t(t); i < n && !stop; i += nt) {
          {
            std::lock_guard lk(mu);
            if (state[i]) continue;
          }
          json b = {{"idempotency_key", fmt::format("crash-{}", i)}, {"person", fx.persons[i].id_number},
                    {"year", 2024}, {"amount_fen", 38000}, {"channel", "wechat"}};
          auto r = c.Post("/api/v1/payments", h, b.dump(), "application/json");
          if (!r) return;  // server gone: retry next round
          if (r->status == 201 || r->status == 200) {
            std::lock_guard lk(mu);
            state[i] = 1;
          } else {
            ADD_FAILURE() << r->status << " " << r->body;
            return;
          }
        }
      });
    if (round < rounds - 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + int(rng() % 250)));
      kill(pid, SIGKILL);
      stop = true;
      for (auto& th : ts) th.join();
      waitpid(pid, nullptr, 0);
    } else {
      for (auto& th : ts) th.join();
      kill(pid, SIGTERM);  // graceful stop
      int status = 0;
      waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    int64_t acked = 0;
    for (int s : state) acked += s;
    acked_total = acked;
  }
  EXPECT_EQ(acked_total, int64_t(n)) << "the last round should finish every payment";
  auto st = store::open_store(db);
  auto& s = dynamic_cast<store::detail::SqlStore&>(*st);
  std::map<std::string, int> per_key;
  s.sql_query("SELECT idem_key FROM payments WHERE kind = 'payment'", {},
              [&](const store::detail::RowView& v) { per_key[std::string(v.s(0))]++; });
  for (size_t i = 0; i < n; ++i) {
    if (!state[i]) continue;
    EXPECT_EQ(per_key[fmt::format("crash-{}", i)], 1) << "payment " << i;
  }
  std::vector<int64_t> seqs;
  s.sql_query("SELECT receipt_seq FROM payments WHERE kind = 'payment' ORDER BY receipt_seq", {},
              [&](const store::detail::RowView& v) { seqs.push_back(v.i(0)); });
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], int64_t(i + 1)) << "gap in receipts";
  int64_t paid = 0;
  s.sql_query("SELECT COUNT(*) FROM enrollments WHERE status = 'paid'", {}, [&](const store::detail::RowView& v) { paid = v.i(0); });
  EXPECT_EQ(paid, int64_t(seqs.size()));
  int64_t audits = 0;
  s.sql_query("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.create'", {},
              [&](const store::detail::RowView& v) { audits = v.i(0); });
  EXPECT_EQ(audits, int64_t(seqs.size()));
}

}  // namespace
