// API tests over real HTTP on loopback: an in-process `canbao serve` on an
// ephemeral port, a cpp-httplib client. SQLite always; PostgreSQL too when
// CANBAO_PG_URL is set (one schema per test).
#include <gtest/gtest.h>
#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "ledger/pool.h"
#include "server/auth.h"
#include "support/fixture.h"
#include "server/server.h"
#include "store/sql_store.h"
#include "client.h"

using json = nlohmann::json;
using namespace canbao;

namespace {

using namespace canbao::testing_server;

// Client, engine_url, pct and the server fixture: client.h.
class ServerTest : public ServerFixture {};

TEST_P(ServerTest, HealthLoginAndCsrf) {
  Client anon(port);
  auto [s, j] = anon.get("/api/v1/health");
  EXPECT_EQ(s, 200);
  EXPECT_GE(j["schema_version"].get<int>(), 2);
  EXPECT_EQ(anon.get("/api/v1/persons").first, 401);
  EXPECT_FALSE(anon.login("admin", "wrong"));
  auto a = as("admin");
  auto [s2, me] = a->get("/api/v1/auth/me");
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(me["user"]["role"], "admin");
  // Writes without the CSRF header are refused.
  auto [s3, e3] = a->post("/api/v1/payments", pay_body("k", fx.persons[0].id_number, 38000, "wechat"), false);
  EXPECT_EQ(s3, 403);
  EXPECT_EQ(e3["error"]["code"], "csrf");
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
}

TEST_P(ServerTest, ForcedPasswordChange) {
  Client c(port);
  ASSERT_TRUE(c.login("fresh", "pw-fresh-123"));
  auto [s, e] = c.get("/api/v1/persons");
  EXPECT_EQ(s, 403);
  EXPECT_EQ(e["error"]["code"], "password_change_required");
  auto [s2, e2] = c.post("/api/v1/auth/password", {{"old_password", "pw-fresh-123"}, {"new_password", "a-new-long-password"}});
  EXPECT_EQ(s2, 204);
  EXPECT_EQ(c.get("/api/v1/persons").first, 200);
}

TEST_P(ServerTest, LoginThrottling) {
  Client c(port);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(c.login("va", "bad"));
  auto r = c.c.Post("/api/v1/auth/login", json{{"username", "va"}, {"password", "pw-va-123"}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
}

TEST_P(ServerTest, PaymentsFromEveryChannelLandOnce) {
  auto a = as("admin");
  std::vector<std::string> chans = {"wechat", "alipay", "app", "tax_hall", "bank", "village_collector", "school",
                                    "family_account"};
  std::set<std::string> receipts;
  for (size_t i = 0; i < chans.size(); ++i) {
    const auto& p = fx.persons[i];
    auto [s, j] = a->post("/api/v1/payments", pay_body("ch-" + chans[i], p.id_number, 38000, chans[i]));
    ASSERT_EQ(s, 201) << j.dump();
    EXPECT_EQ(j["payment"]["channel"], chans[i]);
    EXPECT_EQ(j["replayed"], false);
    EXPECT_FALSE(j["receipt"]["verify_code"].get<std::string>().empty());
    receipts.insert(j["receipt"]["number"].get<std::string>());
    // The same request again answers the first result.
    auto [s2, j2] = a->post("/api/v1/payments", pay_body("ch-" + chans[i], p.id_number, 38000, chans[i]));
    EXPECT_EQ(s2, 200);
    EXPECT_EQ(j2["replayed"], true);
    EXPECT_EQ(j2["payment"]["id"], j["payment"]["id"]);
  }
  EXPECT_EQ(receipts.size(), chans.size());
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), int64_t(chans.size()));
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments WHERE status = 'paid'"), int64_t(chans.size()));
  // The ledger shows NHSA codes.
  auto [s, list] = a->get("/api/v1/payments?page_size=100");
  ASSERT_EQ(s, 200);
  std::map<std::string, std::string> way;
  for (auto& it : list["items"]) way[it["channel"]] = it["clct_way"];
  EXPECT_EQ(way["school"], "04");
  EXPECT_EQ(way["village_collector"], "05");
  EXPECT_EQ(way["family_account"], "31");
}

TEST_P(ServerTest, ConcurrentDuplicatesRecordOnePayment) {
  const int n = 24;
  std::vector<std::unique_ptr<Client>> cs;
  for (int i = 0; i < 4; ++i) cs.push_back(as("admin"));
  std::atomic<int> created{0}, replayed{0}, other{0};
  std::vector<int64_t> ids(n);
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i)
    ts.emplace_back([&, i] {
      Client c(port);
      c.cookie = cs[size_t(i) % 4]->cookie;
      c.csrf = cs[size_t(i) % 4]->csrf;
      auto [s, j] = c.post("/api/v1/payments", pay_body("dup-key-1", fx.persons[3].id_number, 38000, "wechat"));
      if (s == 201) created++;
      else if (s == 200) replayed++;
      else other++;
      if (s == 200 || s == 201) ids[size_t(i)] = j["payment"]["id"];
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(replayed.load(), n - 1);
  EXPECT_EQ(other.load(), 0);
  for (auto id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE idem_key = 'dup-key-1'"), 1);
  // The same key for a different request is a conflict.
  auto a = as("admin");
  auto [s, e] = a->post("/api/v1/payments", pay_body("dup-key-1", fx.persons[4].id_number, 38000, "wechat"));
  EXPECT_EQ(s, 409);
  EXPECT_EQ(e["error"]["code"], "idempotency_conflict");
}

// Issue 10: 64 same-key requests at once, several rounds in one run, on both
// engines: one 201, every other answer a 200 replay of the same payment.
TEST_P(ServerTest, ConcurrentDuplicatesStress) {
  const int n = 64, rounds = 5;
  std::vector<std::unique_ptr<Client>> cs;
  for (int i = 0; i < 4; ++i) cs.push_back(as("admin"));
  for (int round = 0; round < rounds; ++round) {
    const std::string key = fmt::format("stress-key-{}", round);
    const auto& person = fx.persons[size_t(10 + round)];
    std::atomic<int> created{0}, replayed{0};
    std::vector<int64_t> ids(n);
    std::vector<std::string> others(n);
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i)
      ts.emplace_back([&, i] {
        Client c(port);
        c.cookie = cs[size_t(i) % 4]->cookie;
        c.csrf = cs[size_t(i) % 4]->csrf;
        auto [s, j] = c.post("/api/v1/payments", pay_body(key, person.id_number, 38000, "wechat"));
        if (s == 201) created++;
        else if (s == 200) replayed++;
        else others[size_t(i)] = fmt::format("{} {}", s, j.dump());
        if (s == 200 || s == 201) ids[size_t(i)] = j["payment"]["id"];
      });
    for (auto& t : ts) t.join();
    EXPECT_EQ(created.load(), 1) << "round " << round;
    EXPECT_EQ(replayed.load(), n - 1) << "round " << round;
    for (auto& o : others) EXPECT_EQ(o, "") << "round " << round;
    for (auto id : ids) {
      EXPECT_EQ(id, ids[0]);
      EXPECT_NE(id, 0);
    }
    EXPECT_EQ(count(fmt::format("SELECT COUNT(*) FROM payments WHERE idem_key = '{}'", key)), 1);
  }
}

TEST_P(ServerTest, Refusals) {
  auto a = as("admin");
  const auto& g = fx.persons[0];  // 贵池
  // Wrong amount → 422 with the expected amount.
  auto [s1, e1] = a->post("/api/v1/payments", pay_body("r1", g.id_number, 30000, "wechat"));
  EXPECT_EQ(s1, 422);
  EXPECT_EQ(e1["error"]["code"], "wrong_amount");
  EXPECT_EQ(e1["error"]["details"]["expected_fen"], 38000);
  EXPECT_EQ(e1["error"]["field"], "amount_fen");
  // Outside the window (贵池 opens 2023-09-10).
  auto [s2, e2] = a->post("/api/v1/payments", pay_body("r2", g.id_number, 38000, "wechat", "2023-08-01"));
  EXPECT_EQ(s2, 422);
  EXPECT_EQ(e2["error"]["code"], "outside_window");
  EXPECT_EQ(e2["error"]["details"]["window_open"], "2023-09-10");
  // 晋城: day 26 is not a collection day; day 25 is.
  const server::FixturePerson* jc = nullptr;
  for (auto& p : fx.persons)
    if (p.village.str().rfind("140502", 0) == 0) { jc = &p; break; }
  ASSERT_TRUE(jc);
  auto [s3, e3] = a->post("/api/v1/payments", pay_body("r3", jc->id_number, 38000, "wechat", "2023-10-26"));
  EXPECT_EQ(s3, 422);
  EXPECT_EQ(e3["error"]["code"], "day_not_allowed");
  EXPECT_EQ(e3["error"]["details"]["allowed_days"], json::array({1, 25}));
  auto [s4, e4] = a->post("/api/v1/payments", pay_body("r4", jc->id_number, 38000, "wechat", "2023-10-25"));
  EXPECT_EQ(s4, 201) << e4.dump();
  // Already paid.
  auto [s5, e5] = a->post("/api/v1/payments", pay_body("r5", jc->id_number, 38000, "wechat", "2023-10-25"));
  EXPECT_EQ(s5, 409);
  EXPECT_EQ(e5["error"]["code"], "already_paid");
  // Not enrolled.
  auto [s6, e6] = a->post("/api/v1/payments", pay_body("r6", fx.unenrolled[0].id_number, 38000, "wechat"));
  EXPECT_EQ(s6, 422);
  EXPECT_EQ(e6["error"]["code"], "not_enrolled");
  // A date after today.
  auto [s7, e7] = a->post("/api/v1/payments", pay_body("r7", g.id_number, 38000, "wechat", "2023-12-01"));
  EXPECT_EQ(s7, 400);
  // Nothing of the refused requests reached the ledger.
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 1);
}

TEST_P(ServerTest, EmployeeInsuredAndDuplicateEnrollmentRefused) {
  {
    auto st = store();
    store::EmployeeInsured e;
    e.person = fx.persons[5].id_number;
    e.name = fx.persons[5].name;
    e.as_of = Date::from_ymd(2023, 9, 1);
    e.region = fx.persons[5].village;
    st->add_employee_insured(std::span(&e, 1));
    store::Enrollment en;
    en.person = fx.persons[6].id_number;
    en.year = 2024;
    en.place = fx.villages[1];
    en.status = store::EnrollmentStatus::registered;
    st->add_enrollment(en);
  }
  auto a = as("admin");
  auto [s1, e1] = a->post("/api/v1/payments", pay_body("e1", fx.persons[5].id_number, 38000, "wechat"));
  EXPECT_EQ(s1, 422);
  EXPECT_EQ(e1["error"]["code"], "employee_insured");
  auto [s2, e2] = a->post("/api/v1/payments", pay_body("e2", fx.persons[6].id_number, 38000, "wechat"));
  EXPECT_EQ(s2, 409);
  EXPECT_EQ(e2["error"]["code"], "duplicate_enrollment");
}

TEST_P(ServerTest, ReversalAndRefundRule) {
  auto a = as("admin");
  auto [s, j] = a->post("/api/v1/payments", pay_body("rv-1", fx.persons[7].id_number, 38000, "wechat"));
  ASSERT_EQ(s, 201);
  int64_t id = j["payment"]["id"];
  auto [s2, j2] = a->post(fmt::format("/api/v1/payments/{}/reverse", id), {{"reason", "重复缴费退费"}, {"idempotency_key", "rv-1-r"}});
  ASSERT_EQ(s2, 201) << j2.dump();
  EXPECT_EQ(j2["payment"]["amount_fen"], -38000);
  EXPECT_EQ(j2["payment"]["clct_type"], "991");
  auto [s3, j3] = a->post(fmt::format("/api/v1/payments/{}/reverse", id), {{"reason", "again"}, {"idempotency_key", "rv-1-r2"}});
  EXPECT_EQ(s3, 409);
  EXPECT_EQ(j3["error"]["code"], "already_reversed");
  // The person may pay again after the reversal.
  auto [s4, j4] = a->post("/api/v1/payments", pay_body("rv-2", fx.persons[7].id_number, 38000, "wechat"));
  EXPECT_EQ(s4, 201) << j4.dump();
  EXPECT_EQ(count("SELECT COALESCE(SUM(amount), 0) FROM payments"), 38000);
}

TEST_P(ServerTest, RoleScope) {
  auto va = as("va");
  auto vb = as("vb");
  const auto& pa = fx.persons[0];       // village 0
  const auto& pb = fx.persons[12];      // village 1
  ASSERT_EQ(pa.village, fx.villages[0]);
  ASSERT_EQ(pb.village, fx.villages[1]);
  // Village A sees its own people only.
  auto [s1, l1] = va->get("/api/v1/persons?page_size=500");
  ASSERT_EQ(s1, 200);
  for (auto& it : l1["items"]) EXPECT_EQ(it["hukou_region"], fx.villages[0].str());
  EXPECT_EQ(va->get("/api/v1/persons/" + pb.id_number).first, 404);
  EXPECT_EQ(va->get("/api/v1/persons/" + pa.id_number).first, 200);
  // … and cannot write for village B.
  auto [s2, e2] = va->post("/api/v1/payments", pay_body("sc-1", pb.id_number, 38000, "village_collector"));
  EXPECT_EQ(s2, 404);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
  auto [s3, j3] = vb->post("/api/v1/payments", pay_body("sc-2", pb.id_number, 38000, "village_collector"));
  EXPECT_EQ(s3, 201) << j3.dump();
  // A's ledger list does not show B's payment; B's receipt is not found for A.
  auto [s4, l4] = va->get("/api/v1/payments");
  EXPECT_EQ(l4["total"], 0);
  EXPECT_EQ(va->get("/api/v1/receipts/" + j3["receipt"]["number"].get<std::string>()).first, 404);
  // A village collector may not use the tax channel.
  EXPECT_EQ(va->post("/api/v1/payments", pay_body("sc-3", pa.id_number, 38000, "tax_hall")).first, 403);
  // A department cannot see residents' payments or receipts, nor record them.
  auto d = as("dept");
  auto [s5, l5] = d->get("/api/v1/payments");
  EXPECT_EQ(s5, 200);
  for (auto& it : l5["items"]) EXPECT_EQ(it["kind"], "subsidy");
  EXPECT_EQ(d->get("/api/v1/payments/" + std::to_string(j3["payment"]["id"].get<int64_t>())).first, 403);
  EXPECT_EQ(d->get("/api/v1/receipts/" + j3["receipt"]["number"].get<std::string>()).first, 403);
  EXPECT_EQ(d->post("/api/v1/payments", pay_body("sc-4", pa.id_number, 38000, "wechat")).first, 403);
  // The auditor reads but cannot write.
  auto au = as("aud");
  EXPECT_EQ(au->get("/api/v1/audit").first, 200);
  EXPECT_EQ(au->post("/api/v1/payments", pay_body("sc-5", pa.id_number, 38000, "wechat")).first, 403);
  EXPECT_EQ(va->get("/api/v1/audit").first, 403);
}

TEST_P(ServerTest, AuditHoldsEveryWriteAndUnmaskedRead) {
  auto a = as("admin");
  int ok = 0;
  for (int i = 0; i < 6; ++i) {
    auto [s, j] = a->post("/api/v1/payments", pay_body(fmt::format("au-{}", i), fx.persons[size_t(i)].id_number, 38000, "wechat"));
    ok += s == 201;
  }
  ASSERT_EQ(ok, 6);
  a->post("/api/v1/payments", pay_body("au-bad", fx.persons[8].id_number, 1, "wechat"));  // refused: no audit of a write
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.create'"), 6);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = "
                  "'payment' AND a.entity_id = CAST(p.id AS TEXT)) AND p.parent IS NULL"),
            0);
  // An unmasked read is audited; a masked one is not.
  auto [s1, j1] = a->get("/api/v1/persons/" + fx.persons[0].id_number);
  EXPECT_NE(j1["id_number"], fx.persons[0].id_number);
  auto [s2, j2] = a->get("/api/v1/persons/" + fx.persons[0].id_number + "?unmask=1");
  EXPECT_EQ(j2["id_number"], fx.persons[0].id_number);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'person.unmask'"), 1);
  // The audit log never holds a full ID number.
  EXPECT_EQ(count(fmt::format("SELECT COUNT(*) FROM audit_log WHERE new_value LIKE '%{}%' OR old_value LIKE '%{}%'",
                              fx.persons[0].id_number, fx.persons[0].id_number)),
            0);
  auto [s3, j3] = a->get("/api/v1/audit?action=payment.create");
  EXPECT_EQ(j3["total"], 6);
}

