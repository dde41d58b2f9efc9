// The daily handover (日结, issue 14 §5) and the ledger export over real
// HTTP: a collector's day by channel, reversals netting out, another
// collector's rows kept apart, the bureau view, the 交款单 workbook read back,
// and the export holding every matching row. Both engines.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "client.h"
#include "io/xlsx_reader.h"

using namespace canbao;
using namespace canbao::testing_server;

namespace {

class DailyApi : public ServerFixture {
 protected:
  std::string prefix() const override { return "day_"; }

  int64_t pay(Client& c, const std::string& key, const server::FixturePerson& p, const std::string& channel,
              const char* paid_on = nullptr) {
    auto [s, j] = c.post("/api/v1/payments", pay_body(key, p.id_number, 38000, channel, paid_on));
    EXPECT_EQ(s, 201) << key << " " << j.dump();
    return j["payment"]["id"].get<int64_t>();
  }

  // The sheet's rows (header first) of an .xlsx body.
  static std::vector<std::vector<std::string>> sheet(const std::string& body, const std::string& name) {
    auto r = io::XlsxReader::from_memory(body, name);
    std::vector<std::vector<std::string>> rows = {r->header()};
    io::Row row;
    while (r->next(row)) rows.push_back(row.cells);
    return rows;
  }

  // va collects four people of village 0 (one of them the day before, one
  // reversed), vb one of village 1.
  void collect() {
    for (int i : {0, 1, 2, 3}) ASSERT_EQ(fx.persons[i].village, fx.villages[0]);
    ASSERT_EQ(fx.persons[12].village, fx.villages[1]);
    auto va = as("va");
    pay(*va, "d-1", fx.persons[0], "wechat");
    pay(*va, "d-2", fx.persons[1], "village_collector");
    reversed_id = pay(*va, "d-3", fx.persons[2], "village_collector");
    pay(*va, "d-4", fx.persons[3], "village_collector", "2023-11-19");
    auto [s, j] = va->post(fmt::format("/api/v1/payments/{}/reverse", reversed_id),
                           {{"reason", "重复收取退回"}, {"idempotency_key", "d-3-r"}});
    ASSERT_EQ(s, 201) << j.dump();
    pay(*as("vb"), "d-5", fx.persons[12], "alipay");
  }
  int64_t reversed_id = 0;
};

std::map<std::string, std::pair<int64_t, int64_t>> by_channel(const json& chans) {
  std::map<std::string, std::pair<int64_t, int64_t>> m;
  for (auto& c : chans) m[c["channel"]] = {c["count"].get<int64_t>(), c["amount_fen"].get<int64_t>()};
  return m;
}

TEST_P(DailyApi, CollectorDayByChannel) {
  collect();
  auto va = as("va");
  auto [s, d] = va->get("/api/v1/collections/daily");
  ASSERT_EQ(s, 200) << d.dump();
  EXPECT_EQ(d["date"], "2023-11-20");
  EXPECT_EQ(d["collector"], "va");
  // Three payments that day, one reversed the same day: two net.
  EXPECT_EQ(d["count"], 2);
  EXPECT_EQ(d["total_fen"], 76000);
  auto ch = by_channel(d["channels"]);
  EXPECT_EQ(ch["wechat"], std::make_pair(int64_t{1}, int64_t{38000}));
  EXPECT_EQ(ch["village_collector"], std::make_pair(int64_t{1}, int64_t{38000}));
  EXPECT_EQ(ch.count("alipay"), 0u);  // vb's row stays vb's
  ASSERT_EQ(d["items"].size(), 4u);   // three payments and the reversal
  int64_t sum = 0;
  for (auto& it : d["items"]) {
    sum += it["amount_fen"].get<int64_t>();
    EXPECT_NE(it["name"].get<std::string>().find('*'), std::string::npos) << it.dump();
    EXPECT_EQ(it["paid_on"], "2023-11-20");
    EXPECT_FALSE(it["recorded_at"].get<std::string>().empty());
    if (it["id"] == reversed_id) EXPECT_EQ(it["reversed"], true);
  }
  EXPECT_EQ(sum, 76000);
  // The day before holds the backdated payment only.
  auto [s2, d2] = va->get("/api/v1/collections/daily?date=2023-11-19");
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(d2["count"], 1);
  EXPECT_EQ(d2["total_fen"], 38000);
  // A collector sees only their own day; a bad date is the user's mistake.
  auto [s3, e3] = va->get("/api/v1/collections/daily?collector=vb");
  EXPECT_EQ(s3, 403);
  auto [s4, e4] = va->get("/api/v1/collections/daily?date=2023-13-40");
  EXPECT_EQ(s4, 400);
  EXPECT_EQ(e4["error"]["code"], "bad_field");
  EXPECT_EQ(e4["error"]["field"], "date");
}

TEST_P(DailyApi, BureauSeesEveryCollector) {
  collect();
  auto a = as("admin");
  auto [s, d] = a->get("/api/v1/collections/daily?date=2023-11-20");
  ASSERT_EQ(s, 200) << d.dump();
  ASSERT_EQ(d["collectors"].size(), 2u) << d.dump();
  EXPECT_EQ(d["collectors"][0]["collector"], "va");
  EXPECT_EQ(d["collectors"][0]["total_fen"], 76000);
  EXPECT_EQ(d["collectors"][1]["collector"], "vb");
  EXPECT_EQ(d["collectors"][1]["total_fen"], 38000);
  EXPECT_EQ(by_channel(d["collectors"][1]["channels"])["alipay"], std::make_pair(int64_t{1}, int64_t{38000}));
  EXPECT_EQ(d["count"], 3);
  EXPECT_EQ(d["total_fen"], 114000);
  // One named collector; an unknown one is not found.
  auto [s2, d2] = a->get("/api/v1/collections/daily?date=2023-11-20&collector=vb");
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(d2["total_fen"], 38000);
  EXPECT_EQ(d2["items"].size(), 1u);
  auto [s3, e3] = a->get("/api/v1/collections/daily?collector=nobody");
  EXPECT_EQ(s3, 404);
  EXPECT_EQ(e3["error"]["field"], "collector");
}

TEST_P(DailyApi, HandoverWorkbookHasTheTotals) {
  collect();
  auto [s, body] = as("va")->get_raw("/api/v1/collections/daily?format=xlsx");
  ASSERT_EQ(s, 200);
  auto head = sheet(body, "交款单");
  ASSERT_GE(head.size(), 3u);
  EXPECT_EQ(head[0][3], "渠道");
  std::map<std::string, double> yuan;
  for (size_t i = 1; i < head.size(); ++i) yuan[head[i][3]] = std::stod(head[i][5]);
  EXPECT_DOUBLE_EQ(yuan["微信"], 380);
  EXPECT_DOUBLE_EQ(yuan["村协理员代收"], 380);
  EXPECT_DOUBLE_EQ(yuan["合计"], 760);
  auto items = sheet(body, "明细");
  EXPECT_EQ(items.size(), 5u);  // header and four rows
  std::regex full_id("[0-9]{17}[0-9X]");
  for (auto& r : items)
    for (auto& cell : r) EXPECT_FALSE(std::regex_search(cell, full_id)) << cell;
  // The printable form.
  auto [s2, html] = as("va")->get_raw("/api/v1/collections/daily?format=html");
  ASSERT_EQ(s2, 200);
  EXPECT_NE(html.find("交款单"), std::string::npos);
  EXPECT_NE(html.find("760.00"), std::string::npos);
}

TEST_P(DailyApi, LedgerExportHoldsEveryMatchingRow) {
  collect();
  auto a = as("admin");
  // More rows than one page of the JSON list.
  for (int i = 4; i < 12; ++i)
    if (i != 5 && i != 6) pay(*a, fmt::format("x-{}", i), fx.persons[i], "bank");
  auto [s, list] = a->get("/api/v1/payments?year=2024&page_size=5");
  ASSERT_EQ(s, 200);
  int64_t total = list["total"];
  ASSERT_GT(total, 5);
  auto [s2, body] = a->get_raw("/api/v1/payments/export?year=2024");
  ASSERT_EQ(s2, 200);
  auto rows = sheet(body, "缴费台账");
  EXPECT_EQ(int64_t(rows.size()) - 1, total);
  std::set<std::string> ids;
  std::regex full_id("[0-9]{17}[0-9X]");
  for (size_t i = 1; i < rows.size(); ++i) {
    ids.insert(rows[i][0]);
    EXPECT_FALSE(std::regex_search(rows[i][3], full_id)) << rows[i][3];
  }
  EXPECT_EQ(int64_t(ids.size()), total);
  // The same filters as the list.
  auto [s3, bank] = a->get("/api/v1/payments?year=2024&channel=bank");
  auto [s4, bbody] = a->get_raw("/api/v1/payments/export?year=2024&channel=bank");
  ASSERT_EQ(s4, 200);
  EXPECT_EQ(int64_t(sheet(bbody, "缴费台账").size()) - 1, bank["total"].get<int64_t>());
  // A village collector exports their village only.
  auto [s5, vbody] = as("vb")->get_raw("/api/v1/payments/export?year=2024");
  ASSERT_EQ(s5, 200);
  EXPECT_EQ(sheet(vbody, "缴费台账").size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Engines, DailyApi, ::testing::Values("sqlite", "postgresql"));

}  // namespace
