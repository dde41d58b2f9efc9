// Issue 11, accounts and sessions: sessions in the database (a restart and a
// second server keep them; logout, password change, reset and disable end
// them everywhere), password rules counted in Unicode characters, the
// /auth/password throttle, role/region checks on user creation and the
// --secure-cookies option. In-process `canbao serve` over loopback HTTP on
// SQLite and, with CANBAO_PG_URL, PostgreSQL.
#include <gtest/gtest.h>

#include <chrono>

#include "../server/client.h"

namespace canbao::testing_server {
namespace {

// One more server over the fixture's database (a second `canbao serve`).
struct Extra {
  std::unique_ptr<server::Server> srv;
  std::thread th;
  int port = 0;
  explicit Extra(const server::ServerOptions& o) : srv(std::make_unique<server::Server>(o)) {
    port = srv->bind();
    th = std::thread([this] { srv->run(); });
  }
  ~Extra() {
    srv->stop();
    th.join();
  }
};

class AuthTest : public ServerFixture {
 protected:
  std::string prefix() const override { return "sec_auth_"; }
  void configure(server::ServerOptions& o) override { opts = o; }
  void seed(store::Store& st) override { add_user(st, "cadmin", "admin", *RegionCode::parse("341702")); }
  void TearDown() override {
    extras.clear();
    ServerFixture::TearDown();
  }
  Extra& second(bool secure = false) {
    auto o = opts;
    o.secure_cookies = secure;
    extras.push_back(std::make_unique<Extra>(o));
    EXPECT_GT(extras.back()->port, 0);
    return *extras.back();
  }
  // The same browser (cookie and CSRF token) talking to another server.
  static std::unique_ptr<Client> same_session(const Client& c, int port) {
    auto o = std::make_unique<Client>(port);
    o->cookie = c.cookie;
    o->csrf = c.csrf;
    return o;
  }
  static std::string token_of(const Client& c) { return c.cookie.substr(c.cookie.find('=') + 1); }
  void exec(const std::string& sql_text) { dynamic_cast<store::detail::SqlStore&>(*store()).sql_exec(sql_text, {}); }
  int change_password(Client& c, const std::string& old_pw, const std::string& new_pw, json* err = nullptr) {
    auto [s, j] = c.post("/api/v1/auth/password", {{"old_password", old_pw}, {"new_password", new_pw}});
    if (err) *err = j;
    return s;
  }

