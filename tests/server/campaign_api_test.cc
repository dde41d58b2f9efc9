// The campaign API (docs/api.md "Campaign") over real HTTP: progress and
// its weekly trend, payment channels, the weekly report, mobilisation lists,
// the public notice, fund flows and reconciliation runs; their region scope,
// roles and masking. SQLite always; PostgreSQL too when CANBAO_PG_URL is set.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "client.h"
#include "core/id_number.h"

using namespace canbao;
using namespace canbao::testing_server;

namespace {

using server::FixturePerson;

const RegionCode kGuichi = *RegionCode::parse("341702");

// Any 18-character ID number (17 digits and a digit or X) standing alone
// in a text (person keys are hex: digit runs inside them do not count).
bool has_full_id(const std::string& s) {
  static const std::regex re("(^|[^0-9A-Za-z])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)");
  return std::regex_search(s, re);
}

bool is_xlsx(const std::string& body) { return body.size() > 4 && body.compare(0, 4, "PK\x03\x04") == 0; }

class CampaignApi : public ServerFixture {
 protected:
  std::string prefix() const override { return "cmp_"; }

  // Planted for the lists: a lapsed person (paid 2023, not enrolled 2024),
  // a newborn not registered, a 低保 person not enrolled (a subsidy applies).
  void seed(store::Store& st) override {
    lapsed = fx.unenrolled[0];
    subsidised = fx.unenrolled[1];
    store::Enrollment e;
    e.person = lapsed.id_number;
    e.year = 2023;
    e.place = lapsed.village;
    e.status = store::EnrollmentStatus::paid;
    e.registered_on = Date::from_ymd(2022, 10, 1);
    e.paid_on = Date::from_ymd(2022, 10, 1);
    st.add_enrollment(e);
    store::PersonCategory pc;
    pc.person = subsidised.id_number;
    pc.category = Category::minimum_living;
    pc.source = "民政局";
    pc.as_of = Date::from_ymd(2023, 9, 1);
    pc.region = subsidised.village;
    st.add_categories(std::span(&pc, 1));
    // A baby born 2023-10-01 in village 0, in its own household.
    std::string s17 = fx.villages[0].str().substr(0, 6) + "20231001" + "123";
    newborn = {s17 + IdNumber::check_char(s17), "新生儿", fx.villages[0]};
    store::Person p;
    p.id_number = newborn.id_number;
    p.name = newborn.name;
    p.birth = Date::from_ymd(2023, 10, 1);
    p.male = true;
    p.household = "HF-NEWBORN-1";
    p.hukou = fx.villages[0];
    st.put_households(std::vector<store::Household>{{p.household, fx.villages[0], p.id_number}});
    st.put_persons(std::vector<store::Person>{p});
    add_user(st, "tax_jc", "tax", *RegionCode::parse("140502"));
    add_user(st, "tw", "township", *RegionCode::parse("341702100"));
  }

  void pay(Client& a, const std::string& key, const std::string& person, const std::string& ch = "wechat",
           int64_t fen = 38000) {
    auto [s, j] = a.post("/api/v1/payments", pay_body(key, person, fen, ch));
    ASSERT_EQ(s, 201) << j.dump();
  }
  int64_t ledger_sum(const std::string& where) {
    return count("SELECT COALESCE(SUM(amount), 0) FROM payments WHERE year = 2024 AND " + where);
  }

