// Ledger without HTTP: amounts in words, receipts, tax-file import
// idempotency, group commit under concurrency.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/id_number.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "support/fixture.h"
#include "store/sql_store.h"

using namespace canbao;

namespace {

TEST(AmountWords, Chinese) {
  EXPECT_EQ(ledger::amount_words(38000), "叁佰捌拾元整");
  EXPECT_EQ(ledger::amount_words(18000), "壹佰捌拾元整");
  EXPECT_EQ(ledger::amount_words(3800), "叁拾捌元整");
  EXPECT_EQ(ledger::amount_words(40000), "肆佰元整");
  EXPECT_EQ(ledger::amount_words(0), "零元整");
  EXPECT_EQ(ledger::amount_words(1005), "壹拾元零伍分");
  EXPECT_EQ(ledger::amount_words(10050), "壹佰元伍角");
  EXPECT_EQ(ledger::amount_words(100000000), "壹佰万元整");
}

TEST(Channels, NhsaCodes) {
  EXPECT_EQ(ledger::find_channel("school")->clct_way, "04");
  EXPECT_EQ(ledger::find_channel("village_collector")->clct_way, "05");
  EXPECT_EQ(ledger::find_channel("family_account")->clct_way, "31");
  EXPECT_EQ(ledger::find_channel("nope"), nullptr);
}

struct LedgerFixture : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          fmt::format("canbao-ledger-test-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = (dir / "l.db").string();
    {
      auto st = store::open_store(db);
      fx = server::make_fixture(*st, 2, 1, 20);
    }
    pool = std::make_unique<ledger::StorePool>(db, store::OpenOptions{}, 4);
    policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
    led = std::make_unique<ledger::Ledger>(*pool, policies);
  }
  void TearDown() override {
    led.reset();
    pool.reset();
    std::filesystem::remove_all(dir);
  }
  int64_t count(const std::string& q) {
    auto l = pool->lease();
    int64_t n = 0;
    dynamic_cast<store::detail::SqlStore&>(*l).sql_query(q, {}, [&](const store::detail::RowView& v) { n = v.i(0); });
    return n;
  }
  std::filesystem::path dir;
  std::string db;
  server::Fixture fx;
  std::unique_ptr<ledger::StorePool> pool;
  ledger::PolicySet policies;
  std::unique_ptr<ledger::Ledger> led;
  Date today = Date::from_ymd(2023, 11, 20);
};

TEST_F(LedgerFixture, TaxImportIsIdempotentAndReportsMismatches) {
  auto csv = dir / "tax.csv";
  {
    std::ofstream o(csv);
    o << "身份证号,姓名,电子税票号码,缴费金额,缴费时间\n";
    o << fx.persons[0].id_number << "," << fx.persons[0].name << ",T0001,380.00,2023-11-02 10:00:00\n";
    o << fx.persons[1].id_number << "," << fx.persons[1].name << ",T0002,300.00,2023-11-02\n";  // wrong amount
    o << "123," << "某某" << ",T0003,380.00,2023-11-02\n";                                      // bad ID
    o << fx.persons[2].id_number << ",别人,T0004,380.00,2023-11-02\n";                         // name mismatch
    o << fx.persons[3].id_number << "," << fx.persons[3].name << ",T0005,380.00,20231103\n";
  }
  ledger::Actor tax{"tax", "tax", {}, ""};
  auto r1 = ledger::import_tax_payments(*led, tax, csv.string(), 2024, today);
  EXPECT_EQ(r1.rows_total, 5);
  EXPECT_EQ(r1.rows_written, 2);
  EXPECT_EQ(r1.rows_rejected, 3);
  ASSERT_EQ(r1.problems.size(), 3u);
  EXPECT_NE(r1.problems[0].reason.find("应缴 380.00 元"), std::string::npos) << r1.problems[0].reason;
  for (auto& p : r1.problems) EXPECT_EQ(p.value.find(fx.persons[1].id_number), std::string::npos);
  auto r2 = ledger::import_tax_payments(*led, tax, csv.string(), 2024, today);
  EXPECT_TRUE(r2.already_imported);
  EXPECT_EQ(r2.rows_written, 0);
  EXPECT_EQ(r2.rows_replayed, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE external_txn = 'T0001' AND clct_way = '02'"), 1);
}

TEST_F(LedgerFixture, GroupCommitBatchesConcurrentPayments) {
  ledger::Actor admin;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  const size_t n = 40;
  for (size_t t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (size_t i = t; i < n; i += 8) {
        ledger::PaymentRequest r;
        r.idempotency_key = fmt::format("g-{}", i);
        r.person = fx.persons[i].id_number;
        r.year = 2024;
        r.amount_fen = 38000;
        r.channel = "wechat";
        auto o = led->pay(admin, r, today);
        if (o.ok) ok++;
        else ADD_FAILURE() << o.refusal.message;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), int(n));
  auto s = led->stats();
  EXPECT_EQ(s.writes, int64_t(n));
  EXPECT_LE(s.batches, s.writes);
  // Receipts per region (贵池 and 晋城) and year are 1..k.
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), int64_t(n));
  EXPECT_EQ(count("SELECT MAX(receipt_seq) FROM payments WHERE receipt_region = 341702000000"),
            count("SELECT COUNT(*) FROM payments WHERE receipt_region = 341702000000"));
  // Verification codes are stable and depend on the fields.
  ledger::Row r;
  {
    auto l = pool->lease();
    r = *led->row(*l, admin, 1);
  }
  EXPECT_EQ(led->verify_code(r), r.verify_code);
  r.amount_fen += 1;
  EXPECT_NE(led->verify_code(r), r.verify_code);
}

