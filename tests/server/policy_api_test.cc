// Policy API (list, readable policy with cites, diff, what-if over the
// registry) and the registry endpoints of issue 6 (pinyin search, newborn,
// suspension, move, import templates, gzip static files), over real HTTP on
// SQLite and, when CANBAO_PG_URL is set, PostgreSQL.
#include <gtest/gtest.h>
#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/id_number.h"
#include "io/table.h"
#include "server/auth.h"
#include "support/fixture.h"
#include "server/server.h"
#include "store/sql_store.h"
#include "client.h"

using json = nlohmann::json;
using namespace canbao;

namespace {

using testing_server::Client;

std::string make_id(const std::string& region6, const char* ymd, int seq) {
  std::string s17 = fmt::format("{}{}{:03d}", region6, ymd, seq);
  return s17 + IdNumber::check_char(s17);
}

class PolicyApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string test_name() const {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? char(std::tolower(ch)) : '_';
    return name;
  }
  store::OpenOptions open_options() const {
    store::OpenOptions oo;
    if (GetParam() == "postgresql") oo.pg_schema = "pol_" + test_name().substr(0, 40);
    return oo;
  }
  void SetUp() override {
    if (GetParam() == "postgresql" && !std::getenv("CANBAO_PG_URL")) GTEST_SKIP() << "CANBAO_PG_URL not set";
    namespace fs = std::filesystem;
    tmp = fs::temp_directory_path() / "canbao-policy-api-tests" / test_name();
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    store::OpenOptions oo = open_options();
    if (GetParam() == "postgresql") {
      url = std::getenv("CANBAO_PG_URL");
      auto s = store::open_store(url, oo);
      dynamic_cast<store::detail::SqlStore&>(*s).sql_script("DROP SCHEMA IF EXISTS " + oo.pg_schema + " CASCADE");
    } else {
      url = (tmp / "t.db").string();
    }
    {
      auto st = store::open_store(url, oo);
      fx = server::make_fixture(*st, 3, 2, 4);  // 贵池: 3 villages × 5 persons (4 enrolled)
      auto add = [&](std::string u, std::string role, RegionCode scope) {
        server::User x;
        x.username = u;
        x.role = role;
        x.scope = scope;
        server::create_user(*st, x, "pw-" + u + "-123", "test", false);
      };
      add("admin", "admin", {});
      add("aud", "auditor", {});
      add("va", "village", fx.villages[0]);
      add("vb", "village", fx.villages[1]);
      // Two 低保 persons certified before 贵池's list day (2023-08-31), one after it.
      auto cat = [&](const std::string& id, const char* from) {
        store::PersonCategory c;
        c.person = id;
        c.category = Category::minimum_living;
        c.source = "民政局";
        c.as_of = Date::from_ymd(2023, 8, 31);
        c.valid_from = Date::parse(from);
        c.region = *RegionCode::parse("341702");
        st->add_categories(std::span<const store::PersonCategory>(&c, 1));
      };
      cat(fx.persons[0].id_number, "2023-05-01");
      cat(fx.persons[5].id_number, "2023-06-01");
      cat(fx.persons[9].id_number, "2023-10-01");  // too late for 2024
      // A person with a name to find by pinyin initials, in village 0.
      store::Person z;
      z.id_number = make_id("341702", "19900305", 77);
      z.name = "张三丫";
      z.birth = Date::from_ymd(1990, 3, 5);
      z.household = "HZ-1";
      z.hukou = fx.villages[0];
      store::Household h{"HZ-1", fx.villages[0], z.id_number};
      auto tx = st->transaction();
      st->put_households(std::span<const store::Household>(&h, 1));
      st->put_persons(std::span<const store::Person>(&z, 1));
      tx.commit();
      zhang = z.id_number;
    }
    // A web UI directory: a large script (gzip) and the index.
    {
      fs::create_directories(tmp / "web" / "assets");
      std::ofstream(tmp / "web" / "index.html") << "<!doctype html><title>canbao</title>";
      std::ofstream js(tmp / "web" / "assets" / "app.js");
      for (int i = 0; i < 2000; ++i) js << "export const v" << i << " = '城乡居民基本医疗保险 " << i << "';\n";
    }
    server::ServerOptions o;
    o.db = url;
    o.open = oo;
    o.port = 0;
    o.policies_dir = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
    o.web_dir = (tmp / "web").string();
    o.today = Date::from_ymd(2023, 11, 20);
    o.threads = 16;
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
  std::unique_ptr<Client> as(const std::string& user) {
    auto c = std::make_unique<Client>(port);
    EXPECT_TRUE(c->login(user, "pw-" + user + "-123")) << user;
    return c;
  }
  int64_t count(const std::string& sql_text, std::vector<store::detail::Param> ps = {}) {
    auto oo = open_options();
    oo.migrate = false;
    auto st = store::open_store(url, oo);
    int64_t n = 0;
    dynamic_cast<store::detail::SqlStore&>(*st).sql_query_span(sql_text, ps,
                                                           [&](const store::detail::RowView& v) { n = v.i(0); });
    return n;
  }

  std::filesystem::path tmp;
  std::string url, zhang;
  server::Fixture fx;
  std::unique_ptr<server::Server> srv;
  std::thread th;
  int port = 0;
};

TEST_P(PolicyApiTest, ListsTheFiveSeedPoliciesWithDocuments) {
  auto a = as("va");
  auto [s, j] = a->get("/api/v1/policies");
  ASSERT_EQ(s, 200) << j.dump();
  std::map<std::string, std::string> docs;
  for (auto& p : j["items"]) docs[p["id"]] = p["document"];
  for (const char* id : {"guichi-2024", "jincheng-2024", "urad-front-banner-2024", "xiaoling-2024", "xinchengzi-2024"}) {
    ASSERT_TRUE(docs.count(id)) << id;
    EXPECT_FALSE(docs[id].empty()) << id;
  }
  EXPECT_EQ(docs["guichi-2024"], "贵医保组〔2023〕1号");
  EXPECT_EQ(docs["jincheng-2024"], "晋市医保发〔2023〕10号");
  EXPECT_EQ(a->get("/api/v1/policies/nope-2024").first, 404);
  Client anon(port);
  EXPECT_EQ(anon.get("/api/v1/policies").first, 401);
}

TEST_P(PolicyApiTest, PolicyShowsEverySubsidyRuleWithItsCite) {
  auto a = as("va");
  auto [s, p] = a->get("/api/v1/policies/guichi-2024");
  ASSERT_EQ(s, 200) << p.dump();
  EXPECT_EQ(p["standard_fen"], 38000);
  EXPECT_EQ(p["fiscal_fen"], 64000);
  EXPECT_EQ(p["standard_cite"], "贵医保组〔2023〕1号 附件1 三");
  EXPECT_EQ(p["coverage"]["start"], "2024-01-01");
  ASSERT_GE(p["subsidies"].size(), 8u);
  for (auto& r : p["subsidies"]) {
    EXPECT_EQ(r["cite"].get<std::string>().rfind("贵医保组〔2023〕1号", 0), 0u) << r.dump();
    EXPECT_FALSE(r["condition"].get<std::string>().empty());
    EXPECT_FALSE(r["payers"].empty());
  }
  json mlv;
  for (auto& r : p["subsidies"])
    if (r["id"] == "minimum_living_veteran") mlv = r;
  ASSERT_FALSE(mlv.is_null());
  EXPECT_EQ(mlv["amount_fen"], 34200);
  EXPECT_EQ(mlv["individual_fen"], 3800);
  EXPECT_EQ(mlv["payers"][0]["payer"], "区财政");
  EXPECT_EQ(mlv["payers"][0]["fen"], 34200);
  EXPECT_EQ(mlv["mode"], "paid_on_behalf");
  EXPECT_EQ(mlv["categories"], json::array({"minimum_living", "entitled_veteran"}));
  EXPECT_EQ(mlv["as_of"], "2023-08-31");
  // The reading chosen where the document is open comes with its rule.
  bool noted = false;
  for (auto& r : p["subsidies"])
    if (r["id"] == "aged_80") noted = r["note"].get<std::string>().find("含当日") != std::string::npos;
  EXPECT_TRUE(noted);
  ASSERT_FALSE(p["windows"].empty());
  EXPECT_EQ(p["windows"][0]["open"], "2023-09-10");
}

// Issue 12 §13: every part of the file, as new keys next to the old ones.
TEST_P(PolicyApiTest, PolicyShowsEligibilityRefundFamilyAccountAndRemarks) {
  auto a = as("va");
  std::map<std::string, json> p;
  for (const char* id : {"guichi-2024", "jincheng-2024", "urad-front-banner-2024", "xiaoling-2024", "xinchengzi-2024"}) {
    auto [s, j] = a->get(std::string("/api/v1/policies/") + id);
    ASSERT_EQ(s, 200) << j.dump();
    for (auto key : {"eligibility", "refund", "family_account", "remarks"}) EXPECT_TRUE(j.contains(key)) << id << " " << key;
    EXPECT_FALSE(j["eligibility"]["text"].get<std::string>().empty()) << id;
    EXPECT_NE(j["eligibility"]["text"].get<std::string>().find("职工医保"), std::string::npos) << id;
    EXPECT_EQ(j["eligibility"]["excluded"], json::array({"employee_insured"})) << id;
    p[id] = j;
  }
  // 乌政办发〔2023〕81号 三 "进入待遇享受期不予退费".
  auto& u = p["urad-front-banner-2024"];
  EXPECT_EQ(u["refund"]["rule"], "not_after_coverage_start");
  EXPECT_NE(u["refund"]["text"].get<std::string>().find("不予退费"), std::string::npos) << u["refund"].dump();
  EXPECT_NE(u["refund"]["note"].get<std::string>().find("不予退费"), std::string::npos) << u["refund"].dump();
  ASSERT_EQ(u["remarks"].size(), 2u) << u["remarks"].dump();
  EXPECT_EQ(u["remarks"][1]["cite"], "乌政办发〔2023〕81号 方案 五 注");
  EXPECT_NE(u["remarks"][1]["note"].get<std::string>().find("方可自主缴费"), std::string::npos);
  EXPECT_EQ(p["guichi-2024"]["refund"]["rule"], "unspecified");
  EXPECT_TRUE(p["guichi-2024"]["remarks"].empty());
  // 晋市医保发〔2023〕10号 三(三) 家庭共济账户缴费.
  auto& fam = p["jincheng-2024"]["family_account"];
  EXPECT_EQ(fam["allowed"], true) << fam.dump();
  EXPECT_EQ(fam["cite"], "晋市医保发〔2023〕10号 三(三)");
  EXPECT_NE(fam["text"].get<std::string>().find("家庭共济账户"), std::string::npos) << fam.dump();
  EXPECT_EQ(p["guichi-2024"]["family_account"]["allowed"], false);
  // 贵池 百岁/80岁 go by birth date and hukou: no list day; 低保 keeps 三.9's.
  for (auto& r : p["guichi-2024"]["subsidies"]) {
    if (r["id"] == "centenarian" || r["id"] == "aged_80") {
      EXPECT_TRUE(r["as_of"].is_null()) << r.dump();
      EXPECT_TRUE(r["list_as_of"].is_null()) << r.dump();
    }
    if (r["id"] == "minimum_living_veteran") {
      EXPECT_EQ(r["list_as_of"], "2023-08-31");
    }
  }
  // 城政字〔2024〕21号 五(二) 先缴后补: the person pays the full 400 first.
  auto& x = p["xinchengzi-2024"]["subsidies"][0];
  EXPECT_EQ(x["mode"], "reimbursed");
  EXPECT_EQ(x["individual_fen"], 40000) << x.dump();
  EXPECT_NE(x["individual_text"].get<std::string>().find("个人先缴 400.00"), std::string::npos) << x.dump();
  EXPECT_EQ(p["xinchengzi-2024"]["remarks"][0]["cite"], "城政字〔2024〕21号 四(三)");
}

TEST_P(PolicyApiTest, DiffGuichiJinchengSameStandardDifferentSubsidies) {
  auto a = as("aud");
  auto [s, d] = a->get("/api/v1/policies/diff?a=guichi-2024&b=jincheng-2024");
  ASSERT_EQ(s, 200) << d.dump();
  ASSERT_FALSE(d["rows"].empty());
  bool standard_same = false;
  int subsidy_differs = 0;
  for (auto& r : d["rows"]) {
    std::string sec = r["section"];
    if (sec == "个人缴费标准")
      standard_same = !r["differs"].get<bool>() && r["left"] == "380.00" && r["right"] == "380.00";
    if (sec.rfind("资助", 0) == 0 && r["differs"].get<bool>()) ++subsidy_differs;
  }
  EXPECT_TRUE(standard_same) << d.dump(1);
  EXPECT_GE(subsidy_differs, 1) << d.dump(1);
  EXPECT_EQ(a->get("/api/v1/policies/diff?a=guichi-2024").first, 400);
  EXPECT_EQ(a->get("/api/v1/policies/diff?a=guichi-2024&b=nope").first, 404);
}

TEST_P(PolicyApiTest, WhatIfMovesExactlyTheChangedSubsidy) {
  auto a = as("admin");
  json req = {{"policy", "guichi-2024"}, {"changes", {{{"rule", "guichi.minimum_living_veteran"}, {"amount_fen", 30000}}}}};
  auto [s, w] = a->post("/api/v1/policies/whatif", req);
  ASSERT_EQ(s, 200) << w.dump();
  // 贵池: 3 villages × 5 persons + 张三丫; two 低保 persons certified in time.
  EXPECT_EQ(w["persons"], 16);
  EXPECT_EQ(w["scope"], "341702");
  EXPECT_EQ(w["base"]["eligible"], 16);
  EXPECT_EQ(w["base"]["subsidised"], 2);
  EXPECT_EQ(w["base"]["by_payer"]["区财政"], 2 * 34200);
  EXPECT_EQ(w["variant"]["by_payer"]["区财政"], 2 * 30000);
  EXPECT_EQ(w["individual_change_fen"], 2 * 4200);
  EXPECT_EQ(w["variant"]["individual_total_fen"].get<int64_t>() - w["base"]["individual_total_fen"].get<int64_t>(), 8400);
  EXPECT_EQ(w["base"]["individual_total_fen"], 14 * 38000 + 2 * 3800);
  EXPECT_EQ(w["due_changed"], 2);
  EXPECT_EQ(w["pay_more"], 2);
  EXPECT_EQ(w["pay_less"], 0);
  ASSERT_EQ(w["payers"].size(), 1u);
  EXPECT_EQ(w["payers"][0]["change_fen"], -8400);
  EXPECT_TRUE(w["moves"].empty());  // the same rule still wins, for less
  EXPECT_EQ(w["changes"][0]["from_fen"], 34200);
  // Removing it moves the two persons off the rule.
  auto [s2, w2] = a->post("/api/v1/policies/whatif",
                          {{"policy", "guichi-2024"}, {"changes", {{{"rule", "minimum_living_veteran"}, {"amount_fen", 0}}}}});
  ASSERT_EQ(s2, 200) << w2.dump();
  EXPECT_EQ(w2["individual_change_fen"], 2 * 34200);
  // The auditor may; a village collector may not; bad rules and amounts are refused.
  auto au = as("aud");
  EXPECT_EQ(au->post("/api/v1/policies/whatif", req).first, 200);
  auto va = as("va");
  EXPECT_EQ(va->post("/api/v1/policies/whatif", req).first, 403);
  auto [s3, e3] = a->post("/api/v1/policies/whatif",
                          {{"policy", "guichi-2024"}, {"changes", {{{"rule", "nope"}, {"amount_fen", 1}}}}});
  EXPECT_EQ(s3, 422);
  EXPECT_EQ(e3["error"]["code"], "unknown_rule");
  EXPECT_EQ(a->post("/api/v1/policies/whatif",
                    {{"policy", "guichi-2024"}, {"changes", {{{"rule", "aged_80"}, {"amount_fen", 38001}}}}})
                .first,
            422);
}

TEST_P(PolicyApiTest, PinyinInitialsFindAPerson) {
  auto va = as("va");
  auto [s, j] = va->get("/api/v1/persons?q=zsy");
  ASSERT_EQ(s, 200) << j.dump();
  ASSERT_EQ(j["total"], 1) << j.dump();
  EXPECT_EQ(j["items"][0]["name"], "张*丫");
  EXPECT_EQ(va->get("/api/v1/persons?q=ZS").second["total"], 1);
  EXPECT_EQ(va->get("/api/v1/persons?q=zsa").second["total"], 0);
  // 测试N: c, s — the village's 5 fixture persons.
  EXPECT_EQ(va->get("/api/v1/persons?q=cs").second["total"], 5);
  // Out of scope: village B does not find 张三丫.
  EXPECT_EQ(as("vb")->get("/api/v1/persons?q=zsy").second["total"], 0);
  // Names by characters still work.
  EXPECT_EQ(va->get("/api/v1/persons?q=" + httplib::detail::encode_query_param("张三")).second["total"], 1);
}

TEST_P(PolicyApiTest, NewbornJoinsAnEnrolledHouseholdAudited) {
  auto va = as("va");
  std::string hid = fmt::format("HF{}-{:06d}", fx.villages[0].str(), 0);  // enrolled member fx.persons[0]
  std::string baby = make_id("341702", "20231101", 11);
  auto [s, j] = va->post("/api/v1/households/" + hid + "/members",
                         {{"id_number", baby}, {"name", "张小宝"}, {"birth", "2023-11-01"}, {"parent_insured", true}});
  ASSERT_EQ(s, 201) << j.dump();
  EXPECT_EQ(j["person"]["name"], "张*宝");
  EXPECT_EQ(j["person"]["household"], hid);
  ASSERT_FALSE(j["person"]["enrollment"].is_null()) << j.dump();
  EXPECT_EQ(j["person"]["enrollment"]["place"], fx.villages[0].str());
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'birth'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments WHERE person = ?", {baby}), 1);
  // Again: refused, nothing more written.
  auto [s2, j2] = va->post("/api/v1/households/" + hid + "/members", {{"id_number", baby}, {"name", "张小宝"}});
  EXPECT_EQ(s2, 422) << j2.dump();
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'birth'"), 1);
  // Birth date must agree with the ID; another village's household is not found.
  EXPECT_EQ(va->post("/api/v1/households/" + hid + "/members",
                     {{"id_number", make_id("341702", "20231102", 12)}, {"name", "李四"}, {"birth", "2023-11-01"}})
                .first,
            400);
  std::string other = fmt::format("HF{}-{:06d}", fx.villages[1].str(), 0);
  EXPECT_EQ(va->post("/api/v1/households/" + other + "/members",
                     {{"id_number", make_id("341702", "20231102", 13)}, {"name", "李四"}})
                .first,
            404);
}

TEST_P(PolicyApiTest, SuspendAndMoveAreAudited) {
  auto va = as("va");
  const auto& p = fx.persons[1];
  auto [s0, pj] = va->get("/api/v1/persons/" + p.id_number);
  ASSERT_EQ(s0, 200);
  int64_t eid = pj["enrollments"][0]["id"];
  EXPECT_EQ(va->post(fmt::format("/api/v1/enrollments/{}/suspend", eid), json::object()).first, 400);  // no reason
  auto vb = as("vb");
  EXPECT_EQ(vb->post(fmt::format("/api/v1/enrollments/{}/suspend", eid), {{"reason", "x"}}).first, 404);
  auto [s, j] = va->post(fmt::format("/api/v1/enrollments/{}/suspend", eid), {{"reason", "迁往外省参保"}, {"date", "2023-11-15"}});
  ASSERT_EQ(s, 200) << j.dump();
  EXPECT_EQ(j["enrollment"]["status"], "suspended");
  EXPECT_EQ(j["enrollment"]["ended_on"], "2023-11-15");
  EXPECT_EQ(j["enrollment"]["reason"], "迁往外省参保");
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'suspend' AND entity_id = ?", {std::to_string(eid)}), 1);
  EXPECT_EQ(va->post(fmt::format("/api/v1/enrollments/{}/suspend", eid), {{"reason", "again"}}).first, 422);

  // Move fx.persons[2] into 张三丫's household, then into a new household in village 0.
  const auto& m = fx.persons[2];
  auto [s2, j2] = va->post("/api/v1/persons/" + m.id_number + "/move", {{"household", "HZ-1"}});
  ASSERT_EQ(s2, 200) << j2.dump();
  EXPECT_EQ(j2["person"]["household"], "HZ-1");
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'move_person'"), 1);
  EXPECT_EQ(va->post("/api/v1/persons/" + m.id_number + "/move", {{"household", "NEW-1"}}).first, 422);  // no region
  auto [s3, j3] = va->post("/api/v1/persons/" + m.id_number + "/move",
                           {{"household", "NEW-1"}, {"region", fx.villages[0].str()}});
  ASSERT_EQ(s3, 200) << j3.dump();
  EXPECT_EQ(j3["person"]["household"], "NEW-1");
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'create_household'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'move_person'"), 2);
  // Into another village's household: not visible to this collector.
  std::string other = fmt::format("HF{}-{:06d}", fx.villages[1].str(), 0);
  EXPECT_EQ(va->post("/api/v1/persons/" + m.id_number + "/move", {{"household", other}}).first, 404);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'move_person'"), 2);
}

TEST_P(PolicyApiTest, ImportTemplatesAndProblemReportsAreXlsx) {
  auto a = as("admin");
  for (const char* kind : {"roster", "subsidy_list", "employee_roster", "targets", "payments"}) {
    auto r = a->raw(std::string("/api/v1/imports/templates/") + kind);
    ASSERT_TRUE(r) << kind;
    ASSERT_EQ(r->status, 200) << kind;
    ASSERT_GE(r->body.size(), 4u);
    EXPECT_EQ(r->body.substr(0, 4), std::string("PK\x03\x04", 4)) << kind;
    auto path = tmp / (std::string(kind) + ".xlsx");
    std::ofstream(path, std::ios::binary) << r->body;
    auto t = io::open_table(path.string());
    ASSERT_FALSE(t->header().empty());
    EXPECT_EQ(t->header()[0], std::string(std::string(kind) == "targets" ? "单位" : std::string(kind) == "subsidy_list" ? "部门" : "身份证号")) << kind;
  }
  EXPECT_EQ(a->get("/api/v1/imports/templates/nope").first, 404);

  // A roster with one bad row → a rejected batch whose problems download as .xlsx.
  std::string csv = "身份证号,姓名,户号,户籍地区划\n" + make_id("341702", "19800101", 1) + ",王五,H9," +
                    fx.villages[0].str() + "\n341702198001010000,赵六,H9," + fx.villages[0].str() + "\n";
  httplib::MultipartFormDataItems items = {{"file", csv, "bad.csv", "text/csv"}};
  auto r = a->c.Post("/api/v1/imports/roster", a->headers(true), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto rep = json::parse(r->body);
  int64_t batch = rep["batch_id"];
  ASSERT_GT(rep["rows_rejected"].get<int64_t>(), 0) << r->body;
  auto [sl, list] = a->get("/api/v1/imports");
  ASSERT_EQ(sl, 200);
  EXPECT_EQ(list["items"][0]["filename"], "bad.csv");
  EXPECT_EQ(list["items"][0]["actor"], "admin");
  EXPECT_FALSE(list["items"][0]["created_at"].get<std::string>().empty());
  auto x = a->raw(fmt::format("/api/v1/imports/{}/problems.xlsx", batch));
  ASSERT_TRUE(x);
  ASSERT_EQ(x->status, 200);
  EXPECT_EQ(x->body.substr(0, 4), std::string("PK\x03\x04", 4));
  auto path = tmp / "problems.xlsx";
  std::ofstream(path, std::ios::binary) << x->body;
  auto t = io::open_table(path.string());
  EXPECT_EQ(t->header()[0], "行号");
  io::Row row;
  int rows = 0;
  while (t->next(row)) ++rows;
  EXPECT_EQ(rows, rep["problems"].size());
  EXPECT_EQ(as("vb")->raw(fmt::format("/api/v1/imports/{}/problems.xlsx", batch))->status, 404);
}

TEST_P(PolicyApiTest, StaticFilesGzipWhenAccepted) {
  std::string plain;
  {
    std::ifstream in(tmp / "web" / "assets" / "app.js", std::ios::binary);
    plain.assign(std::istreambuf_iterator<char>(in), {});
  }
  httplib::Client c("127.0.0.1", port);
  c.set_decompress(false);
  auto r = c.Get("/assets/app.js", httplib::Headers{{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  ASSERT_GE(r->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(r->body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(r->body[1]), 0x8b);
  EXPECT_LT(r->body.size(), plain.size() / 3);
  std::string back;
  httplib::detail::gzip_decompressor z;
  ASSERT_TRUE(z.decompress(r->body.data(), r->body.size(), [&](const char* d, size_t n) {
    back.append(d, n);
    return true;
  }));
  EXPECT_TRUE(back == plain);
  // Served again from the cache, byte for byte.
  auto r2 = c.Get("/assets/app.js", httplib::Headers{{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(r2);
  EXPECT_TRUE(r2->body == r->body);
  // Not accepted → the file as is.
  auto r3 = c.Get("/assets/app.js", httplib::Headers{{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->get_header_value("Content-Encoding"), "");
  EXPECT_TRUE(r3->body == plain);
  auto r4 = c.Get("/assets/app.js", httplib::Headers{{"Accept-Encoding", "gzip;q=0"}});
  ASSERT_TRUE(r4);
  EXPECT_TRUE(r4->body == plain);
}

TEST_P(PolicyApiTest, SmallThingsNamesAndRegionNames) {
  auto va = as("va");
  auto [s, me] = va->get("/api/v1/auth/me");
  ASSERT_EQ(s, 200);
  EXPECT_EQ(me["user"]["region_name"], "第1村");
  auto a = as("admin");
  auto [su, users] = a->get("/api/v1/users");
  ASSERT_EQ(su, 200);
  bool named = false;
  for (auto& u : users["items"])
    if (u["username"] == "vb") named = u["region_name"] == "第2村";
  EXPECT_TRUE(named) << users.dump();
  const auto& p = fx.persons[3];
  json pay = {{"idempotency_key", "n-1"}, {"person", p.id_number}, {"year", 2024}, {"amount_fen", 38000}, {"channel", "wechat"}};
  auto [sp, pr] = va->post("/api/v1/payments", pay);
  ASSERT_EQ(sp, 201) << pr.dump();
  auto [sl, list] = va->get("/api/v1/payments");
  ASSERT_EQ(sl, 200);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["name"], mask_name(p.name));
  auto [s1, one] = va->get(fmt::format("/api/v1/payments/{}", pr["payment"]["id"].get<int64_t>()));
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(one["payment"]["name"], mask_name(p.name));
  auto [sh, hh] = va->get("/api/v1/households/HZ-1");
  ASSERT_EQ(sh, 200);
  EXPECT_EQ(hh["region_name"], "第1村");
  EXPECT_EQ(hh["members"][0]["deceased"], false);
}

INSTANTIATE_TEST_SUITE_P(Engines, PolicyApiTest, ::testing::Values("sqlite", "postgresql"));

}  // namespace
