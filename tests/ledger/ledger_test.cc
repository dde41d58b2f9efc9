// Ledger without HTTP: amounts in words, receipts, tax-file import
// idempotency, group commit under concurrency.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "server/fixture.h"
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

}  // namespace