  server::ServerOptions opts;
  std::vector<std::unique_ptr<Extra>> extras;
};

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Before: sessions lived in the server's memory, so the new server answered 401.
TEST_P(AuthTest, SessionSurvivesRestart) {
  auto a = as("admin");
  Client fresh(port);
  ASSERT_TRUE(fresh.login("fresh", "pw-fresh-123"));
  ASSERT_EQ(a->get("/api/v1/auth/me").first, 200);
  // Only a hash of the token is stored.
  EXPECT_EQ(count(fmt::format("SELECT COUNT(*) FROM sessions WHERE token_hash = '{}'", token_of(*a))), 0);
  EXPECT_EQ(count(fmt::format("SELECT COUNT(*) FROM sessions WHERE token_hash = '{}'",
                              server::token_hash(token_of(*a)))), 1);
  std::string csrf = a->csrf;

  // Close the keep-alive connections first: stop() would wait out their idle timeout.
  a->c.stop();
  fresh.c.stop();
  srv->stop();
  th.join();
  srv = std::make_unique<server::Server>(opts);
  port = srv->bind();
  ASSERT_GT(port, 0);
  th = std::thread([this] { srv->run(); });

  auto b = same_session(*a, port);
  auto [s, me] = b->get("/api/v1/auth/me");
  ASSERT_EQ(s, 200) << me.dump();
  EXPECT_EQ(me["user"]["username"], "admin");
  EXPECT_EQ(me["csrf_token"], csrf);
  EXPECT_EQ(b->get("/api/v1/persons").first, 200);
  // must_change survives too: the first-login user is still held at the password form.
  auto f = same_session(fresh, port);
  auto [sf, ef] = f->get("/api/v1/persons");
  EXPECT_EQ(sf, 403);
  EXPECT_EQ(ef["error"]["code"], "password_change_required");
  ASSERT_EQ(change_password(*f, "pw-fresh-123", "a-new-long-password"), 204);
  EXPECT_EQ(f->get("/api/v1/persons").first, 200);
  EXPECT_EQ(f->get("/api/v1/auth/me").second["user"]["must_change_password"], false);
  // The CSRF token stored with the session still guards writes.
  EXPECT_EQ(b->post("/api/v1/auth/logout", json::object(), false).first, 403);
  EXPECT_EQ(b->post("/api/v1/auth/logout", json::object()).first, 204);
  EXPECT_EQ(b->get("/api/v1/auth/me").first, 401);
}

// Before: a session existed only on the server that created it.
TEST_P(AuthTest, TwoServersShareSessionsAndLogout) {
  auto& two = second();
  auto a = as("admin");
  auto a2 = same_session(*a, two.port);
  auto [s, me] = a2->get("/api/v1/auth/me");
  ASSERT_EQ(s, 200) << me.dump();
  EXPECT_EQ(me["csrf_token"], a->csrf);
  // Logout on the second server ends the session on the first at once.
  EXPECT_EQ(a2->post("/api/v1/auth/logout", json::object()).first, 204);
  EXPECT_EQ(a->get("/api/v1/auth/me").first, 401);
  EXPECT_EQ(a2->get("/api/v1/auth/me").first, 401);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'admin')"), 0);
}

// Before: the user's other sessions stayed alive after a password change.
TEST_P(AuthTest, PasswordChangeEndsOtherSessions) {
  auto& two = second();
  auto mine = as("va");
  auto other = as("va");
  Client elsewhere(two.port);
  ASSERT_TRUE(elsewhere.login("va", "pw-va-123"));
  ASSERT_EQ(change_password(*mine, "pw-va-123", "Hq7-river-stone"), 204);
  EXPECT_EQ(mine->get("/api/v1/persons").first, 200);  // the session that changed it stays
  EXPECT_EQ(other->get("/api/v1/auth/me").first, 401);
  EXPECT_EQ(elsewhere.get("/api/v1/auth/me").first, 401);
  Client again(port);
  EXPECT_FALSE(again.login("va", "pw-va-123"));
  EXPECT_TRUE(again.login("va", "Hq7-river-stone"));
}

// Before: reset and disable dropped sessions only from the memory of the
// server that handled them; a session on the second server lived on.
TEST_P(AuthTest, ResetAndDisableEndSessionsEverywhere) {
  auto& two = second();
  auto admin = as("admin");
  auto va = as("va");
  Client va2(two.port);
  ASSERT_TRUE(va2.login("va", "pw-va-123"));
  auto vb = as("vb");
  Client vb2(two.port);
  ASSERT_TRUE(vb2.login("vb", "pw-vb-123"));
  auto id_of = [&](const std::string& u) {
    return count(fmt::format("SELECT id FROM users WHERE username = '{}'", u));
  };

  auto [sr, jr] = admin->post(fmt::format("/api/v1/users/{}/reset-password", id_of("va")), json::object());
  ASSERT_EQ(sr, 200) << jr.dump();
  EXPECT_EQ(va->get("/api/v1/auth/me").first, 401);
  EXPECT_EQ(va2.get("/api/v1/auth/me").first, 401);
  Client va3(two.port);
  ASSERT_TRUE(va3.login("va", jr["password"].get<std::string>()));
  EXPECT_EQ(va3.get("/api/v1/persons").second["error"]["code"], "password_change_required");

  ASSERT_EQ(admin->post(fmt::format("/api/v1/users/{}/disable", id_of("vb")), json::object()).first, 204);
  EXPECT_EQ(vb->get("/api/v1/auth/me").first, 401);
  EXPECT_EQ(vb2.get("/api/v1/auth/me").first, 401);
  EXPECT_FALSE(Client(two.port).login("vb", "pw-vb-123"));
  EXPECT_EQ(count(fmt::format("SELECT COUNT(*) FROM sessions WHERE user_id = {}", id_of("vb"))), 0);
}

// Before: no expiry in the database; last_seen is written only when a minute old.
TEST_P(AuthTest, IdleExpiryAndLastSeenOncePerMinute) {
  auto a = as("admin");
  const std::string h = server::token_hash(token_of(*a));
  const int64_t t0 = unix_now() - 3600;
  exec(fmt::format("UPDATE sessions SET last_seen = {}, expires_at = {} WHERE token_hash = '{}'", t0,
                   unix_now() + 3600, h));
  ASSERT_EQ(a->get("/api/v1/auth/me").first, 200);
  int64_t seen = count(fmt::format("SELECT last_seen FROM sessions WHERE token_hash = '{}'", h));
  EXPECT_GE(seen, unix_now() - 60);  // an hour old: refreshed
  int64_t exp = count(fmt::format("SELECT expires_at FROM sessions WHERE token_hash = '{}'", h));
  EXPECT_GE(exp, unix_now() + 11 * 3600);  // 12 hours idle from now
  // Within the minute nothing is written.
  const int64_t marker = unix_now() - 30;
  exec(fmt::format("UPDATE sessions SET last_seen = {} WHERE token_hash = '{}'", marker, h));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(a->get("/api/v1/auth/me").first, 200);
  EXPECT_EQ(count(fmt::format("SELECT last_seen FROM sessions WHERE token_hash = '{}'", h)), marker);
  // Past its idle expiry the session is gone.
  exec(fmt::format("UPDATE sessions SET expires_at = {} WHERE token_hash = '{}'", unix_now() - 1, h));
  EXPECT_EQ(a->get("/api/v1/auth/me").first, 401);
}

// Before: the length was counted in bytes, so 4 Chinese characters (12 bytes) passed.
TEST_P(AuthTest, PasswordLengthCountsUnicodeCharacters) {
  auto va = as("va");
  json e;
  EXPECT_EQ(change_password(*va, "pw-va-123", "密码密码", &e), 400);
  EXPECT_EQ(e["error"]["code"], "bad_field");
  EXPECT_EQ(e["error"]["field"], "new_password");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("10个字符"), std::string::npos) << e.dump();
  EXPECT_EQ(change_password(*va, "pw-va-123", "医保参保缴费城乡居"), 400);  // 9 characters, 27 bytes
  ASSERT_EQ(change_password(*va, "pw-va-123", "医保参保缴费城乡居民"), 204);  // 10 characters
  EXPECT_TRUE(Client(port).login("va", "医保参保缴费城乡居民"));
}

