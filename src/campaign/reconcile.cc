#include "campaign/reconcile.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <unordered_map>

#include "campaign/progress.h"
#include "campaign/util.h"
#include "core/id_number.h"
#include "core/money.h"
#include "io/table.h"
#include "io/xlsx_writer.h"
#include "registry/sha256.h"

namespace canbao::campaign {

namespace {

struct KindInfo {
  MismatchKind k;
  std::string_view id, label;
};
constexpr KindInfo kKinds[] = {
    {MismatchKind::tax_only, "tax_only", "税务有缴费记录、平台未参保或未缴费"},
    {MismatchKind::platform_only, "platform_only", "平台已缴费、税务无缴费记录"},
    {MismatchKind::amount_differs, "amount_differs", "缴费金额不一致"},
    {MismatchKind::wrong_unit, "wrong_unit", "缴费单位（参保地）不一致"},
    {MismatchKind::tax_duplicate, "tax_duplicate", "税务重复缴费"},
    {MismatchKind::treasury_differs, "treasury_differs", "国库入库人数或金额与平台不一致"},
};

using TaxRow = store::TaxDetailRow;
using TreasuryRow = store::TreasuryDepositRow;

// Region names → codes for unit names in files (unique names only).
struct NameIndex {
  std::unordered_map<std::string, RegionCode> by_name;
  std::unordered_map<std::string, int> seen;
  explicit NameIndex(store::Store& st) {
    for (auto& r : st.regions_under({})) {
      auto k = strip_spaces(r.name);
      if (++seen[k] == 1) by_name[k] = r.code;
      else by_name.erase(k);
    }
  }
  std::optional<RegionCode> find(std::string_view name) const {
    auto it = by_name.find(strip_spaces(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
  }
};

std::string file_fingerprint(const std::string& path) {
  try {
    return registry::sha256_file(path);
  } catch (...) {
    return "";
  }
}

void read_tax(const std::string& path, const ReconcileOptions& opt, const NameIndex& names, std::vector<TaxRow>& out,
              std::vector<InputProblem>& probs) {
  auto t = io::open_table(path);
  const auto& h = t->header();
  int c_id = find_col(h, {"certno", "身份证号", "证件号码", "身份证号码", "id_number", "psn_no", "人员编号"});
  int c_name = find_col(h, {"psn_name", "姓名", "人员姓名", "name"});
  int c_txn = find_col(h, {"elec_taxrpt_no", "电子税票号码", "税票号码", "transaction_id"});
  int c_amt = find_col(h, {"psn_clct_amt", "个人缴费金额", "缴费金额", "实缴金额", "amount"});
  int c_time = find_col(h, {"clct_time", "缴费时间", "缴费日期", "paid_on"});
  int c_dept = find_col(h, {"taxdept_code", "主管税务部门代码", "税务机关代码"});
  int c_revs = find_col(h, {"revs_flag", "核销标志"});
  int c_year = find_col(h, {"cashym", "费款所属期", "缴费年度", "year"});
  int c_unit = find_col(h, {"insuplc_admdvs", "参保地医保区划", "区划代码", "单位区划代码", "unit_region", "admdvs"});
  int c_uname = find_col(h, {"街道乡镇", "单位", "乡镇（街道）", "村（社区）", "unit"});
  std::vector<std::string> missing;
  if (c_id < 0) missing.push_back("certno/身份证号");
  if (c_amt < 0) missing.push_back("psn_clct_amt/个人缴费金额");
  if (!missing.empty()) {
    std::string m = fmt::format("{}", fmt::join(missing, "、"));
    throw io::Error("tax file: missing columns " + m, "税务缴费明细缺少必需的列：" + m);
  }
  io::Row row;
  // Cells by reference: a million rows are read without a copy per cell.
  static const std::string kNone;
  auto cell = [&](int c) -> const std::string& {
    return c >= 0 && size_t(c) < row.cells.size() ? row.cells[size_t(c)] : kNone;
  };
  const Date id_limit = opt.today.plus_days(366);
  while (t->next(row)) {
    TaxRow r;
    r.row_no = row.number;
    const std::string& raw = cell(c_id);
    auto id = IdNumber::parse(raw, id_limit);
    if (!id) {
      probs.push_back({"tax", row.number, "certno", mask_id(raw), "身份证号无效"});
      continue;
    }
    r.certno = id->str();
    r.name = cell(c_name);
    r.txn = cell(c_txn);
    auto amt = Money::parse_yuan(cell(c_amt));
    if (!amt) {
      probs.push_back({"tax", row.number, "psn_clct_amt", cell(c_amt), "缴费金额无效"});
      continue;
    }
    r.amount = amt->fen;
    r.clct_time = cell(c_time);
    r.taxdept = cell(c_dept);
    const std::string& f = cell(c_revs);
    if (!f.empty()) r.revs_flag = f;
    if (r.revs_flag == "-") r.amount = -std::llabs(r.amount);
    r.year = opt.year;
    const std::string& y = cell(c_year);
    if (y.size() >= 4 && std::all_of(y.begin(), y.begin() + 4, ::isdigit))
      r.year = (y[0] - '0') * 1000 + (y[1] - '0') * 100 + (y[2] - '0') * 10 + (y[3] - '0');
    if (c_unit >= 0 && !cell(c_unit).empty()) {
      if (auto u = RegionCode::parse(cell(c_unit))) r.unit = *u;
      else probs.push_back({"tax", row.number, "insuplc_admdvs", cell(c_unit), "区划代码无效"});
    }
    r.unit_name = cell(c_uname);
    if (r.unit.empty() && !r.unit_name.empty()) {
      if (auto u = names.find(r.unit_name)) r.unit = *u;
    }
    out.push_back(std::move(r));
  }
}

void read_treasury(const std::string& path, const NameIndex& names, std::vector<TreasuryRow>& out,
                   std::vector<InputProblem>& probs) {
  auto t = io::open_table(path);
  const auto& h = t->header();
  int c_code = find_col(h, {"区划代码", "admdvs", "unit_region", "insuplc_admdvs", "单位代码"});
  int c_name = find_col(h, {"单位", "街道乡镇", "县区", "unit", "单位名称"});
  int c_n = find_col(h, {"入库人数", "persons", "人数"});
  int c_amt = find_col(h, {"入库金额", "amount", "金额", "入库金额（元）"});
  if ((c_code < 0 && c_name < 0) || c_n < 0 || c_amt < 0)
    throw io::Error("treasury file: needs 单位 or 区划代码, 入库人数, 入库金额",
                    "国库入库汇总须有列：单位或区划代码、入库人数、入库金额");
  io::Row row;
  auto cell = [&](int c) -> std::string { return c >= 0 && size_t(c) < row.cells.size() ? row.cells[size_t(c)] : ""; };
  while (t->next(row)) {
    TreasuryRow r;
    r.row_no = row.number;
    r.unit_name = cell(c_name);
    std::string sn = strip_spaces(r.unit_name);
    if (sn == "合计" || sn == "总计") continue;
    if (!cell(c_code).empty()) {
      if (auto u = RegionCode::parse(cell(c_code))) r.unit = *u;
    }
    if (r.unit.empty()) {
      if (auto u = names.find(r.unit_name)) r.unit = *u;
    }
    if (r.unit.empty()) {
      probs.push_back({"treasury", row.number, "单位", r.unit_name, "无法识别单位（请填写区划代码）"});
      continue;
    }
    auto amt = Money::parse_yuan(cell(c_amt));
    std::string ns = cell(c_n);
    if (!amt || ns.empty() || !std::all_of(ns.begin(), ns.end(), ::isdigit)) {
      probs.push_back({"treasury", row.number, "入库人数/入库金额", ns, "人数或金额无效"});
      continue;
    }
    r.persons = std::stoll(ns);
    r.amount = amt->fen;
    out.push_back(std::move(r));
  }
}


std::string yuan(int64_t fen) { return Money::from_fen(fen).yuan(); }

// An ID number as a hash key. A well-formed one (17 digits and a check
// character) packs into 64 bits with the top bit set, so the million-row
// joins below hash integers, not strings; any other text (not from a
// validated file, possible in old platform rows) is interned under a small
// number. Equal keys exactly when equal texts; shared by both sides of a run.
class IdKeys {
 public:
  uint64_t key(std::string_view id) {
    if (uint64_t k = pack(id)) return k;
    auto [it, fresh] = interned_.try_emplace(std::string(id), uint64_t(others_.size() + 1));
    if (fresh) others_.push_back(it->first);
    return it->second;
  }
  std::string text(uint64_t k) const {
    if (!(k >> 63)) return others_.at(size_t(k - 1));
    uint64_t v = k & ~(uint64_t(1) << 63);
    std::string out(18, '0');
    uint64_t c = v % 11;
    out[17] = c == 10 ? 'X' : char('0' + c);
    v /= 11;
    for (int i = 16; i >= 0; --i, v /= 10) out[size_t(i)] = char('0' + v % 10);
    return out;
  }

 private:
  static uint64_t pack(std::string_view id) {
    if (id.size() != 18) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 17; ++i) {
      unsigned d = unsigned(id[i]) - '0';
      if (d > 9) return 0;
      v = v * 10 + d;
    }
    unsigned c = unsigned(id[17]) - '0';
    if (id[17] == 'X') c = 10;
    else if (c > 9) return 0;
    return (v * 11 + c) | (uint64_t(1) << 63);
  }
  std::unordered_map<std::string, uint64_t> interned_;
  std::vector<std::string> others_;
};

// Key → index, open addressing (keys are never 0): a million entries in one
// array, not a million hash nodes.
class KeyIndex {
 public:
  static constexpr uint32_t none = UINT32_MAX;
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > slots_.size()) rehash(cap);
  }
  // The index stored for k, or `none`.
  uint32_t find(uint64_t k) const {
    if (slots_.empty()) return none;
    for (size_t i = slot(k);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == k) return slots_[i].at;
      if (slots_[i].key == 0) return none;
    }
  }
  // k's index, stored as `at` when k is new; second = whether it was new.
  std::pair<uint32_t, bool> try_emplace(uint64_t k, uint32_t at) {
    if ((used_ + 1) * 2 > slots_.size()) rehash(std::max<size_t>(16, slots_.size() * 2));
    for (size_t i = slot(k);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == k) return {slots_[i].at, false};
      if (slots_[i].key == 0) {
        slots_[i] = {k, at};
        ++used_;
        return {at, true};
      }
    }
  }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t at = 0;
  };
  size_t slot(uint64_t k) const { return size_t((k * 0x9E3779B97F4A7C15ull) >> shift_); }
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    shift_ = 64 - unsigned(std::countr_zero(cap));
    used_ = 0;
    for (auto& o : old)
      if (o.key) try_emplace(o.key, o.at);
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
  unsigned shift_ = 60;
};

