// AdminStore: what the staff pages of the server ask of the database — the
// person search with each person's enrollment, the import batches, the audit
// log, a resident's receipts.
//
// Interface only (plain structs and pure virtuals); the SQL is in
// store/sql_admin_store.cc. Reached as Store::admin(): the same connection and
// transaction as the Store.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace canbao::store {

// The person search of the persons and enrollments pages. A person matches
// when the hukou or this year's active enrollment place lies in `scope` (and
// in `village` when set); the text tests are alternatives, the caller sets
// at most one of id_number / id_suffix / name_prefix.
struct PersonFilter {
  RegionCode scope;          // empty: everywhere
  int year = 0;              // the enrollment joined is this year's registered or paid one
  std::string id_number;     // exactly this ID number
  std::string id_suffix;     // ID numbers ending in these digits
  std::string name_prefix;   // names starting with this text …
  // … or, when not empty, names whose k-th character is one of initials[k]
  // (the hanzi of the k-th pinyin initial typed, "zsy" → 张三丫; core/pinyin.h
  // keeps those lists for the life of the program, so they are not copied).
  std::vector<std::span<const std::string>> initials;
  RegionCode village;        // empty: no further limit
  std::string household;     // empty: any household
  // registered | paid: that status; unpaid: registered; enrolled: any active
  // enrollment; none: no active enrollment; anything else: no limit.
  std::string status;
};

// One row of the search: the person's ID and this year's active enrollment.
struct PersonListRow {
  std::string id_number;
  int64_t enrollment = 0;  // 0: none
  std::string status;      // registered | paid
  RegionCode place;
  std::optional<Date> paid_on;
};

struct PersonPage {
  int64_t total = 0;  // every match, not only this page
  std::vector<PersonListRow> rows;
};

// The collectors' household search (issue 14): households with a member that
// `persons` matches (scope and text tests as find_persons; status ignored),
// or, when `household_id` is set, also the household with exactly that 户号.
struct HouseholdPage {
  int64_t total = 0;               // every matching household
  std::vector<std::string> ids;    // this page, ordered by 户号
};

// The audit page's filter: every set field must match exactly (`from`: at or after).
struct AuditFilter {
  RegionCode scope;  // empty: everywhere
  std::string entity, entity_id, actor, action;
  std::string from;  // ISO timestamp or date prefix
};

// One audit log row as stored; NULL columns are nullopt (the API answers null).
struct AuditRecord {
  int64_t id = 0;
  std::string at, actor, action, entity;
  std::optional<std::string> entity_id, old_json, new_json;
  RegionCode region;
};

struct AuditPage {
  int64_t total = 0;  // every match, not only this page
  std::vector<AuditRecord> rows;
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  // One page of the person search, ordered by region, household and ID
  // number; an empty page when offset is past the end.
  virtual PersonPage find_persons(const PersonFilter& f, int64_t offset, int64_t limit) = 0;
  virtual HouseholdPage find_households(const PersonFilter& persons, std::string_view household_id, int64_t offset,
                                        int64_t limit) = 0;
  // Households registered in `region` (a village), by 户号, with their phones.
  virtual std::vector<Household> households_in(RegionCode region) = 0;

  // Import batches whose region lies in scope, newest first (report_json left
  // empty: the list does not show it).
  virtual std::vector<ImportBatch> import_batches(RegionCode scope, int64_t offset, int64_t limit) = 0;
  // The batch with its report; nullopt when absent or outside scope.
  virtual std::optional<ImportBatch> import_batch(int64_t id, RegionCode scope) = 0;
  // Only the batch's problem report (JSON array text); nullopt when absent or outside scope.
  virtual std::optional<std::string> import_report(int64_t id, RegionCode scope) = 0;

  // One page of the audit log, newest first.
  virtual AuditPage audit_log(const AuditFilter& f, int64_t offset, int64_t limit) = 0;

  // Receipt numbers of the person's payments of the year that no reversal
  // withdrew, oldest first (the resident's self-service page); empty when none.
  virtual std::vector<std::string> standing_receipts(std::string_view person, int year) = 0;
};

}  // namespace canbao::store
