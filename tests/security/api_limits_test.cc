// Issue 11, findings 2, 7, 8, 9, 12 and 14: backdating, idempotency keys per
// scope, integer ranges, string limits, the department's payment list and
// query dates — each over loopback HTTP against a real in-process server.
#include <gtest/gtest.h>

#include "../server/client.h"

using namespace canbao;
using namespace canbao::testing_server;

namespace {

class ApiLimits : public ServerFixture {
 protected:
  std::string prefix() const override { return "limits_"; }
  void configure(server::ServerOptions& o) override {
    o.backdate_days_default = 3;  // the shipped default (client.h widens it for other suites)
  }
  void seed(store::Store& st) override {
    add_user(st, "dept2", "department", *RegionCode::parse("341702"), "区民政局");
    store::PersonCategory pc;
    pc.person = in_village(0, 5).id_number;
    pc.category = Category::extreme_poverty;
    pc.source = "roster";
    pc.region = fx.villages[0];
    st.add_categories(std::span(&pc, 1));
  }
  // The k-th enrolled person of village v.
  const server::FixturePerson& in_village(size_t v, size_t k) {
    for (auto& p : fx.persons)
      if (p.village == fx.villages[v] && k-- == 0) return p;
    throw std::runtime_error("fixture too small");
  }
};

// Finding 2: with today 2023-11-20, a village collector's payment dated more
// than the collectors' 7 days back was accepted (only paid_on ≤ today was checked).
TEST_P(ApiLimits, BackdatingIsBoundedPerRole) {
  auto va = as("va");
  const auto& p = in_village(0, 0);
  auto [s1, e1] = va->post("/api/v1/payments", pay_body("bd-1", p.id_number, 38000, "village_collector", "2023-11-10"));
  EXPECT_EQ(s1, 422) << e1.dump();
  EXPECT_EQ(e1["error"]["code"], "backdated");
  EXPECT_EQ(e1["error"]["field"], "paid_on");
  EXPECT_EQ(e1["error"]["details"]["earliest"], "2023-11-13");
  // A reason does not help a collector; nothing was written.
  auto b = pay_body("bd-2", p.id_number, 38000, "village_collector", "2023-11-10");
  b["backdate_reason"] = "补录";
  EXPECT_EQ(va->post("/api/v1/payments", b).first, 422);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
  // Within the window (an offline payment synced six days late): accepted.
  auto [s3, j3] = va->post("/api/v1/payments", pay_body("bd-3", p.id_number, 38000, "village_collector", "2023-11-14"));
  EXPECT_EQ(s3, 201) << j3.dump();
  // An admin: only with a written reason, which is audited.
  auto a = as("admin");
  const auto& q = in_village(0, 1);
  EXPECT_EQ(a->post("/api/v1/payments", pay_body("bd-4", q.id_number, 38000, "wechat", "2023-10-01")).first, 422);
  auto b5 = pay_body("bd-5", q.id_number, 38000, "wechat", "2023-10-01");
  b5["backdate_reason"] = "乡镇纸质收据补录（收据号 0012）";
  auto [s5, j5] = a->post("/api/v1/payments", b5);
  EXPECT_EQ(s5, 201) << j5.dump();
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.create' AND new_value LIKE "
                  "'%乡镇纸质收据补录%'"),
            1);
  // The tax bureau's own record keeps its date.
  auto t = as("tax");
  auto b6 = pay_body("bd-6", in_village(1, 0).id_number, 38000, "tax_hall", "2023-10-02");
  b6["external_txn_id"] = "332023100200001";
  auto [s6, j6] = t->post("/api/v1/payments", b6);
  EXPECT_EQ(s6, 201) << j6.dump();
  // The setting is shown in /health.
  auto [sh, h] = Client(port).get("/api/v1/health");
  EXPECT_EQ(h["backdate_days"]["village"], 7);
  EXPECT_EQ(h["backdate_days"]["township"], 7);
  EXPECT_EQ(h["backdate_days"]["default"], 3);
}