// One tax payer of the year: the net of their rows and what the rows say.
// The rows are indexes into the run's tax rows, the texts views of them: a
// million payers cost one hash entry each, not a handful of copies.
struct TaxPerson {
  int64_t net = 0;
  uint64_t key = 0;      // IdKeys key of the ID
  int normal = 0;        // rows with flag Z
  uint32_t n = 0;        // rows
  uint32_t first = 0;    // index of the first row
  std::vector<uint32_t> more;  // the others, in file order (most payers have none)
  RegionCode unit;
  std::string_view unit_name, first_time, taxdept;
};

// The tax side of a run: payers in order of their first row, found by ID.
struct TaxSide {
  const std::vector<TaxRow>* rows = nullptr;
  std::vector<TaxPerson> persons;
  KeyIndex by_id;  // IdKeys key → persons
  const TaxPerson* find(uint64_t key) const {
    uint32_t i = by_id.find(key);
    return i == KeyIndex::none ? nullptr : &persons[i];
  }
};

struct PlatPerson {
  int64_t enrollment = 0;
  RegionCode place;
  bool paid = false;    // status "paid", else "registered"
  std::string paid_on;  // fits the string's own buffer: no allocation
  int64_t individual = 0, subsidy = 0, family = 0;
  std::string txn;
  bool enrolled = false;
};

