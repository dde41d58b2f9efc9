// Reconciliation: every kind of finding, every branch that decides one (and
// the ones that decide none: matched, out of scope, other year, written off,
// family account), the input problems, stored and reread, first run and
// rerun — compared field for field with the findings the row-by-row
// implementation gave (reconcile_kinds.golden.json beside this file, written
// once by it with CANBAO_WRITE_GOLDEN=1). Both engines give the same file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../store/store_fixture.h"
#include "campaign/progress.h"
#include "campaign/reconcile.h"
#include "store/sql_store.h"

using namespace canbao;
using namespace canbao::campaign;
namespace fs = std::filesystem;
using canbao::testing::make_id;

namespace {

// The policy year the fixture's rows belong to, and the one before it.
const Date kToday = Date::from_ymd(2024, 3, 5);
const int kYear = kToday.year();
const RegionCode kCounty = *RegionCode::parse("341702");
const RegionCode kOther = *RegionCode::parse("341721");
const RegionCode kT1 = *RegionCode::parse("341702100");
const RegionCode kT2 = *RegionCode::parse("341702101");
const RegionCode kV1 = *RegionCode::parse("341702100001");
const RegionCode kV2 = *RegionCode::parse("341702101001");
const RegionCode kVo = *RegionCode::parse("341721100001");

store::detail::SqlStore& raw(store::Store& s) { return dynamic_cast<store::detail::SqlStore&>(s); }

std::string golden_path() { return std::string(CANBAO_SOURCE_DIR) + "/tests/campaign/reconcile_kinds.golden.json"; }

// A run as compared: everything but its id and creation time.
nlohmann::json comparable(const ReconcileRun& r) {
  nlohmann::json j = r.to_json(true);
  j.erase("run");
  j.erase("created_at");
  if (!j["inputs_from"].is_null()) j["inputs_from"] = "set";
  return j;
}

class ReconcileKinds : public canbao::testing::EngineTest {
 protected:
  std::string id(int n) { return make_id("341702", "19800101", n); }

