// PostgreSQL connections that break under canbao (fail-over, server restart):
// the store throws store::Unavailable, reconnect() gives a working connection
// in the same schema, and a StorePool lease hands out only usable
// connections. The backend is killed with pg_terminate_backend from a second
// connection — what a dying primary looks like to libpq. Needs CANBAO_PG_URL.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <string>

#include "ledger/pool.h"
#include "store/sql_store.h"
#include "store/store.h"
#include "store_fixture.h"

using namespace canbao;
using namespace canbao::store;
using canbao::testing::pg_url;

namespace {

RegionCode R(const char* s) { return *RegionCode::parse(s); }

int64_t backend_pid(Store& st) {
  int64_t pid = 0;
  dynamic_cast<detail::SqlStore&>(st).sql_query("SELECT pg_backend_pid()", {},
                                                [&](const detail::RowView& r) { pid = r.i(0); });
  return pid;
}

// Terminates a backend from a second connection and waits until it has exited.
void kill_backend(int64_t pid) {
  PGconn* c = PQconnectdb(pg_url().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  std::string sql = "SELECT pg_terminate_backend(" + std::to_string(pid) + ", 5000)";
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) == "t";
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  ASSERT_TRUE(ok) << err;
}

class PgReconnect : public ::testing::Test {
 protected:
  void SetUp() override {
    if (pg_url().empty())
      GTEST_SKIP() << "PostgreSQL tests skipped: CANBAO_PG_URL is not set (eval \"$(.ci/pg.sh start)\")";
    db_ = std::make_unique<canbao::testing::TestDb>("postgresql");
    st_ = db_->open();
    st_->put_regions(std::vector<Region>{{R("341702"), "贵池区"}});
  }
  void TearDown() override {
    st_.reset();
    db_.reset();
  }
  std::unique_ptr<canbao::testing::TestDb> db_;
  std::unique_ptr<Store> st_;
};

}  // namespace

TEST_F(PgReconnect, KilledBackendThrowsUnavailableAndReconnectWorks) {
  int64_t pid = backend_pid(*st_);
  kill_backend(pid);
  try {
    st_->put_regions(std::vector<Region>{{R("341702100"), "梅村镇"}});
    FAIL() << "a statement on a killed backend succeeded";
  } catch (const Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("PostgreSQL"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(st_->broken());
  st_->reconnect();
  EXPECT_FALSE(st_->broken());
  EXPECT_NE(backend_pid(*st_), pid);
  // Same schema (search_path redone), fresh statement cache (the cached
  // statements of the dead session are prepared again on first use).
  auto r = st_->region(R("341702"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "贵池区");
  st_->put_regions(std::vector<Region>{{R("341702100"), "梅村镇"}});
  EXPECT_EQ(st_->regions_under(R("341702")).size(), 2u);
}

TEST_F(PgReconnect, UnavailableIsAStoreError) {
  kill_backend(backend_pid(*st_));
  EXPECT_THROW(st_->region(R("341702")), StoreError);  // old catch sites still catch it
}

TEST_F(PgReconnect, IdleConnectionClosedByTheServerIsSeenAsBroken) {
  EXPECT_FALSE(st_->broken());
  kill_backend(backend_pid(*st_));
  EXPECT_TRUE(st_->broken());  // no statement sent: the closed socket is read without blocking
  st_->reconnect();
  EXPECT_TRUE(st_->region(R("341702")));
}

TEST_F(PgReconnect, TransactionIsLostWholeAndNeverContinuedOnANewConnection) {
  {
    auto tx = st_->transaction();
    st_->put_regions(std::vector<Region>{{R("341702100"), "梅村镇"}});
    kill_backend(backend_pid(*st_));
    EXPECT_THROW(st_->put_regions(std::vector<Region>{{R("341702101"), "某镇"}}), Unavailable);
    // Still inside the dead transaction: refused, not run on a fresh connection.
    EXPECT_THROW(st_->put_regions(std::vector<Region>{{R("341702102"), "某乡"}}), Unavailable);
    EXPECT_THROW(tx.commit(), StoreError);  // rolled back, nothing committed
  }
  // Between transactions the store reconnects before the next statement
  // (nothing of it was sent on the dead connection); nothing of the lost
  // transaction is there.
  EXPECT_FALSE(st_->region(R("341702100")));
  EXPECT_FALSE(st_->region(R("341702101")));
  EXPECT_FALSE(st_->region(R("341702102")));
  EXPECT_TRUE(st_->region(R("341702")));
  // And transactions work again.
  {
    auto tx = st_->transaction();
    st_->put_regions(std::vector<Region>{{R("341702100"), "梅村镇"}});
    tx.commit();
  }
  EXPECT_TRUE(st_->region(R("341702100")));
}

TEST_F(PgReconnect, PoolLeaseAfterAKilledBackendIsUsable) {
  OpenOptions opt;
  opt.pg_schema = canbao::testing::unique_name("canbao_pool");
  struct Drop {
    std::string s;
    ~Drop() { canbao::testing::pg_drop_schema(s); }
  } drop{opt.pg_schema};
  ledger::StorePool pool(pg_url(), opt, 2);
  int64_t a = 0, b = 0;
  {
    auto l1 = pool.lease();
    auto l2 = pool.lease();
    l1->put_regions(std::vector<Region>{{R("341702"), "贵池区"}});
    a = backend_pid(*l1);
    b = backend_pid(*l2);
  }
  // Connection a: killed while a statement runs on it (the statement throws).
  // Connection b: killed while idle in the pool.
  {
    auto l = pool.lease();
    int64_t pid = backend_pid(*l);
    kill_backend(pid);
    EXPECT_THROW(l->region(R("341702")), Unavailable);
    kill_backend(pid == a ? b : a);
  }
  for (int k = 0; k < 4; ++k) {
    auto l1 = pool.lease();
    auto l2 = pool.lease();
    for (auto* l : {&l1, &l2}) {
      auto r = (*l)->region(R("341702"));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->name, "贵池区");
      int64_t pid = backend_pid(l->get());
      EXPECT_NE(pid, a);
      EXPECT_NE(pid, b);
    }
  }
}

TEST(PgConnect, RefusedConnectionIsUnavailableButBadCredentialsAreNot) {
  if (pg_url().empty()) GTEST_SKIP() << "PostgreSQL tests skipped: CANBAO_PG_URL is not set";
  // Nothing listens on port 1: what a dead primary looks like to a new connection.
  EXPECT_THROW(open_store("postgresql://canbao@127.0.0.1:1/canbao?connect_timeout=2"), Unavailable);
  // A database that does not exist is a configuration error: retrying will not help.
  std::string url = pg_url();
  auto slash = url.find('/', url.find("://") + 3);
  ASSERT_NE(slash, std::string::npos);
  std::string bad = url.substr(0, slash) + "/canbao_no_such_database";
  try {
    open_store(bad);
    FAIL() << "opened a database that does not exist";
  } catch (const Unavailable& e) {
    FAIL() << "a missing database is not a transient failure: " << e.what();
  } catch (const StoreError&) {
  }
}

TEST(PgConnect, OpeningRetriesForABoundedTime) {
  if (pg_url().empty()) GTEST_SKIP() << "PostgreSQL tests skipped: CANBAO_PG_URL is not set";
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(ledger::open_with_retry("postgresql://canbao@127.0.0.1:1/canbao?connect_timeout=2", {},
                                       std::chrono::milliseconds(700)),
               Unavailable);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(ms, 600);
  EXPECT_LT(ms, 5000);
}