// The platform side in scope: one entry per person with an active enrollment,
// found by the IdKeys key of the ID.
struct PlatSide {
  std::vector<PlatPerson> persons;
  std::vector<uint64_t> keys;  // persons[i]'s key
  KeyIndex by_id;
  const PlatPerson* find(uint64_t key) const {
    uint32_t i = by_id.find(key);
    return i == KeyIndex::none ? nullptr : &persons[i];
  }
};

nlohmann::json tax_side(const TaxPerson& t, const std::vector<TaxRow>* tax) {
  std::vector<int64_t> rows;
  std::vector<std::string> txns;
  auto one = [&](uint32_t i) {
    rows.push_back((*tax)[i].row_no);
    if (!(*tax)[i].txn.empty()) txns.push_back((*tax)[i].txn);
  };
  if (t.n) {
    one(t.first);
    for (uint32_t i : t.more) one(i);
  }
  return {{"psn_clct_amt", yuan(t.net)},
          {"amount_fen", t.net},
          {"rows", rows},
          {"elec_taxrpt_no", txns},
          {"clct_time", t.first_time},
          {"taxdept_code", t.taxdept},
          {"unit", t.unit.empty() ? nlohmann::json() : nlohmann::json(t.unit.str())},
          {"unit_name", t.unit_name}};
}

nlohmann::json plat_side(const PlatPerson& p, std::string_view status_label) {
  return {{"enrollment_id", p.enrollment ? nlohmann::json(p.enrollment) : nlohmann::json()},
          {"place", p.place.empty() ? nlohmann::json() : nlohmann::json(p.place.str())},
          {"status", status_label},
          {"paid_on", p.paid_on},
          {"individual_fen", p.individual},
          {"individual_yuan", yuan(p.individual)},
          {"subsidy_fen", p.subsidy},
          {"external_txn", p.txn}};
}

// The tax side per person (rows of other years only counted).
TaxSide tax_by_person(const std::vector<TaxRow>& tax, IdKeys& keys, const ReconcileOptions& opt, ReconcileRun& run) {
  TaxSide ts;
  ts.rows = &tax;
  ts.by_id.reserve(tax.size());
  ts.persons.reserve(tax.size());
  for (uint32_t i = 0; i < tax.size(); ++i) {
    const TaxRow& r = tax[i];
    if (r.year != opt.year) {
      run.other_year++;
      continue;
    }
    uint64_t k = keys.key(r.certno);
    auto [at, fresh] = ts.by_id.try_emplace(k, uint32_t(ts.persons.size()));
    if (fresh) {
      ts.persons.emplace_back();
      ts.persons.back().first = i;
      ts.persons.back().key = k;
    } else {
      ts.persons[at].more.push_back(i);
    }
    auto& p = ts.persons[at];
    p.n++;
    p.net += r.amount;
    if (r.revs_flag == "Z") p.normal++;
    if (!r.unit.empty()) p.unit = r.unit;
    if (!r.unit_name.empty()) p.unit_name = r.unit_name;
    if (p.first_time.empty()) p.first_time = r.clct_time;
    if (!r.taxdept.empty()) p.taxdept = r.taxdept;
  }
  return ts;
}

