// canbao policy check|show — validate policy files; print one as a readable table.
#include <fmt/format.h>

#include "cli/commands.h"
#include "assess/whatif.h"
#include "io/policy_file.h"
#include "io/roster.h"
#include "policy/describe.h"
#include "policy/diff.h"

namespace canbao::cli {

namespace {

std::string cond_text(const Condition& c) { return condition_text(c); }

// "  〔cite〕" and, on the next line, the note — how the clerk finds the words in the document.
void print_note(const Source& s, const char* indent = "  ") {
  if (!s.note.empty()) fmt::print("{}注：{}\n", indent, s.note);
}
std::string cite(const Source& s) { return s.cite.empty() ? "" : "  〔" + s.cite + "〕"; }

// The file in the order a clerk reads the document: who issued it, the
// money, who enrolls, when, how to pay, the subsidies, the work plan, and
// whatever the document says that no rule encodes.
void show(const Policy& p) {
  fmt::print("{}  {}年度  区划{}\n", p.jurisdiction, p.year, p.region.str());
  fmt::print("文件：{}  {}\n\n", p.document, p.title);

  fmt::print("【缴费标准】个人缴费 {} 元/人/年{}\n", p.individual_standard.yuan(), cite(p.standard_source));
  print_note(p.standard_source);
  if (p.fiscal_subsidy) {
    fmt::print("【财政补助】{} 元/人  合计 {} 元/人{}\n", p.fiscal_subsidy->yuan(),
               (p.individual_standard + *p.fiscal_subsidy).yuan(), cite(p.fiscal_source));
    if (p.fiscal_source.note != p.standard_source.note) print_note(p.fiscal_source);
  } else {
    fmt::print("【财政补助】文件未写\n");
  }
  for (auto& s : p.fiscal_split) {
    fmt::print("    {:<10} {:>10}  {:>8} 元{}\n", s.name, s.share_text, s.amount.yuan(),
               s.source.cite == p.fiscal_source.cite ? "" : cite(s.source));
    print_note(s.source, "      ");
  }
  if (p.agent_fee_per_person) {
    fmt::print("【代办经费】{} 元/参保人{}\n", p.agent_fee_per_person->yuan(), cite(p.agent_fee_source));
    print_note(p.agent_fee_source);
  }

  fmt::print("\n【参保对象】{}{}\n", eligibility_text(p), cite(p.eligibility_source));
  print_note(p.eligibility_source);

  fmt::print("\n【待遇享受期】{} 至 {}{}\n", p.coverage_period.first.str(), p.coverage_period.last.str(),
             cite(p.coverage_source));
  print_note(p.coverage_source);
  fmt::print("【退费】{}{}\n", refund_text(p), cite(p.refund_source));
  print_note(p.refund_source);
  fmt::print("【家庭共济】{}{}\n", family_account_text(p), cite(p.family_account_source));
  print_note(p.family_account_source);
  if (auto reg = registration_text(p); !reg.empty()) {
    fmt::print("【参保登记】{}{}\n", reg, cite(p.register_first_source));
    print_note(p.register_first_source);
  }

  fmt::print("\n【征缴期】\n");
  for (auto& w : p.windows) {
    std::string days = window_days_text(w);
    fmt::print("  {}：{} 至 {}{}{}\n", w.label, w.open.str(), w.close ? w.close->str() : "（文件未规定截止日）",
               days.empty() ? "" : "，" + days, cite(w.source));
    if (!w.applies_to.empty()) fmt::print("      适用：{}\n", cond_text(w.applies_to));
    fmt::print("      待遇：{}\n", coverage_start_text(w.coverage));
    print_note(w.source, "      ");
  }
  if (!p.late_paths.empty()) fmt::print("\n【特殊参保】（集中征缴期外）\n");
  for (auto& l : p.late_paths) {
    fmt::print("  {}{}\n", l.label, cite(l.source));
    fmt::print("      条件：{}\n", cond_text(l.when));
    fmt::print("      待遇：{}{}{}\n", coverage_start_text(l.coverage),
               l.waiting_months ? fmt::format("，等待期{}个月", l.waiting_months) : "",
               l.accept_until ? "，受理至 " + l.accept_until->str() : "");
    if (l.counted_to_registration && (l.when.within_days >= 0 || l.when.within_months >= 0))
      fmt::print("      期限计至办理参保登记之日（不是缴费日）\n");
    print_note(l.source, "      ");
  }

  fmt::print("\n【资助参保】{}{}\n", combine_text(p), cite(p.combine_source));
  print_note(p.combine_source);
  if (p.newly_special_categories)
    fmt::print("  动态新增特殊群体指：{}\n", categories_text(p.newly_special_categories));
  for (auto& r : p.subsidies) {
    std::string amount = r.kind == AmountKind::unspecified ? "需本地配置" : r.amount.yuan() + " 元";
    std::string payers;
    for (auto& pl : r.payers)
      payers += (payers.empty() ? "" : " + ") + pl.payer +
                (r.kind == AmountKind::unspecified ? "" : " " + pl.amount.yuan());
    if (payers.empty()) payers = "资助部门需本地配置";
    fmt::print("  {}{}  {}  {}  {}  {}\n", r.rank > 0 ? fmt::format("({}) ", r.rank) : "", r.label, amount,
               individual_text(p, r), mode_label(r.mode), payers);
    fmt::print("      条件：{}{}\n", cond_text(r.when), cite(r.source));
    if (auto d = rule_list_day(r)) fmt::print("      名单截止 {}：以该日确认的名单为准\n", d->str());
    if (!r.overrides.empty()) {
      std::string beats;
      for (int o : r.overrides) beats += (beats.empty() ? "" : "、") + p.subsidies[size_t(o)].label;
      fmt::print("      优先于：{}\n", beats);
    }
    if (r.grade_required) fmt::print("      未注明残疾等级的不资助，需核实残疾等级\n");
    if (!r.personal_window_unspecified.empty()) fmt::print("      个人部分缴费时间：{}\n", r.personal_window_unspecified);
    for (auto& pl : r.payers)
      if (!pl.configured()) fmt::print("      资助部门未定：{}\n", pl.unconfigured);
    print_note(r.source, "      ");
    if (!r.unspecified_reason.empty()) fmt::print("      未规定：{}\n", r.unspecified_reason);
  }

  if (!p.targets.empty()) {
    fmt::print("\n【参保任务】{}\n", cite(p.targets_source));
    print_note(p.targets_source);
    int64_t sum = 0;
    for (auto& t : p.targets) {
      std::string extra;
      for (auto& [k, v] : t.extra) extra += fmt::format("  {} {}", k, v);
      fmt::print("  {:<12} {:>10}{}{}\n", t.unit, t.target, t.region.empty() ? "" : "  " + t.region, extra);
      sum += t.target;
    }
    fmt::print("  {:<12} {:>10}\n", "合计", sum);
  }
  if (!p.stages.empty()) fmt::print("\n【工作阶段】\n");
  for (auto& s : p.stages) {
    std::string when = s.range.first == s.range.last ? s.range.first.str()
                                                      : s.range.first.str() + " 至 " + s.range.last.str();
    fmt::print("  {}：{}{}\n", s.label, when, cite(s.source));
    print_note(s.source, "      ");
  }
  if (!p.remarks.empty()) fmt::print("\n【其他说明】\n");
  for (auto& r : p.remarks) fmt::print("  {}{}\n", r.note, cite(r));
}

}  // namespace

void add_policy_commands(CLI::App& app, int& exit_code) {
  auto* policy = app.add_subcommand("policy", "政策文件：校验、展示 (check and show policy files)");
  policy->require_subcommand(1);

  static std::vector<std::string> files;
  auto* check = policy->add_subcommand("check", "校验政策文件，错误给出 文件:行号 (validate; exit 1 on errors)");
  check->add_option("files", files, "policy .toml files")->required();
  check->callback([&exit_code] {
    for (auto& f : files) {
      auto load = io::load_policy_file(f);
      if (load.ok()) {
        fmt::print("{}: ok ({}, {} subsidy rules, {} windows)\n", f, load.policy->id, load.policy->subsidies.size(),
                   load.policy->windows.size());
      } else {
        for (auto& e : load.errors) fmt::print(stderr, "{}\n", e.str());
        exit_code = 1;
      }
    }
  });

  static std::string show_file;
  auto* sh = policy->add_subcommand("show", "以表格展示政策（中文）(print a readable table)");
  sh->add_option("file", show_file, "policy .toml file")->required();
  sh->callback([&exit_code] {
    auto load = io::load_policy_file(show_file);
    if (!load.ok()) {
      for (auto& e : load.errors) fmt::print(stderr, "{}\n", e.str());
      exit_code = 1;
      return;
    }
    show(*load.policy);
  });

  static std::string diff_a, diff_b;
  auto* df = policy->add_subcommand("diff", "两个政策逐项对比 (two policies side by side)");
  df->add_option("a", diff_a, "policy .toml")->required();
  df->add_option("b", diff_b, "policy .toml")->required();
  df->callback([&exit_code] {
    auto a = io::load_policy_file(diff_a), b = io::load_policy_file(diff_b);
    for (auto* l : {&a, &b})
      for (auto& e : l->errors) fmt::print(stderr, "{}\n", e.str());
    if (!a.ok() || !b.ok()) { exit_code = 1; return; }
    fmt::print("{:<28} | {:<44} | {}\n", "项目", a.policy->id, b.policy->id);
    for (auto& r : diff_policies(*a.policy, *b.policy))
      fmt::print("{} {:<26} | {:<44} | {}\n", r.differs ? "≠" : " ", r.section, r.left, r.right);
  });

  static std::string wi_base, wi_variant, wi_input, wi_as_of = "";
  auto* wi = policy->add_subcommand("whatif", "政策调整测算：人数与资金在个人与各资助部门间的变化 (what-if on a roster)");
  wi->add_option("--base", wi_base, "the policy in force")->required();
  wi->add_option("--variant", wi_variant, "the changed copy")->required();
  wi->add_option("--input", wi_input, "roster .csv/.xlsx")->required();
  wi->add_option("--as-of", wi_as_of, "day of the work (default: the base window's opening day)");
  wi->callback([&exit_code] {
    auto a = io::load_policy_file(wi_base), b = io::load_policy_file(wi_variant);
    for (auto* l : {&a, &b})
      for (auto& e : l->errors) fmt::print(stderr, "{}\n", e.str());
    if (!a.ok() || !b.ok()) { exit_code = 1; return; }
    Date as_of = wi_as_of.empty() ? a.policy->windows.front().open : Date::parse(wi_as_of).value_or(a.policy->windows.front().open);
    std::vector<io::RowError> errors;
    PersonColumns cols;
    try {
      cols = io::read_roster_columns(wi_input, as_of.plus_days(3660), errors);
    } catch (const io::Error& e) {
      fmt::print(stderr, "canbao: {}: {}\n", wi_input, e.what());
      exit_code = 1;
      return;
    }
    for (auto& e : errors) fmt::print(stderr, "{}\n", e.str());
    auto w = what_if(*a.policy, *b.policy, cols, as_of);
    fmt::print("人数 {}（名册拒收 {} 行）\n", w.persons, errors.size());
    fmt::print("{:<20} {:>16} {:>16} {:>16}\n", "", "现行", "测算", "变化");
    auto row = [](const char* label, Money x, Money y) {
      fmt::print("{:<20} {:>16} {:>16} {:>16}\n", label, x.yuan(), y.yuan(), (y - x).yuan());
    };
    row("个人缴费合计（元）", w.base.individual_total, w.variant.individual_total);
    std::map<std::string, std::pair<Money, Money>> payers;
    for (auto& [k, v] : w.base.by_payer) payers[k].first = v;
    for (auto& [k, v] : w.variant.by_payer) payers[k].second = v;
    for (auto& [k, v] : payers) row(("资助：" + k).c_str(), v.first, v.second);
    fmt::print("受资助人数 {} → {}；个人缴费变化 {} 人（多缴 {}，少缴 {}）；金额待配置 {} → {}\n", w.base.subsidised,
               w.variant.subsidised, w.due_changed, w.pay_more, w.pay_less, w.base.unknown_due, w.variant.unknown_due);
    for (auto& [k, n] : w.moves)
      fmt::print("  {} → {}: {} 人\n", k.first.empty() ? "(无资助)" : k.first, k.second.empty() ? "(无资助)" : k.second, n);
    if (!errors.empty()) exit_code = 1;
  });
}

}  // namespace canbao::cli
