// SqlStore's side of store/bulk_load.h: the enrollment counters' trigger off
// and on, and the one recount.
#include "store/bulk_load.h"

#include "store/campaign_store.h"
#include "store/counters.h"
#include "store/sql_store.h"

namespace canbao::store::detail {

namespace {

// SQLite cannot disable a trigger: the insert trigger is dropped and made
// again from the one description's rendered text (counters.h), so the
// recreated trigger is the migrated one, not a copy kept here. Loads only
// insert, so the update and delete triggers stay.
constexpr std::string_view kSqliteInsertTrigger = "CREATE TRIGGER progress_enrollment_insert ";
// PostgreSQL's one enrollment trigger (insert, update, delete).
constexpr std::string_view kPgTrigger = "progress_enrollment";

std::string sqlite_insert_trigger_sql() {
  const std::string& all = counters::sqlite_triggers();
  auto a = all.find(kSqliteInsertTrigger);
  auto b = a == std::string::npos ? a : all.find("\nEND;", a);
  if (b == std::string::npos)
    throw StoreError("counters: the SQLite enrollment insert trigger is not in counters::sqlite_triggers()");
  return all.substr(a, b + 5 - a);
}

}  // namespace

bool SqlStore::pause_enrollment_counters() {
  bool empty = true;
  q("SELECT 1 FROM enrollments LIMIT 1", {}, [&](const RowView&) { empty = false; });
  if (!empty) return false;
  if (dialect() == Dialect::sqlite) {
    sqlite_insert_trigger_sql();  // refuse to drop what could not be made again
    exec_script("DROP TRIGGER progress_enrollment_insert");
  } else {
    exec_script("ALTER TABLE enrollments DISABLE TRIGGER " + std::string(kPgTrigger));
  }
  return true;
}

void SqlStore::resume_enrollment_counters() {
  if (dialect() == Dialect::sqlite)
    exec_script(sqlite_insert_trigger_sql());
  else
    exec_script("ALTER TABLE enrollments ENABLE TRIGGER " + std::string(kPgTrigger));
  campaign().recount_places();
  campaign().rebuild_rollups();
}

}  // namespace canbao::store::detail