TEST_P(ServerTest, ReceiptsAreGapFreeAndVerifiable) {
  auto a = as("admin");
  std::vector<std::thread> ts;
  std::vector<std::unique_ptr<Client>> cs;
  for (int i = 0; i < 8; ++i) cs.push_back(as("admin"));
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (size_t i = size_t(t); i < 36; i += 8) {
        // Refusals mixed in: every other request has a wrong amount first.
        cs[size_t(t)]->post("/api/v1/payments", pay_body(fmt::format("gap-bad-{}", i), fx.persons[i].id_number, 1, "wechat"));
        auto [s, j] = cs[size_t(t)]->post("/api/v1/payments", pay_body(fmt::format("gap-{}", i), fx.persons[i].id_number, 38000, "wechat"));
        ok += s == 201;
      }
    });
  for (auto& t : ts) t.join();
  ASSERT_EQ(ok.load(), 36);
  auto st = store();
  std::map<int64_t, std::vector<int64_t>> seqs;
  dynamic_cast<store::detail::SqlStore&>(*st).sql_query(
      "SELECT receipt_region, receipt_seq FROM payments WHERE kind = 'payment' ORDER BY receipt_region, receipt_seq", {},
      [&](const store::detail::RowView& v) { seqs[v.i(0)].push_back(v.i(1)); });
  int64_t total = 0;
  for (auto& [r, v] : seqs) {
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], int64_t(i + 1));
    total += int64_t(v.size());
  }
  EXPECT_EQ(total, 36);
  // Print page and the public verification.
  auto [s, l] = a->get("/api/v1/payments?kind=payment&page_size=1");
  std::string no = l["items"][0]["receipt_no"];
  auto [s2, r] = a->get("/api/v1/receipts/" + no);
  ASSERT_EQ(s2, 200);
  auto page = a->c.Get("/api/v1/receipts/" + no + "/print", a->headers(false));
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("缴费凭证"), std::string::npos);
  EXPECT_NE(page->body.find(r["verify_code"].get<std::string>()), std::string::npos);
  Client anon(port);
  auto [s3, v3] = anon.get("/api/v1/public/receipt-check?number=" + no + "&code=" + r["verify_code"].get<std::string>());
  EXPECT_EQ(v3["valid"], true);
  auto [s4, v4] = anon.get("/api/v1/public/receipt-check?number=" + no + "&code=AAAA-BBBB-CCCC-DDDD");
  EXPECT_EQ(v4["valid"], false);
}