// Before: "aaaaaaaaaa" was accepted.
TEST_P(AuthTest, RepeatedCharacterRefused) {
  auto va = as("va");
  for (const char* pw : {"aaaaaaaaaa", "1111111111", "密密密密密密密密密密"}) {
    json e;
    EXPECT_EQ(change_password(*va, "pw-va-123", pw, &e), 400) << pw;
    EXPECT_EQ(e["error"]["field"], "new_password");
    EXPECT_NE(e["error"]["message"].get<std::string>().find("同一个字符"), std::string::npos) << e.dump();
  }
  EXPECT_EQ(change_password(*va, "pw-va-123", "aaaaaaaaab"), 204);
}

// Before: any 10 bytes were accepted.
TEST_P(AuthTest, CommonPasswordRefused) {
  auto va = as("va");
  for (const char* pw : {"1234567890", "Password123", "qwertyuiop", "123456789a", "abcdefghij", "1q2w3e4r5t"}) {
    json e;
    EXPECT_EQ(change_password(*va, "pw-va-123", pw, &e), 400) << pw;
    EXPECT_EQ(e["error"]["code"], "bad_field");
    EXPECT_EQ(e["error"]["field"], "new_password");
    EXPECT_NE(e["error"]["message"].get<std::string>().find("常见"), std::string::npos) << e.dump();
  }
  EXPECT_TRUE(Client(port).login("va", "pw-va-123"));  // nothing changed
}

// Before: wrong old_password was never throttled.
TEST_P(AuthTest, PasswordChangeThrottledLikeLogin) {
  auto va = as("va");
  for (int i = 0; i < 5; ++i) {
    json e;
    ASSERT_EQ(change_password(*va, "wrong-old-password", "Hq7-river-stone", &e), 401) << i;
    EXPECT_EQ(e["error"]["field"], "old_password");
  }
  // Even the right old password now waits.
  auto r = va->c.Post("/api/v1/auth/password", va->headers(true),
                      json{{"old_password", "pw-va-123"}, {"new_password", "Hq7-river-stone"}}.dump(),
                      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value_count("Retry-After"), 1u);
  int secs = std::stoi(r->get_header_value("Retry-After"));
  EXPECT_GT(secs, 0);
  EXPECT_LE(secs, 15 * 60 + 1);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "too_many_requests");
  // The guesses count with failed logins (the same password).
  auto l = Client(port).c.Post("/api/v1/auth/login", json{{"username", "va"}, {"password", "pw-va-123"}}.dump(),
                               "application/json");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->status, 429);
  EXPECT_EQ(l->get_header_value_count("Retry-After"), 1u);
  // Another user is not affected.
  EXPECT_EQ(change_password(*as("vb"), "pw-vb-123", "Hq7-river-stone"), 204);
}