// The platform side in scope: active enrollments with their ledger money,
// streamed from the store and netted here (nothing kept per row).
PlatSide platform_by_person(store::Store& st, IdKeys& keys, const ReconcileOptions& opt) {
  PlatSide ps;
  st.reconcile().each_active_enrollment(opt.scope, opt.year, [&](const store::PlatformEnrollmentRow& e) {
    uint64_t k = keys.key(e.person);
    auto [at, fresh] = ps.by_id.try_emplace(k, uint32_t(ps.persons.size()));
    if (fresh) {
      ps.persons.emplace_back();
      ps.keys.push_back(k);
    }
    auto& p = ps.persons[at];
    p.enrolled = true;
    p.enrollment = e.id;
    p.place = e.place;
    p.paid = e.paid;
    if (!e.paid_on.empty()) p.paid_on.assign(e.paid_on);
  });
  st.reconcile().each_payment(opt.scope, opt.year, [&](const store::PlatformPaymentRow& m) {
    uint32_t at = ps.by_id.find(keys.key(m.person));
    if (at == KeyIndex::none) return;  // ledger rows of an enrollment no longer active: not platform-paid
    auto& p = ps.persons[at];
    if (m.payer_kind == "department") p.subsidy += m.amount;
    else p.individual += m.amount;
    if (m.payer_kind == "family_account") p.family += m.amount;
    // MAX(external_txn): byte order, NULLs ignored (both engines compare text so).
    if (m.external_txn > std::string_view(p.txn)) p.txn.assign(m.external_txn);
  });
  return ps;
}

void add(ReconcileRun& run, MismatchKind k, const std::string& person, RegionCode unit, nlohmann::json t,
         nlohmann::json p, std::string action) {
  run.items.push_back(Mismatch{k, person, unit, std::move(t), std::move(p), std::move(action)});
}

bool platform_paid(const PlatPerson& p) { return p.paid && p.individual > 0; }

// A tax payer with no active enrollment in scope: enrolled elsewhere, or not at all.
// `where` is the person's roster entry and enrollments of the year (read for all such payers at once).
void compare_not_enrolled(const std::string& id, const TaxPerson& t, const std::vector<TaxRow>* tax,
                          const store::PersonElsewhere* where, const ReconcileOptions& opt, ReconcileRun& run) {
  std::optional<store::Enrollment> other;
  std::string why = "未参保登记";
  bool in_roster = where && where->in_roster;
  if (!in_roster) why = "人员不在花名册";
  if (where)
    for (auto& e : where->enrollments) {
      if (store::is_active(e.status)) other = e;
      else why = std::string("参保登记状态：") + std::string(store::status_label(e.status));
    }
  bool person_in_scope = in_roster && (opt.scope.empty() || where->hukou.inside(opt.scope));
  if (other) {
    // Enrolled outside the scope: a finding only when the tax bureau
    // counted the payment for a unit inside it; else another county's.
    // (The caller has already counted payers whose unit is outside.)
    if (t.unit.empty() || opt.scope.empty()) {
      run.out_of_scope++;
      return;
    }
    PlatPerson p;
    p.enrollment = other->id;
    p.place = other->place;
    p.paid = other->status == store::EnrollmentStatus::paid;
    run.tax_persons++;
    add(run, MismatchKind::wrong_unit, id, t.unit.empty() ? other->place : t.unit, tax_side(t, tax),
        plat_side(p, store::status_label(other->status)),
        fmt::format("平台参保地为 {}（不在本次核对范围），税务征收单位为 {}：核实参保地，必要时办理参保暂停后在正确单位登记",
                    other->place.str(), t.unit.empty() ? std::string(t.unit_name) : t.unit.str()));
    return;
  }
  if (t.unit.empty() && !person_in_scope && !opt.scope.empty()) {
    run.out_of_scope++;
    return;
  }
  run.tax_persons++;
  PlatPerson p;
  add(run, MismatchKind::tax_only, id, t.unit, tax_side(t, tax), plat_side(p, why),
      "核实参保登记：办理参保登记后按税票号码在台账补记缴费（canbao import payments），或由税务退费");
}

