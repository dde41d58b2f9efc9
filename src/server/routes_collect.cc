// Field collection: the whole-household payment and batch payments (the offline queue's sync).
//
//   POST /api/v1/payments/batch {"items": [POST /payments bodies]} (1..1000)
//     → 200 {"results": [{"index", "status", "payment"?, "receipt"?, "error"?}]}
//   POST /api/v1/households/{id}/payments
//     {"idempotency_key", "year", "channel", "paid_on"?, "members"?: [person keys]}
//     → 201 {"payments", "receipts", "total_fen", "household", "replayed"} (200 on a replay)
#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/id_number.h"
#include "server/api.h"
#include "server/status.h"
#include "store/admin_store.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

// A phone's queue after a day offline is a few hundred items; a school class
// fewer. The bound keeps one call inside one writer commit.
constexpr size_t kBatchMax = 1000;

// The "payment" object of POST /payments: the row with its person key.
json payment_json(Api& api, const ledger::Row& r) {
  json row = ledger::row_json(r);
  row["person_key"] = api.keys->encode(r.person);
  return row;
}

json error_json(const std::string& code, const std::string& message, const std::string& field,
                const json& details) {
  json e = {{"code", code}, {"message", message}, {"field", field}};
  if (!details.is_null()) e["details"] = details;
  return e;
}

// One item of a batch read as POST /payments reads its body; a malformed item
// throws ApiError, which refuses that item alone.
ledger::PaymentRequest batch_item(Api& api, Ctx& c, const json& b) {
  if (!b.is_object()) fail(400, "bad_field", "每一项须为一笔缴费（JSON 对象）", "items");
  return payment_request(api, c, b);
}

// The refusal of one item; "already paid" names the standing receipt so the
// phone can show which payment stands in its place.
json refusal_json(store::Store& st, const ledger::Outcome& o, const std::string& person, int year) {
  json det = o.refusal.details.empty() ? json() : json::parse(o.refusal.details, nullptr, false);
  if (det.is_discarded()) det = nullptr;
  if (o.refusal.code == "already_paid" && !person.empty() && (det.is_null() || !det.contains("receipt_no"))) {
    auto rec = st.admin().standing_receipts(person, year);
    if (!rec.empty()) {
      if (det.is_null()) det = json::object();
      det["receipt_no"] = rec.front();
    }
  }
  return error_json(o.refusal.code, o.refusal.message, o.refusal.field, det);
}

void payments_batch(Api& api, Ctx& c) {
  Api::need(c, "write.payment");
  auto b = Api::body(c);
  if (!b.contains("items") || !b["items"].is_array() || b["items"].empty() || b["items"].size() > kBatchMax)
    fail(400, "bad_field", fmt::format("items 须为 1 至 {} 笔缴费", kBatchMax), "items",
         {{"max", kBatchMax}});
  const auto& items = b["items"];
  std::vector<json> results(items.size());
  std::vector<ledger::PaymentRequest> reqs;
  std::vector<size_t> at;  // reqs[k] is items[at[k]]
  for (size_t i = 0; i < items.size(); ++i) {
    try {
      reqs.push_back(batch_item(api, c, items[i]));
      at.push_back(i);
    } catch (const ApiError& e) {
      results[i] = {{"index", i}, {"status", e.http}, {"error", error_json(e.code, e.message, e.field, e.details)}};
    }
  }
  auto outs = api.ledger->pay_batch(c.actor, reqs, api.today());
  auto l = api.pool->lease();
  for (size_t k = 0; k < outs.size(); ++k) {
    const auto& o = outs[k];
    json& r = results[at[k]];
    r = {{"index", at[k]}};
    if (!o.ok) {
      r["status"] = http_status(o.refusal.kind);
      r["error"] = refusal_json(*l, o, reqs[k].person, reqs[k].year);
      continue;
    }
    r["status"] = o.replayed ? 200 : 201;
    r["payment"] = payment_json(api, o.row);
    if (!o.row.receipt_no.empty()) r["receipt"] = o.row.receipt_no;
  }
  Api::send_json(c.res, 200, {{"results", results}});
}

void household_payment(Api& api, Ctx& c) {
  Api::need(c, "write.payment");
  auto b = Api::body(c);
  ledger::HouseholdPaymentRequest r;
  r.household = c.req.matches[1].str();
  r.idempotency_key = Api::key_field(c, b);
  r.year = Api::year_field(b, "year", api.year_of(c));
  r.channel = Api::str_field(b, "channel", true, 32);
  if (!role_channel(c.actor.role, r.channel)) fail(403, "forbidden", "您的角色不能使用该缴费渠道", "channel");
  r.payer_kind = Api::str_field(b, "payer_kind", false, 32);
  if (r.payer_kind.empty()) r.payer_kind = "self";
  r.payer_name = Api::name_field(b, "payer_name");
  r.paid_on = Api::date_field(b, "paid_on");
  r.backdate_reason = Api::str_field(b, "backdate_reason", false, 200);
  if (b.contains("members") && !b["members"].is_null()) {
    if (!b["members"].is_array() || b["members"].size() > 100)
      fail(400, "bad_field", "members 须为人员标识的数组（不超过100人）", "members");
    for (const auto& m : b["members"]) {
      if (!m.is_string()) fail(400, "bad_field", "members 须为人员标识的数组", "members");
      r.members.push_back(api.person_id(m.get<std::string>()));
    }
  }
  auto h = api.ledger->pay_household(c.actor, r, api.today());
  if (!h.ok) {
    json det = h.refusal.details.empty() ? json::object() : json::parse(h.refusal.details, nullptr, false);
    if (det.is_discarded() || !det.is_object()) det = json::object();
    std::string message = h.refusal.message;
    if (!h.failed_member.empty()) {
      det["member"] = mask_id(h.failed_member);
      det["person_key"] = api.keys->encode(h.failed_member);
      message = "成员 " + mask_id(h.failed_member) + "：" + message;
    }
    fail(http_status(h.refusal.kind), h.refusal.code, message, h.refusal.field.empty() ? "members" : h.refusal.field,
         det.empty() ? json() : det);
  }
  json payments = json::array(), receipts = json::array();
  int64_t total = 0;
  for (const auto& m : h.members) {
    payments.push_back(payment_json(api, m.row));
    receipts.push_back(m.row.receipt_no);
    total += m.row.amount_fen;
  }
  Api::send_json(c.res, h.replayed ? 200 : 201,
                 {{"payments", payments}, {"receipts", receipts}, {"total_fen", total}, {"household", r.household},
                  {"replayed", h.replayed}});
}

}  // namespace

void add_collect_routes(Api& api) {
  api.route("POST", "/api/v1/payments/batch", Access::session, [&api](Ctx& c) { payments_batch(api, c); });
  api.route("POST", R"(/api/v1/households/([^/]+)/payments)", Access::session,
            [&api](Ctx& c) { household_payment(api, c); });
}

}  // namespace canbao::server