// Before: a bad role was blamed on `username`; a village collector could be
// scoped to a county, a township user to a village, a region that does not exist.
TEST_P(AuthTest, UserCreationChecksRoleAndRegion) {
  auto admin = as("admin");
  auto refused = [&](Client& c, const json& body, const char* field) {
    auto [s, e] = c.post("/api/v1/users", body);
    EXPECT_EQ(s, 422) << body.dump() << " → " << e.dump();
    EXPECT_EQ(e["error"]["code"], "bad_field") << body.dump();
    EXPECT_EQ(e["error"]["field"], field) << body.dump() << " → " << e.dump();
  };
  const std::string v = fx.villages[2].str();
  refused(*admin, {{"username", "u1"}, {"role", "collector"}, {"region", v}}, "role");
  refused(*admin, {{"username", "u2"}, {"role", "village"}, {"region", "341702"}}, "region");
  refused(*admin, {{"username", "u3"}, {"role", "village"}, {"region", "341702100"}}, "region");
  refused(*admin, {{"username", "u4"}, {"role", "village"}, {"region", "341702100999"}}, "region");  // no such village
  refused(*admin, {{"username", "u5"}, {"role", "village"}}, "region");
  refused(*admin, {{"username", "u6"}, {"role", "township"}, {"region", v}}, "region");
  refused(*admin, {{"username", "u7"}, {"role", "township"}, {"region", "341702999"}}, "region");
  refused(*admin, {{"username", "u8"}, {"role", "tax"}, {"region", "341702100"}}, "region");
  refused(*admin, {{"username", "u9"}, {"role", "school"}, {"region", "341799"}}, "region");  // no such county
  refused(*admin, {{"username", "u10"}, {"role", "department"}, {"region", "341702"}}, "department");
  // A county admin's default region is the county: wrong for a collector.
  auto cadmin = as("cadmin");
  refused(*cadmin, {{"username", "u11"}, {"role", "village"}}, "region");
  EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE username LIKE 'u%'"), 0);
  // Bad usernames are still the username's fault.
  refused(*admin, {{"username", "bad name"}, {"role", "village"}, {"region", v}}, "username");

  for (json ok : {json{{"username", "v-ok"}, {"role", "village"}, {"region", v}},
                  json{{"username", "t-ok"}, {"role", "township"}, {"region", "341702100"}},
                  json{{"username", "tax-ok"}, {"role", "tax"}, {"region", "341702"}},
                  json{{"username", "d-ok"}, {"role", "department"}, {"region", "341702"}, {"department", "民政局"}}}) {
    auto [s, j] = admin->post("/api/v1/users", ok);
    EXPECT_EQ(s, 201) << ok.dump() << " → " << j.dump();
  }
  auto [s, j] = cadmin->post("/api/v1/users", {{"username", "t2-ok"}, {"role", "township"}, {"region", "341702100"}});
  EXPECT_EQ(s, 201) << j.dump();
}

// Before: the cookie was never Secure.
TEST_P(AuthTest, SecureCookiesOption) {
  auto set_cookie_of_login = [](int p) {
    httplib::Client c("127.0.0.1", p);
    auto r = c.Post("/api/v1/auth/login", json{{"username", "admin"}, {"password", "pw-admin-123"}}.dump(),
                    "application/json");
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->get_header_value("Set-Cookie") : std::string();
  };
  std::string plain = set_cookie_of_login(port);
  EXPECT_NE(plain.find("HttpOnly"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("Secure"), std::string::npos) << plain;

  auto& tls = second(/*secure=*/true);
  std::string sec = set_cookie_of_login(tls.port);
  EXPECT_NE(sec.find("; Secure"), std::string::npos) << sec;
  EXPECT_NE(sec.find("HttpOnly"), std::string::npos) << sec;
  EXPECT_NE(sec.find("SameSite=Strict"), std::string::npos) << sec;
  Client c(tls.port);
  c.cookie = sec.substr(0, sec.find(';'));
  c.csrf = c.get("/api/v1/auth/csrf").second["csrf_token"].get<std::string>();
  auto r = c.c.Post("/api/v1/auth/logout", c.headers(true), "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  std::string out = r->get_header_value("Set-Cookie");
  EXPECT_NE(out.find("Max-Age=0"), std::string::npos) << out;
  EXPECT_NE(out.find("; Secure"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
}  // namespace canbao::testing_server