// A tax payer enrolled in scope: paid, once, the same amount, at the same unit.
void compare_enrolled(const std::string& id, const TaxPerson& t, const std::vector<TaxRow>* tax, const PlatPerson& p,
                      ReconcileRun& run) {
  run.tax_persons++;
  bool bad = false;
  if (!platform_paid(p)) {
    add(run, MismatchKind::tax_only, id, p.place, tax_side(t, tax),
        plat_side(p, p.paid ? "已缴费（台账无个人缴费）" : "已登记未缴费"),
        "按电子税票号码在台账补记缴费（canbao import payments 或 POST /payments，渠道 tax_hall）");
    bad = true;
  } else if (t.normal >= 2) {
    add(run, MismatchKind::tax_duplicate, id, p.place, tax_side(t, tax), plat_side(p, "已缴费"),
        "税务重复缴费：由税务核销重复的税票并退费（平台台账不变）");
    bad = true;
  } else if (t.net != p.individual) {
    add(run, MismatchKind::amount_differs, id, p.place, tax_side(t, tax), plat_side(p, "已缴费"),
        fmt::format("税务 {} 元、平台 {} 元：核实后冲正错误的台账记录并按正确金额重新记账，或由税务更正", yuan(t.net),
                    yuan(p.individual)));
    bad = true;
  }
  if (!t.unit.empty() && !p.place.empty() && !p.place.inside(t.unit)) {
    add(run, MismatchKind::wrong_unit, id, p.place, tax_side(t, tax),
        plat_side(p, store::status_label(p.paid ? store::EnrollmentStatus::paid
                                                             : store::EnrollmentStatus::registered)),
        fmt::format("税务计入 {}，平台参保地 {}：核实后更正税务征收单位或平台参保地",
                    t.unit_name.empty() ? t.unit.str() : std::string(t.unit_name), p.place.str()));
    bad = true;
  }
  if (!bad) run.matched++;
}

// Every tax payer of the year, in a stable order (by first row).
void compare_tax_persons(store::Store& st, const TaxSide& ts, const PlatSide& ps, const ReconcileOptions& opt,
                         ReconcileRun& run) {
  run.tax_persons = 0;
  const auto& tax = *ts.rows;
  std::vector<std::pair<int64_t, uint32_t>> order;
  order.reserve(ts.persons.size());
  for (uint32_t i = 0; i < ts.persons.size(); ++i) order.push_back({tax[ts.persons[i].first].row_no, i});
  std::sort(order.begin(), order.end());
  auto unit_in_scope = [&](const TaxPerson& t) {
    return t.unit.empty() ? true : (opt.scope.empty() || t.unit.inside(opt.scope) || opt.scope.inside(t.unit));
  };
  // Payers not enrolled in scope whose unit is: their roster entry and
  // enrollments elsewhere, read in one go (the others are out of scope
  // whatever those say).
  std::vector<std::string> lookup;
  for (auto& [_, i] : order) {
    const TaxPerson& t = ts.persons[i];
    const std::string& id = tax[t.first].certno;
    if (t.net > 0 && unit_in_scope(t) && !ps.find(t.key)) lookup.push_back(id);
  }
  std::unordered_map<std::string_view, store::PersonElsewhere> where;
  auto found = st.reconcile().persons_elsewhere(lookup, opt.year);
  where.reserve(found.size());
  for (auto& w : found) where.emplace(w.person, std::move(w));
  for (auto& [_, i] : order) {
    const TaxPerson& t = ts.persons[i];
    const std::string& id = tax[t.first].certno;
    if (t.net <= 0) continue;  // written off (+ / -) at the tax bureau
    if (const PlatPerson* p = ps.find(t.key)) {
      compare_enrolled(id, t, &tax, *p, run);
    } else if (!unit_in_scope(t)) {
      run.out_of_scope++;
    } else {
      auto it = where.find(id);
      compare_not_enrolled(id, t, &tax, it == where.end() ? nullptr : &it->second, opt, run);
    }
  }
}

// Platform paid, no tax record (in enrollment order).
void compare_platform_paid(const TaxSide& ts, const PlatSide& ps, const IdKeys& keys, const ReconcileOptions& opt,
                           ReconcileRun& run) {
  std::vector<std::pair<int64_t, uint32_t>> porder;
  for (uint32_t i = 0; i < ps.persons.size(); ++i) {
    const PlatPerson& p = ps.persons[i];
    if (!platform_paid(p)) continue;
    run.platform_paid++;
    const TaxPerson* t = ts.find(ps.keys[i]);
    if (t && t->net > 0) continue;
    if (opt.skip_family_account && p.family == p.individual) continue;
    porder.push_back({p.enrollment, i});
  }
  std::sort(porder.begin(), porder.end());
  const TaxPerson empty;
  for (auto& [_, i] : porder) {
    const PlatPerson& p = ps.persons[i];
    const TaxPerson* t = ts.find(ps.keys[i]);
    add(run, MismatchKind::platform_only, keys.text(ps.keys[i]), p.place, tax_side(t ? *t : empty, ts.rows),
        plat_side(p, "已缴费"),
        "向税务核实缴费；确无缴费的，冲正台账中的缴费记录（POST /payments/{id}/reverse），参保登记恢复为已登记未缴费");
  }
}

