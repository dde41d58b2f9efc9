// A collector's households (issue 14): dues that POST /payments accepts,
// the household search, the offline cache of the collector's own villages,
// contact phones and the unpaid list's SMS export; both engines.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/id_number.h"
#include "io/table.h"
#include "client.h"

using json = nlohmann::json;
using namespace canbao;

namespace {

using testing_server::Client;

std::string make_id(const char* ymd, int seq) {
  std::string s17 = fmt::format("341702{}{:03d}", ymd, seq);
  return s17 + IdNumber::check_char(s17);
}

const std::string kHH = "HH-TEST-1";

class HouseholdsTest : public testing_server::ServerFixture {
 protected:
  std::string prefix() const override { return "hh_"; }
  std::string zhang, li, wang;  // 张三丰 (head), 李四, 王五 (deceased)

  void seed(store::Store& st) override {
    add_user(st, "tw", "township", *RegionCode::parse("341702100"));
    RegionCode v = fx.villages[0];
    zhang = make_id("19700101", 811);
    li = make_id("19720202", 822);
    wang = make_id("19400303", 833);
    std::vector<store::Household> hs = {{kHH, v, zhang, ""}};
    std::vector<store::Person> ps;
    for (auto [id, name] : {std::pair{zhang, "张三丰"}, {li, "李四"}, {wang, "王五"}}) {
      store::Person p;
      p.id_number = id;
      p.name = name;
      p.birth = IdNumber::parse(id, Date::from_ymd(2030, 1, 1))->birth_date();
      p.household = kHH;
      p.hukou = v;
      if (id == wang) p.deceased_on = Date::from_ymd(2023, 10, 1);
      ps.push_back(p);
    }
    auto tx = st.transaction();
    st.put_households(hs);
    st.put_persons(ps);
    for (const auto& id : {zhang, li}) {
      store::Enrollment e;
      e.person = id;
      e.year = 2024;
      e.place = v;
      e.status = store::EnrollmentStatus::registered;
      e.registered_on = Date::from_ymd(2023, 9, 1);
      st.add_enrollment(e);
    }
    tx.commit();
  }

