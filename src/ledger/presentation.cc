#include "ledger/presentation.h"

#include <vector>

#include "core/id_number.h"
#include "core/money.h"

namespace canbao::ledger {

std::string amount_words(int64_t fen) {
  static const char* d[] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
  static const char* small[] = {"", "拾", "佰", "仟"};
  static const char* big[] = {"", "万", "亿", "万亿"};
  std::string out;
  if (fen < 0) { out = "负"; fen = -fen; }
  int64_t yuan = fen / 100;
  int jiao = int(fen / 10 % 10), f = int(fen % 10);
  if (yuan > 0) {
    std::vector<int> digits;
    for (int64_t y = yuan; y > 0; y /= 10) digits.push_back(int(y % 10));
    std::string s;
    bool zero = false;
    for (int i = int(digits.size()) - 1; i >= 0; --i) {
      int dg = digits[size_t(i)];
      if (dg == 0) {
        zero = true;
      } else {
        if (zero) s += d[0];
        zero = false;
        s += d[dg];
        s += small[i % 4];
      }
      if (i % 4 == 0 && i > 0) {
        // group end: add the big unit if the group had any digit
        bool any = false;
        for (int k = i; k < i + 4 && k < int(digits.size()); ++k) any |= digits[size_t(k)] != 0;
        if (any) s += big[i / 4];
      }
    }
    out += s + "元";
  }
  if (jiao == 0 && f == 0) return out.empty() ? "零元整" : out + "整";
  if (jiao) out += std::string(d[jiao]) + "角";
  else if (yuan > 0) out += "零";
  if (f) out += std::string(d[f]) + "分";
  return out;
}

nlohmann::json row_json(const Row& r, bool unmask) {
  const Channel* ch = find_channel(r.channel);
  nlohmann::json j = {
      {"id", r.id},
      {"kind", kind_id(r.kind)},
      {"id_number", unmask ? r.person : mask_id(r.person)},
      {"year", r.year},
      {"enrollment_id", r.enrollment ? nlohmann::json(r.enrollment) : nlohmann::json()},
      {"amount_fen", r.amount_fen},
      {"amount_yuan", Money::from_fen(r.amount_fen).yuan()},
      {"channel", r.channel},
      {"channel_label", ch ? std::string(ch->label) : r.channel},
      {"payer_kind", r.payer_kind},
      {"payer_name", r.payer_name.empty() ? nlohmann::json()
                     : r.payer_kind == "family_account" && !unmask ? nlohmann::json(mask_name(r.payer_name))
                                                                    : nlohmann::json(r.payer_name)},
      {"subsidy_mode", r.subsidy_mode.empty() ? nlohmann::json() : nlohmann::json(r.subsidy_mode)},
      {"external_txn_id", r.external_txn.empty() ? nlohmann::json() : nlohmann::json(r.external_txn)},
      {"reverses", r.reverses ? nlohmann::json(r.reverses) : nlohmann::json()},
      {"parent", r.parent ? nlohmann::json(r.parent) : nlohmann::json()},
      {"reversed_by", r.reversed_by ? nlohmann::json(r.reversed_by) : nlohmann::json()},
      {"reason", r.reason.empty() ? nlohmann::json() : nlohmann::json(r.reason)},
      {"paid_on", r.paid_on.str()},
      {"collector", r.collector},
      {"created_at", r.created_at},
      {"region", r.region.str()},
      {"policy", r.policy},
      {"receipt_no", r.receipt_no.empty() ? nlohmann::json() : nlohmann::json(r.receipt_no)},
      {"insutype", "390"},
      {"clct_way", r.clct_way},
      {"clct_type", r.clct_type},
      {"psn_clct_amt", r.kind == Kind::subsidy ? "0.00" : Money::from_fen(r.amount_fen).yuan()},
      {"oth_clct_amt", r.kind == Kind::subsidy ? Money::from_fen(r.amount_fen).yuan() : "0.00"},
      {"elec_taxrpt_no", r.channel == "tax_hall" || !r.external_txn.empty() ? nlohmann::json(r.external_txn)
                                                                              : nlohmann::json()},
      {"revs_flag", r.kind == Kind::reversal ? "-" : r.reversed_by ? "+" : "Z"},
  };
  return j;
}

}  // namespace canbao::ledger