  FixturePerson lapsed, subsidised, newborn;
};

TEST_P(CampaignApi, ProgressTrendAndChannelsFollowThePayments) {
  auto a = as("admin");
  auto [s0, w0] = a->get("/api/v1/progress/weekly?year=2024&under=341702");
  ASSERT_EQ(s0, 200) << w0.dump();
  // 贵池 opens 2023-09-10 (ISO week 36); today 2023-11-20 is in week 47.
  ASSERT_EQ(w0["items"].size(), 12u);
  EXPECT_EQ(w0["items"][0]["week"], "2023-W36");
  EXPECT_EQ(w0["items"].back()["week"], "2023-W47");
  EXPECT_EQ(w0["items"].back()["as_of"], "2023-11-20");
  EXPECT_EQ(w0["items"].back()["partial"], true);
  EXPECT_EQ(w0["items"].back()["paid"], 0);
  EXPECT_EQ(w0["items"].back()["enrolled"], 36);
  auto [sc0, c0] = a->get("/api/v1/progress/channels?year=2024&under=341702");
  ASSERT_EQ(sc0, 200);
  EXPECT_TRUE(c0["items"].empty());

  pay(*a, "pt-1", fx.persons[0].id_number, "wechat");
  pay(*a, "pt-2", fx.persons[1].id_number, "wechat");
  pay(*a, "pt-3", fx.persons[13].id_number, "alipay");

  auto [s1, w1] = a->get("/api/v1/progress/weekly?year=2024&under=341702");
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(w1["items"].back()["paid"], 3);
  EXPECT_EQ(w1["items"].back()["paid_fen"], 3 * 38000);
  // The payments are dated 2023-11-20: week 46 (to 11-19) still shows none.
  EXPECT_EQ(w1["items"][w1["items"].size() - 2]["paid"], 0);
  // The counters' progress and the report agree.
  auto [s2, p] = a->get("/api/v1/progress?year=2024&under=341702");
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(p["total"]["paid"], 3);
  auto [s3, r] = a->get("/api/v1/reports/progress?year=2024&under=341702&depth=2");
  ASSERT_EQ(s3, 200) << r.dump();
  EXPECT_EQ(r["total"]["paid"], 3);
  EXPECT_EQ(r["total"]["paid_fen"], 3 * 38000);
  ASSERT_EQ(r["items"].size(), 1u);  // 梅街镇
  int64_t paid = 0;
  for (auto& v : r["items"][0]["children"]) paid += v["paid"].get<int64_t>();
  EXPECT_EQ(paid, 3);
  auto [s4, xl] = a->get_raw("/api/v1/reports/progress?year=2024&under=341702&format=xlsx");
  EXPECT_EQ(s4, 200);
  EXPECT_TRUE(is_xlsx(xl));
  // Before the payments (as_of) nothing was paid.
  auto [s5, r5] = a->get("/api/v1/reports/progress?year=2024&under=341702&as_of=2023-11-19");
  EXPECT_EQ(r5["total"]["paid"], 0);

  auto [sc1, c1] = a->get("/api/v1/progress/channels?year=2024&under=341702");
  ASSERT_EQ(sc1, 200);
  std::map<std::string, json> by;
  for (auto& it : c1["items"]) by[it["channel"]] = it;
  EXPECT_EQ(by["wechat"]["count"], 2);
  EXPECT_EQ(by["wechat"]["amount_fen"], 2 * 38000);
  EXPECT_EQ(by["wechat"]["label"], "微信");
  EXPECT_EQ(by["alipay"]["count"], 1);
  EXPECT_EQ(c1["total"]["amount_fen"], ledger_sum("payer_kind <> 'department'"));
  // A reversal takes the payment out of its channel.
  auto [sl, l] = a->get("/api/v1/payments?kind=payment&channel=alipay");
  ASSERT_EQ(l["items"].size(), 1u);
  int64_t id = l["items"][0]["id"];
  auto [sr, rv] = a->post(fmt::format("/api/v1/payments/{}/reverse", id), {{"reason", "错缴"}, {"idempotency_key", "pt-3r"}});
  ASSERT_EQ(sr, 201) << rv.dump();
  auto [sc2, c2] = a->get("/api/v1/progress/channels?year=2024&under=341702");
  for (auto& it : c2["items"]) EXPECT_NE(it["channel"], "alipay") << it.dump();
  EXPECT_EQ(c2["total"]["count"], 2);
  EXPECT_EQ(c2["total"]["amount_fen"], 2 * 38000);
  auto [s6, w6] = a->get("/api/v1/progress/weekly?year=2024&under=341702");
  EXPECT_EQ(w6["items"].back()["paid"], 2);
}

TEST_P(CampaignApi, WeeklyReportLevelsSumToTheTotal) {
  auto a = as("admin");
  pay(*a, "wk-1", fx.persons[0].id_number);
  pay(*a, "wk-2", fx.persons[1].id_number);
  pay(*a, "wk-3", fx.persons[12].id_number);
  pay(*a, "wk-4", fx.persons[30].id_number);
  auto [s, j] = a->get("/api/v1/reports/weekly?week=2023-W47&under=341702&year=2024");
  ASSERT_EQ(s, 200) << j.dump();
  EXPECT_EQ(j["week"], "2023-W47");
  EXPECT_EQ(j["as_of"], "2023-11-24");
  EXPECT_EQ(j["total"]["paid"], 4);
  EXPECT_EQ(j["total"]["registered"], 36);
  EXPECT_EQ(j["total"]["collected_fen"], 4 * 38000);
  ASSERT_GE(j["levels"].size(), 2u);
  for (auto& lv : j["levels"]) {
    int64_t paid = 0, reg = 0, fen = 0;
    for (auto& r : lv["rows"]) {
      paid += r["paid"].get<int64_t>();
      reg += r["registered"].get<int64_t>();
      fen += r["collected_fen"].get<int64_t>();
    }
    EXPECT_EQ(paid, 4) << lv["label"];
    EXPECT_EQ(reg, 36) << lv["label"];
    EXPECT_EQ(fen, 4 * 38000) << lv["label"];
  }
  // The week before has none of today's payments; default week = today's.
  auto [s2, j2] = a->get("/api/v1/reports/weekly?week=2023-W46&under=341702");
  EXPECT_EQ(j2["total"]["paid"], 0);
  auto [s3, j3] = a->get("/api/v1/reports/weekly?under=341702");
  EXPECT_EQ(j3["week"], "2023-W47");
  auto [s4, xl] = a->get_raw("/api/v1/reports/weekly?week=2023-W47&under=341702&format=xlsx");
  EXPECT_EQ(s4, 200);
  EXPECT_TRUE(is_xlsx(xl));
  auto [s5, e5] = a->get("/api/v1/reports/weekly?week=2023-47");
  EXPECT_EQ(s5, 400);
  EXPECT_EQ(e5["error"]["field"], "week");
}

TEST_P(CampaignApi, ListsAreMaskedScopedAndPaginated) {
  auto a = as("admin");
  pay(*a, "ls-1", fx.persons[0].id_number);
  // Masked IDs of the fixture share their last four digits: the planted
  // person is known by masked ID, village and household together.
  struct Want {
    const char* path;
    const FixturePerson* who;
    std::string household;
  };
  const std::string h12 = "-000012";  // the fixture's one not-enrolled person per village
  for (auto w : {Want{"unpaid", &subsidised, "HF" + subsidised.village.str() + h12},
                 Want{"lapsed", &lapsed, "HF" + lapsed.village.str() + h12},
                 Want{"subsidised_unenrolled", &subsidised, "HF" + subsidised.village.str() + h12},
                 Want{"subsidised_not_enrolled", &subsidised, "HF" + subsidised.village.str() + h12},
                 Want{"newborns", &newborn, "HF-NEWBORN-1"}}) {
    auto r = a->c.Get(fmt::format("/api/v1/lists/{}?year=2024&village=341702&page_size=500", w.path), a->headers(false));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << w.path << " " << r->body;
    EXPECT_FALSE(has_full_id(r->body)) << w.path;
    auto j = json::parse(r->body);
    ASSERT_GE(j["total"].get<int64_t>(), 1) << w.path;
    bool found = false;
    for (auto& it : j["items"]) {
      EXPECT_EQ(it["id_number"].get<std::string>().find('*') != std::string::npos, true);
      found |= it["id_number"] == mask_id(w.who->id_number) && it["village"] == w.who->village.str() &&
               it["household"] == w.household;
      EXPECT_FALSE(it["person_key"].get<std::string>().empty());
    }
    EXPECT_TRUE(found) << w.path << " " << j.dump();
  }
  // unpaid: the 35 registered not paid + the 3 not enrolled + the newborn; not the paid one.
  auto [s, u] = a->get("/api/v1/lists/unpaid?year=2024&village=341702&page_size=500");
  EXPECT_EQ(u["total"], 35 + 3 + 1);
  for (auto& it : u["items"]) EXPECT_NE(it["household"], "HF" + fx.villages[0].str() + "-000000");  // persons[0]
  // Newborns carry the 90-day deadline.
  auto [sn, nb] = a->get("/api/v1/lists/newborns?year=2024&village=341702");
  ASSERT_EQ(nb["items"].size(), 1u);
  EXPECT_EQ(nb["items"][0]["deadline"], "2023-12-30");
  // Pages are disjoint and cover the list.
  std::set<std::string> seen;
  int64_t pages = 0;
  for (int pg = 1; pg <= 5; ++pg) {
    auto [sp, pj] = a->get(fmt::format("/api/v1/lists/unpaid?year=2024&village=341702&page_size=10&page={}", pg));
    ASSERT_EQ(sp, 200);
    EXPECT_EQ(pj["page"], pg);
    for (auto& it : pj["items"]) EXPECT_TRUE(seen.insert(it["person_key"]).second);
    pages += !pj["items"].empty();
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen.size(), 39u);
  // xlsx export of one list.
  auto [sx, xl] = a->get_raw("/api/v1/lists/lapsed?year=2024&village=341702&format=xlsx");
  EXPECT_EQ(sx, 200);
  EXPECT_TRUE(is_xlsx(xl));
  EXPECT_EQ(a->get("/api/v1/lists/nobody?year=2024").first, 404);
  // Unmasked: only roles that may, and audited.
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'list.unmask'"), 0);
  auto raw = a->get_raw("/api/v1/lists/lapsed?year=2024&village=341702&unmask=1");
  ASSERT_EQ(raw.first, 200);
  EXPECT_NE(raw.second.find(lapsed.id_number), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'list.unmask'"), 1);
  EXPECT_EQ(count(fmt::format("SELECT COUNT(*) FROM audit_log WHERE new_value LIKE '%{}%'", lapsed.id_number)), 0);
  auto school = as("school");
  EXPECT_EQ(school->get("/api/v1/lists/lapsed?year=2024&unmask=1").first, 403);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'list.unmask'"), 1);
  // A department reads the subsidised list only.
  auto d = as("dept");
  EXPECT_EQ(d->get("/api/v1/lists/unpaid?year=2024").first, 403);
  EXPECT_EQ(d->get("/api/v1/lists/subsidised_unenrolled?year=2024").first, 200);
  // A village collector sees its own village only.
  auto va = as("va");
  auto [sv, lv] = va->get("/api/v1/lists/unpaid?year=2024&page_size=500");
  ASSERT_EQ(sv, 200);
  EXPECT_GT(lv["total"].get<int64_t>(), 0);
  for (auto& it : lv["items"]) EXPECT_EQ(it["village"], fx.villages[0].str());
  EXPECT_EQ(va->get("/api/v1/lists/unpaid?year=2024&village=" + fx.villages[1].str()).first, 404);
  EXPECT_EQ(va->get("/api/v1/lists/unpaid?year=2024&village=341702").first, 404);
}

TEST_P(CampaignApi, NoticeIsMaskedInEveryFormat) {
  auto a = as("admin");
  pay(*a, "nt-1", fx.persons[0].id_number);
  pay(*a, "nt-2", fx.persons[1].id_number);
  pay(*a, "nt-3", fx.persons[12].id_number);
  const std::string v0 = fx.villages[0].str();
  auto r = a->c.Get("/api/v1/notices?year=2024&village=" + v0, a->headers(false));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(has_full_id(r->body));
  auto j = json::parse(r->body);
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(j["individual_total_fen"], 2 * 38000);
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["id_number"], mask_id(fx.persons[0].id_number));
  EXPECT_EQ(j["items"][0]["name"], mask_name(fx.persons[0].name));
  EXPECT_EQ(j["items"][0]["individual_fen"], 38000);
  EXPECT_FALSE(j["report_route"].get<std::string>().empty());
  // Paginated.
  auto [sp, pj] = a->get("/api/v1/notices?year=2024&village=" + v0 + "&page_size=1&page=2");
  ASSERT_EQ(pj["items"].size(), 1u);
  EXPECT_EQ(pj["items"][0]["id_number"], mask_id(fx.persons[1].id_number));
  // Printable HTML.
  auto [sh, html] = a->get_raw("/api/v1/notices?year=2024&village=" + v0 + "&format=html");
  ASSERT_EQ(sh, 200);
  EXPECT_NE(html.find("<html"), std::string::npos);
  EXPECT_NE(html.find(mask_id(fx.persons[0].id_number)), std::string::npos);
  EXPECT_FALSE(has_full_id(html));
  EXPECT_EQ(html.find(fx.persons[0].name), std::string::npos);
  // Workbook.
  auto [sx, xl] = a->get_raw("/api/v1/notices?year=2024&village=" + v0 + "&format=xlsx");
  ASSERT_EQ(sx, 200);
  EXPECT_TRUE(is_xlsx(xl));
  // A village sees its own notice (default: its village) and not another's.
  auto va = as("va");
  auto [s2, j2] = va->get("/api/v1/notices?year=2024");
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(j2["total"], 2);
  EXPECT_EQ(va->get("/api/v1/notices?year=2024&village=" + fx.villages[1].str()).first, 404);
  EXPECT_EQ(va->get_raw("/api/v1/notices?year=2024&format=html&village=" + fx.villages[1].str()).first, 404);
}

// 代缴 recorded by the department before the person pays: the payment must not
// write the department's row a second time (the fund would count 684.00).
TEST_P(CampaignApi, DepartmentSubsidyRecordedFirstIsNotWrittenAgainByThePayment) {
  auto a = as("admin");
  {
    auto st = store();
    store::PersonCategory pc;
    pc.person = fx.persons[3].id_number;
    pc.category = Category::minimum_living;
    pc.source = "民政局";
    pc.as_of = Date::from_ymd(2023, 9, 1);
    pc.region = fx.persons[3].village;
    st->add_categories(std::span(&pc, 1));
  }
  auto [as, aj] = a->get("/api/v1/persons/" + fx.persons[3].id_number + "/assessment?year=2024");
  ASSERT_EQ(as, 200) << aj.dump();
  ASSERT_FALSE(aj["subsidies"].empty()) << aj.dump();
  std::string payer = aj["subsidies"][0]["payer"];
  auto [ss, sj] = a->post("/api/v1/subsidy-payments", {{"idempotency_key", "dsf-1"}, {"person", fx.persons[3].id_number},
                                                      {"year", 2024}, {"amount_fen", 34200}, {"payer_name", payer},
                                                      {"mode", "paid_on_behalf"}});
  ASSERT_EQ(ss, 201) << sj.dump();
  pay(*a, "dsf-2", fx.persons[3].id_number, "wechat", 3800);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'subsidy' AND person = '" + fx.persons[3].id_number + "'"),
            1);
  EXPECT_EQ(ledger_sum("person = '" + fx.persons[3].id_number + "'"), 38000);
}

