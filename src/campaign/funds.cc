#include "campaign/funds.h"

#include <fmt/format.h>

#include <map>

#include "campaign/progress.h"
#include "core/money.h"
#include "io/xlsx_writer.h"
#include "store/campaign_store.h"

namespace canbao::campaign {

namespace {
std::string yuan(int64_t fen) { return Money::from_fen(fen).yuan(); }
std::string_view mode_label_of(std::string_view m) {
  return m == "paid_on_behalf" ? "代缴" : m == "reimbursed" ? "先缴后补" : m;
}
}  // namespace

FundsReport fund_flows(store::Store& st, int year, RegionCode scope, const Policy* policy) {
  FundsReport f;
  f.year = year;
  f.scope = scope;
  auto& cs = st.campaign();
  Counts c = counter_totals(st, scope, year);
  f.insured = c.paid;
  if (policy) {
    f.policy_id = policy->id;
    f.document = policy->document;
    f.standard_fen = policy->individual_standard.fen;
    f.fiscal_per_person_fen = policy->fiscal_subsidy ? policy->fiscal_subsidy->fen : 0;
    f.total_per_person_fen = f.fiscal_per_person_fen + f.standard_fen;
    for (auto& sh : policy->fiscal_split)
      f.fiscal.push_back({sh.level, sh.name, sh.share_text, sh.amount.fen, sh.amount.fen * f.insured});
    f.agent_fee_per_person_fen = policy->agent_fee_per_person ? policy->agent_fee_per_person->fen : 0;
  }
  f.fiscal_total_fen = f.fiscal_per_person_fen * f.insured;
  // Ledger sums (the source of truth), net of reversals.
  auto sums = cs.ledger_sums(scope, year);
  f.individual_fen = sums.individual_fen;
  f.subsidy_fen = sums.subsidy_fen;
  f.ledger_total_fen = sums.total_fen;
  for (auto& d : cs.department_subsidies(scope, year))
    f.subsidies.push_back({d.payer, d.mode, d.persons, d.rows, d.amount_fen});
  // Agent fee per village from the counters (paid persons per place).
  if (f.agent_fee_per_person_fen) {
    std::map<RegionCode, std::string> names;
    for (auto& r : st.regions_under(scope)) names[r.code] = r.name;
    std::map<RegionCode, int64_t> per;
    for (auto& p : cs.paid_per_place(scope, year))
      if (p.counts.paid) per[p.place] += p.counts.paid;
    for (auto& [code, n] : per) {
      auto it = names.find(code);
      f.agent_fees.push_back({code, it == names.end() ? "" : it->second, n, n * f.agent_fee_per_person_fen});
      f.agent_fee_total_fen += n * f.agent_fee_per_person_fen;
    }
  }
  f.fund_total_fen = f.fiscal_total_fen + f.individual_fen + f.subsidy_fen;
  return f;
}

nlohmann::json FundsReport::to_json() const {
  nlohmann::json fl = nlohmann::json::array(), sl = nlohmann::json::array(), al = nlohmann::json::array();
  for (auto& x : fiscal)
    fl.push_back({{"level", x.level}, {"name", x.name}, {"share", x.share}, {"per_person_fen", x.per_person_fen},
                  {"per_person_yuan", yuan(x.per_person_fen)}, {"total_fen", x.total_fen}, {"total_yuan", yuan(x.total_fen)}});
  for (auto& x : subsidies)
    sl.push_back({{"payer", x.payer}, {"mode", x.mode}, {"mode_label", mode_label_of(x.mode)}, {"persons", x.persons},
                  {"rows", x.rows}, {"amount_fen", x.amount_fen}, {"amount_yuan", yuan(x.amount_fen)}});
  for (auto& x : agent_fees)
    al.push_back({{"village", x.village.str()}, {"name", x.name}, {"persons", x.persons}, {"fee_fen", x.fee_fen},
                  {"fee_yuan", yuan(x.fee_fen)}});
  return {{"year", year},
          {"scope", scope.str()},
          {"policy", policy_id},
          {"document", document},
          {"insured", insured},
          {"fiscal_per_person_fen", fiscal_per_person_fen},
          {"standard_fen", standard_fen},
          {"total_per_person_fen", total_per_person_fen},
          {"total_per_person_yuan", yuan(total_per_person_fen)},
          {"fiscal", fl},
          {"fiscal_total_fen", fiscal_total_fen},
          {"subsidies", sl},
          {"individual_fen", individual_fen},
          {"subsidy_fen", subsidy_fen},
          {"ledger_total_fen", ledger_total_fen},
          {"agent_fee_per_person_fen", agent_fee_per_person_fen},
          {"agent_fee_total_fen", agent_fee_total_fen},
          {"agent_fees", al},
          {"fund_total_fen", fund_total_fen},
          {"fund_total_yuan", yuan(fund_total_fen)}};
}

void write_funds_xlsx(const FundsReport& f, const std::string& path) {
  io::XlsxWriter w(path);
  w.add_sheet("汇总", {"项目", "金额（元）", "说明"});
  w.add_row({"参保缴费人数", f.insured, ""});
  w.add_row({"人均财政补助", Money::from_fen(f.fiscal_per_person_fen), f.document});
  w.add_row({"个人缴费标准", Money::from_fen(f.standard_fen), ""});
  w.add_row({"人均筹资合计", Money::from_fen(f.total_per_person_fen), "财政补助 + 个人缴费标准"});
  w.add_row({"财政补助合计", Money::from_fen(f.fiscal_total_fen), "人均财政补助 × 参保缴费人数"});
  w.add_row({"个人缴费合计（台账）", Money::from_fen(f.individual_fen), "扣除冲正"});
  w.add_row({"资助参保合计（台账）", Money::from_fen(f.subsidy_fen), "扣除冲正"});
  w.add_row({"台账合计", Money::from_fen(f.ledger_total_fen), ""});
  w.add_row({"基金筹资合计", Money::from_fen(f.fund_total_fen), "财政补助 + 个人缴费 + 资助参保"});
  w.add_row({"代办经费合计", Money::from_fen(f.agent_fee_total_fen), "每人 " + yuan(f.agent_fee_per_person_fen) + " 元"});
  w.add_sheet("财政补助分担", {"层级", "名称", "分担比例", "人均（元）", "参保人数", "合计（元）"});
  for (auto& x : f.fiscal)
    w.add_row({x.level, x.name, x.share, Money::from_fen(x.per_person_fen), f.insured, Money::from_fen(x.total_fen)});
  w.add_sheet("资助部门", {"资助部门", "资助方式", "资助人数", "记录数", "金额（元）"});
  for (auto& x : f.subsidies)
    w.add_row({x.payer, std::string(mode_label_of(x.mode)), x.persons, x.rows, Money::from_fen(x.amount_fen)});
  w.add_sheet("代办经费", {"村（社区）", "区划代码", "参保缴费人数", "代办经费（元）"});
  for (auto& x : f.agent_fees) w.add_row({x.name, x.village.str(), x.persons, Money::from_fen(x.fee_fen)});
  w.add_row({"合计", "", f.insured, Money::from_fen(f.agent_fee_total_fen)});
  w.close();
}

}  // namespace canbao::campaign