// Issue 10: a request with the same idempotency key arriving between the
// first's checks and its commit must answer the first result (a replay), not
// "already paid" / "already reversed". The interleaving is forced with the
// ledger's test hooks, so the test does not depend on timing: the second
// request starts when the first is prepared; if it gets past the key lookup
// (the old race) it is held there until the first has committed.
struct Interleave {
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, second_reached = false, first_committed = false;
  std::thread second;
  std::function<ledger::Outcome()> second_call;
  ledger::Outcome second_out;
  static inline thread_local bool is_second = false;

  ledger::LedgerOptions options() {
    ledger::LedgerOptions o;
    o.after_commit = [this] {
      std::lock_guard lk(mu);
      first_committed = true;
      cv.notify_all();
    };
    o.test_hook = [this](std::string_view stage) {
      std::unique_lock lk(mu);
      if (!armed) return;
      if (!is_second && stage == "prepared" && !second.joinable()) {
        second = std::thread([this] {
          is_second = true;
          second_out = second_call();
        });
        cv.wait_for(lk, std::chrono::seconds(10), [&] { return second_reached; });
      } else if (is_second && (stage == "key_absent" || stage == "key_pending")) {
        second_reached = true;
        cv.notify_all();
        if (stage == "key_absent") cv.wait_for(lk, std::chrono::seconds(10), [&] { return first_committed; });
      }
    };
    return o;
  }
  void arm(std::function<ledger::Outcome()> call) {
    std::lock_guard lk(mu);
    second_call = std::move(call);
    armed = true;
    first_committed = false;
  }
  void join() {
    if (second.joinable()) second.join();
    std::lock_guard lk(mu);
    armed = false;
  }
};

