// Field collection (issue 14) over real HTTP on both engines: the
// whole-household payment (all or nothing, 不得选择性参保, replays) and batch
// payments (items refused alone, whole-batch replays, overlapping batches).
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "client.h"
#include "core/id_number.h"

using json = nlohmann::json;
using namespace canbao;

namespace {

using namespace canbao::testing_server;

class CollectTest : public ServerFixture {
 protected:
  std::string prefix() const override { return "collect_"; }
  void configure(server::ServerOptions& o) override { o.backdate_days["village"] = 7; }

  // Households in the first village (user "va"): HA three members who all
  // owe; HB one member never enrolled; HC one member enrolled twice (the
  // ledger refuses them: duplicate enrollment).
  void seed(store::Store& st) override {
    const RegionCode v = fx.villages[0];
    std::vector<store::Household> hs;
    std::vector<store::Person> ps;
    int seq = 0;
    auto add = [&](const std::string& hh, int n) {
      hs.push_back({hh, v, ""});
      for (int i = 0; i < n; ++i) {
        Date birth = Date::from_ymd(1975, 3, 1).plus_days(++seq);
        int y, m, d;
        birth.ymd(y, m, d);
        std::string s17 = fmt::format("{}{:04d}{:02d}{:02d}{:03d}", v.str().substr(0, 6), y, m, d, 100 + seq);
        store::Person p;
        p.id_number = s17 + IdNumber::check_char(s17);
        p.name = fmt::format("户员{}", seq);
        p.birth = birth;
        p.male = ((s17[16] - '0') & 1) == 1;
        p.household = hh;
        p.hukou = v;
        ps.push_back(p);
        members[hh].push_back(p.id_number);
      }
    };
    add("HA", 3);
    add("HB", 3);
    add("HC", 2);
    auto tx = st.transaction();
    st.put_households(hs);
    st.put_persons(ps);
    auto enroll = [&](const std::string& id) {
      store::Enrollment e;
      e.person = id;
      e.year = 2024;
      e.place = v;
      e.status = store::EnrollmentStatus::registered;
      e.registered_on = Date::from_ymd(2023, 9, 1);
      st.add_enrollment(e);
    };
    for (auto& id : members["HA"]) enroll(id);
    enroll(members["HB"][0]);
    enroll(members["HB"][1]);
    for (auto& id : members["HC"]) enroll(id);
    enroll(members["HC"][1]);  // twice
    tx.commit();
  }

  int64_t paid_in(const std::string& hh) {
    int64_t n = 0;
    for (auto& id : members[hh])
      n += count("SELECT COUNT(*) FROM payments WHERE kind = 'payment' AND person = '" + id + "'");
    return n;
  }

