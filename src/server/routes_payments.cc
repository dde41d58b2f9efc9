// Payment routes: payments, subsidy payments and reversals through the
// ledger, the payment lists, receipts (JSON and the printable page), and the
// two public lookups a resident may make without an account (throttled per
// client address).
#include <fmt/format.h>
#include <sodium.h>

#include <string>
#include <unordered_map>

#include "assess/assessment.h"
#include "assess/report.h"
#include "core/id_number.h"
#include "core/money.h"
#include "core/text.h"
#include "server/api.h"
#include "server/uploads.h"
#include "store/admin_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

// A ledger row as JSON with the person's masked name (one read per row,
// cached for the request).
json pay_json(Api& api, store::Store& st, const ledger::Row& r, std::unordered_map<std::string, std::string>& names) {
  json j = ledger::row_json(r);
  auto it = names.find(r.person);
  if (it == names.end()) {
    auto p = st.person(r.person);
    it = names.emplace(r.person, p ? mask_name(p->name) : "").first;
  }
  j["name"] = it->second.empty() ? json() : json(it->second);
  j["person_key"] = api.keys->encode(r.person);
  return j;
}

void send_outcome(Api& api, Ctx& c, const ledger::Outcome& o) {
  if (!o.ok) fail(o.refusal);
  json row = ledger::row_json(o.row);
  row["person_key"] = api.keys->encode(o.row.person);
  json j = {{"payment", row}, {"replayed", o.replayed}};
  if (!o.row.receipt_no.empty())
    j["receipt"] = {{"number", o.row.receipt_no}, {"verify_code", o.row.verify_code},
                    {"url", "/api/v1/receipts/" + o.row.receipt_no}};
  json subs = json::array();
  for (auto& ch : o.children)
    subs.push_back({{"id", ch.id}, {"payer", ch.payer_name}, {"amount_fen", ch.amount_fen},
                    {"mode", ch.subsidy_mode}, {"kind", ledger::kind_id(ch.kind)}});
  j["subsidies"] = subs;
  Api::send_json(c.res, o.replayed ? 200 : 201, j);
}

json receipt_json(Api& api, Ctx& c, const std::string& number) {
  auto l = api.pool->lease();
  auto r = api.ledger->row_by_receipt(*l, c.actor, number);
  if (!r) fail(404, "not_found", "未找到该缴费凭证");
  auto p = l->person(r->person);
  const Policy* pol = api.policies.find(r->region, r->year);
  const ledger::Channel* ch = ledger::find_channel(r->channel);
  json j = {{"number", r->receipt_no}, {"seq", r->receipt_seq}, {"region", r->receipt_region.str()},
            {"year", r->year}, {"payment_id", r->id}, {"id_number", mask_id(r->person)},
            {"name", p ? mask_name(p->name) : ""}, {"amount_fen", r->amount_fen},
            {"amount_yuan", Money::from_fen(r->amount_fen).yuan()}, {"amount_words", ledger::amount_words(r->amount_fen)},
            {"paid_on", r->paid_on.str()}, {"channel", r->channel}, {"channel_label", ch ? ch->label : ""},
            {"clct_way", r->clct_way}, {"collector", r->collector}, {"issued_at", r->created_at},
            {"verify_code", r->verify_code}, {"reversed", r->reversed_by != 0}, {"policy", r->policy},
            {"jurisdiction", pol ? pol->jurisdiction : ""}, {"insutype", "390"}};
  if (pol) {
    j["coverage_start"] = pol->coverage_period.first.str();
    j["coverage_end"] = pol->coverage_period.last.str();
  }
  return j;
}