TEST_P(CampaignApi, FundsEqualTheLedgerSums) {
  auto a = as("admin");
  pay(*a, "fd-1", fx.persons[0].id_number);
  pay(*a, "fd-2", fx.persons[1].id_number);
  pay(*a, "fd-3", fx.persons[14].id_number);
  // A 低保 person enrolled: the person pays 38.00 and the ledger records
  // 区财政's 342.00 (代缴) with the payment.
  {
    auto st = store();
    store::PersonCategory pc;
    pc.person = fx.persons[2].id_number;
    pc.category = Category::minimum_living;
    pc.source = "民政局";
    pc.as_of = Date::from_ymd(2023, 9, 1);
    pc.region = fx.persons[2].village;
    st->add_categories(std::span(&pc, 1));
  }
  pay(*a, "fd-4", fx.persons[2].id_number, "wechat", 3800);
  ASSERT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'subsidy'"), 1);
  // One reversal.
  auto [sl, l] = a->get("/api/v1/payments?kind=payment&person=" + fx.persons[14].id_number);
  ASSERT_EQ(l["items"].size(), 1u);
  auto [sr, rv] = a->post(fmt::format("/api/v1/payments/{}/reverse", l["items"][0]["id"].get<int64_t>()),
                          {{"reason", "错缴"}, {"idempotency_key", "fd-3r"}});
  ASSERT_EQ(sr, 201) << rv.dump();

  const auto [lo, hi] = store::detail::region_range(kGuichi);
  std::string in_guichi = fmt::format("region BETWEEN {} AND {}", lo, hi);
  auto [s, f] = a->get("/api/v1/funds?year=2024&under=341702");
  ASSERT_EQ(s, 200) << f.dump();
  EXPECT_EQ(f["individual_fen"], ledger_sum(in_guichi + " AND payer_kind <> 'department'"));
  EXPECT_EQ(f["subsidy_fen"], ledger_sum(in_guichi + " AND payer_kind = 'department'"));
  EXPECT_EQ(f["ledger_total_fen"], ledger_sum(in_guichi));
  EXPECT_EQ(f["individual_fen"], 2 * 38000 + 3800);
  EXPECT_EQ(f["subsidy_fen"], 34200);
  EXPECT_EQ(f["insured"], 3);
  EXPECT_EQ(f["standard_fen"], 38000);
  EXPECT_EQ(f["fiscal_per_person_fen"], 64000);
  EXPECT_EQ(f["fiscal_total_fen"], 3 * 64000);
  EXPECT_EQ(f["fund_total_fen"], 3 * 64000 + 2 * 38000 + 3800 + 34200);
  int64_t agent = 0;
  for (auto& x : f["agent_fees"]) agent += x["fee_fen"].get<int64_t>();
  EXPECT_EQ(agent, f["agent_fee_total_fen"].get<int64_t>());
  EXPECT_EQ(agent, 3 * f["agent_fee_per_person_fen"].get<int64_t>());
  auto [s2, sb] = a->get("/api/v1/funds/subsidies?year=2024&under=341702");
  ASSERT_EQ(s2, 200) << sb.dump();
  ASSERT_EQ(sb["by_payer"].size(), 1u);
  EXPECT_EQ(sb["by_payer"][0]["payer"], "区财政");
  EXPECT_EQ(sb["by_payer"][0]["amount_fen"], 34200);
  EXPECT_EQ(sb["by_payer"][0]["paid_on_behalf_fen"], 34200);
  EXPECT_EQ(sb["by_payer"][0]["persons"], 1);
  EXPECT_EQ(sb["total_fen"], 34200);
  auto [sx, xl] = a->get_raw("/api/v1/funds?year=2024&under=341702&format=xlsx");
  EXPECT_EQ(sx, 200);
  EXPECT_TRUE(is_xlsx(xl));
  // Scope: a village's funds are its own; another village is 404.
  auto va = as("va");
  auto [s3, fv] = va->get("/api/v1/funds?year=2024");
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(fv["individual_fen"], 2 * 38000 + 3800);
  EXPECT_EQ(va->get("/api/v1/funds?year=2024&under=" + fx.villages[1].str()).first, 404);
  EXPECT_EQ(va->get("/api/v1/funds/subsidies?year=2024&under=341702").first, 404);
}