  std::map<std::string, std::vector<std::string>> members;
};

TEST_P(CollectTest, HouseholdPaysWholeWithAReceiptEachAndReplays) {
  auto va = as("va");
  json body = {{"idempotency_key", "hh-a-1"}, {"year", 2024}, {"channel", "village_collector"}};
  auto [s, j] = va->post("/api/v1/households/HA/payments", body);
  ASSERT_EQ(s, 201) << j.dump();
  ASSERT_EQ(j["payments"].size(), 3u);
  ASSERT_EQ(j["receipts"].size(), 3u);
  std::set<std::string> rec;
  int64_t sum = 0;
  for (size_t i = 0; i < 3; ++i) {
    rec.insert(j["receipts"][i].get<std::string>());
    EXPECT_EQ(j["payments"][i]["receipt_no"], j["receipts"][i]);
    EXPECT_EQ(j["payments"][i]["channel"], "village_collector");
    sum += j["payments"][i]["amount_fen"].get<int64_t>();
  }
  EXPECT_EQ(rec.size(), 3u);
  EXPECT_GT(sum, 0);
  EXPECT_EQ(j["total_fen"], sum);
  EXPECT_EQ(j["household"], "HA");
  EXPECT_EQ(paid_in("HA"), 3);
  // The same key again: the first result, nothing new.
  auto [s2, j2] = va->post("/api/v1/households/HA/payments", body);
  ASSERT_EQ(s2, 200) << j2.dump();
  EXPECT_EQ(j2["replayed"], true);
  EXPECT_EQ(j2["receipts"], j["receipts"]);
  EXPECT_EQ(j2["total_fen"], sum);
  EXPECT_EQ(paid_in("HA"), 3);
  // The same key for another request is a conflict.
  json other = body;
  other["paid_on"] = "2023-11-19";
  auto [s3, j3] = va->post("/api/v1/households/HA/payments", other);
  EXPECT_EQ(s3, 409) << j3.dump();
  EXPECT_EQ(j3["error"]["code"], "idempotency_conflict");
  // A new key: nobody owes any more.
  auto [s4, j4] = va->post("/api/v1/households/HA/payments", {{"idempotency_key", "hh-a-2"}, {"year", 2024},
                                                              {"channel", "village_collector"}});
  EXPECT_EQ(s4, 422) << j4.dump();
  EXPECT_EQ(j4["error"]["code"], "nothing_due");
  // Outside the collector's village: not found.
  auto vb = as("vb");
  auto [s5, j5] = vb->post("/api/v1/households/HA/payments", {{"idempotency_key", "hh-a-3"}, {"year", 2024},
                                                              {"channel", "village_collector"}});
  EXPECT_EQ(s5, 404) << j5.dump();
}

TEST_P(CollectTest, HouseholdIsAllOrNothing) {
  auto va = as("va");
  auto [s, j] = va->post("/api/v1/households/HC/payments",
                         {{"idempotency_key", "hh-c-1"}, {"year", 2024}, {"channel", "village_collector"}});
  EXPECT_EQ(s, 409) << j.dump();
  EXPECT_EQ(j["error"]["code"], "duplicate_enrollment");
  EXPECT_EQ(j["error"]["details"]["member"], mask_id(members["HC"][1]));
  EXPECT_EQ(paid_in("HC"), 0);  // the member the ledger accepts is not written either
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
}

TEST_P(CollectTest, SelectivePaymentRefused) {
  auto va = as("va");
  // HB: one member neither enrolled nor accounted for.
  auto [s, j] = va->post("/api/v1/households/HB/payments",
                         {{"idempotency_key", "hh-b-1"}, {"year", 2024}, {"channel", "village_collector"}});
  ASSERT_EQ(s, 422) << j.dump();
  EXPECT_EQ(j["error"]["code"], "selective_enrollment");
  ASSERT_EQ(j["error"]["details"]["missing"].size(), 1u);
  EXPECT_EQ(j["error"]["details"]["missing"][0], mask_id(members["HB"][2]));
  // HA: paying one member while two others owe leaves them out.
  auto [s2, j2] = va->post("/api/v1/households/HA/payments",
                           {{"idempotency_key", "hh-a-sel"}, {"year", 2024}, {"channel", "village_collector"},
                            {"members", {members["HA"][0]}}});
  ASSERT_EQ(s2, 422) << j2.dump();
  EXPECT_EQ(j2["error"]["code"], "selective_enrollment");
  EXPECT_EQ(j2["error"]["details"]["missing"].size(), 2u);
  EXPECT_EQ(j2["error"]["message"].get<std::string>().find(members["HA"][1]), std::string::npos);  // masked
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
}

TEST_P(CollectTest, BatchAnswersEachItemAndReplaysWhole) {
  auto a = as("admin");
  json items = json::array();
  items.push_back(pay_body("b-0", fx.persons[0].id_number, 38000, "wechat"));
  items.push_back(pay_body("b-1", fx.persons[1].id_number, 100, "wechat"));  // wrong amount
  json nokey = pay_body("", fx.persons[2].id_number, 38000, "wechat");
  nokey.erase("idempotency_key");
  items.push_back(nokey);
  items.push_back(pay_body("b-3", "not-an-id", 38000, "wechat"));
  items.push_back(pay_body("b-4", fx.persons[4].id_number, 38000, "wechat"));
  auto [s, j] = a->post("/api/v1/payments/batch", {{"items", items}});
  ASSERT_EQ(s, 200) << j.dump();
  auto& r = j["results"];
  ASSERT_EQ(r.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(r[i]["index"], i);
  EXPECT_EQ(r[0]["status"], 201);
  EXPECT_EQ(r[1]["status"], 422);
  EXPECT_EQ(r[1]["error"]["code"], "wrong_amount");
  EXPECT_EQ(r[1]["error"]["field"], "amount_fen");
  EXPECT_EQ(r[2]["status"], 400);
  EXPECT_EQ(r[2]["error"]["field"], "idempotency_key");
  EXPECT_EQ(r[3]["status"], 400);
  EXPECT_EQ(r[4]["status"], 201);
  EXPECT_FALSE(r[0]["receipt"].get<std::string>().empty());
  EXPECT_EQ(r[0]["payment"]["receipt_no"], r[0]["receipt"]);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 2);
  // The whole batch again (a sync cut off and retried): every good item a replay.
  auto [s2, j2] = a->post("/api/v1/payments/batch", {{"items", items}});
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(j2["results"][0]["status"], 200);
  EXPECT_EQ(j2["results"][0]["receipt"], r[0]["receipt"]);
  EXPECT_EQ(j2["results"][4]["status"], 200);
  EXPECT_EQ(j2["results"][4]["payment"]["id"], r[4]["payment"]["id"]);
  EXPECT_EQ(j2["results"][1]["status"], 422);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 2);
  // Paid already under another key: refused with the receipt that stands.
  auto [s3, j3] = a->post("/api/v1/payments/batch",
                          {{"items", {pay_body("b-0-again", fx.persons[0].id_number, 38000, "wechat")}}});
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(j3["results"][0]["status"], 409);
  EXPECT_EQ(j3["results"][0]["error"]["code"], "already_paid");
  EXPECT_EQ(j3["results"][0]["error"]["details"]["receipt_no"], r[0]["receipt"]);
}

