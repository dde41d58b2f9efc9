// Runs the same store tests on SQLite (always) and PostgreSQL (when
// CANBAO_PG_URL is set; start a throwaway cluster with `eval "$(.ci/pg.sh start)"`).
// Each PostgreSQL test works in its own schema, dropped afterwards.
#pragma once
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/id_number.h"
#include "store/store.h"

namespace canbao::testing {

inline std::string pg_url() {
  const char* u = std::getenv("CANBAO_PG_URL");
  return u ? u : "";
}

inline std::string unique_name(const char* prefix) {
  static std::atomic<int> n{0};
  return std::string(prefix) + std::to_string(getpid()) + "_" + std::to_string(++n);
}

inline void pg_drop_schema(const std::string& schema) {
  PGconn* c = PQconnectdb(pg_url().c_str());
  if (PQstatus(c) == CONNECTION_OK) {
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PQclear(PQexec(c, ("DROP SCHEMA IF EXISTS " + schema + " CASCADE").c_str()));
  }
  PQfinish(c);
}

// Opens fresh databases of one engine; cleans up on destruction.
class TestDb {
 public:
  explicit TestDb(std::string engine) : engine_(std::move(engine)) {}
  ~TestDb() {
    if (engine_ == "postgresql") {
      for (auto& s : schemas_) pg_drop_schema(s);
    } else {
      for (auto& p : files_) {
        std::error_code ec;
        std::filesystem::remove(p, ec);
        std::filesystem::remove(p + "-wal", ec);
        std::filesystem::remove(p + "-shm", ec);
      }
    }
  }
  bool available() const { return engine_ == "sqlite" || !pg_url().empty(); }
  // A new empty database (or reopen the last one with same=true).
  std::unique_ptr<store::Store> open(bool same = false, store::OpenOptions opt = {}) {
    if (engine_ == "postgresql") {
      if (!same || schemas_.empty()) schemas_.push_back(unique_name("canbao_t"));
      opt.pg_schema = schemas_.back();
      return store::open_store(pg_url(), opt);
    }
    if (!same || files_.empty())
      files_.push_back((std::filesystem::temp_directory_path() / (unique_name("canbao_t") + ".db")).string());
    return store::open_store(files_.back(), opt);
  }
  const std::string& engine() const { return engine_; }
  // Runs SQL on the current database behind the store's back (tests only).
  void exec_raw(const std::string& sql) {
    if (engine_ == "postgresql") {
      PGconn* c = PQconnectdb(pg_url().c_str());
      PQclear(PQexec(c, ("SET search_path TO " + schemas_.back()).c_str()));
      PGresult* r = PQexec(c, sql.c_str());
      bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      PQclear(r);
      PQfinish(c);
      ASSERT_TRUE(ok) << sql;
    } else {
      sqlite3* db = nullptr;
      sqlite3_open(files_.back().c_str(), &db);
      int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
      sqlite3_close(db);
      ASSERT_EQ(rc, SQLITE_OK) << sql;
    }
  }

 private:
  std::string engine_;
  std::vector<std::string> schemas_, files_;
};

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    if (!db_->available())
      GTEST_SKIP() << "PostgreSQL tests skipped: CANBAO_PG_URL is not set (eval \"$(.ci/pg.sh start)\")";
    st_ = db_->open();
  }
  void TearDown() override {
    st_.reset();
    db_.reset();
  }
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<store::Store> st_;
};

// A valid 18-digit ID number: region (6 digits), birth (YYYYMMDD), sequence (3 digits).
inline std::string make_id(std::string_view region6, std::string_view birth8, int seq) {
  char s3[16];
  std::snprintf(s3, sizeof s3, "%03d", (seq % 1000 + 1000) % 1000);
  std::string s = std::string(region6) + std::string(birth8) + s3;
  s.push_back(IdNumber::check_char(s));
  return s;
}

#define CANBAO_ENGINES(Suite)                                                                         \
  INSTANTIATE_TEST_SUITE_P(Engines, Suite, ::testing::Values(std::string("sqlite"), std::string("postgresql")), \
                           [](const auto& info) { return info.param; })

}  // namespace canbao::testing
