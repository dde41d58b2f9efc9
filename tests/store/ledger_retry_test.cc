// The ledger writer after a lost connection (fail-over): a batch whose COMMIT
// reached the database but whose answer was lost is run again, finds its
// payments by their idempotency keys and answers them as replays — never a
// second row, receipts stay gap-free; a store that stays unavailable gets
// store::Unavailable (HTTP 503), and the client's retry with the same key gets
// the first result. SQLite: the writer's logic is the same on both engines
// (tests/failover/failover.sh runs it against a real PostgreSQL fail-over).
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>

#include "core/id_number.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "store/sql_store.h"
#include "store_fixture.h"

using namespace canbao;

namespace {

struct LedgerRetry : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / canbao::testing::unique_name("canbao_ledger_retry");
    std::filesystem::create_directories(dir);
    db = (dir / "l.db").string();
    {
      auto st = store::open_store(db);
      RegionCode village = *RegionCode::parse("341702100201");
      st->put_regions(std::vector<store::Region>{{*RegionCode::parse("341702"), "贵池区"},
                                                 {*RegionCode::parse("341702100"), "梅街镇"},
                                                 {village, "第1村"}});
      auto tx = st->transaction();
      for (int k = 0; k < 3; ++k) {
        std::string s17 = fmt::format("341702196{}0101{:03d}", k, 10 + k);
        std::string id = s17 + IdNumber::check_char(s17);
        store::Person p;
        p.id_number = id;
        p.name = fmt::format("测试{}", k);
        p.birth = Date::from_ymd(1960 + k, 1, 1);
        p.household = fmt::format("HR-{}", k);
        p.hukou = village;
        st->put_households(std::vector<store::Household>{{p.household, village, id}});
        st->put_persons(std::vector<store::Person>{p});
        store::Enrollment e;
        e.person = id;
        e.year = 2024;
        e.place = village;
        e.registered_on = Date::from_ymd(2023, 9, 1);
        st->add_enrollment(e);
        ids.push_back(id);
      }
      tx.commit();
    }
    pool = std::make_unique<ledger::StorePool>(db, store::OpenOptions{}, 2);
    policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
    ledger::LedgerOptions lo;
    lo.store_retry = std::chrono::milliseconds(400);
    lo.after_commit = [this] {
      if (lose_answers > 0) {
        --lose_answers;
        throw store::Unavailable("injected: COMMIT applied, answer lost with the connection");
      }
    };
    led = std::make_unique<ledger::Ledger>(*pool, policies, lo);
  }
  void TearDown() override {
    led.reset();
    pool.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  int64_t count(const std::string& q) {
    auto l = pool->lease();
    int64_t n = 0;
    dynamic_cast<store::detail::SqlStore&>(*l).sql_query(q, {}, [&](const store::detail::RowView& v) { n = v.i(0); });
    return n;
  }
  ledger::PaymentRequest req(int k, std::string key) {
    ledger::PaymentRequest r;
    r.idempotency_key = std::move(key);
    r.person = ids.at(size_t(k));
    r.year = 2024;
    r.amount_fen = 38000;  // 贵池 2024: 380 元 for an adult without a category
    r.channel = "wechat";
    return r;
  }
  std::filesystem::path dir;
  std::string db;
  std::vector<std::string> ids;
  std::unique_ptr<ledger::StorePool> pool;
  ledger::PolicySet policies;
  std::unique_ptr<ledger::Ledger> led;
  std::atomic<int> lose_answers{0};
  Date today = Date::from_ymd(2023, 11, 20);
  ledger::Actor admin;
};

}  // namespace

TEST_F(LedgerRetry, CommitWhoseAnswerWasLostIsFoundByItsKeyNotWrittenTwice) {
  lose_answers = 1;
  auto o = led->pay(admin, req(0, "lost-ack-1"), today);
  ASSERT_TRUE(o.ok) << o.refusal.message;
  EXPECT_TRUE(o.replayed);  // the rerun found the committed row
  EXPECT_EQ(o.row.receipt_seq, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE idem_key = 'lost-ack-1'"), 1);
  // The next payment continues the receipt numbers without a gap.
  auto o2 = led->pay(admin, req(1, "lost-ack-2"), today);
  ASSERT_TRUE(o2.ok) << o2.refusal.message;
  EXPECT_FALSE(o2.replayed);
  EXPECT_EQ(o2.row.receipt_seq, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 2);
}

TEST_F(LedgerRetry, StoreThatStaysUnavailableAnswers503AndTheRetryGetsTheFirstResult) {
  lose_answers = 1000;  // every attempt within the 400 ms window loses its answer
  EXPECT_THROW(led->pay(admin, req(2, "down-1"), today), store::Unavailable);
  lose_answers = 0;
  // The client retries with the same key: the payment that did commit, once.
  auto o = led->pay(admin, req(2, "down-1"), today);
  ASSERT_TRUE(o.ok) << o.refusal.message;
  EXPECT_TRUE(o.replayed);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE idem_key = 'down-1'"), 1);
}