  json member(const json& due, const std::string& name) {
    for (const auto& m : due["members"])
      if (m["name"] == name) return m;
    return nullptr;
  }
};

TEST_P(HouseholdsTest, DueIsWhatPaymentsAccept) {
  auto va = as("va");
  auto [s, d] = va->get("/api/v1/households/" + kHH + "/due?year=2024");
  ASSERT_EQ(s, 200) << d.dump();
  EXPECT_EQ(d["household"], kHH);
  EXPECT_EQ(d["region"], fx.villages[0].str());
  EXPECT_EQ(d["region_name"], "第1村");
  EXPECT_TRUE(d["phone"].is_null());
  ASSERT_EQ(d["members"].size(), 3u);
  json z = member(d, "张*丰"), l = member(d, "李*"), w = member(d, "王*");
  ASSERT_FALSE(z.is_null());
  ASSERT_FALSE(w.is_null());
  EXPECT_EQ(z["status"], "owing");
  EXPECT_EQ(z["status_label"], "待缴费");
  EXPECT_EQ(z["id_last4"], zhang.substr(14));
  EXPECT_EQ(w["status"], "not_required");
  EXPECT_TRUE(w.contains("reason"));
  EXPECT_EQ(l["status"], "owing");
  ASSERT_TRUE(z["individual_due_fen"].is_number());
  EXPECT_EQ(d["total_due_fen"], z["individual_due_fen"].get<int64_t>() + l["individual_due_fen"].get<int64_t>());
  EXPECT_EQ(d.dump().find(zhang), std::string::npos);

  // Exactly the amount the ledger takes.
  json body = {{"idempotency_key", "hh-due-1"}, {"person", z["person"]}, {"year", 2024},
               {"amount_fen", z["individual_due_fen"]}, {"channel", "village_collector"}};
  auto [ps, pj] = va->post("/api/v1/payments", body);
  ASSERT_EQ(ps, 201) << pj.dump();
  auto [s2, d2] = va->get("/api/v1/households/" + kHH + "/due?year=2024");
  ASSERT_EQ(s2, 200);
  json z2 = member(d2, "张*丰");
  EXPECT_EQ(z2["status"], "paid");
  EXPECT_TRUE(z2.contains("receipt_no"));
  EXPECT_EQ(d2["total_due_fen"], l["individual_due_fen"]);

  // Outside the collector's village: as if it did not exist.
  EXPECT_EQ(as("vb")->get("/api/v1/households/" + kHH + "/due?year=2024").first, 404);
  EXPECT_EQ(va->get("/api/v1/households/NOPE/due?year=2024").first, 404);
}

TEST_P(HouseholdsTest, SearchByInitialsDigitsAndHouseholdNumber) {
  auto va = as("va");
  auto found = [&](Client& c, const std::string& q) {
    auto [s, j] = c.get("/api/v1/households?year=2024&q=" + testing_server::pct(q));
    EXPECT_EQ(s, 200) << j.dump();
    for (const auto& it : j["items"])
      if (it["household"] == kHH) return it;
    return json();
  };
  json it = found(*va, "zsf");
  ASSERT_FALSE(it.is_null());
  EXPECT_EQ(it["head_name"], "张*丰");
  EXPECT_EQ(it["members"], 3);
  EXPECT_EQ(it["owing"], 2);
  EXPECT_EQ(it["paid"], 0);
  EXPECT_GT(it["total_due_fen"].get<int64_t>(), 0);
  EXPECT_FALSE(found(*va, li.substr(14)).is_null());
  EXPECT_FALSE(found(*va, kHH).is_null());
  EXPECT_FALSE(found(*va, "张三").is_null());
  EXPECT_TRUE(found(*va, "qqq").is_null());
  // Another village's collector finds nothing of it.
  EXPECT_TRUE(found(*as("vb"), "zsf").is_null());
  auto [s, j] = va->get("/api/v1/households?year=2024&page_size=5");
  ASSERT_EQ(s, 200);
  EXPECT_EQ(j["items"].size(), 5u);
  EXPECT_EQ(j["total"], 14);  // 13 fixture households + HH-TEST-1
}

TEST_P(HouseholdsTest, CacheHoldsOnlyOwnVillagesAndNoFullId) {
  auto va = as("va");
  auto raw = va->get_raw("/api/v1/collect/cache?year=2024");
  ASSERT_EQ(raw.first, 200) << raw.second;
  json j = json::parse(raw.second);
  ASSERT_EQ(j["villages"].size(), 1u);
  EXPECT_EQ(j["villages"][0]["code"], fx.villages[0].str());
  EXPECT_EQ(j["households"].size(), 14u);
  for (const auto& h : j["households"]) EXPECT_EQ(h["region"], fx.villages[0].str());
  // An ID standing alone (person keys are hex: 18 decimal digits inside one
  // happen by chance, so the match must not touch other hex characters), and
  // every ID of the fixture verbatim.
  EXPECT_FALSE(std::regex_search(raw.second, std::regex("(^|[^0-9a-fA-F])[0-9]{17}[0-9X]([^0-9a-fA-F]|$)")))
      << "a full ID number in the cache";
  for (const auto& p : fx.persons) EXPECT_EQ(raw.second.find(p.id_number), std::string::npos) << "a full ID in the cache";
  for (const auto& p : fx.unenrolled) EXPECT_EQ(raw.second.find(p.id_number), std::string::npos);
  EXPECT_EQ(raw.second.find(zhang), std::string::npos);
  bool seen = false;
  for (const auto& h : j["households"])
    if (h["household"] == kHH)
      for (const auto& m : h["members"])
        if (m["id_last4"] == zhang.substr(14)) {
          seen = true;
          EXPECT_EQ(m["initials"], "zsf");
          EXPECT_EQ(m["status"], "owing");
        }
  EXPECT_TRUE(seen);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'collect.cache'"), 1);
  // A township user caches every village of the township, nothing beyond.
  auto [ts, tj] = as("tw")->get("/api/v1/collect/cache?year=2024");
  ASSERT_EQ(ts, 200);
  EXPECT_EQ(tj["villages"].size(), 3u);
  for (const auto& h : tj["households"]) EXPECT_EQ(h["region"].get<std::string>().substr(0, 9), "341702100");
  EXPECT_EQ(as("admin")->get("/api/v1/collect/cache?year=2024").first, 403);
  EXPECT_EQ(as("aud")->get("/api/v1/collect/cache?year=2024").first, 403);
}

TEST_P(HouseholdsTest, ContactPhoneValidatedMaskedAudited) {
  auto va = as("va");
  auto put = [&](Client& c, const json& b) {
    auto r = c.c.Put("/api/v1/households/" + kHH + "/contact", c.headers(true), b.dump(), "application/json");
    return std::pair<int, json>{r ? r->status : 0, r ? json::parse(r->body, nullptr, false) : json()};
  };
  for (const char* bad : {"12345", "12812345678", "138123456789", "abc", "0566-123"}) {
    auto [s, e] = put(*va, {{"phone", bad}});
    EXPECT_EQ(s, 400) << bad;
    EXPECT_EQ(e["error"]["field"], "phone") << e.dump();
  }
  EXPECT_EQ(put(*va, json::object()).first, 400);
  auto [s, j] = put(*va, {{"phone", "138 1234 5678"}});
  ASSERT_EQ(s, 200) << j.dump();
  EXPECT_EQ(j["phone"], "138****5678");
  auto [ds, d] = va->get("/api/v1/households/" + kHH + "/due?year=2024");
  EXPECT_EQ(d["phone"], "138****5678");
  EXPECT_EQ(d.dump().find("13812345678"), std::string::npos);
  auto [ss, sj] = va->get("/api/v1/households?year=2024&q=zsf");
  ASSERT_EQ(sj["items"].size(), 1u);
  EXPECT_EQ(sj["items"][0]["phone"], "138****5678");
  EXPECT_EQ(put(*va, {{"phone", "0566-2345678"}}).first, 200);
  auto [cs, cj] = put(*va, {{"phone", ""}});
  EXPECT_EQ(cs, 200);
  EXPECT_TRUE(cj["phone"].is_null());
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'household.contact'"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE new_value LIKE '%13812345678%'"), 0);
  EXPECT_EQ(put(*as("vb"), {{"phone", "13812345678"}}).first, 404);
  EXPECT_EQ(put(*as("aud"), {{"phone", "13812345678"}}).first, 403);
  EXPECT_EQ(put(*as("dept"), {{"phone", "13812345678"}}).first, 403);
}

