#include "ledger/vocabulary.h"

namespace canbao::ledger {

const std::vector<Channel>& channels() {
  static const std::vector<Channel> k = {
      {"wechat", "微信", "02", true},     {"alipay", "支付宝", "02", true},
      {"app", "手机App", "02", true},     {"tax_hall", "税务大厅", "02", true},
      {"bank", "银行", "08", true},       {"village_collector", "村协理员代收", "05"},
      {"school", "学校代收", "04"},       {"family_account", "职工医保家庭共济账户", "31"},
      {"department", "部门代缴（资助）", "06"},
  };
  return k;
}

const Channel* find_channel(std::string_view id) {
  for (const auto& c : channels())
    if (c.id == id) return &c;
  return nullptr;
}

bool valid_payer_kind(std::string_view k) {
  return k == "self" || k == "family_account" || k == "school" || k == "department";
}

std::vector<Row> rows(std::vector<store::Payment> ps) {
  std::vector<Row> out;
  out.reserve(ps.size());
  for (auto& p : ps) out.emplace_back(std::move(p));
  return out;
}

}  // namespace canbao::ledger