  void person(const std::string& pid, RegionCode hukou) {
    st_->put_households({{store::Household{"H" + pid, hukou, pid, ""}}});
    store::Person p;
    p.id_number = pid;
    p.name = "人" + pid.substr(14, 3);
    p.birth = Date::from_ymd(1980, 1, 1);
    p.household = "H" + pid;
    p.hukou = hukou;
    st_->put_persons({{p}});
  }
  int64_t enroll(const std::string& pid, RegionCode place, store::EnrollmentStatus status) {
    store::Enrollment e;
    e.person = pid;
    e.year = kYear;
    e.place = place;
    e.household = "H" + pid;
    e.status = status;
    e.registered_on = Date::from_ymd(kYear - 1, 10, 1);
    if (status == store::EnrollmentStatus::paid) e.paid_on = Date::from_ymd(kYear - 1, 10, 2);
    return st_->add_enrollment(e);
  }
  void pay(const std::string& pid, int64_t enrollment, RegionCode place, int64_t fen, std::string_view payer_kind,
           std::string_view kind = "payment", int64_t reverses = 0) {
    int64_t n = ++seq_;
    std::string key = "k" + std::to_string(n), txn = "TX" + std::to_string(n), no = "R" + std::to_string(n);
    raw(*st_).sql_exec(
        "INSERT INTO payments (kind, person, year, enrollment, amount, channel, payer_kind, idem_key, external_txn, "
        "request_hash, reverses, collector, paid_on, created_at, receipt_region, receipt_seq, receipt_no, verify_code, "
        "clct_way, clct_type, policy, region) VALUES (?, ?, ?, ?, ?, 'wechat', ?, ?, ?, 'x', ?, 't', ?, "
        "'2023-10-02T00:00:00Z', ?, ?, ?, 'V', ?, '10', 'p', ?)",
        {kind, pid, kYear, enrollment, fen, payer_kind, std::string_view(key), std::string_view(txn),
         reverses ? store::detail::Param(reverses) : store::detail::Param(), Date::from_ymd(kYear - 1, 10, 2),
         int64_t(kCounty.padded_number()), n, std::string_view(no),
         payer_kind == "family_account" ? std::string_view("31") : std::string_view("02"),
         int64_t(place.padded_number())});
  }
  int64_t paid(const std::string& pid, RegionCode place, int64_t fen = 38000) {
    int64_t e = enroll(pid, place, store::EnrollmentStatus::paid);
    pay(pid, e, place, fen, "self");
    return e;
  }
  int64_t seq_ = 0;
};

TEST_P(ReconcileKinds, EveryKindOfFindingAsTheRowByRowComparisonGaveIt) {
  st_->put_regions({{{*RegionCode::parse("34"), "安徽省"},
                     {*RegionCode::parse("3417"), "池州市"},
                     {kCounty, "贵池区"},
                     {kOther, "东至县"},
                     {kT1, "甲镇"},
                     {kT2, "乙镇"},
                     {kV1, "甲村"},
                     {kV2, "乙村"},
                     {kVo, "丙村"}}});
  for (int n = 1; n <= 30; ++n) person(id(n), kV1);
  paid(id(1), kV1);                                          // matched
  paid(id(2), kV1);                                          // amount_differs (tax 390)
  paid(id(3), kV1);                                          // tax_duplicate (two Z rows)
  paid(id(4), kV1);                                          // wrong_unit (tax counts it for 乙镇)
  paid(id(5), kV2);                                          // platform_only (no tax row)
  int64_t fa = enroll(id(6), kV1, store::EnrollmentStatus::paid);
  pay(id(6), fa, kV1, 38000, "family_account");              // 个帐代扣: not platform_only
  enroll(id(7), kV1, store::EnrollmentStatus::registered);   // tax_only: registered, unpaid
  // id(8) in the roster, not enrolled; id(30) not even in the roster (made below)
  paid(id(9), kVo);                                   // enrolled in another county, tax unit 甲镇: wrong_unit
  paid(id(10), kVo);                                         // enrolled in another county, taxed there: out of scope
  paid(id(11), kV1);                                         // written off at the tax bureau (Z then -): platform_only
  enroll(id(12), kV1, store::EnrollmentStatus::cancelled);   // tax_only with the enrollment's status
  int64_t rv = paid(id(13), kV2);                            // paid then reversed: tax_only (台账无个人缴费)
  {
    int64_t pid = 0;
    raw(*st_).sql_query("SELECT id FROM payments WHERE enrollment = ?", {rv},
                        [&](const store::detail::RowView& v) { pid = v.i(0); });
    pay(id(13), rv, kV2, -38000, "self", "reversal", pid);
  }
  int64_t sb = paid(id(14), kV2, 20000);                     // individual + department subsidy, matched
  pay(id(14), sb, kV2, 18000, "department", "subsidy");
  paid(id(15), kV2);                                         // matched by the unit's name (乙镇), no code
  paid(id(16), kV1);                                         // other year in the tax file: platform_only
  paid(id(17), kV2);                                         // matched, tax unit is the county

  auto tax = fs::temp_directory_path() / (canbao::testing::unique_name("recon_kinds_") + "_tax.csv");
  auto tre = fs::temp_directory_path() / (canbao::testing::unique_name("recon_kinds_") + "_tre.csv");
  {
    std::ofstream o(tax);
    o << "elec_taxrpt_no,certno,psn_name,psn_clct_amt,clct_time,taxdept_code,revs_flag,cashym,insuplc_admdvs,街道乡镇\n";
    auto row = [&](const std::string& txn, const std::string& pid, const char* amt, const char* flag, int year,
                   const std::string& unit, const char* uname) {
      o << txn << ',' << pid << ",某," << amt << ",2023-10-02 10:00:00,13417020000," << flag << ',' << year << ','
        << unit << ',' << uname << '\n';
    };
    row("T1", id(1), "380.00", "Z", kYear, kT1.str(), "");
    row("T2", id(2), "390.00", "Z", kYear, kT1.str(), "");
    row("T3a", id(3), "380.00", "Z", kYear, kT1.str(), "");
    row("T4", id(4), "380.00", "Z", kYear, kT2.str(), "乙镇");
    row("T7", id(7), "380.00", "Z", kYear, kT1.str(), "");
    row("T8", id(8), "380.00", "Z", kYear, "", "");
    row("T9", id(9), "380.00", "Z", kYear, kT1.str(), "甲镇");
    row("T10", id(10), "380.00", "Z", kYear, kOther.str(), "");
    row("T11a", id(11), "380.00", "Z", kYear, kT1.str(), "");
    row("T11b", id(11), "380.00", "-", kYear, kT1.str(), "");
    row("T3b", id(3), "380.00", "Z", kYear, kT1.str(), "");
    row("T12", id(12), "380.00", "Z", kYear, kT1.str(), "");
    row("T13", id(13), "380.00", "Z", kYear, kT2.str(), "");
    row("T14", id(14), "200.00", "Z", kYear, kT2.str(), "");
    row("T15", id(15), "380.00", "", kYear, "", "乙镇");
    row("T16", id(16), "380.00", "Z", kYear - 1, kT1.str(), "");
    row("T17", id(17), "380.00", "Z", kYear, kCounty.str(), "");
    row("T30", make_id("341702", "19900101", 30), "380.00", "Z", kYear, kT1.str(), "");
    row("BAD1", "341702198001011234", "380.00", "Z", kYear, kT1.str(), "");  // bad check digit
    row("BAD2", id(1), "abc", "Z", kYear, kT1.str(), "");
    row("BAD3", id(29), "1.00", "Z", kYear, "12x", "");  // bad code: kept, unit unknown
  }
  {
    std::ofstream o(tre);
    o << "单位,区划代码,入库人数,入库金额\n";
    o << "甲镇," << kT1.str() << ",99,1.00\n";  // treasury_differs
    auto c = counter_totals(*st_, kT2, kYear);
    o << "乙镇,," << c.paid << ',' << Money::from_fen(c.collected_fen + c.subsidy_fen).yuan() << '\n';  // by name, agrees
    o << "东至县," << kOther.str() << ",1,380.00\n";  // out of scope
    o << "无名单位,,1,1.00\n";                          // problem
    o << "合计,,0,0\n";
  }
  ReconcileOptions ro;
  ro.year = kYear;
  ro.scope = kCounty;
  ro.today = kToday;
  auto run = reconcile_files(*st_, tax.string(), tre.string(), ro);
  auto loaded = load_run(*st_, run.id);
  ASSERT_TRUE(loaded);
  auto again = rerun(*st_, run.id, ro);
  nlohmann::json got = {{"run", comparable(run)}, {"loaded_items", comparable(*loaded)["items"]},
                        {"rerun", comparable(again)}};
  // Every kind is there, so the comparison below covers each.
  for (auto& [k, n] : run.count_by_kind()) EXPECT_GT(n, 0) << k;
  EXPECT_EQ(got["loaded_items"], got["run"]["items"]);
  if (std::getenv("CANBAO_WRITE_GOLDEN") && GetParam() == "sqlite") {
    std::ofstream(golden_path()) << got.dump(1) << '\n';
    GTEST_SKIP() << "golden written: " << golden_path();
  }
  std::ifstream in(golden_path());
  ASSERT_TRUE(in) << golden_path();
  std::stringstream ss;
  ss << in.rdbuf();
  auto want = nlohmann::json::parse(ss.str());
  EXPECT_EQ(got["run"]["by_kind"], want["run"]["by_kind"]);
  ASSERT_EQ(got["run"]["items"].size(), want["run"]["items"].size());
  for (size_t i = 0; i < want["run"]["items"].size(); ++i)
    EXPECT_EQ(got["run"]["items"][i], want["run"]["items"][i]) << "finding " << i;
  EXPECT_EQ(got, want);
  fs::remove(tax);
  fs::remove(tre);
}

CANBAO_ENGINES(ReconcileKinds);

}  // namespace
