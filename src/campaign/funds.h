// Fund flows (issue 5 §6), exact to the fen:
//  - fiscal subsidy per insured person split by government level (新城子:
//    640 = 80% 中央 512 + 20% × 7:1:2 → 89.60 / 12.80 / 25.60), times the
//    insured (paid) persons;
//  - department subsidies per payer and mode (代缴 paid_on_behalf / 先缴后补
//    reimbursed) from the ledger, net of reversals;
//  - agent fee per village (贵池: 1 yuan per enrolled person, 代办经费);
//  - total fund per person (贵池: 640 + 380 = 1020) and in total.
// Individual + subsidy totals are the ledger's own sums for the scope.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/region_code.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace canbao::campaign {

struct FiscalLine {
  std::string level, name, share;
  int64_t per_person_fen = 0, total_fen = 0;
};
struct PayerLine2 {
  std::string payer, mode;  // mode: paid_on_behalf | reimbursed
  int64_t persons = 0, rows = 0, amount_fen = 0;
};
struct AgentFeeLine {
  RegionCode village;
  std::string name;
  int64_t persons = 0, fee_fen = 0;
};

struct FundsReport {
  int year = 0;
  RegionCode scope;
  std::string policy_id, document;
  int64_t insured = 0;                     // paid enrollments in scope
  int64_t fiscal_per_person_fen = 0;       // 640.00
  int64_t standard_fen = 0;                // individual standard 380.00
  int64_t total_per_person_fen = 0;        // fiscal + standard (1020.00)
  std::vector<FiscalLine> fiscal;          // per level (empty when the document gives no split)
  int64_t fiscal_total_fen = 0;
  std::vector<PayerLine2> subsidies;
  int64_t individual_fen = 0, subsidy_fen = 0, ledger_total_fen = 0;  // ledger sums, net of reversals
  int64_t agent_fee_per_person_fen = 0, agent_fee_total_fen = 0;
  std::vector<AgentFeeLine> agent_fees;
  int64_t fund_total_fen = 0;              // fiscal total + individual + subsidies
  nlohmann::json to_json() const;
};

// `policy` may be null (no fiscal split / agent fee then). Throws nothing for an empty scope.
FundsReport fund_flows(store::Store& st, int year, RegionCode scope, const Policy* policy);
void write_funds_xlsx(const FundsReport& f, const std::string& path);

}  // namespace canbao::campaign