// Treasury: per unit, persons and money on the platform (counters) vs 入库.
void compare_treasury(store::Store& st, const std::vector<TreasuryRow>& tr, const TaxSide& ts,
                      const ReconcileOptions& opt, ReconcileRun& run) {
  // The tax side by the unit it was counted for (a few hundred units at most),
  // so each treasury unit sums units, not payers.
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> by_unit;  // persons, fen
  std::vector<RegionCode> units;
  if (!tr.empty())
    for (auto& t : ts.persons)
      if (t.net > 0 && !t.unit.empty()) {
        auto [it, fresh] = by_unit.try_emplace(t.unit.padded_number(), 0, 0);
        if (fresh) units.push_back(t.unit);
        it->second.first++;
        it->second.second += t.net;
      }
  for (auto& r : tr) {
    if (!opt.scope.empty() && !r.unit.inside(opt.scope) && !opt.scope.inside(r.unit)) {
      run.out_of_scope++;
      continue;
    }
    Counts c = counter_totals(st, r.unit, opt.year);
    int64_t tax_n = 0, tax_fen = 0;
    for (auto& u : units)
      if (u.inside(r.unit)) {
        auto& [n, fen] = by_unit[u.padded_number()];
        tax_n += n;
        tax_fen += fen;
      }
    int64_t plat_fen = c.collected_fen + c.subsidy_fen;
    if (c.paid != r.persons || plat_fen != r.amount) {
      add(run, MismatchKind::treasury_differs, "", r.unit,
          {{"unit_name", r.unit_name}, {"treasury_persons", r.persons}, {"treasury_fen", r.amount},
           {"treasury_yuan", yuan(r.amount)}, {"tax_persons", tax_n}, {"tax_fen", tax_fen}, {"tax_yuan", yuan(tax_fen)},
           {"row", r.row_no}},
          {{"paid_persons", c.paid}, {"amount_fen", plat_fen}, {"amount_yuan", yuan(plat_fen)},
           {"individual_fen", c.collected_fen}, {"subsidy_fen", c.subsidy_fen}},
          fmt::format("国库入库 {} 人 {} 元，平台 {} 人 {} 元：按 城政字〔2024〕21号 四(三) 调整平台参保信息，确保与国库缴费人数一致",
                      r.persons, yuan(r.amount), c.paid, yuan(plat_fen)));
    }
  }
}

// The comparison itself; fills run.items and counts. Both sides are read
// whole and joined by hash: a few set reads, never a query per payer.
void compare(store::Store& st, const std::vector<TaxRow>& tax, const std::vector<TreasuryRow>& tr,
             const ReconcileOptions& opt, ReconcileRun& run) {
  IdKeys keys;
  auto ts = tax_by_person(tax, keys, opt, run);
  auto ps = platform_by_person(st, keys, opt);
  compare_tax_persons(st, ts, ps, opt, run);
  compare_platform_paid(ts, ps, keys, opt, run);
  compare_treasury(st, tr, ts, opt, run);
}

// Writes the run's header (inside the caller's transaction); sets its id and created_at.
void save_run(store::Store& st, ReconcileRun& run, const ReconcileOptions& opt, const std::string& tax_file,
              const std::string& tax_fp, const std::string& tr_file, const std::string& tr_fp) {
  store::NewReconcileRun nr;
  nr.year = run.year;
  nr.scope = run.scope;
  nr.inputs_from = run.inputs_from;
  nr.tax_file = tax_file;
  nr.tax_fingerprint = tax_fp;
  nr.treasury_file = tr_file;
  nr.treasury_fingerprint = tr_fp;
  nr.actor = opt.actor;
  nr.as_of = opt.today;
  nr.tax_rows = run.tax_rows;
  nr.treasury_rows = run.treasury_rows;
  nr.mismatches = int64_t(run.items.size());
  auto added = st.reconcile().add_run(nr);
  run.id = added.id;
  run.created_at = std::move(added.created_at);
  run.actor = opt.actor;
}

void save_items(store::Store& st, const ReconcileRun& run) {
  std::vector<store::ReconcileFinding> fs;
  fs.reserve(run.items.size());
  for (auto& m : run.items)
    fs.push_back({std::string(mismatch_id(m.kind)), m.person, m.unit, m.tax.dump(), m.platform.dump(), m.action});
  st.reconcile().finish_run(run.id, fs, run.summary().dump());
}

}  // namespace

std::string_view mismatch_id(MismatchKind k) {
  for (auto& i : kKinds)
    if (i.k == k) return i.id;
  return "?";
}
std::string_view mismatch_label(MismatchKind k) {
  for (auto& i : kKinds)
    if (i.k == k) return i.label;
  return "?";
}
std::optional<MismatchKind> parse_mismatch(std::string_view s) {
  for (auto& i : kKinds)
    if (i.id == s || i.label == s) return i.k;
  return std::nullopt;
}

