#include "campaign/lists.h"

#include "core/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "assess/assessment.h"
#include "core/id_number.h"
#include "core/money.h"
#include "io/xlsx_writer.h"
#include "registry/facts_builder.h"
#include "store/campaign_store.h"

namespace canbao::campaign {

namespace {

std::string yuan(int64_t fen) { return Money::from_fen(fen).yuan(); }

const store::Enrollment* active_of(const std::vector<const store::Enrollment*>& es) {
  const store::Enrollment* best = nullptr;
  for (auto* e : es)
    if (store::is_active(e->status) && (!best || e->status == store::EnrollmentStatus::paid)) best = e;
  return best;
}

std::map<RegionCode, std::string> names_under(store::Store& st, RegionCode scope) {
  std::map<RegionCode, std::string> m;
  for (auto& r : st.regions_under(scope)) m[r.code] = r.name;
  return m;
}

}  // namespace

MobilisationLists mobilisation_lists(store::Store& st, const ledger::PolicySet& policies, const ListOptions& opt) {
  MobilisationLists out;
  out.year = opt.year;
  out.today = opt.today;
  out.scope = opt.scope;
  out.village_names = names_under(st, opt.scope);
  Assessment a;
  auto assess_person = [&](const PersonFacts& f, RegionCode place, MobilisationRow& row) -> const Policy* {
    const Policy* pol = policies.find(place.empty() ? f.hukou : place, opt.year);
    if (!pol) return nullptr;
    assess(*pol, f, opt.today, a);
    row.due_fen = a.due_known ? a.due.fen : -1;
    row.subsidy_fen = a.subsidy.fen;
    if (a.winner >= 0) row.subsidy = pol->subsidies.at(size_t(a.winner)).label;
    return pol;
  };
  auto handle = [&](const store::Person& p, const PersonFacts& f, const store::Enrollment* cur,
                    const std::vector<const store::Enrollment*>& prev, bool hukou_in_scope) {
    if (p.deceased_on && *p.deceased_on <= opt.today) return;
    MobilisationRow row;
    row.person = p.id_number;
    row.name = p.name;
    row.household = p.household;
    row.birth = p.birth;
    row.village = cur ? cur->place : p.hukou;
    if (cur && !opt.scope.empty() && !cur->place.inside(opt.scope)) return;  // handled where enrolled
    const Policy* pol = assess_person(f, row.village, row);
    if (!pol || !a.eligible) return;
    bool paid = cur && cur->status == store::EnrollmentStatus::paid;
    if (paid) return;
    row.status = cur ? "已登记未缴费" : "未登记";
    // Still listed (the village must know), but not as someone who can still pay.
    if (a.payment == PaymentStatus::window_closed) row.note = assessment_reason(*pol, a);
    if (cur || hukou_in_scope) out.unpaid.push_back(row);
    if (!cur) {
      bool last_year = false;
      for (auto* e : prev) last_year |= e->status == store::EnrollmentStatus::paid;
      if (last_year) {
        MobilisationRow l = row;
        l.note = "上年度已参保缴费";
        out.lapsed.push_back(l);
      }
      if (p.birth <= opt.today && opt.today.days - p.birth.days <= 365) {
        MobilisationRow n = row;
        Date deadline = period_last_day(p.birth, 90, PeriodUnit::days);
        int left = deadline.days - opt.today.days;
        // Past 90 days the policy decides (贵池: cover from the day after payment;
        // 肖岭: nothing after the window), so the note follows the assessment.
        if (left >= 0)
          n.note = fmt::format("{} 前登记缴费（剩余 {} 天），自出生之日起享受待遇", deadline.str(), left);
        else if (a.has_coverage)
          n.note = fmt::format("已超过出生后90天（{}），今日缴费待遇自 {} 起", deadline.str(), a.coverage_start.str());
        else
          n.note = fmt::format("已超过出生后90天（{}）：{}", deadline.str(), assessment_reason(*pol, a));
        out.newborns.push_back(n);
      }
    }
    if (a.subsidy.fen > 0 || a.winner >= 0) out.subsidised_unenrolled.push_back(row);
  };
  // Persons whose hukou lies in scope.
  registry::build_facts(st, opt.scope, opt.year, opt.chunk, [&](const registry::FactsChunk& fc) {
    auto cur = st.enrollments_for(fc.persons, opt.year);
    auto prev = st.enrollments_for(fc.persons, opt.year - 1);
    std::unordered_map<std::string_view, std::vector<const store::Enrollment*>> ec, ep;
    for (auto& e : cur) ec[e.person].push_back(&e);
    for (auto& e : prev) ep[e.person].push_back(&e);
    for (size_t i = 0; i < fc.persons.size(); ++i) {
      const auto& p = fc.persons[i];
      auto it = ec.find(p.id_number);
      const store::Enrollment* c = it == ec.end() ? nullptr : active_of(it->second);
      auto jt = ep.find(p.id_number);
      static const std::vector<const store::Enrollment*> none;
      handle(p, fc.facts[i], c, jt == ep.end() ? none : jt->second, true);
    }
  });
  // Persons enrolled in scope whose hukou lies elsewhere (居住证), not yet paid.
  if (!opt.scope.empty()) {
    for (auto& e : st.enrollments_in(opt.scope, opt.year)) {
      if (e.status != store::EnrollmentStatus::registered) continue;
      auto p = st.person(e.person);
      if (!p || p->hukou.inside(opt.scope)) continue;
      registry::FactsChunk fc;
      registry::fill_facts(st, {*p}, opt.year, fc);
      if (fc.facts.empty()) continue;
      handle(*p, fc.facts[0], &e, {}, false);
    }
  }
  auto by_village = [](const MobilisationRow& x, const MobilisationRow& y) {
    return std::tie(x.village, x.household, x.person) < std::tie(y.village, y.household, y.person);
  };
  for (auto* l : {&out.unpaid, &out.lapsed, &out.subsidised_unenrolled, &out.newborns})
    std::stable_sort(l->begin(), l->end(), by_village);
  return out;
}

static nlohmann::json rows_json(const std::vector<MobilisationRow>& rows, const std::map<RegionCode, std::string>& names,
                                bool unmask) {
  nlohmann::json a = nlohmann::json::array();
  for (auto& r : rows) {
    auto it = names.find(r.village);
    a.push_back({{"village", r.village.str()},
                 {"village_name", it == names.end() ? "" : it->second},
                 {"id_number", unmask ? r.person : mask_id(r.person)},
                 {"name", unmask ? r.name : mask_name(r.name)},
                 {"household", r.household},
                 {"birth", r.birth.str()},
                 {"status", r.status},
                 {"due_fen", r.due_fen >= 0 ? nlohmann::json(r.due_fen) : nlohmann::json()},
                 {"subsidy_fen", r.subsidy_fen},
                 {"subsidy", r.subsidy},
                 {"note", r.note}});
  }
  return a;
}

nlohmann::json MobilisationLists::to_json(bool unmask) const {
  return {{"year", year},
          {"today", today.str()},
          {"scope", scope.str()},
          {"unpaid", rows_json(unpaid, village_names, unmask)},
          {"lapsed", rows_json(lapsed, village_names, unmask)},
          {"subsidised_unenrolled", rows_json(subsidised_unenrolled, village_names, unmask)},
          {"newborns", rows_json(newborns, village_names, unmask)}};
}

namespace {

// The day the reminder names: the latest collection window still open on
// `today`, else the latest one the policy dates at all.
std::optional<Date> reminder_deadline(const Policy* pol, Date today) {
  if (!pol) return std::nullopt;
  std::optional<Date> open_close, any_close;
  for (const auto& w : pol->windows) {
    if (!w.close) continue;
    if (!any_close || *any_close < *w.close) any_close = w.close;
    if (!(*w.close < today) && (!open_close || *open_close < *w.close)) open_close = w.close;
  }
  return open_close ? open_close : any_close;
}

std::string sms_text(const SmsRow& r, int year, const std::string& place, std::optional<Date> deadline) {
  std::string amount = r.due_known ? fmt::format("合计 {} 元", Money::from_fen(r.due_fen).yuan())
                                   : std::string("金额以经办机构核定为准");
  std::string until = deadline ? fmt::format("请于 {} 前缴纳", deadline->str()) : std::string("请尽快缴纳");
  return fmt::format("【{}医保提醒】您家有 {} 人尚未缴纳 {} 年度城乡居民医保个人缴费，{}，{}。如已缴费请忽略。", place,
                     r.unpaid, year, amount, until);
}

}  // namespace

std::vector<SmsRow> sms_rows(store::Store& st, const ledger::PolicySet& policies, const MobilisationLists& l) {
  std::vector<SmsRow> out;
  std::unordered_map<std::string, size_t> at;
  std::unordered_map<std::string, RegionCode> place;
  for (const auto& r : l.unpaid) {
    if (r.household.empty()) continue;
    auto it = at.find(r.household);
    if (it == at.end()) {
      auto h = st.household(r.household);
      if (!h || h->phone.empty()) continue;
      SmsRow s;
      s.household = h->id;
      s.phone = h->phone;
      auto head = h->head.empty() ? std::nullopt : st.person(h->head);
      s.head_masked = mask_name(head ? head->name : r.name);
      it = at.emplace(r.household, out.size()).first;
      place[r.household] = r.village;
      out.push_back(std::move(s));
    }
    auto& s = out[it->second];
    ++s.unpaid;
    if (r.due_fen >= 0) s.due_fen += r.due_fen;
    else s.due_known = false;
  }
  for (auto& s : out) {
    RegionCode v = place[s.household];
    auto name = l.village_names.find(v);
    s.text = sms_text(s, l.year, name == l.village_names.end() ? std::string() : name->second,
                      reminder_deadline(policies.find(v, l.year), l.today));
  }
  return out;
}

void write_sms_xlsx(const std::vector<SmsRow>& rows, const std::string& path) {
  io::XlsxWriter w(path);
  w.add_sheet("短信提醒", {"户号", "户主", "联系电话", "未缴人数", "短信内容"});
  for (const auto& r : rows) w.add_row({r.household, r.head_masked, r.phone, r.unpaid, r.text});
  w.close();
}

void write_mobilisation_xlsx(const MobilisationLists& l, const std::string& path, bool unmask, std::string_view only) {
  io::XlsxWriter w(path);
  struct Sheet {
    const char* id;
    const char* name;
    const std::vector<MobilisationRow>* rows;
  };
  for (auto s : {Sheet{"unpaid", "未缴费人员", &l.unpaid}, Sheet{"lapsed", "往年参保本年未参", &l.lapsed},
                 Sheet{"subsidised_unenrolled", "资助对象未参保", &l.subsidised_unenrolled},
                 Sheet{"newborns", "新生儿未参保", &l.newborns}}) {
    if (!only.empty() && only != s.id) continue;
    w.add_sheet(s.name, {"序号", "村（社区）", "区划代码", "户号", "姓名", "身份证号", "出生日期", "参保状态",
                         "应缴金额（元）", "资助金额（元）", "资助类别", "备注"});
    int64_t n = 0;
    for (auto& r : *s.rows) {
      auto it = l.village_names.find(r.village);
      w.add_row({++n, it == l.village_names.end() ? std::string() : it->second, r.village.str(), r.household,
                 unmask ? r.name : mask_name(r.name), unmask ? r.person : mask_id(r.person), r.birth, r.status,
                 r.due_fen >= 0 ? io::Cell(Money::from_fen(r.due_fen)) : io::Cell("待定"),
                 Money::from_fen(r.subsidy_fen), r.subsidy, r.note});
    }
  }
  w.close();
}

// ------------------------------------------------------------------ notice

Notice public_notice(store::Store& st, int year, RegionCode scope, const Policy* policy) {
  Notice n;
  n.year = year;
  n.scope = scope;
  if (auto r = st.region(scope)) n.scope_name = r->name;
  if (n.scope_name.empty() && policy && scope == policy->region) n.scope_name = policy->jurisdiction;
  n.title = fmt::format("{}{}年度城乡居民基本医疗保险参保缴费公示", n.scope_name, year);
  n.report_route =
      "如发现漏缴、错缴，请在公示期内向本村（社区）协理员反映，由村（社区）及时汇总上报镇（街道）医保站，"
      "按相关工作流程进行处理。";
  n.cite = policy ? fmt::format("依据：{}", policy->document) : "";
  n.village_names = names_under(st, scope);
  st.campaign().notice_payments(year, scope, [&](const store::NoticePayment& p) {
    NoticeRow r;
    r.village = p.place;
    r.id_masked = mask_id(p.person);  // masked at once: the full values never leave this callback
    r.name_masked = mask_name(p.name);
    r.individual_fen = p.amount_fen;
    r.paid_on = p.paid_on.value_or(Date{});
    r.receipt_no = p.receipt_no;
    r.subsidy_fen = p.subsidy_fen;
    n.rows.push_back(std::move(r));
  });
  return n;
}

nlohmann::json Notice::to_json() const {
  nlohmann::json a = nlohmann::json::array();
  for (auto& r : rows) {
    auto it = village_names.find(r.village);
    a.push_back({{"village", r.village.str()},
                 {"village_name", it == village_names.end() ? "" : it->second},
                 {"name", r.name_masked},
                 {"id_number", r.id_masked},
                 {"individual_fen", r.individual_fen},
                 {"individual_yuan", yuan(r.individual_fen)},
                 {"subsidy_fen", r.subsidy_fen},
                 {"paid_on", r.paid_on.str()},
                 {"receipt_no", r.receipt_no}});
  }
  return {{"year", year}, {"scope", scope.str()}, {"title", title}, {"report_route", report_route},
          {"cite", cite}, {"items", a}};
}

std::string notice_html(const Notice& n) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>" + html_escape(n.title) +
       "</title>\n<style>body{font-family:\"SimSun\",\"Songti SC\",serif;margin:1.5cm}h1{font-size:20pt;text-align:"
       "center}h2{font-size:15pt;margin-top:1em}table{border-collapse:collapse;width:100%;font-size:11pt}th,td{border:"
       "1px solid #000;padding:3px 6px}td.n{text-align:right}section{page-break-after:always}.route{margin-top:1em;"
       "font-size:12pt}@media print{.noprint{display:none}}</style></head><body>\n";
  h += "<h1>" + html_escape(n.title) + "</h1>\n";
  RegionCode cur;
  bool open = false;
  int64_t k = 0, sum = 0, cnt = 0;
  auto close = [&] {
    if (!open) return;
    h += fmt::format("<tr><td colspan=\"3\">合计 {} 人</td><td class=\"n\">{}</td><td></td><td></td></tr>\n", cnt,
                     yuan(sum));
    h += "</table>\n<p class=\"route\">" + html_escape(n.report_route) + "</p>\n";
    if (!n.cite.empty()) h += "<p>" + html_escape(n.cite) + "</p>\n";
    h += "</section>\n";
    open = false;
  };
  for (auto& r : n.rows) {
    if (!open || !(r.village == cur)) {
      close();
      cur = r.village;
      auto it = n.village_names.find(cur);
      std::string vn = it == n.village_names.end() ? cur.str() : it->second + "（" + cur.str() + "）";
      h += "<section><h2>" + html_escape(vn) + "</h2>\n<table><tr><th>序号</th><th>姓名</th><th>身份证号</th>"
           "<th>个人缴费（元）</th><th>资助（元）</th><th>缴费日期</th></tr>\n";
      open = true;
      k = sum = cnt = 0;
    }
    h += fmt::format("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td>{}</td></tr>\n",
                     ++k, html_escape(r.name_masked), html_escape(r.id_masked), yuan(r.individual_fen),
                     yuan(r.subsidy_fen), r.paid_on.str());
    sum += r.individual_fen;
    ++cnt;
  }
  close();
  if (n.rows.empty()) h += "<p>暂无已缴费人员。</p><p class=\"route\">" + html_escape(n.report_route) + "</p>\n";
  h += "</body></html>\n";
  return h;
}

void write_notice_xlsx(const Notice& n, const std::string& path) {
  io::XlsxWriter w(path);
  w.add_sheet("公示", {"序号", "村（社区）", "区划代码", "姓名", "身份证号", "个人缴费（元）", "资助（元）", "缴费日期"});
  int64_t k = 0, sum = 0;
  for (auto& r : n.rows) {
    auto it = n.village_names.find(r.village);
    w.add_row({++k, it == n.village_names.end() ? std::string() : it->second, r.village.str(), r.name_masked,
               r.id_masked, Money::from_fen(r.individual_fen), Money::from_fen(r.subsidy_fen), r.paid_on});
    sum += r.individual_fen;
  }
  w.add_row({"合计", "", "", "", fmt::format("{} 人", k), Money::from_fen(sum), io::Cell(), io::Cell()});
  w.add_sheet("说明", {"项目", "内容"});
  w.add_row({"标题", n.title});
  w.add_row({"漏缴错缴反映途径", n.report_route});
  if (!n.cite.empty()) w.add_row({"依据", n.cite});
  w.close();
}

}  // namespace canbao::campaign
