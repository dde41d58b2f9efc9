// Shared by the server suites: an HTTP client with the session cookie and
// CSRF token, and a fixture that starts an in-process `canbao serve` on an
// ephemeral port over SQLite, or PostgreSQL when CANBAO_PG_URL is set (one
// schema per test), with the synthetic registry of support/fixture.h and one
// user per role (password "pw-<user>-123").
#pragma once
#include <gtest/gtest.h>
#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "ledger/pool.h"
#include "server/auth.h"
#include "support/fixture.h"
#include "server/server.h"
#include "store/sql_store.h"

namespace canbao::testing_server {

using json = nlohmann::json;

inline std::string engine_url(const std::string& engine, const std::string& name) {
  if (engine == "postgresql") return std::getenv("CANBAO_PG_URL");
  auto dir = std::filesystem::temp_directory_path() / "canbao-server-tests";
  std::filesystem::create_directories(dir);
  auto p = dir / (name + ".db");
  for (auto suf : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suf);
  return p.string();
}

inline std::string pct(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c)) o += char(c);
    else o += fmt::format("%{:02X}", c);
  }
  return o;
}

struct Client {
  httplib::Client c;
  std::string cookie, csrf;
  explicit Client(int port) : c("127.0.0.1", port) {
    c.set_read_timeout(60);
    c.set_keep_alive(true);
  }
  httplib::Headers headers(bool write) const {
    httplib::Headers h;
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    if (write && !csrf.empty()) h.emplace("X-CSRF-Token", csrf);
    return h;
  }
  std::pair<int, json> get(const std::string& path) {
    auto r = c.Get(path, headers(false));
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? json() : json::parse(r->body, nullptr, false)};
  }
  // The raw response (files, HTML); status 0 when the request failed.
  std::pair<int, std::string> get_raw(const std::string& path) {
    auto r = c.Get(path, headers(false));
    if (!r) return {0, ""};
    return {r->status, r->body};
  }
  // The raw result of a GET with extra headers (Accept-Encoding …).
  httplib::Result raw(const std::string& path, const httplib::Headers& extra = {}) {
    auto h = headers(false);
    for (auto& kv : extra) h.insert(kv);
    return c.Get(path, h);
  }
  std::pair<int, json> post(const std::string& path, const json& body, bool with_csrf = true) {
    auto r = c.Post(path, headers(with_csrf), body.dump(), "application/json");
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? json() : json::parse(r->body, nullptr, false)};
  }
  std::pair<int, json> post_multipart(const std::string& path, const httplib::MultipartFormDataItems& items) {
    auto r = c.Post(path, headers(true), items);
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? json() : json::parse(r->body, nullptr, false)};
  }
  bool login(const std::string& user, const std::string& pw) {
    auto r = c.Post("/api/v1/auth/login", json{{"username", user}, {"password", pw}}.dump(), "application/json");
    if (!r || r->status != 200) return false;
    auto sc = r->get_header_value("Set-Cookie");
    cookie = sc.substr(0, sc.find(';'));
    csrf = json::parse(r->body)["csrf_token"];
    return true;
  }
};

// `prefix()` keeps the SQLite file and the PostgreSQL schema of one suite
// apart from another suite's test of the same name (ctest runs them at once).
class ServerFixture : public ::testing::TestWithParam<std::string> {
 protected:
  virtual std::string prefix() const { return ""; }
  std::string test_name() const {
    std::string name = prefix() + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& ch : name) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return name;
  }
  store::OpenOptions open_options() const {
    store::OpenOptions oo;
    if (GetParam() == "postgresql") oo.pg_schema = "srv_" + test_name().substr(0, 40);
    return oo;
  }
  void SetUp() override {
    if (GetParam() == "postgresql" && !std::getenv("CANBAO_PG_URL")) GTEST_SKIP() << "CANBAO_PG_URL not set";
    std::string name = test_name();
    url = engine_url(GetParam(), name);
    store::OpenOptions oo = open_options();
    if (GetParam() == "postgresql") {
      auto s = store::open_store(url, oo);
      dynamic_cast<store::detail::SqlStore&>(*s).sql_script("DROP SCHEMA IF EXISTS " + oo.pg_schema + " CASCADE");
    }
    {
      auto st = store::open_store(url, oo);
      fx = server::make_fixture(*st, 3, 2, 12);
      add_user(*st, "admin", "admin", {});
      add_user(*st, "va", "village", fx.villages[0]);
      add_user(*st, "vb", "village", fx.villages[1]);
      add_user(*st, "dept", "department", *RegionCode::parse("341702"), "区财政");
      add_user(*st, "aud", "auditor", {});
      add_user(*st, "tax", "tax", *RegionCode::parse("341702"));
      add_user(*st, "school", "school", *RegionCode::parse("341702"));
      server::User fresh;
      fresh.username = "fresh";
      fresh.role = "admin";
      server::create_user(*st, fresh, "pw-fresh-123", "test", true);
      seed(*st);
    }
    server::ServerOptions o;
    o.db = url;
    o.open = oo;
    o.port = 0;
    o.policies_dir = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
    o.today = Date::from_ymd(2023, 11, 20);
    o.threads = 64;
    o.public_per_minute = 5;
    // These suites date payments weeks back on purpose (windows, days of the
    // month); the backdating limit has its own suite (tests/security).
    o.backdate_days_default = 3650;
    configure(o);
    srv = std::make_unique<server::Server>(o);
    port = srv->bind();
    ASSERT_GT(port, 0);
    th = std::thread([this] { srv->run(); });
  }
  void TearDown() override {
    if (srv) {
      srv->stop();
      th.join();
      srv.reset();
    }
  }
  // More rows or users before the server starts.
  virtual void seed(store::Store&) {}
  // Server options of a suite (web root, limits) before the server starts.
  virtual void configure(server::ServerOptions&) {}
  static void add_user(store::Store& st, const std::string& u, const std::string& role, RegionCode scope,
                       const std::string& dept = "") {
    server::User x;
    x.username = u;
    x.role = role;
    x.scope = scope;
    x.department = dept;
    server::create_user(st, x, "pw-" + u + "-123", "test", false);
  }
  std::unique_ptr<Client> as(const std::string& user) {
    auto c = std::make_unique<Client>(port);
    EXPECT_TRUE(c->login(user, "pw-" + user + "-123")) << user;
    return c;
  }
  std::unique_ptr<store::Store> store() {
    store::OpenOptions oo = open_options();
    oo.migrate = false;
    return store::open_store(url, oo);
  }
  int64_t count(const std::string& sql_text) {
    auto st = store();
    int64_t n = 0;
    dynamic_cast<store::detail::SqlStore&>(*st).sql_query(sql_text, {}, [&](const store::detail::RowView& v) { n = v.i(0); });
    return n;
  }
  json pay_body(const std::string& key, const std::string& person, int64_t fen, const std::string& channel,
                const char* paid_on = nullptr) {
    json b = {{"idempotency_key", key}, {"person", person}, {"year", 2024}, {"amount_fen", fen}, {"channel", channel}};
    if (paid_on) b["paid_on"] = paid_on;
    if (channel == "family_account") {
      b["payer_kind"] = "family_account";
      b["payer_name"] = "张三";
    }
    return b;
  }

  std::string url;
  server::Fixture fx;
  std::unique_ptr<server::Server> srv;
  std::thread th;
  int port = 0;
};

}  // namespace canbao::testing_server