TEST_F(LedgerFixture, SameKeyArrivingBeforeTheFirstCommitsIsAReplay) {
  Interleave il;
  led.reset();
  led = std::make_unique<ledger::Ledger>(*pool, policies, il.options());
  ledger::Actor admin;
  ledger::PaymentRequest r;
  r.idempotency_key = "race-pay";
  r.person = fx.persons[2].id_number;
  r.year = 2024;
  r.amount_fen = 38000;
  r.channel = "village_collector";
  il.arm([&] { return led->pay(admin, r, today); });
  auto first = led->pay(admin, r, today);
  il.join();
  ASSERT_TRUE(first.ok) << first.refusal.message;
  EXPECT_FALSE(first.replayed);
  ASSERT_TRUE(il.second_reached);
  EXPECT_TRUE(il.second_out.ok) << il.second_out.refusal.code << " " << il.second_out.refusal.message;
  EXPECT_TRUE(il.second_out.replayed);
  EXPECT_EQ(il.second_out.row.id, first.row.id);
  EXPECT_NE(il.second_out.row.id, 0);
  EXPECT_EQ(il.second_out.row.receipt_no, first.row.receipt_no);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE idem_key = 'race-pay'"), 1);

  // The same for a reversal of that payment.
  il.second_reached = false;
  il.second = std::thread();
  il.arm([&] { return led->reverse(admin, first.row.id, "录入错误", "race-rev", today); });
  auto rev = led->reverse(admin, first.row.id, "录入错误", "race-rev", today);
  il.join();
  ASSERT_TRUE(rev.ok) << rev.refusal.message;
  ASSERT_TRUE(il.second_reached);
  EXPECT_TRUE(il.second_out.ok) << il.second_out.refusal.code << " " << il.second_out.refusal.message;
  EXPECT_TRUE(il.second_out.replayed);
  EXPECT_EQ(il.second_out.row.id, rev.row.id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'reversal' AND idem_key = 'race-rev'"), 1);

  // A different key for the same person is still "already paid" once paid.
  ledger::PaymentRequest again = r;
  again.idempotency_key = "race-pay-2";
  ASSERT_TRUE(led->pay(admin, again, today).ok);
  again.idempotency_key = "race-pay-3";
  auto dup = led->pay(admin, again, today);
  EXPECT_FALSE(dup.ok);
  EXPECT_EQ(dup.refusal.code, "already_paid");
}

// Many same-key rounds in one run (the stress variant of the HTTP test).
TEST_F(LedgerFixture, SameKeyStressManyRounds) {
  ledger::Actor admin;
  for (int round = 0; round < 12; ++round) {
    ledger::PaymentRequest r;
    r.idempotency_key = fmt::format("stress-{}", round);
    r.person = fx.persons[size_t(round)].id_number;
    r.year = 2024;
    r.amount_fen = 38000;
    r.channel = "wechat";
    std::vector<ledger::Outcome> outs(16);
    std::vector<std::thread> ts;
    for (size_t i = 0; i < outs.size(); ++i) ts.emplace_back([&, i] { outs[i] = led->pay(admin, r, today); });
    for (auto& t : ts) t.join();
    int fresh = 0;
    for (auto& o : outs) {
      ASSERT_TRUE(o.ok) << "round " << round << ": " << o.refusal.code << " " << o.refusal.message;
      EXPECT_EQ(o.row.id, outs[0].row.id);
      EXPECT_NE(o.row.id, 0);
      fresh += !o.replayed;
    }
    EXPECT_EQ(fresh, 1) << "round " << round;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 12);
}

// Issue 12 item 6 — 乌政办发〔2023〕81号 方案 五 注: "断保或新参保人员（2023年前未在乌拉特前旗参加
// 居民医保的人员）经医保经办机构或…服务站（点）进行参保登记后，方可进行自主缴费". The registry
// knows who was insured here last year from that year's enrollments.
TEST_F(LedgerFixture, NewOrLapsedMustRegisterBeforePayingByThemselves) {
  const RegionCode village = *RegionCode::parse("150823100201");
  auto id_of = [](int seq) {
    std::string s17 = fmt::format("15082319800101{:03d}", seq);
    return s17 + IdNumber::check_char(s17);
  };
  const std::string fresh = id_of(11), renewing = id_of(21), late = id_of(31), early = id_of(41);
  {
    auto st = store::open_store(db);
    std::vector<store::Household> hs;
    std::vector<store::Person> ps;
    for (auto& id : {fresh, renewing, late, early}) {
      store::Person p;
      p.id_number = id;
      p.name = "乌拉特" + id.substr(14, 3);
      p.birth = Date::from_ymd(1980, 1, 1);
      p.household = "HU" + id.substr(14, 3);
      p.hukou = village;
      hs.push_back({p.household, village, id});
      ps.push_back(p);
    }
    auto tx = st->transaction();
    st->put_households(hs);
    st->put_persons(ps);
    auto enroll = [&](const std::string& id, int year, std::optional<Date> reg, std::optional<Date> paid) {
      store::Enrollment e;
      e.person = id;
      e.year = year;
      e.place = village;
      e.status = paid ? store::EnrollmentStatus::paid : store::EnrollmentStatus::registered;
      e.registered_on = reg;
      e.paid_on = paid;
      st->add_enrollment(e);
    };
    enroll(renewing, 2023, Date::from_ymd(2022, 10, 1), Date::from_ymd(2022, 10, 1));  // 续费: insured here last year
    enroll(late, 2024, Date::from_ymd(2023, 11, 10), std::nullopt);                    // new, registered 11-10
    enroll(early, 2024, Date::from_ymd(2023, 10, 1), std::nullopt);                    // new, registered 10-01
    tx.commit();
  }
  ledger::Actor admin;
  auto pay = [&](const std::string& id, const char* channel, Date day) {
    ledger::PaymentRequest r;
    r.idempotency_key = fmt::format("reg-{}-{}-{}", id, channel, day.str());
    r.person = id;
    r.year = 2024;
    r.amount_fen = 40000;
    r.channel = channel;
    r.paid_on = day;
    return led->pay(admin, r, today);
  };
  // New, not registered for the year, paying on WeChat: refused with the document's words.
  auto o = pay(fresh, "wechat", today);
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.refusal.kind, ErrorKind::refused);
  EXPECT_EQ(o.refusal.code, "registration_required");
  EXPECT_NE(o.refusal.message.find("断保或新参保人员"), std::string::npos) << o.refusal.message;
  EXPECT_NE(o.refusal.message.find("乌政办发〔2023〕81号 方案 五 注"), std::string::npos) << o.refusal.message;
  EXPECT_EQ(nlohmann::json::parse(o.refusal.details)["cite"], "乌政办发〔2023〕81号 方案 五 注");
  EXPECT_EQ(pay(fresh, "tax_hall", today).refusal.code, "registration_required");
  // A renewing resident without this year's enrollment gets the general refusal.
  EXPECT_EQ(pay(renewing, "wechat", today).refusal.code, "not_enrolled");
  // Registered on 11-10: a self-service payment dated 11-05 is refused, from 11-10 on it is taken.
  auto before = pay(late, "alipay", Date::from_ymd(2023, 11, 5));
  EXPECT_EQ(before.refusal.code, "registration_required") << before.refusal.message;
  EXPECT_NE(before.refusal.message.find("早于参保登记日期 2023-11-10"), std::string::npos) << before.refusal.message;
  auto after = pay(late, "alipay", Date::from_ymd(2023, 11, 10));
  EXPECT_TRUE(after.ok) << after.refusal.code << " " << after.refusal.message;
  // Registered first: paid by themselves without trouble.
  auto ok = pay(early, "wechat", today);
  EXPECT_TRUE(ok.ok) << ok.refusal.code << " " << ok.refusal.message;
}

}  // namespace