// Finding 7: the same body key from another village was answered with the
// first village's receipt (replay before the scope check); a different body
// answered 409 and so revealed that the key existed.
TEST_P(ApiLimits, IdempotencyKeysArePerScope) {
  auto va = as("va");
  auto vb = as("vb");
  const auto& pa = in_village(0, 0);
  const auto& pb = in_village(1, 0);
  auto [s1, j1] = va->post("/api/v1/payments", pay_body("shared-key", pa.id_number, 38000, "village_collector"));
  ASSERT_EQ(s1, 201) << j1.dump();
  // B sends A's exact request: not a replay of A's receipt, just out of B's scope.
  auto [s2, j2] = vb->post("/api/v1/payments", pay_body("shared-key", pa.id_number, 38000, "village_collector"));
  EXPECT_TRUE(s2 == 403 || s2 == 404) << s2 << j2.dump();
  EXPECT_EQ(j2.dump().find(j1["receipt"]["number"].get<std::string>()), std::string::npos);
  EXPECT_EQ(j2.dump().find(j1["receipt"]["verify_code"].get<std::string>()), std::string::npos);
  // B's own payment under the same key is a new key in B's scope, not a conflict.
  auto [s3, j3] = vb->post("/api/v1/payments", pay_body("shared-key", pb.id_number, 38000, "village_collector"));
  EXPECT_EQ(s3, 201) << j3.dump();
  EXPECT_NE(j3["receipt"]["number"], j1["receipt"]["number"]);
  // A's replay still answers A's first result.
  auto [s4, j4] = va->post("/api/v1/payments", pay_body("shared-key", pa.id_number, 38000, "village_collector"));
  EXPECT_EQ(s4, 200);
  EXPECT_EQ(j4["payment"]["id"], j1["payment"]["id"]);
}

// Finding 8: year 4294969320 was truncated to 2024 and stored.
TEST_P(ApiLimits, IntegersAreRangeChecked) {
  auto a = as("admin");
  const auto& p = in_village(0, 0);
  auto b = pay_body("int-1", p.id_number, 38000, "wechat");
  b["year"] = 4294969320LL;
  auto [s1, e1] = a->post("/api/v1/payments", b);
  EXPECT_EQ(s1, 400);
  EXPECT_EQ(e1["error"]["field"], "year");
  b["year"] = 2024;
  b["amount_fen"] = json::parse("18446744073709551615");
  auto [s2, e2] = a->post("/api/v1/payments", b);
  EXPECT_EQ(s2, 400);
  EXPECT_EQ(e2["error"]["field"], "amount_fen");
  EXPECT_EQ(a->get("/api/v1/payments?year=4294969320").first, 400);
  EXPECT_EQ(a->get("/api/v1/payments?page=99999999999999999999").first, 400);
  EXPECT_EQ(a->get("/api/v1/persons?year=-5").first, 400);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
}

// Finding 9: 0.9 MB payer names and 1 MB transaction ids were stored; a
// different external_txn_id under the same key was replayed; names with
// control or bidi characters were accepted.
TEST_P(ApiLimits, StringFieldsAreBounded) {
  auto a = as("admin");
  const auto& p = in_village(0, 0);
  auto b = pay_body("str-1", p.id_number, 38000, "family_account");
  b["payer_name"] = std::string(900000, 'x');
  auto [s1, e1] = a->post("/api/v1/payments", b);
  EXPECT_EQ(s1, 400);
  EXPECT_EQ(e1["error"]["code"], "bad_field");
  EXPECT_EQ(e1["error"]["field"], "payer_name");
  for (std::string bad : {std::string("张\xE2\x80\xAE三"), std::string("张\0三", 4), std::string("   "),
                          std::string("\xE3\x80\x80\xE3\x80\x80"), std::string("张\n三")}) {
    b["payer_name"] = bad;
    auto [s, e] = a->post("/api/v1/payments", b);
    EXPECT_EQ(s, 400) << e.dump();
  }
  b = pay_body("str-2", p.id_number, 38000, "wechat");
  b["external_txn_id"] = std::string(1 << 20, '7');
  auto [s2, e2] = a->post("/api/v1/payments", b);
  EXPECT_EQ(s2, 400);
  EXPECT_EQ(e2["error"]["field"], "external_txn_id");
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
  // The external transaction id is part of the request: another one under the same key is a conflict.
  b["external_txn_id"] = "WX-0001";
  ASSERT_EQ(a->post("/api/v1/payments", b).first, 201);
  EXPECT_EQ(a->post("/api/v1/payments", b).first, 200);
  b["external_txn_id"] = "WX-0002";
  auto [s3, e3] = a->post("/api/v1/payments", b);
  EXPECT_EQ(s3, 409);
  EXPECT_EQ(e3["error"]["code"], "idempotency_conflict");
  // Finding 14: a key of 100 Chinese characters is 100 characters, not 300 bytes.
  std::string key;
  for (int i = 0; i < 100; ++i) key += "键";
  auto [s4, j4] = a->post("/api/v1/payments", pay_body(key, in_village(0, 1).id_number, 38000, "wechat"));
  EXPECT_EQ(s4, 201) << j4.dump();
  auto [s5, e5] = a->post("/api/v1/payments", pay_body(key + "键", in_village(0, 2).id_number, 38000, "wechat"));
  EXPECT_EQ(s5, 400);
}