TEST_P(HouseholdsTest, SmsExportOfUnpaidList) {
  auto va = as("va");
  auto r = va->c.Put("/api/v1/households/" + kHH + "/contact", va->headers(true), json{{"phone", "13912345678"}}.dump(),
                     "application/json");
  ASSERT_TRUE(r && r->status == 200);
  auto [s, xl] = va->get_raw("/api/v1/lists/unpaid?year=2024&format=sms");
  ASSERT_EQ(s, 200) << xl;
  auto path = std::filesystem::temp_directory_path() / fmt::format("canbao-sms-{}.xlsx", GetParam());
  { std::ofstream(path, std::ios::binary) << xl; }
  auto t = io::open_table(path.string());
  EXPECT_EQ(t->header(), (std::vector<std::string>{"户号", "户主", "联系电话", "未缴人数", "短信内容"}));
  io::Row row;
  int rows = 0;
  while (t->next(row)) {
    ++rows;
    EXPECT_EQ(row.cells[0], kHH);
    EXPECT_EQ(row.cells[1], "张*丰");
    EXPECT_EQ(row.cells[2], "13912345678");
    EXPECT_EQ(row.cells[3], "2");
    EXPECT_NE(row.cells[4].find("2024"), std::string::npos) << row.cells[4];
    EXPECT_NE(row.cells[4].find("元"), std::string::npos) << row.cells[4];
    EXPECT_NE(row.cells[4].find("前缴纳"), std::string::npos) << row.cells[4];
  }
  std::filesystem::remove(path);
  EXPECT_EQ(rows, 1);  // only households with a phone
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'list.sms_export'"), 1);
  EXPECT_EQ(va->get("/api/v1/lists/lapsed?year=2024&format=sms").first, 400);
  EXPECT_EQ(as("aud")->get("/api/v1/lists/unpaid?year=2024&format=sms").first, 403);
}

INSTANTIATE_TEST_SUITE_P(Engines, HouseholdsTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