std::string receipt_html(const json& r) {
  auto s = [&](const char* k) { return html_escape(r[k].is_string() ? r[k].get<std::string>() : r[k].dump()); };
  return fmt::format(R"HTML(<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>缴费凭证 {0}</title>
<style>@page{{size:A5 landscape;margin:12mm}}body{{font-family:"Noto Serif CJK SC","SimSun",serif;margin:0}}
.r{{border:2px solid #a00;padding:16px 24px;max-width:720px;margin:16px auto}}h1{{text-align:center;color:#a00;font-size:22px;margin:4px 0 12px}}
table{{width:100%;border-collapse:collapse}}td{{border:1px solid #999;padding:6px 8px;font-size:14px}}td.k{{width:22%;background:#f7f0f0}}
.v{{font-family:monospace;font-size:16px;letter-spacing:1px}}.void{{color:#a00;font-weight:bold;text-align:center;font-size:20px}}
@media print{{.noprint{{display:none}}}}</style></head><body><div class="r">
<h1>城乡居民基本医疗保险缴费凭证</h1>
{11}
<table><tr><td class="k">凭证号</td><td class="v">{0}</td><td class="k">缴费年度</td><td>{1}</td></tr>
<tr><td class="k">姓名</td><td>{2}</td><td class="k">身份证号</td><td class="v">{3}</td></tr>
<tr><td class="k">金额（大写）</td><td>{4}</td><td class="k">金额（小写）</td><td>¥{5}</td></tr>
<tr><td class="k">缴费日期</td><td>{6}</td><td class="k">缴费渠道</td><td>{7}</td></tr>
<tr><td class="k">经办人</td><td>{8}</td><td class="k">险种</td><td>城乡居民基本医疗保险（390）</td></tr>
<tr><td class="k">统筹区</td><td colspan="3">{9}</td></tr>
<tr><td class="k">校验码</td><td colspan="3" class="v">{10}</td></tr></table>
<p style="font-size:12px;color:#555">凭凭证号和校验码可在 /api/v1/public/receipt-check 核验真伪。</p>
<p class="noprint"><button onclick="window.print()">打印</button></p></div></body></html>)HTML",
                     s("number"), s("year"), s("name"), s("id_number"), s("amount_words"), s("amount_yuan"),
                     s("paid_on"), s("channel_label"), s("collector"), s("jurisdiction"), s("verify_code"),
                     r["reversed"].get<bool>() ? "<p class=\"void\">已冲正（作废）</p>" : "");
}

// 参保状态查询: ID number and name must both match, or the answer is the
// same as for nobody.
void public_status(Api& api, Ctx& c) {
  if (!api.public_ip.take(c.req.remote_addr)) fail(429, "too_many_requests", "查询过于频繁，请稍后再试");
  static const json nothing = {{"found", false}, {"message", "未查询到匹配的参保信息，请核对身份证号和姓名"}};
  auto id = IdNumber::parse(Api::qp(c, "id_number"), api.today().plus_days(366));
  std::string name = Api::qp(c, "name");
  int year = api.year_of(c);
  auto l = api.pool->lease();
  std::optional<store::Person> p = id ? l->person(id->str()) : std::nullopt;
  // Constant-time name comparison; any mismatch answers exactly like an unknown person.
  bool match = p && !name.empty() && p->name.size() == name.size() &&
               sodium_memcmp(p->name.data(), name.data(), name.size()) == 0;
  if (!match) return Api::send_json(c.res, 200, nothing);
  std::optional<store::Enrollment> enr;
  for (auto& e : l->enrollments_of(p->id_number, year))
    if (store::is_active(e.status)) enr = e;
  json j = {{"found", true}, {"name", mask_name(p->name)}, {"id_number", mask_id(p->id_number)}, {"year", year},
            {"enrolled", enr.has_value()}, {"status", enr ? store::status_id(enr->status) : "none"},
            {"status_label", enr ? store::status_label(enr->status) : "未参保"},
            {"psn_insu_stas", enr ? "1" : "0"}};
  const Policy* pol = api.policies.find(enr ? enr->place : p->hukou, year);
  if (pol) {
    ledger::OneFacts of;
    ledger::person_facts(*l, *p, year, of);
    Assessment a;
    assess(*pol, of.facts, api.today(), a);
    j["individual_due_fen"] = a.due_known ? json(a.due.fen) : json();
    j["subsidy_fen"] = a.subsidy.fen;
    json subs = json::array();
    for (int k = 0; k < a.nlines; ++k)
      subs.push_back({{"payer", pol->subsidies.at(size_t(a.lines[k].rule)).payers.at(size_t(a.lines[k].payer)).payer},
                      {"fen", a.lines[k].amount.fen}});
    j["subsidies"] = subs;
    j["coverage_start"] = a.has_coverage ? json(a.coverage_start.str()) : json();
    j["coverage_end"] = a.has_coverage ? json(a.coverage_end.str()) : json();
    // A resident who can no longer pay this year must read why, not blank cover dates.
    j["payment_status"] = std::string(payment_status_id(a.payment));
    if (a.payment == PaymentStatus::window_closed || a.payment == PaymentStatus::undetermined)
      j["payment_note"] = assessment_reason(*pol, a);
  }
  json rec = json::array();
  for (auto& number : l->admin().standing_receipts(p->id_number, year)) rec.push_back(number);
  j["receipts"] = rec;
  Api::send_json(c.res, 200, j);
}

void add_payment_writes(Api& api) {
  api.route("POST", "/api/v1/payments", Access::session, [&api](Ctx& c) {
    Api::need(c, "write.payment");
    auto o = api.ledger->pay(c.actor, payment_request(api, c, Api::body(c)), api.today());
    send_outcome(api, c, o);
  });
  api.route("POST", "/api/v1/subsidy-payments", Access::session, [&api](Ctx& c) {
    Api::need(c, "write.subsidy");
    auto b = Api::body(c);
    ledger::SubsidyRequest r;
    r.idempotency_key = Api::key_field(c, b);
    r.person = api.person_id(Api::str_field(b, "person", true, 64));
    r.year = Api::year_field(b, "year", api.year_of(c));
    r.amount_fen = Api::int_field(b, "amount_fen", true, 0, 0, 100000000);
    r.payer_name = Api::name_field(b, "payer_name");
    if (r.payer_name.empty()) r.payer_name = c.actor.department;
    r.mode = Api::str_field(b, "mode", false, 32);
    if (r.mode.empty()) r.mode = "paid_on_behalf";
    r.paid_on = Api::date_field(b, "paid_on");
    r.backdate_reason = Api::str_field(b, "backdate_reason", false, 200);
    send_outcome(api, c, api.ledger->subsidy(c.actor, r, api.today()));
  });
  api.route("POST", R"(/api/v1/payments/(\d+)/reverse)", Access::session, [&api](Ctx& c) {
    Api::need(c, "reverse");
    auto b = Api::body(c);
    int64_t id = path_id(c, 1, "未找到该缴费记录");
    auto o = api.ledger->reverse(c.actor, id, Api::str_field(b, "reason", true), Api::key_field(c, b), api.today());
    send_outcome(api, c, o);
  });
}

void add_payment_reads(Api& api) {
  api.route("GET", "/api/v1/payments", Access::session, [&api](Ctx& c) {
    bool sub_only = !role_may(c.actor.role, "read.payments");
    if (sub_only) Api::need(c, "read.subsidy");
    auto [pg, ps] = api.page(c);
    ledger::Ledger::Filter f;
    f.year = Api::qyear(c);
    f.under = api.qregion(c, "village");
    if (auto p = Api::qp(c, "person"); !p.empty()) f.person = api.person_id(p);
    f.channel = Api::qp(c, "channel");
    f.kind = Api::qp(c, "kind");
    if (sub_only) {  // departments: their own subsidy rows only
      if (!f.kind.empty() && f.kind != "subsidy") fail(403, "forbidden", "资助部门只能查看本部门的资助记录");
      f.kind = "subsidy";
      f.channel = "department";
      f.payer_name = c.actor.department;  // in the query, so total counts what is shown
    }
    f.from = Api::qdate(c, "from");
    f.to = Api::qdate(c, "to");
    f.offset = (pg - 1) * ps;
    f.limit = ps;
    auto l = api.pool->lease();
    int64_t total = 0;
    json items = json::array();
    std::unordered_map<std::string, std::string> names;
    for (auto& r : api.ledger->list(*l, c.actor, f, &total)) items.push_back(pay_json(api, *l, r, names));
    Api::send_json(c.res, 200, {{"items", items}, {"total", total}, {"page", pg}, {"page_size", ps}});
  });
  api.route("GET", R"(/api/v1/payments/(\d+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read.payments");
    auto l = api.pool->lease();
    auto r = api.ledger->row(*l, c.actor, path_id(c, 1, "未找到该缴费记录"));
    if (!r) fail(404, "not_found", "未找到该缴费记录");
    std::unordered_map<std::string, std::string> names;
    json j = pay_json(api, *l, *r, names);
    json ch = json::array();
    for (auto& x : api.ledger->children(*l, r->id)) ch.push_back(pay_json(api, *l, x, names));
    j["children"] = ch;
    Api::send_json(c.res, 200, {{"payment", j}});
  });
}

void add_receipt_routes(Api& api) {
  api.route("GET", R"(/api/v1/receipts/([0-9A-Za-z\-]+))", Access::session, [&api](Ctx& c) {
    Api::need(c, "read.payments");
    Api::send_json(c.res, 200, receipt_json(api, c, c.req.matches[1].str()));
  });
  api.route("GET", R"(/api/v1/receipts/([0-9A-Za-z\-]+)/print)", Access::session, [&api](Ctx& c) {
    Api::need(c, "read.payments");
    json r = receipt_json(api, c, c.req.matches[1].str());
    c.res.set_content(receipt_html(r), "text/html; charset=utf-8");
  });
  api.route("GET", "/api/v1/public/receipt-check", Access::open, [&api](Ctx& c) {
    if (!api.public_ip.take(c.req.remote_addr)) fail(429, "too_many_requests", "查询过于频繁，请稍后再试");
    auto l = api.pool->lease();
    ledger::Actor all;
    auto r = api.ledger->row_by_receipt(*l, all, Api::qp(c, "number"));
    bool ok = r && r->kind == ledger::Kind::payment && csrf_equal(r->verify_code, Api::qp(c, "code"));
    if (!ok) return Api::send_json(c.res, 200, {{"valid", false}});
    Api::send_json(c.res, 200, {{"valid", true}, {"amount_yuan", Money::from_fen(r->amount_fen).yuan()},
                           {"paid_on", r->paid_on.str()}, {"reversed", r->reversed_by != 0}});
  });
  api.route("GET", "/api/v1/public/status", Access::open, [&api](Ctx& c) { public_status(api, c); });
}

}  // namespace

ledger::PaymentRequest payment_request(Api& api, Api::Ctx& c, const json& b) {
  ledger::PaymentRequest r;
  r.idempotency_key = Api::key_field(c, b);
  r.person = api.person_id(Api::str_field(b, "person", true, 64));
  r.year = Api::year_field(b, "year", api.year_of(c));
  r.amount_fen = Api::int_field(b, "amount_fen", true, 0, 0, 100000000);
  r.channel = Api::str_field(b, "channel", true, 32);
  if (!role_channel(c.actor.role, r.channel)) fail(403, "forbidden", "您的角色不能使用该缴费渠道", "channel");
  r.payer_kind = Api::str_field(b, "payer_kind", false, 32);
  if (r.payer_kind.empty()) r.payer_kind = c.actor.role == "school" ? "school" : "self";
  r.payer_name = Api::name_field(b, "payer_name");
  r.external_txn = Api::str_field(b, "external_txn_id", false, 64);
  r.paid_on = Api::date_field(b, "paid_on");
  r.backdate_reason = Api::str_field(b, "backdate_reason", false, 200);
  return r;
}

void add_payment_routes(Api& api) {
  add_payment_writes(api);
  add_payment_reads(api);
  add_receipt_routes(api);
}

}  // namespace canbao::server