TEST_P(ServerTest, PublicLookupRevealsNothingOnMismatch) {
  Client anon(port);
  const auto& p = fx.persons[9];
  auto [s1, j1] = anon.get(fmt::format("/api/v1/public/status?id_number={}&name={}", p.id_number, "王五"));
  auto [s2, j2] = anon.get(fmt::format("/api/v1/public/status?id_number={}&name={}", "11010519491231002X", "王五"));
  EXPECT_EQ(s1, 200);
  EXPECT_EQ(j1, j2);
  EXPECT_EQ(j1["found"], false);
  EXPECT_EQ(j1.size(), 2u);
  auto [s3, j3] = anon.get(fmt::format("/api/v1/public/status?id_number={}&name={}", p.id_number,
                                       pct(p.name)));
  EXPECT_EQ(j3["found"], true) << j3.dump();
  EXPECT_EQ(j3["individual_due_fen"], 38000);
  EXPECT_NE(j3["id_number"], p.id_number);
  // Rate limit (5 per minute in this test server).
  int limited = 0;
  for (int i = 0; i < 5; ++i) limited += anon.get("/api/v1/public/status?id_number=1&name=x").first == 429;
  EXPECT_GT(limited, 0);
}

TEST_P(ServerTest, SubsidyRowsAndDepartment) {
  auto d = as("dept");
  // An adult with no category has no subsidy: refused.
  auto [s, e] = d->post("/api/v1/subsidy-payments", {{"idempotency_key", "s1"}, {"person", fx.persons[0].id_number},
                                                     {"year", 2024}, {"amount_fen", 1000}});
  EXPECT_EQ(s, 422) << e.dump();
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
}

TEST_P(ServerTest, UsersAndProgress) {
  auto a = as("admin");
  auto [s, j] = a->post("/api/v1/users", {{"username", "newv"}, {"role", "village"}, {"region", fx.villages[2].str()}});
  ASSERT_EQ(s, 201) << j.dump();
  std::string pw = j["password"];
  Client c(port);
  ASSERT_TRUE(c.login("newv", pw));
  EXPECT_EQ(c.get("/api/v1/persons").first, 403);  // must change first
  auto va = as("va");
  EXPECT_EQ(va->post("/api/v1/users", {{"username", "x"}, {"role", "admin"}}).first, 403);
  a->post("/api/v1/payments", pay_body("pg-1", fx.persons[0].id_number, 38000, "wechat"));
  auto [s2, p] = a->get("/api/v1/progress?under=341702100");
  ASSERT_EQ(s2, 200) << p.dump();
  EXPECT_EQ(p["total"]["paid"], 1);
  EXPECT_EQ(p["total"]["enrolled"], 36);
}

INSTANTIATE_TEST_SUITE_P(Engines, ServerTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