namespace {

// Issue 12, item 8: where 肖岭's document names no department for a subsidy
// (民政办 only provides the lists), the amount stands and the person pays
// their share, but no 代缴 row is written for a payer that does not exist,
// and nobody can record a subsidy under the placeholder name.
TEST_F(LedgerFixture, UnconfiguredPayerWritesNoDepartmentRow) {
  const RegionCode village = *RegionCode::parse("421223200201");
  std::string id;
  {
    auto l = pool->lease();
    auto& st = *l;
    st.put_regions(std::vector<store::Region>{{*RegionCode::parse("421223"), "崇阳县"},
                                              {*RegionCode::parse("421223200"), "肖岭乡"},
                                              {village, "白马村"}});
    const std::string s17 = "42122319700505012";  // born 1970-05-05 in 崇阳县
    id = s17 + IdNumber::check_char(s17);
    store::Person p;
    p.id_number = id;
    p.name = "低保户";
    p.birth = Date::from_ymd(1970, 5, 5);
    p.household = "HX-1";
    p.hukou = village;
    auto tx = st.transaction();
    st.put_households(std::vector<store::Household>{{p.household, village, id}});
    st.put_persons(std::vector<store::Person>{p});
    store::Enrollment e;
    e.person = id;
    e.year = 2024;
    e.place = village;
    e.status = store::EnrollmentStatus::registered;
    e.registered_on = Date::from_ymd(2023, 10, 20);
    st.add_enrollment(e);
    store::PersonCategory pc;
    pc.person = id;
    pc.category = Category::minimum_living;
    pc.source = "roster";
    pc.region = village;
    st.add_categories(std::span(&pc, 1));
    tx.commit();
  }
  ledger::Actor admin;
  ledger::PaymentRequest r;
  r.idempotency_key = "xl-dibao";
  r.person = id;
  r.year = 2024;
  r.amount_fen = 3800;  // 380 − 342
  r.channel = "village_collector";
  auto o = led->pay(admin, r, today);
  ASSERT_TRUE(o.ok) << o.refusal.code << " " << o.refusal.message;
  EXPECT_TRUE(o.children.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'subsidy'"), 0);
  ledger::SubsidyRequest s;
  s.idempotency_key = "xl-dibao-sub";
  s.person = id;
  s.year = 2024;
  s.amount_fen = 34200;
  s.payer_name = "需本地配置";
  auto so = led->subsidy(admin, s, today);
  EXPECT_FALSE(so.ok);
  EXPECT_EQ(so.refusal.code, "not_eligible");
}

}  // namespace
