#include "campaign/reconcile.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "campaign/progress.h"
#include "campaign/util.h"
#include "core/id_number.h"
#include "core/money.h"
#include "io/table.h"
#include "io/xlsx_writer.h"
#include "registry/sha256.h"

namespace canbao::campaign {

using store::detail::Param;
using store::detail::RowView;
using store::detail::region_p;
using store::detail::region_range;
using store::detail::text_or_null;

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

struct TaxRow {
  int64_t row_no = 0;
  std::string txn, certno, name;
  int64_t amount = 0;
  std::string clct_time, taxdept, revs_flag = "Z";
  RegionCode unit;
  std::string unit_name;
  int year = 0;
};

struct TreasuryRow {
  int64_t row_no = 0;
  RegionCode unit;
  std::string unit_name;
  int64_t persons = 0, amount = 0;
};

std::optional<Date> parse_time(const std::string& tv) {
  if (tv.size() >= 10)
    if (auto d = Date::parse(tv.substr(0, 10))) return d;
  if (tv.size() >= 8 && std::all_of(tv.begin(), tv.begin() + 8, ::isdigit))
    return Date::parse(tv.substr(0, 4) + "-" + tv.substr(4, 2) + "-" + tv.substr(6, 2));
  return std::nullopt;
}

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
  auto cell = [&](int c) -> std::string { return c >= 0 && size_t(c) < row.cells.size() ? row.cells[size_t(c)] : ""; };
  while (t->next(row)) {
    TaxRow r;
    r.row_no = row.number;
    std::string raw = cell(c_id);
    auto id = IdNumber::parse(raw, opt.today.plus_days(366));
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
    std::string f = cell(c_revs);
    r.revs_flag = f.empty() ? "Z" : f;
    if (r.revs_flag == "-") r.amount = -std::llabs(r.amount);
    r.year = opt.year;
    std::string y = cell(c_year);
    if (y.size() >= 4 && std::all_of(y.begin(), y.begin() + 4, ::isdigit)) r.year = std::stoi(y.substr(0, 4));
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

// Multi-row INSERTs (one statement per `per` rows) inside the caller's transaction.
void insert_rows(store::detail::SqlStore& s, std::string_view table, std::initializer_list<std::string_view> cols,
                 const std::vector<Param>& ps) {
  const size_t nc = cols.size();
  const size_t per = 400;
  std::string head = fmt::format("INSERT INTO {} ({}) VALUES ", table, fmt::join(cols, ", "));
  std::string one = "(" + std::string(nc * 3 - 2, ' ') + ")";
  {
    std::string t;
    for (size_t i = 0; i < nc; ++i) t += i ? ", ?" : "?";
    one = "(" + t + ")";
  }
  auto sql_for = [&](size_t rows) {
    std::string q = head;
    for (size_t r = 0; r < rows; ++r) q += r ? ", " + one : one;
    return q;
  };
  std::string full = sql_for(per);
  size_t nrows = ps.size() / nc;
  for (size_t r = 0; r < nrows; r += per) {
    size_t k = std::min(per, nrows - r);
    std::span<const Param> sp(ps.data() + r * nc, k * nc);
    if (k == per) s.sql_exec(full, sp);
    else s.sql_exec(sql_for(k), sp);
  }
}

void store_inputs(store::detail::SqlStore& s, int64_t run, const std::vector<TaxRow>& tax,
                  const std::vector<TreasuryRow>& tr) {
  std::vector<Param> ps;
  ps.reserve(tax.size() * 13);
  std::vector<std::string> region_keep;
  for (auto& r : tax) {
    ps.insert(ps.end(), {Param(run), Param(r.row_no), text_or_null(r.txn), Param(r.certno), text_or_null(r.name),
                         Param(r.amount), text_or_null(r.clct_time), text_or_null(r.taxdept), Param(r.revs_flag),
                         region_p(r.unit), text_or_null(r.unit_name), Param(r.year),
                         Param(int64_t(r.unit.empty() ? 0 : r.unit.padded_number()))});
  }
  insert_rows(s, "reconciliation_tax_rows",
              {"run", "row_no", "elec_taxrpt_no", "certno", "psn_name", "amount", "clct_time", "taxdept_code",
               "revs_flag", "unit_region", "unit_name", "year", "region"},
              ps);
  ps.clear();
  for (auto& r : tr)
    ps.insert(ps.end(), {Param(run), Param(r.row_no), region_p(r.unit), text_or_null(r.unit_name), Param(r.persons),
                         Param(r.amount), Param(int64_t(r.unit.padded_number()))});
  insert_rows(s, "reconciliation_treasury_rows",
              {"run", "row_no", "unit_region", "unit_name", "persons", "amount", "region"}, ps);
}

void load_inputs(store::detail::SqlStore& s, int64_t run, std::vector<TaxRow>& tax, std::vector<TreasuryRow>& tr) {
  s.sql_query(
      "SELECT row_no, elec_taxrpt_no, certno, psn_name, amount, clct_time, taxdept_code, revs_flag, unit_region, "
      "unit_name, year FROM reconciliation_tax_rows WHERE run = ? ORDER BY id",
      {run}, [&](const RowView& v) {
        TaxRow r;
        r.row_no = v.i(0);
        if (!v.null(1)) r.txn = v.s(1);
        r.certno = v.s(2);
        if (!v.null(3)) r.name = v.s(3);
        r.amount = v.i(4);
        if (!v.null(5)) r.clct_time = v.s(5);
        if (!v.null(6)) r.taxdept = v.s(6);
        r.revs_flag = v.s(7);
        if (!v.null(8)) r.unit = v.region(8);
        if (!v.null(9)) r.unit_name = v.s(9);
        r.year = v.null(10) ? 0 : int(v.i(10));
        tax.push_back(std::move(r));
      });
  s.sql_query("SELECT row_no, unit_region, unit_name, persons, amount FROM reconciliation_treasury_rows WHERE run = ? "
              "ORDER BY id",
              {run}, [&](const RowView& v) {
                TreasuryRow r;
                r.row_no = v.i(0);
                if (!v.null(1)) r.unit = v.region(1);
                if (!v.null(2)) r.unit_name = v.s(2);
                r.persons = v.i(3);
                r.amount = v.i(4);
                tr.push_back(std::move(r));
              });
}

std::string yuan(int64_t fen) { return Money::from_fen(fen).yuan(); }

struct TaxPerson {
  int64_t net = 0;
  int normal = 0;  // rows with flag Z
  std::vector<int64_t> rows;
  std::vector<std::string> txns;
  RegionCode unit;
  std::string unit_name, first_time, taxdept;
};

struct PlatPerson {
  int64_t enrollment = 0;
  RegionCode place;
  std::string status;
  std::string paid_on;
  int64_t individual = 0, subsidy = 0, family = 0;
  std::string txn;
  bool enrolled = false;
};

nlohmann::json tax_side(const TaxPerson& t) {
  return {{"psn_clct_amt", yuan(t.net)},
          {"amount_fen", t.net},
          {"rows", t.rows},
          {"elec_taxrpt_no", t.txns},
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

// The comparison itself; fills run.items and counts.
void compare(store::Store& st, const std::vector<TaxRow>& tax, const std::vector<TreasuryRow>& tr,
             const ReconcileOptions& opt, ReconcileRun& run) {
  auto& s = sql(st);
  auto [lo, hi] = region_range(opt.scope);
  // Tax side per person.
  std::unordered_map<std::string, TaxPerson> tp;
  std::map<uint64_t, std::pair<int64_t, int64_t>> tax_by_unit;  // unit padded → (persons, fen), filled below
  for (auto& r : tax) {
    if (r.year != opt.year) {
      run.other_year++;
      continue;
    }
    auto& p = tp[r.certno];
    p.net += r.amount;
    if (r.revs_flag == "Z") p.normal++;
    p.rows.push_back(r.row_no);
    if (!r.txn.empty()) p.txns.push_back(r.txn);
    if (!r.unit.empty()) p.unit = r.unit;
    if (!r.unit_name.empty()) p.unit_name = r.unit_name;
    if (p.first_time.empty()) p.first_time = r.clct_time;
    if (!r.taxdept.empty()) p.taxdept = r.taxdept;
  }
  // Platform side in scope.
  std::unordered_map<std::string, PlatPerson> pp;
  pp.reserve(tp.size() + 1024);
  s.sql_query("SELECT person, id, place_region, status, paid_on FROM enrollments WHERE year = ? AND place_region "
              "BETWEEN ? AND ? AND status IN ('registered', 'paid')",
              {opt.year, lo, hi}, [&](const RowView& v) {
                auto& p = pp[std::string(v.s(0))];
                p.enrolled = true;
                p.enrollment = v.i(1);
                p.place = v.region(2);
                p.status = v.s(3);
                if (!v.null(4)) p.paid_on = v.s(4);
              });
  s.sql_query("SELECT person, SUM(CASE WHEN payer_kind <> 'department' THEN amount ELSE 0 END), "
              "SUM(CASE WHEN payer_kind = 'department' THEN amount ELSE 0 END), "
              "SUM(CASE WHEN payer_kind = 'family_account' THEN amount ELSE 0 END), MAX(external_txn) "
              "FROM payments WHERE year = ? AND region BETWEEN ? AND ? GROUP BY person",
              {opt.year, lo, hi}, [&](const RowView& v) {
                auto it = pp.find(std::string(v.s(0)));
                if (it == pp.end()) return;  // ledger rows of an enrollment no longer active: not platform-paid
                it->second.individual = v.i(1);
                it->second.subsidy = v.i(2);
                it->second.family = v.i(3);
                if (!v.null(4)) it->second.txn = v.s(4);
              });
  auto add = [&](MismatchKind k, const std::string& person, RegionCode unit, nlohmann::json t, nlohmann::json p,
                 std::string action) {
    run.items.push_back(Mismatch{k, person, unit, std::move(t), std::move(p), std::move(action)});
  };
  auto paid = [](const PlatPerson& p) { return p.status == "paid" && p.individual > 0; };
  run.tax_persons = 0;
  // Tax persons in a stable order (by first row).
  std::vector<std::pair<int64_t, const std::string*>> order;
  for (auto& [id, t] : tp) order.push_back({t.rows.front(), &id});
  std::sort(order.begin(), order.end());
  for (auto& [_, idp] : order) {
    const std::string& id = *idp;
    const TaxPerson& t = tp[id];
    if (t.net <= 0) continue;  // written off (+ / -) at the tax bureau
    auto it = pp.find(id);
    bool unit_in_scope = t.unit.empty() ? true : (opt.scope.empty() || t.unit.inside(opt.scope) ||
                                                  opt.scope.inside(t.unit));
    if (it == pp.end()) {
      // Not enrolled in scope: enrolled elsewhere, or not at all.
      std::optional<store::Enrollment> other;
      std::string why = "未参保登记";
      auto person = st.person(id);
      if (!person) why = "人员不在花名册";
      for (auto& e : st.enrollments_of(id, opt.year)) {
        if (store::is_active(e.status)) other = e;
        else why = std::string("参保登记状态：") + std::string(store::status_label(e.status));
      }
      bool person_in_scope = person && (opt.scope.empty() || person->hukou.inside(opt.scope));
      if (other) {
        // Enrolled outside the scope: a finding only when the tax bureau
        // counted the payment for a unit inside it; else another county's.
        if (t.unit.empty() || !unit_in_scope || opt.scope.empty()) {
          run.out_of_scope++;
          continue;
        }
        PlatPerson p;
        p.enrollment = other->id;
        p.place = other->place;
        p.status = std::string(store::status_id(other->status));
        run.tax_persons++;
        add(MismatchKind::wrong_unit, id, t.unit.empty() ? other->place : t.unit, tax_side(t),
            plat_side(p, store::status_label(other->status)),
            fmt::format("平台参保地为 {}（不在本次核对范围），税务征收单位为 {}：核实参保地，必要时办理参保暂停后在正确单位登记",
                        other->place.str(), t.unit.empty() ? t.unit_name : t.unit.str()));
        continue;
      }
      if (!unit_in_scope || (t.unit.empty() && !person_in_scope && !opt.scope.empty())) {
        run.out_of_scope++;
        continue;
      }
      run.tax_persons++;
      PlatPerson p;
      add(MismatchKind::tax_only, id, t.unit, tax_side(t), plat_side(p, why),
          "核实参保登记：办理参保登记后按税票号码在台账补记缴费（canbao import payments），或由税务退费");
      continue;
    }
    run.tax_persons++;
    const PlatPerson& p = it->second;
    bool bad = false;
    if (!paid(p)) {
      add(MismatchKind::tax_only, id, p.place, tax_side(t),
          plat_side(p, p.status == "paid" ? "已缴费（台账无个人缴费）" : "已登记未缴费"),
          "按电子税票号码在台账补记缴费（canbao import payments 或 POST /payments，渠道 tax_hall）");
      bad = true;
    } else if (t.normal >= 2) {
      add(MismatchKind::tax_duplicate, id, p.place, tax_side(t), plat_side(p, "已缴费"),
          "税务重复缴费：由税务核销重复的税票并退费（平台台账不变）");
      bad = true;
    } else if (t.net != p.individual) {
      add(MismatchKind::amount_differs, id, p.place, tax_side(t), plat_side(p, "已缴费"),
          fmt::format("税务 {} 元、平台 {} 元：核实后冲正错误的台账记录并按正确金额重新记账，或由税务更正", yuan(t.net),
                      yuan(p.individual)));
      bad = true;
    }
    if (!t.unit.empty() && !p.place.empty() && !p.place.inside(t.unit)) {
      add(MismatchKind::wrong_unit, id, p.place, tax_side(t), plat_side(p, store::status_label(
                                                                                  p.status == "paid" ? store::EnrollmentStatus::paid : store::EnrollmentStatus::registered)),
          fmt::format("税务计入 {}，平台参保地 {}：核实后更正税务征收单位或平台参保地", t.unit_name.empty() ? t.unit.str() : t.unit_name,
                      p.place.str()));
      bad = true;
    }
    if (!bad) run.matched++;
  }
  // Platform paid, no tax record.
  std::vector<std::pair<int64_t, const std::string*>> porder;
  for (auto& [id, p] : pp) {
    if (!paid(p)) continue;
    run.platform_paid++;
    auto it = tp.find(id);
    if (it != tp.end() && it->second.net > 0) continue;
    if (opt.skip_family_account && p.family == p.individual) continue;
    porder.push_back({p.enrollment, &id});
  }
  std::sort(porder.begin(), porder.end());
  for (auto& [_, idp] : porder) {
    const PlatPerson& p = pp[*idp];
    auto it = tp.find(*idp);
    TaxPerson empty;
    add(MismatchKind::platform_only, *idp, p.place, tax_side(it == tp.end() ? empty : it->second),
        plat_side(p, "已缴费"),
        "向税务核实缴费；确无缴费的，冲正台账中的缴费记录（POST /payments/{id}/reverse），参保登记恢复为已登记未缴费");
  }
  // Treasury: per unit, persons and money on the platform (counters) vs 入库.
  for (auto& r : tr) {
    if (!opt.scope.empty() && !r.unit.inside(opt.scope) && !opt.scope.inside(r.unit)) {
      run.out_of_scope++;
      continue;
    }
    Counts c = counter_totals(st, r.unit, opt.year);
    int64_t tax_n = 0, tax_fen = 0;
    for (auto& [id, t] : tp)
      if (t.net > 0 && !t.unit.empty() && t.unit.inside(r.unit)) {
        tax_n++;
        tax_fen += t.net;
      }
    int64_t plat_fen = c.collected_fen + c.subsidy_fen;
    if (c.paid != r.persons || plat_fen != r.amount) {
      add(MismatchKind::treasury_differs, "", r.unit,
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

int64_t save_run(store::Store& st, ReconcileRun& run, const ReconcileOptions& opt, const std::string& tax_file,
                 const std::string& tax_fp, const std::string& tr_file, const std::string& tr_fp) {
  auto& s = sql(st);
  run.created_at = store::detail::now_iso();
  run.actor = opt.actor;
  run.id = s.sql_insert(
      "INSERT INTO reconciliation_runs (year, scope, inputs_from, tax_file, tax_fingerprint, treasury_file, "
      "treasury_fingerprint, actor, created_at, as_of, tax_rows, treasury_rows, mismatches, summary, region) VALUES "
      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {run.year, region_p(run.scope), run.inputs_from ? Param(run.inputs_from) : Param(), text_or_null(tax_file),
       text_or_null(tax_fp), text_or_null(tr_file), text_or_null(tr_fp), opt.actor, run.created_at, opt.today,
       run.tax_rows, run.treasury_rows, int64_t(run.items.size()), "{}",
       int64_t(run.scope.empty() ? 0 : run.scope.padded_number())});
  return run.id;
}

void save_items(store::Store& st, const ReconcileRun& run) {
  auto& s = sql(st);
  std::vector<std::string> keep;
  keep.reserve(run.items.size() * 3);
  std::vector<Param> ps;
  ps.reserve(run.items.size() * 8);
  for (auto& m : run.items) {
    keep.push_back(m.tax.dump());
    keep.push_back(m.platform.dump());
  }
  size_t k = 0;
  for (auto& m : run.items) {
    ps.insert(ps.end(), {Param(run.id), Param(mismatch_id(m.kind)), text_or_null(m.person), region_p(m.unit),
                         Param(keep[k]), Param(keep[k + 1]), Param(m.action),
                         Param(int64_t(m.unit.empty() ? 0 : m.unit.padded_number()))});
    k += 2;
  }
  insert_rows(s, "reconciliation_items", {"run", "kind", "person", "unit_region", "tax", "platform", "action", "region"},
              ps);
  std::string summary = run.summary().dump();
  s.sql_exec("UPDATE reconciliation_runs SET summary = ?, mismatches = ? WHERE id = ?",
             {summary, int64_t(run.items.size()), run.id});
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
  store_inputs(sql(st), run.id, tax, tr);
  save_items(st, run);
  st.audit(store::AuditEntry{"", opt.actor, "reconciliation.run", "reconciliation", std::to_string(run.id), "",
                             nlohmann::json{{"by_kind", run.count_by_kind()}, {"tax_rows", run.tax_rows}}.dump(),
                             run.scope});
  tx.commit();
  return run;
}

ReconcileRun rerun(store::Store& st, int64_t run_id, const ReconcileOptions& opt_in) {
  auto& s = sql(st);
  int64_t inputs = 0;
  ReconcileOptions opt = opt_in;
  bool found = false;
  s.sql_query("SELECT COALESCE(inputs_from, id), year, scope FROM reconciliation_runs WHERE id = ?", {run_id},
              [&](const RowView& v) {
                found = true;
                inputs = v.i(0);
                opt.year = int(v.i(1));
                opt.scope = v.null(2) ? RegionCode{} : v.region(2);
              });
  if (!found) throw store::StoreError(fmt::format("reconciliation run {} not found", run_id));
  std::vector<TaxRow> tax;
  std::vector<TreasuryRow> tr;
  load_inputs(s, inputs, tax, tr);
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
  auto& s = sql(st);
  std::optional<ReconcileRun> out;
  std::string summary;
  s.sql_query("SELECT id, year, scope, inputs_from, actor, created_at, tax_rows, treasury_rows, summary FROM "
              "reconciliation_runs WHERE id = ?",
              {run_id}, [&](const RowView& v) {
                ReconcileRun r;
                r.id = v.i(0);
                r.year = int(v.i(1));
                if (!v.null(2)) r.scope = v.region(2);
                r.inputs_from = v.null(3) ? 0 : v.i(3);
                r.actor = v.s(4);
                r.created_at = v.s(5);
                r.tax_rows = v.i(6);
                r.treasury_rows = v.i(7);
                summary = v.s(8);
                out = std::move(r);
              });
  if (!out) return out;
  auto sj = nlohmann::json::parse(summary, nullptr, false);
  if (sj.is_object()) {
    out->tax_persons = sj.value("tax_persons", int64_t{0});
    out->platform_paid = sj.value("platform_paid", int64_t{0});
    out->matched = sj.value("matched", int64_t{0});
    out->out_of_scope = sj.value("out_of_scope", int64_t{0});
    out->other_year = sj.value("other_year", int64_t{0});
  }
  s.sql_query("SELECT kind, person, unit_region, tax, platform, action FROM reconciliation_items WHERE run = ? ORDER BY id",
              {run_id}, [&](const RowView& v) {
                Mismatch m;
                m.kind = parse_mismatch(v.s(0)).value_or(MismatchKind::tax_only);
                if (!v.null(1)) m.person = v.s(1);
                if (!v.null(2)) m.unit = v.region(2);
                m.tax = nlohmann::json::parse(v.s(3), nullptr, false);
                m.platform = nlohmann::json::parse(v.s(4), nullptr, false);
                m.action = v.s(5);
                out->items.push_back(std::move(m));
              });
  return out;
}

std::vector<RunInfo> list_runs(store::Store& st, int year) {
  std::vector<RunInfo> out;
  sql(st).sql_query("SELECT id, COALESCE(inputs_from, 0), mismatches, year, created_at, actor, scope FROM "
                    "reconciliation_runs WHERE year = ? ORDER BY id",
                    {year}, [&](const RowView& v) {
                      out.push_back({v.i(0), v.i(1), v.i(2), int(v.i(3)), std::string(v.s(4)), std::string(v.s(5)),
                                     v.null(6) ? RegionCode{} : v.region(6)});
                    });
  return out;
}

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