std::map<std::string, int64_t> ReconcileRun::count_by_kind() const {
  std::map<std::string, int64_t> m;
  for (auto& i : kKinds) m[std::string(i.id)] = 0;
  for (auto& it : items) m[std::string(mismatch_id(it.kind))]++;
  return m;
}

nlohmann::json ReconcileRun::summary() const {
  nlohmann::json probs = nlohmann::json::array();
  for (auto& p : problems)
    probs.push_back({{"file", p.file}, {"row", p.row}, {"column", p.column}, {"value", p.value}, {"reason", p.reason}});
  return {{"run", id},
          {"year", year},
          {"scope", scope.empty() ? nlohmann::json() : nlohmann::json(scope.str())},
          {"inputs_from", inputs_from ? nlohmann::json(inputs_from) : nlohmann::json()},
          {"created_at", created_at},
          {"actor", actor},
          {"tax_rows", tax_rows},
          {"treasury_rows", treasury_rows},
          {"tax_persons", tax_persons},
          {"platform_paid", platform_paid},
          {"matched", matched},
          {"out_of_scope", out_of_scope},
          {"other_year", other_year},
          {"mismatches", int64_t(items.size())},
          {"by_kind", count_by_kind()},
          {"problems", probs}};
}

nlohmann::json ReconcileRun::to_json(bool unmask) const {
  nlohmann::json j = summary();
  j["items"] = nlohmann::json::array();
  for (auto& m : items)
    j["items"].push_back({{"kind", mismatch_id(m.kind)},
                          {"kind_label", mismatch_label(m.kind)},
                          {"id_number", m.person.empty() ? nlohmann::json() : nlohmann::json(unmask ? m.person : mask_id(m.person))},
                          {"unit", m.unit.empty() ? nlohmann::json() : nlohmann::json(m.unit.str())},
                          {"tax", m.tax},
                          {"platform", m.platform},
                          {"action", m.action}});
  return j;
}

ReconcileRun reconcile_files(store::Store& st, const std::string& tax_path, const std::string& treasury_path,
                             const ReconcileOptions& opt) {
  ReconcileRun run;
  run.year = opt.year;
  run.scope = opt.scope;
  NameIndex names(st);
  std::vector<TaxRow> tax;
  std::vector<TreasuryRow> tr;
  read_tax(tax_path, opt, names, tax, run.problems);
  if (!treasury_path.empty()) read_treasury(treasury_path, names, tr, run.problems);
  run.tax_rows = int64_t(tax.size());
  run.treasury_rows = int64_t(tr.size());
  compare(st, tax, tr, opt, run);
  auto tx = st.transaction();
  save_run(st, run, opt, tax_path, file_fingerprint(tax_path), treasury_path,
           treasury_path.empty() ? "" : file_fingerprint(treasury_path));
  st.reconcile().add_tax_rows(run.id, tax);
  st.reconcile().add_treasury_rows(run.id, tr);
  save_items(st, run);
  st.audit(store::AuditEntry{"", opt.actor, "reconciliation.run", "reconciliation", std::to_string(run.id), "",
                             nlohmann::json{{"by_kind", run.count_by_kind()}, {"tax_rows", run.tax_rows}}.dump(),
                             run.scope});
  tx.commit();
  return run;
}

ReconcileRun rerun(store::Store& st, int64_t run_id, const ReconcileOptions& opt_in) {
  ReconcileOptions opt = opt_in;
  auto in = st.reconcile().inputs_of(run_id);
  if (!in) throw store::StoreError(fmt::format("reconciliation run {} not found", run_id));
  int64_t inputs = in->inputs_run;
  opt.year = in->year;
  opt.scope = in->scope;
  std::vector<TaxRow> tax = st.reconcile().tax_rows(inputs);
  std::vector<TreasuryRow> tr = st.reconcile().treasury_rows(inputs);
  ReconcileRun run;
  run.year = opt.year;
  run.scope = opt.scope;
  run.inputs_from = inputs;
  run.tax_rows = int64_t(tax.size());
  run.treasury_rows = int64_t(tr.size());
  compare(st, tax, tr, opt, run);
  auto tx = st.transaction();
  save_run(st, run, opt, "", "", "", "");
  save_items(st, run);
  st.audit(store::AuditEntry{"", opt.actor, "reconciliation.rerun", "reconciliation", std::to_string(run.id), "",
                             nlohmann::json{{"inputs_from", inputs}, {"by_kind", run.count_by_kind()}}.dump(),
                             run.scope});
  tx.commit();
  return run;
}

