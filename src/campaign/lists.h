// Lists for the collectors and the villages (issue 5 §4, §5).
//
// Mobilisation (动员) lists per village, from the registry, the enrollments
// and the assessment of each person under the year's policy:
//   unpaid                  已登记未缴费 and eligible persons not registered (amount due, household)
//   lapsed                  往年参保本年未参: paid last year, no active enrollment this year
//   subsidised_unenrolled   资助对象未参保: a subsidy applies, the person has not paid (the
//                           seeds: 重点人群参保要实现全覆盖, 不落一户, 不差一人)
//   newborns                born in the last year, not registered; days left of the 90 days
//                           (出生90天内参保缴费的，自出生之日起享受医保待遇)
// Public notice (公示) per village: every paid person with the name and ID
// masked (张*三, 341702********1234), amount and date, and the route for
// 漏缴错缴 (城政字〔2024〕21号 四(三): 及时汇总上报医保站). The Notice holds
// masked values only: nothing unmasked can leak from it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/date.h"
#include "core/region_code.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace canbao::campaign {

struct ListOptions {
  int year = 0;
  RegionCode scope;
  Date today;
  size_t chunk = 5000;
};

struct MobilisationRow {
  RegionCode village;      // enrollment place, else hukou
  std::string person;      // full ID number (internal; masked on output unless asked)
  std::string name;        // full name (internal; masked on output unless asked)
  std::string household;   // 户号
  Date birth;
  std::string status;      // 未登记 / 已登记未缴费 / 参保暂停 …
  int64_t due_fen = -1;    // individual amount due; -1 = not determined by the policy
  int64_t subsidy_fen = 0;
  std::string subsidy;     // the subsidy rule's label
  std::string note;        // e.g. 剩余 12 天 / 已超过90天
};

struct MobilisationLists {
  int year = 0;
  Date today;
  RegionCode scope;
  std::vector<MobilisationRow> unpaid, lapsed, subsidised_unenrolled, newborns;
  std::map<RegionCode, std::string> village_names;
  nlohmann::json to_json(bool unmask = false) const;
};

MobilisationLists mobilisation_lists(store::Store& st, const ledger::PolicySet& policies, const ListOptions& opt);
// One sheet per list, rows by village then household; masked unless `unmask`.
// `only` = one list's id (unpaid, lapsed, subsidised_unenrolled, newborns):
// that sheet alone.
void write_mobilisation_xlsx(const MobilisationLists& l, const std::string& path, bool unmask = false,
                             std::string_view only = {});

// The unpaid list as an SMS batch (贵池 五(二) 未缴费提醒; no gateway: the
// county's SMS platform imports the sheet). One row per household with a
// contact phone; the phone is in full, so the caller audits the export.
struct SmsRow {
  std::string household;
  std::string head_masked;   // 户主, masked (the head, else the first unpaid member)
  std::string phone;         // full
  int64_t unpaid = 0;        // members on the unpaid list
  int64_t due_fen = 0;       // their known dues summed
  bool due_known = true;     // false: a member's amount is left open by the policy
  std::string text;          // the message
};
std::vector<SmsRow> sms_rows(store::Store& st, const ledger::PolicySet& policies, const MobilisationLists& l);
void write_sms_xlsx(const std::vector<SmsRow>& rows, const std::string& path);

struct NoticeRow {
  RegionCode village;
  std::string name_masked, id_masked;
  int64_t individual_fen = 0, subsidy_fen = 0;
  Date paid_on;
  std::string receipt_no;
};

struct Notice {
  int year = 0;
  RegionCode scope;
  std::string scope_name;
  std::string title;
  std::string report_route;  // where to report 漏缴错缴
  std::string cite;
  std::vector<NoticeRow> rows;  // by village, then day
  std::map<RegionCode, std::string> village_names;
  nlohmann::json to_json() const;
};

// Paid persons (payment not reversed, enrollment paid) placed in scope.
// `policy` (may be null) supplies the document for the heading.
Notice public_notice(store::Store& st, int year, RegionCode scope, const Policy* policy);
// A printable page (A4, one section per village with page breaks).
std::string notice_html(const Notice& n);
void write_notice_xlsx(const Notice& n, const std::string& path);

}  // namespace canbao::campaign