TEST_P(CampaignApi, ReconciliationFindsThePlantedMismatches) {
  auto a = as("admin");
  pay(*a, "rc-1", fx.persons[0].id_number, "tax_hall");
  pay(*a, "rc-2", fx.persons[1].id_number, "tax_hall");
  pay(*a, "rc-3", fx.persons[2].id_number, "tax_hall");
  // Tax detail: persons 0 and 2 agree, person 1 differs in amount, person 3
  // (registered, not paid on the platform) is tax-only.
  std::string csv = "elec_taxrpt_no,certno,psn_name,psn_clct_amt,clct_time,taxdept_code,revs_flag,cashym\n";
  auto line = [&](const char* txn, const FixturePerson& p, const char* amt) {
    csv += fmt::format("{},{},{},{},2023-11-20 10:00:00,13417020000,Z,2024\n", txn, p.id_number, p.name, amt);
  };
  line("T1", fx.persons[0], "380.00");
  line("T2", fx.persons[1], "300.00");
  line("T3", fx.persons[2], "380.00");
  line("T4", fx.persons[3], "380.00");
  auto tax = as("tax");
  httplib::MultipartFormDataItems items = {{"tax", csv, "tax.csv", "text/csv"}, {"year", "2024", "", ""}};
  auto [s, run] = tax->post_multipart("/api/v1/reconciliations", items);
  ASSERT_EQ(s, 201) << run.dump();
  EXPECT_EQ(run["scope"], "341702");
  EXPECT_EQ(run["tax_rows"], 4);
  EXPECT_EQ(run["matched"], 2);
  EXPECT_EQ(run["mismatches"], 2);
  EXPECT_EQ(run["by_kind"]["tax_only"], 1);
  EXPECT_EQ(run["by_kind"]["amount_differs"], 1);
  for (const char* k : {"platform_only", "wrong_unit", "tax_duplicate", "treasury_differs"})
    EXPECT_EQ(run["by_kind"][k], 0) << k;
  std::map<std::string, std::string> kind_of;
  for (auto& it : run["items"]) kind_of[it["id_number"]] = it["kind"];
  EXPECT_EQ(kind_of[mask_id(fx.persons[1].id_number)], "amount_differs");
  EXPECT_EQ(kind_of[mask_id(fx.persons[3].id_number)], "tax_only");
  EXPECT_FALSE(has_full_id(run.dump()));
  int64_t id = run["run"];
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'reconciliation.run'"), 1);

  // List and detail (masked), one kind, workbook.
  auto [sl, list] = a->get("/api/v1/reconciliations?year=2024");
  ASSERT_EQ(sl, 200);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], id);
  EXPECT_EQ(list["items"][0]["mismatches"], 2);
  EXPECT_EQ(list["items"][0]["tax_rows"], 4);
  EXPECT_EQ(list["items"][0]["by_kind"]["tax_only"], 1);
  auto raw = a->get_raw(fmt::format("/api/v1/reconciliations/{}", id));
  ASSERT_EQ(raw.first, 200) << raw.second;
  EXPECT_FALSE(has_full_id(raw.second));
  auto [sk, one] = a->get(fmt::format("/api/v1/reconciliations/{}?kind=amount_differs", id));
  ASSERT_EQ(sk, 200);
  ASSERT_EQ(one["items"].size(), 1u);
  EXPECT_EQ(one["items"][0]["tax"]["amount_fen"], 30000);
  EXPECT_EQ(one["items"][0]["platform"]["individual_fen"], 38000);
  EXPECT_EQ(one["mismatches"], 2);
  EXPECT_EQ(a->get(fmt::format("/api/v1/reconciliations/{}?kind=nonsense", id)).first, 400);
  auto [sp, pj] = a->get(fmt::format("/api/v1/reconciliations/{}?page=2&page_size=1", id));
  ASSERT_EQ(pj["items"].size(), 1u);
  EXPECT_EQ(pj["total"], 2);
  EXPECT_EQ(pj["items"][0]["kind"], run["items"][1]["kind"]);
  auto [sx, xl] = a->get_raw(fmt::format("/api/v1/reconciliations/{}?format=xlsx", id));
  EXPECT_EQ(sx, 200);
  EXPECT_TRUE(is_xlsx(xl));

  // The missing payment recorded through the ledger, the same inputs again.
  pay(*a, "rc-4", fx.persons[3].id_number, "tax_hall");
  auto [sr, again] = tax->post(fmt::format("/api/v1/reconciliations/{}/rerun", id), json::object());
  ASSERT_EQ(sr, 201) << again.dump();
  EXPECT_EQ(again["inputs_from"], id);
  EXPECT_EQ(again["by_kind"]["tax_only"], 0);
  EXPECT_EQ(again["by_kind"]["amount_differs"], 1);
  EXPECT_EQ(again["mismatches"], 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'reconciliation.rerun'"), 1);

  // Roles and scope.
  auto d = as("dept");
  EXPECT_EQ(d->get(fmt::format("/api/v1/reconciliations/{}", id)).first, 403);
  EXPECT_EQ(d->get("/api/v1/reconciliations?year=2024").first, 403);
  EXPECT_EQ(d->post_multipart("/api/v1/reconciliations", items).first, 403);
  auto va = as("va");
  EXPECT_EQ(va->get(fmt::format("/api/v1/reconciliations/{}", id)).first, 403);
  auto au = as("aud");
  EXPECT_EQ(au->get(fmt::format("/api/v1/reconciliations/{}", id)).first, 200);
  EXPECT_EQ(au->post(fmt::format("/api/v1/reconciliations/{}/rerun", id), json::object()).first, 403);
  auto tw = as("tw");  // township inside 贵池: a county run is not its to see
  EXPECT_EQ(tw->get(fmt::format("/api/v1/reconciliations/{}", id)).first, 404);
  auto tj = as("tax_jc");  // 晋城 tax bureau
  EXPECT_EQ(tj->get(fmt::format("/api/v1/reconciliations/{}", id)).first, 404);
  EXPECT_EQ(tj->post(fmt::format("/api/v1/reconciliations/{}/rerun", id), json::object()).first, 404);
  auto [sj, lj] = tj->get("/api/v1/reconciliations?year=2024");
  EXPECT_EQ(lj["items"].size(), 0u);
  httplib::MultipartFormDataItems other = {{"tax", csv, "tax.csv", "text/csv"}, {"under", "341702", "", ""}};
  EXPECT_EQ(tj->post_multipart("/api/v1/reconciliations", other).first, 404);
  // Bad requests: no tax file; a file without the required columns.
  auto [sb, eb] = tax->post_multipart("/api/v1/reconciliations", {{"year", "2024", "", ""}});
  EXPECT_EQ(sb, 400);
  EXPECT_EQ(eb["error"]["field"], "tax");
  auto [sc, ec] = tax->post_multipart("/api/v1/reconciliations", {{"tax", "a,b\n1,2\n", "tax.csv", "text/csv"}});
  EXPECT_EQ(sc, 422) << ec.dump();
  EXPECT_EQ(ec["error"]["code"], "bad_file");
  EXPECT_EQ(count("SELECT COUNT(*) FROM reconciliation_runs"), 2);
}