std::optional<ReconcileRun> load_run(store::Store& st, int64_t run_id) {
  auto stored = st.reconcile().run(run_id);
  if (!stored) return std::nullopt;
  std::optional<ReconcileRun> out(std::in_place);
  out->id = stored->id;
  out->year = stored->year;
  out->scope = stored->scope;
  out->inputs_from = stored->inputs_from;
  out->actor = std::move(stored->actor);
  out->created_at = std::move(stored->created_at);
  out->tax_rows = stored->tax_rows;
  out->treasury_rows = stored->treasury_rows;
  auto sj = nlohmann::json::parse(stored->summary, nullptr, false);
  if (sj.is_object()) {
    out->tax_persons = sj.value("tax_persons", int64_t{0});
    out->platform_paid = sj.value("platform_paid", int64_t{0});
    out->matched = sj.value("matched", int64_t{0});
    out->out_of_scope = sj.value("out_of_scope", int64_t{0});
    out->other_year = sj.value("other_year", int64_t{0});
  }
  for (auto& f : st.reconcile().findings(run_id)) {
    Mismatch m;
    m.kind = parse_mismatch(f.kind).value_or(MismatchKind::tax_only);
    m.person = std::move(f.person);
    m.unit = f.unit;
    m.tax = nlohmann::json::parse(f.tax, nullptr, false);
    m.platform = nlohmann::json::parse(f.platform, nullptr, false);
    m.action = std::move(f.action);
    out->items.push_back(std::move(m));
  }
  return out;
}

std::vector<RunInfo> list_runs(store::Store& st, int year) { return st.reconcile().runs(year); }

void write_reconcile_xlsx(const ReconcileRun& run, const std::string& path, bool unmask) {
  io::XlsxWriter w(path);
  auto sj = run.summary();
  w.add_sheet("汇总", {"项目", "数值"});
  w.add_row({"核对批次", run.id});
  w.add_row({"年度", run.year});
  w.add_row({"核对范围", run.scope.empty() ? std::string("全部") : run.scope.str()});
  w.add_row({"核对时间", run.created_at});
  w.add_row({"税务明细行数", run.tax_rows});
  w.add_row({"国库汇总行数", run.treasury_rows});
  w.add_row({"税务缴费人数", run.tax_persons});
  w.add_row({"平台已缴费人数", run.platform_paid});
  w.add_row({"一致人数", run.matched});
  w.add_row({"不在范围内", run.out_of_scope});
  for (auto& i : kKinds) w.add_row({std::string(i.label), run.count_by_kind()[std::string(i.id)]});
  auto idv = [&](const std::string& p) { return unmask ? p : mask_id(p); };
  for (auto& i : kKinds) {
    if (i.k == MismatchKind::treasury_differs) continue;
    w.add_sheet(std::string(i.label).substr(0, 27),
                {"序号", "身份证号", "单位区划", "税务金额（元）", "税务行号", "电子税票号码", "缴费时间", "税务征收单位",
                 "平台参保地", "平台状态", "平台个人缴费（元）", "平台资助（元）", "处理方式"});
    int64_t n = 0;
    for (auto& m : run.items) {
      if (m.kind != i.k) continue;
      std::string rows, txns;
      for (auto& r : m.tax.value("rows", nlohmann::json::array())) rows += (rows.empty() ? "" : ",") + std::to_string(r.get<int64_t>());
      for (auto& t : m.tax.value("elec_taxrpt_no", nlohmann::json::array()))
        txns += (txns.empty() ? "" : ",") + t.get<std::string>();
      auto str = [](const nlohmann::json& j, const char* k) {
        return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
      };
      w.add_row({++n, idv(m.person), m.unit.empty() ? std::string() : m.unit.str(),
                 Money::from_fen(m.tax.value("amount_fen", int64_t{0})), rows, txns, str(m.tax, "clct_time"),
                 str(m.tax, "unit_name").empty() ? str(m.tax, "unit") : str(m.tax, "unit_name"), str(m.platform, "place"),
                 str(m.platform, "status"), Money::from_fen(m.platform.value("individual_fen", int64_t{0})),
                 Money::from_fen(m.platform.value("subsidy_fen", int64_t{0})), m.action});
    }
  }
  w.add_sheet("国库核对不一致", {"单位", "区划代码", "国库入库人数", "国库入库金额（元）", "平台缴费人数",
                                 "平台金额（元）", "税务人数", "税务金额（元）", "处理方式"});
  for (auto& m : run.items) {
    if (m.kind != MismatchKind::treasury_differs) continue;
    w.add_row({m.tax.value("unit_name", std::string()), m.unit.str(), m.tax.value("treasury_persons", int64_t{0}),
               Money::from_fen(m.tax.value("treasury_fen", int64_t{0})), m.platform.value("paid_persons", int64_t{0}),
               Money::from_fen(m.platform.value("amount_fen", int64_t{0})), m.tax.value("tax_persons", int64_t{0}),
               Money::from_fen(m.tax.value("tax_fen", int64_t{0})), m.action});
  }
  if (!run.problems.empty()) {
    w.add_sheet("无法读取的行", {"文件", "行号", "列", "值", "原因"});
    for (auto& p : run.problems) w.add_row({p.file, p.row, p.column, p.value, p.reason});
  }
  w.close();
}

}  // namespace canbao::campaign
