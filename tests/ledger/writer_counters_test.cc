// The set-based ledger writer (issue 15) keeps the progress counters itself:
// per batch it adds the deltas of its rows while the payment and enrollment
// triggers stand aside (migration 8). After mixed batches — payments with
// 代缴 children, a subsidy recorded first, reversals (with and without
// children), whole households, refusals inside the writer, replays, and
// writes of all kinds sharing one writer transaction — the counters must equal
// the recount and the ledger's own sums, on both engines; and a write by
// other code afterwards is still counted by its trigger.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "campaign/progress.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "store/sql_store.h"
#include "store/store_fixture.h"
#include "support/fixture.h"

using namespace canbao;

namespace {

constexpr int kYear = 2024;
constexpr int64_t kFull = 38000;      // 贵池 individual standard, no subsidy
constexpr int64_t kDibao = 3800;      // minimum_living: 380 − 342 (区财政 代缴)
constexpr int64_t kMonitored = 19000;  // monitored: 380 − 190

class WriterCounters : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      if (canbao::testing::pg_url().empty()) GTEST_SKIP() << "CANBAO_PG_URL not set";
      url_ = canbao::testing::pg_url();
      oo_.pg_schema = schema_ = canbao::testing::unique_name("canbao_w");
    } else {
      dir_ = std::filesystem::temp_directory_path() / canbao::testing::unique_name("canbao-writer-counters-");
      std::filesystem::create_directories(dir_);
      url_ = (dir_ / "w.db").string();
    }
    {
      auto st = store::open_store(url_, oo_);
      fx_ = server::make_fixture(*st, 1, 0, 40);
      auto tx = st->transaction();
      std::vector<store::PersonCategory> cs;
      for (size_t i = 0; i < 16; ++i) {
        store::PersonCategory pc;
        pc.person = fx_.persons[i].id_number;
        pc.category = i < 10 ? Category::minimum_living : Category::monitored;
        pc.source = "roster";
        pc.region = fx_.persons[i].village;
        cs.push_back(pc);
      }
      st->add_categories(cs);
      // Persons 20–22 become one household.
      std::vector<store::Person> ps;
      for (size_t i = 20; i < 23; ++i) {
        auto p = st->person(fx_.persons[i].id_number);
        p->household = "HW";
        ps.push_back(*p);
      }
      st->put_households(std::vector<store::Household>{{"HW", fx_.villages[0], ps[0].id_number, ""}});
      st->put_persons(ps);
      tx.commit();
    }
    pool_ = std::make_unique<ledger::StorePool>(url_, oo_, 4);
    policies_ = ledger::PolicySet::load_dir(std::string(CANBAO_SOURCE_DIR) + "/policies/2024");
    led_ = std::make_unique<ledger::Ledger>(*pool_, policies_);
  }
  void TearDown() override {
    led_.reset();
    pool_.reset();
    if (!schema_.empty()) canbao::testing::pg_drop_schema(schema_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  const std::string& id(size_t i) const { return fx_.persons.at(i).id_number; }
  ledger::PaymentRequest pay(const std::string& key, size_t person, int64_t fen) const {
    ledger::PaymentRequest r;
    r.idempotency_key = key;
    r.person = id(person);
    r.year = kYear;
    r.amount_fen = fen;
    r.channel = "wechat";
    return r;
  }
  int64_t q1(const std::string& sql) {
    auto l = pool_->lease();
    int64_t n = 0;
    dynamic_cast<store::detail::SqlStore&>(*l).sql_query(sql, {}, [&](const store::detail::RowView& v) {
      n = v.null(0) ? 0 : v.i(0);
    });
    return n;
  }
  // The counters against the recount, and the county's totals against the
  // ledger's and the enrollments' own sums.
  void expect_counted(const std::string& when) {
    SCOPED_TRACE(when);
    auto l = pool_->lease();
    EXPECT_EQ(campaign::verify_counters(*l, kYear), std::vector<std::string>{});
    auto t = campaign::counter_totals(*l, *RegionCode::parse("341702"), kYear);
    const std::string y = std::to_string(kYear);
    EXPECT_EQ(t.registered, q1("SELECT COUNT(*) FROM enrollments WHERE year = " + y +
                               " AND status IN ('registered', 'paid')"));
    EXPECT_EQ(t.paid, q1("SELECT COUNT(*) FROM enrollments WHERE year = " + y + " AND status = 'paid'"));
    EXPECT_EQ(t.collected_fen,
              q1("SELECT SUM(amount) FROM payments WHERE year = " + y + " AND payer_kind <> 'department'"));
    EXPECT_EQ(t.subsidy_fen, q1("SELECT SUM(amount) FROM payments WHERE year = " + y + " AND payer_kind = 'department'"));
    EXPECT_EQ(t.subsidised, q1("SELECT COUNT(DISTINCT p.person) FROM payments p WHERE p.year = " + y +
                               " AND p.kind = 'subsidy' AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)"));
  }

  std::string url_, schema_;
  store::OpenOptions oo_;
  std::filesystem::path dir_;
  server::Fixture fx_;
  std::unique_ptr<ledger::StorePool> pool_;
  ledger::PolicySet policies_;
  std::unique_ptr<ledger::Ledger> led_;
  ledger::Actor admin_;
  Date today_ = Date::from_ymd(2023, 11, 20);
};

TEST_P(WriterCounters, MixedBatchesKeepCountersEqualToTheRecount) {
  expect_counted("fixture");
  const auto paid_before = q1("SELECT COUNT(*) FROM enrollments WHERE status = 'paid'");

  // A department records its 代缴 line for person 5 before the person pays.
  ledger::SubsidyRequest s;
  s.idempotency_key = "sub-5";
  s.person = id(5);
  s.year = kYear;
  s.amount_fen = kFull - kDibao;
  s.payer_name = "区财政";
  auto so = led_->subsidy(admin_, s, today_);
  ASSERT_TRUE(so.ok) << so.refusal.code << " " << so.refusal.message;
  expect_counted("subsidy first");

  // One batch: payments with and without 代缴 children, the person whose line
  // was recorded (no second child), two keys for one person (the writer
  // refuses the second), and an amount refused before the writer.
  std::vector<ledger::PaymentRequest> rs = {pay("b1-0", 0, kDibao),      pay("b1-1", 1, kDibao),
                                            pay("b1-5", 5, kDibao),      pay("b1-10", 10, kMonitored),
                                            pay("b1-11", 11, kMonitored), pay("b1-25", 25, kFull),
                                            pay("b1-26", 26, kFull),     pay("b1-30a", 30, kFull),
                                            pay("b1-30b", 30, kFull),    pay("b1-31", 31, kFull + 1)};
  auto outs = led_->pay_batch(admin_, rs, today_);
  ASSERT_EQ(outs.size(), rs.size());
  for (size_t i = 0; i < 8; ++i) ASSERT_TRUE(outs[i].ok) << i << " " << outs[i].refusal.code << " " << outs[i].refusal.message;
  EXPECT_EQ(outs[8].refusal.code, "already_paid");
  EXPECT_EQ(outs[9].refusal.code, "wrong_amount");
  EXPECT_EQ(outs[0].children.size(), 1u);
  EXPECT_TRUE(outs[2].children.empty());  // recorded first by the department
  EXPECT_EQ(outs[3].children.size(), 1u);
  // Children written under their parent, ids and receipts distinct.
  EXPECT_EQ(outs[0].children[0].parent, outs[0].row.id);
  EXPECT_GT(outs[0].children[0].id, outs[0].row.id);
  EXPECT_NE(outs[0].row.receipt_no, outs[1].row.receipt_no);
  EXPECT_EQ(q1("SELECT COUNT(*) FROM enrollments WHERE status = 'paid'"), paid_before + 8);
  expect_counted("first batch");

  // Writes of every kind queued together share writer transactions: a
  // household (all-or-nothing), a batch with a replay and a new payment,
  // reversals with and without children, a second subsidy for person 6.
  ledger::HouseholdPaymentRequest h;
  h.idempotency_key = "hw";
  h.household = "HW";
  h.year = kYear;
  h.channel = "village_collector";
  h.members = {id(20), id(21), id(22)};
  std::sort(h.members.begin(), h.members.end());
  ledger::HouseholdOutcome ho;
  std::vector<ledger::Outcome> outs2;
  ledger::Outcome rv0, rv25, so6;
  {
    std::vector<std::thread> ts;
    ts.emplace_back([&] { ho = led_->pay_household(admin_, h, today_); });
    ts.emplace_back([&] {
      std::vector<ledger::PaymentRequest> again = {pay("b1-1", 1, kDibao), pay("b2-2", 2, kDibao),
                                                   pay("b2-12", 12, kMonitored), pay("b2-27", 27, kFull)};
      outs2 = led_->pay_batch(admin_, again, today_);
    });
    ts.emplace_back([&] { rv0 = led_->reverse(admin_, outs[0].row.id, "录错人员", "rv-0", today_); });
    ts.emplace_back([&] { rv25 = led_->reverse(admin_, outs[5].row.id, "重复收费", "rv-25", today_); });
    ts.emplace_back([&] {
      ledger::SubsidyRequest s6 = s;
      s6.idempotency_key = "sub-6";
      s6.person = id(6);
      so6 = led_->subsidy(admin_, s6, today_);
    });
    for (auto& t : ts) t.join();
  }
  ASSERT_TRUE(ho.ok) << ho.refusal.code << " " << ho.refusal.message;
  EXPECT_EQ(ho.members.size(), 3u);
  ASSERT_EQ(outs2.size(), 4u);
  EXPECT_TRUE(outs2[0].ok && outs2[0].replayed);
  for (size_t i = 1; i < 4; ++i) EXPECT_TRUE(outs2[i].ok) << outs2[i].refusal.message;
  ASSERT_TRUE(rv0.ok) << rv0.refusal.message;
  EXPECT_EQ(rv0.children.size(), 1u);  // the 代缴 child reversed with its payment
  ASSERT_TRUE(rv25.ok) << rv25.refusal.message;
  ASSERT_TRUE(so6.ok) << so6.refusal.message;
  expect_counted("mixed writes");

  // Reversed, person 0 pays again (a new 代缴 child); the department's own
  // line of person 5 is reversed (the person stays paid, no subsidy left).
  auto again0 = led_->pay(admin_, pay("b3-0", 0, kDibao), today_);
  ASSERT_TRUE(again0.ok) << again0.refusal.message;
  EXPECT_EQ(again0.children.size(), 1u);
  auto rvs = led_->reverse(admin_, so.row.id, "资助名单有误", "rv-sub-5", today_);
  ASSERT_TRUE(rvs.ok) << rvs.refusal.message;
  auto twice = led_->reverse(admin_, outs[5].row.id, "重复收费", "rv-25-again", today_);
  EXPECT_EQ(twice.refusal.code, "already_reversed");
  expect_counted("paid again, subsidy reversed");
  EXPECT_GT(q1("SELECT COUNT(*) FROM payments WHERE kind = 'reversal' AND payer_kind = 'department'"), 1);

  // Other writers keep their triggers: the writer's switch did not outlive
  // its transactions.
  {
    auto l = pool_->lease();
    auto before = campaign::counter_totals(*l, *RegionCode::parse("341702"), kYear);
    auto es = l->enrollments_of(id(39), kYear);
    ASSERT_EQ(es.size(), 1u);
    es[0].status = store::EnrollmentStatus::cancelled;
    auto tx = l->transaction();
    l->update_enrollment(es[0]);
    tx.commit();
    auto after = campaign::counter_totals(*l, *RegionCode::parse("341702"), kYear);
    EXPECT_EQ(after.registered, before.registered - 1);
  }
  if (GetParam() == "sqlite") EXPECT_EQ(q1("SELECT COUNT(*) FROM progress_by_writer"), 0);
  expect_counted("an enrollment cancelled by the registry");
}

INSTANTIATE_TEST_SUITE_P(Engines, WriterCounters, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& i) { return i.param; });

}  // namespace
