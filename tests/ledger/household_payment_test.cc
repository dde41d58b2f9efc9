// The whole-household payment inside the writer (issue 14): a member paid by
// someone else between the household's checks and its transaction refuses the
// whole household there — the recheck runs for every member before any row.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "core/id_number.h"
#include "ledger/household_due.h"
#include "ledger/ledger.h"
#include "store/sql_store.h"
#include "support/fixture.h"

using namespace canbao;

namespace {

struct HouseholdLedger : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          fmt::format("canbao-household-ledger-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = (dir / "l.db").string();
    auto st = store::open_store(db);
    fx = server::make_fixture(*st, 1, 0, 4);
    // Two enrolled persons of the fixture become one household.
    std::vector<store::Person> ps;
    for (size_t i = 0; i < 2; ++i) {
      auto p = st->person(fx.persons[i].id_number);
      p->household = "HX";
      ps.push_back(*p);
    }
    auto tx = st->transaction();
    st->put_households(std::vector<store::Household>{{"HX", fx.villages[0], ps[0].id_number, ""}});
    st->put_persons(ps);
    tx.commit();
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

TEST_F(HouseholdLedger, MemberPaidMeanwhileRefusesTheWholeHousehold) {
  pool = std::make_unique<ledger::StorePool>(db, store::OpenOptions{}, 4);
  policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
  ledger::Actor admin;
  bool sneaked = false;
  ledger::LedgerOptions o;
  // When the household is prepared (checked, not yet queued), the second
  // member pays alone: the writer must then refuse the household whole.
  o.test_hook = [&](std::string_view stage) {
    if (stage != "prepared" || sneaked) return;
    sneaked = true;
    ledger::PaymentRequest r;
    r.idempotency_key = "alone";
    r.person = fx.persons[1].id_number;
    r.year = 2024;
    r.amount_fen = 38000;
    r.channel = "wechat";
    auto out = led->pay(admin, r, today);
    ASSERT_TRUE(out.ok) << out.refusal.message;
  };
  led = std::make_unique<ledger::Ledger>(*pool, policies, o);
  ledger::HouseholdPaymentRequest h;
  h.idempotency_key = "hx-1";
  h.household = "HX";
  h.year = 2024;
  h.channel = "village_collector";
  auto out = led->pay_household(admin, h, today);
  ASSERT_TRUE(sneaked);
  ASSERT_FALSE(out.ok);
  EXPECT_EQ(out.refusal.code, "already_paid");
  EXPECT_EQ(out.failed_member, fx.persons[1].id_number);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 1);  // the lone payment only
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE person = '" + fx.persons[0].id_number + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments WHERE status = 'paid'"), 1);
  // Nothing is stored under the household key: a retry pays the member who still owes.
  h.idempotency_key = "hx-2";
  h.members = {fx.persons[0].id_number};
  auto again = led->pay_household(admin, h, today);
  ASSERT_TRUE(again.ok) << again.refusal.message;
  ASSERT_EQ(again.members.size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment'"), 2);
}

// One reading of "who owes" (household_due): after the window has closed, an
// enrolled adult cannot pay while the newborn of the same household still may
// (新生儿出生90天内, 贵池 附件1 四.1). The default members of 整户缴费 are the
// card's 待缴费 members — the newborn — and the adult, who cannot pay that day,
// does not block the household as "selective".
TEST_F(HouseholdLedger, WindowClosedMemberNeitherPaysNorBlocksTheNewborn) {
  pool = std::make_unique<ledger::StorePool>(db, store::OpenOptions{}, 4);
  policies = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
  const Date born = Date::from_ymd(2024, 2, 10), day = Date::from_ymd(2024, 3, 1);
  const std::string s17 = fx.villages[0].str().substr(0, 6) + "20240210031";
  const std::string baby = s17 + IdNumber::check_char(s17);
  {
    auto st = store::open_store(db);
    store::Person p;
    p.id_number = baby;
    p.name = "新生儿";
    p.birth = born;
    p.household = "HX";
    p.hukou = fx.villages[0];
    auto tx = st->transaction();
    st->put_persons(std::vector<store::Person>{p});
    store::Enrollment e;
    e.person = baby;
    e.year = 2024;
    e.place = fx.villages[0];
    e.status = store::EnrollmentStatus::registered;
    e.registered_on = Date::from_ymd(2024, 2, 20);
    st->add_enrollment(e);
    tx.commit();
  }
  // The second fixture member pays before the window closes: the household is
  // then one paid adult, one enrolled unpaid adult, one newborn.
  led = std::make_unique<ledger::Ledger>(*pool, policies);
  ledger::Actor admin;
  ledger::PaymentRequest early;
  early.idempotency_key = "early";
  early.person = fx.persons[1].id_number;
  early.year = 2024;
  early.amount_fen = 38000;
  early.channel = "wechat";
  ASSERT_TRUE(led->pay(admin, early, Date::from_ymd(2023, 11, 20)).ok);

  auto l = pool->lease();
  auto due = ledger::household_due(*l, policies, admin, "HX", 2024, day);
  ASSERT_TRUE(due);
  std::map<std::string, ledger::DueStatus> st;
  for (auto& m : due->members) st[m.person.id_number] = m.status;
  EXPECT_EQ(st[fx.persons[0].id_number], ledger::DueStatus::cannot_pay);
  EXPECT_EQ(st[fx.persons[1].id_number], ledger::DueStatus::paid);
  ASSERT_EQ(st[baby], ledger::DueStatus::owing);

  ledger::HouseholdPaymentRequest h;
  h.idempotency_key = "hx-newborn";
  h.household = "HX";
  h.year = 2024;
  h.channel = "village_collector";
  auto out = led->pay_household(admin, h, day);
  ASSERT_TRUE(out.ok) << out.refusal.code << " " << out.refusal.message;
  ASSERT_EQ(out.members.size(), 1u);
  EXPECT_EQ(out.members[0].row.person, baby);
  int64_t sum = 0;
  for (auto& m : due->members)
    if (m.status == ledger::DueStatus::owing) sum += *m.individual_due_fen;
  EXPECT_EQ(out.members[0].row.amount_fen, sum);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE kind = 'payment' AND person = '" + fx.persons[0].id_number + "'"), 0);
}

}  // namespace