TEST_P(CampaignApi, VillageUsersStayInTheirVillage) {
  auto va = as("va");
  const std::string other = fx.villages[1].str();
  for (std::string p : {"/api/v1/progress?under=", "/api/v1/progress/weekly?under=", "/api/v1/progress/channels?under=",
                        "/api/v1/reports/progress?under=", "/api/v1/reports/weekly?under=", "/api/v1/funds?under=",
                        "/api/v1/funds/subsidies?under=", "/api/v1/notices?village=", "/api/v1/lists/unpaid?village=",
                        "/api/v1/lists/newborns?village="}) {
    auto [s, e] = va->get(p + other + "&year=2024");
    EXPECT_EQ(s, 404) << p;
    EXPECT_EQ(e["error"]["code"], "not_found") << p;
    EXPECT_EQ(va->get(p + fx.villages[0].str() + "&year=2024").first, 200) << p;
  }
  // The own village by default.
  auto [s, p] = va->get("/api/v1/reports/progress?year=2024");
  ASSERT_EQ(s, 200);
  EXPECT_EQ(p["region"], fx.villages[0].str());
  EXPECT_EQ(p["total"]["enrolled"], 12);
  Client anon(port);
  EXPECT_EQ(anon.get("/api/v1/funds?year=2024").first, 401);
}

INSTANTIATE_TEST_SUITE_P(Engines, CampaignApi, ::testing::Values("sqlite", "postgresql"));

}  // namespace