// Finding 12: a department's list said total=N with 0 items (filtered after paging).
TEST_P(ApiLimits, DepartmentListCountsWhatItShows) {
  auto a = as("admin");
  auto [s, j] = a->post("/api/v1/payments", pay_body("dl-1", in_village(0, 5).id_number, 0, "wechat"));
  ASSERT_EQ(s, 201) << j.dump();  // 特困: the 区财政 代缴 row is written with it
  ASSERT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'subsidy' AND payer_name = '区财政'"), 1);
  auto d2 = as("dept2");
  auto [s2, l2] = d2->get("/api/v1/payments");
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(l2["total"], 0);
  EXPECT_EQ(l2["items"].size(), 0u);
  auto d = as("dept");
  auto [s3, l3] = d->get("/api/v1/payments");
  EXPECT_EQ(l3["total"], 1);
  EXPECT_EQ(l3["items"].size(), 1u);
}

// Finding 14: from=garbage was silently ignored.
TEST_P(ApiLimits, QueryDatesAreChecked) {
  auto a = as("admin");
  auto [s, e] = a->get("/api/v1/payments?from=garbage");
  EXPECT_EQ(s, 400);
  EXPECT_EQ(e["error"]["field"], "from");
  EXPECT_EQ(a->get("/api/v1/payments?to=2023-13-40").first, 400);
  EXPECT_EQ(a->get("/api/v1/payments?from=2023-11-01&to=2023-11-30").first, 200);
}

// Finding 13 on the write routes: an id past int64 names nothing (404, not a
// 500 from std::stoll); a form field year that is no year is a 400 (was stoi → 500).
TEST_P(ApiLimits, HugeIdsOnWriteRoutesAndFormYears) {
  auto a = as("admin");
  const std::string huge = "99999999999999999999999";
  EXPECT_EQ(a->post("/api/v1/payments/" + huge + "/reverse", {{"reason", "x"}, {"idempotency_key", "h1"}}).first, 404);
  EXPECT_EQ(a->post("/api/v1/enrollments/" + huge + "/suspend", {{"reason", "x"}}).first, 404);
  EXPECT_EQ(a->post("/api/v1/users/" + huge + "/reset-password", json::object()).first, 404);
  EXPECT_EQ(a->post("/api/v1/users/" + huge + "/disable", json::object()).first, 404);
  httplib::MultipartFormDataItems items = {{"file", "身份证号,姓名\n", "tax.csv", "text/csv"}, {"year", "abc", "", ""}};
  auto [s1, e1] = a->post_multipart("/api/v1/imports/payments", items);
  EXPECT_EQ(s1, 400) << e1.dump();
  EXPECT_EQ(e1["error"]["field"], "year");
  items[1].content = "4294969320";
  EXPECT_EQ(a->post_multipart("/api/v1/imports/targets", items).first, 400);
  items[1] = {"as_of", "2023-02-30", "", ""};
  EXPECT_EQ(a->post_multipart("/api/v1/imports/employee_roster", items).first, 400);
}

INSTANTIATE_TEST_SUITE_P(Engines, ApiLimits, ::testing::Values("sqlite", "postgresql"));

}  // namespace
