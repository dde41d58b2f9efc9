// Issue 11, "what held up must keep holding": defences that were right
// before this round, pinned so that they stay right. Login throttling,
// village isolation, the public lookup's rate limit and SIGKILL durability
// have their tests in tests/server (LoginThrottling, RoleScope,
// PublicLookupRevealsNothingOnMismatch, crash_test.cc).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../server/client.h"

using namespace canbao;
using namespace canbao::testing_server;

namespace {

class Held : public ServerFixture {
 protected:
  std::string prefix() const override { return "held_"; }
};

// An unknown user and a wrong password get the same answer (no user enumeration).
TEST_P(Held, UnknownUserAndWrongPasswordLookTheSame) {
  httplib::Client c("127.0.0.1", port);
  auto r1 = c.Post("/api/v1/auth/login", json{{"username", "nobody-here"}, {"password", "whatever-123"}}.dump(),
                   "application/json");
  auto r2 = c.Post("/api/v1/auth/login", json{{"username", "admin"}, {"password", "whatever-123"}}.dump(),
                   "application/json");
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->status, 401);
  EXPECT_EQ(r1->status, r2->status);
  EXPECT_EQ(r1->body, r2->body);
}

// Every state-changing route refuses a request without the CSRF header,
// before it writes anything.
TEST_P(Held, CsrfOnEveryStateChangingRoute) {
  auto a = as("admin");
  auto [s0, j0] = a->post("/api/v1/payments", pay_body("csrf-0", fx.persons[0].id_number, 38000, "wechat"));
  ASSERT_EQ(s0, 201) << j0.dump();
  const std::string pid = std::to_string(j0["payment"]["id"].get<int64_t>());
  const std::string key = j0["payment"]["person_key"].get<std::string>();
  const int64_t payments = count("SELECT COUNT(*) FROM payments");
  const int64_t users = count("SELECT COUNT(*) FROM users");
  const int64_t enrollments = count("SELECT COUNT(*) FROM enrollments");
  const std::vector<std::pair<std::string, json>> routes = {
      {"/api/v1/auth/logout", json::object()},
      {"/api/v1/auth/password", {{"old_password", "pw-admin-123"}, {"new_password", "一个足够长的新密码啊"}}},
      {"/api/v1/households/1/members", {{"id_number", fx.unenrolled[0].id_number}, {"name", "新生儿"}}},
      {"/api/v1/enrollments/1/suspend", {{"reason", "测试"}}},
      {"/api/v1/persons/" + key + "/move", {{"household", "2"}}},
      {"/api/v1/enrollments", {{"persons", {fx.unenrolled[0].id_number}}, {"year", 2024}}},
      {"/api/v1/payments", pay_body("csrf-1", fx.persons[1].id_number, 38000, "wechat")},
      {"/api/v1/subsidy-payments", {{"idempotency_key", "csrf-2"}, {"person", fx.persons[2].id_number},
                                    {"amount_fen", 38000}, {"payer_name", "区财政"}}},
      {"/api/v1/payments/" + pid + "/reverse", {{"reason", "测试"}, {"idempotency_key", "csrf-3"}}},
      {"/api/v1/imports/roster", json::object()},
      {"/api/v1/users", {{"username", "csrf-user"}, {"role", "admin"}}},
      {"/api/v1/users/1/reset-password", json::object()},
      {"/api/v1/users/1/disable", json::object()},
      {"/api/v1/reconciliations", json::object()},
      {"/api/v1/reconciliations/1/rerun", json::object()},
      {"/api/v1/policies/whatif", json::object()},
  };
  for (const auto& [path, body] : routes) {
    SCOPED_TRACE(path);
    auto [s, e] = a->post(path, body, /*with_csrf=*/false);
    EXPECT_EQ(s, 403) << e.dump();
    EXPECT_EQ(e["error"]["code"], "csrf");
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), payments);
  EXPECT_EQ(count("SELECT COUNT(*) FROM users"), users);
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments"), enrollments);
  EXPECT_EQ(a->get("/api/v1/auth/me").first, 200);  // the logout without CSRF did not log out
}

// Concurrent reversals of one payment with different keys: exactly one lands.
TEST_P(Held, ConcurrentReversalsOfOnePayment) {
  auto a = as("admin");
  auto [s0, j0] = a->post("/api/v1/payments", pay_body("rv-0", fx.persons[3].id_number, 38000, "wechat"));
  ASSERT_EQ(s0, 201) << j0.dump();
  const std::string path = "/api/v1/payments/" + std::to_string(j0["payment"]["id"].get<int64_t>()) + "/reverse";
  std::atomic<int> created{0}, reversed{0}, other{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 16; ++i)
    ts.emplace_back([&, i] {
      Client c(port);
      c.cookie = a->cookie;
      c.csrf = a->csrf;
      auto [s, j] = c.post(path, {{"reason", "重复缴费退费"}, {"idempotency_key", fmt::format("rv-{}", i + 1)}});
      if (s == 201) created++;
      else if (s == 409 && j["error"]["code"] == "already_reversed") reversed++;
      else other++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(reversed.load(), 15);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'reversal'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments WHERE status = 'paid'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, Held, ::testing::Values("sqlite", "postgresql"));

}  // namespace