TEST_P(CollectTest, BatchItemsKeepTheRoleChecksAndBackdatingWindow) {
  auto va = as("va");
  json items = json::array();
  items.push_back(pay_body("v-0", fx.persons[0].id_number, 38000, "tax_hall"));  // not a village channel
  items.push_back(pay_body("v-1", fx.persons[1].id_number, 38000, "village_collector", "2023-10-01"));
  items.push_back(pay_body("v-2", fx.persons[2].id_number, 38000, "village_collector"));
  auto [s, j] = va->post("/api/v1/payments/batch", {{"items", items}});
  ASSERT_EQ(s, 200) << j.dump();
  EXPECT_EQ(j["results"][0]["status"], 403);
  EXPECT_EQ(j["results"][1]["status"], 422);
  EXPECT_EQ(j["results"][1]["error"]["code"], "backdated");
  EXPECT_EQ(j["results"][2]["status"], 201) << j["results"][2].dump();
}

TEST_P(CollectTest, BatchBoundsRefused) {
  auto a = as("admin");
  json items = json::array();
  for (int i = 0; i < 1001; ++i) items.push_back(pay_body(fmt::format("k{}", i), fx.persons[0].id_number, 38000, "wechat"));
  auto [s, j] = a->post("/api/v1/payments/batch", {{"items", items}});
  EXPECT_EQ(s, 400);
  EXPECT_EQ(j["error"]["field"], "items");
  auto [s2, j2] = a->post("/api/v1/payments/batch", {{"items", json::array()}});
  EXPECT_EQ(s2, 400);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 0);
}

TEST_P(CollectTest, OverlappingBatchesPayEachPersonOnce) {
  const int threads = 4, n = 24;
  auto a = as("admin");
  std::atomic<int> created{0}, paid_elsewhere{0}, other{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      Client c(port);
      c.cookie = a->cookie;
      c.csrf = a->csrf;
      json items = json::array();
      // Each thread its own keys, persons in its own order.
      for (int i = 0; i < n; ++i) {
        int k = (i + t * 7) % n;
        items.push_back(pay_body(fmt::format("t{}-{}", t, k), fx.persons[size_t(k)].id_number, 38000, "wechat"));
      }
      auto [s, j] = c.post("/api/v1/payments/batch", {{"items", items}});
      if (s != 200) {
        other += n;
        return;
      }
      for (auto& r : j["results"]) {
        if (r["status"] == 201) created++;
        else if (r["status"] == 409 && r["error"]["code"] == "already_paid") paid_elsewhere++;
        else other++;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(created.load(), n);
  EXPECT_EQ(paid_elsewhere.load(), n * (threads - 1));
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), n);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT person) FROM payments WHERE kind = 'payment'"), n);
}

INSTANTIATE_TEST_SUITE_P(Engines, CollectTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
