// Migration 3 is applied history: its counter SQL, now rendered from one
// description (store/counters.h), must stay byte-for-byte the text databases
// were migrated with. tests/store/fixtures/ holds that text as first written
// by hand (migration3*.sql), and the recount and roll-up statements
// campaign/progress.cc used to hold (recount.sql, rollup_*.sql). They are
// frozen data: never regenerate them from counters.cc.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "store/counters.h"
#include "store/migrations.h"

using namespace canbao::store;

namespace {

// The fixture file's bytes, exactly.
std::string fixture(const std::string& name) {
  std::string path = std::string(CANBAO_SOURCE_DIR) + "/tests/store/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A statement's fixture: the statement ends without a newline, its file with one.
std::string statement(const std::string& name) {
  std::string s = fixture(name);
  if (s.ends_with('\n')) s.pop_back();
  return s;
}

const Migration& v3() {
  for (auto& m : migrations())
    if (m.version == 3) return m;
  throw std::runtime_error("no migration 3");
}

}  // namespace

TEST(Counters, Migration3RendersTheAppliedText) {
  EXPECT_EQ(v3().sql, fixture("migration3.sql"));
  EXPECT_EQ(v3().sqlite_sql, fixture("migration3_sqlite.sql"));
  EXPECT_EQ(v3().postgresql_sql, fixture("migration3_postgresql.sql"));
}

TEST(Counters, RecountAndRollupsAreTheBackfillsStatements) {
  const std::string recount = statement("recount.sql");
  EXPECT_EQ(counters::recount_select(), recount);
  EXPECT_EQ(counters::rollup_insert(counters::kLevels[1]), statement("rollup_9.sql"));
  EXPECT_EQ(counters::rollup_insert(counters::kLevels[2]), statement("rollup_6.sql"));
  // The backfill of the migration groups the same rows as the recount.
  std::string inner = recount.substr(recount.find("FROM ("));
  EXPECT_NE(std::string(v3().sql).find(inner), std::string::npos);
}
