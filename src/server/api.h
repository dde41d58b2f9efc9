// Internal to src/server: the state and plumbing every route file shares.
//
// Each routes_<area>.cc adds its routes through add_<area>_routes(Api&);
// server.cc calls them before the catch-all 404 and the static files. A
// handler gets a Ctx (request, response, the session and its actor) and
// throws ApiError via fail() for any refusal; the wrapper in route() turns
// every exception into the error JSON of docs/api.md, so a handler never
// writes an error body itself.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/date.h"
#include "core/region_code.h"
#include "core/text.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "server/auth.h"
#include "server/server.h"
#include "store/admin_store.h"
#include "store/store.h"

namespace canbao::server {

using json = nlohmann::json;

struct ApiError {
  int http = 400;
  std::string code, message, field;
  json details = nullptr;
  int64_t row = -1;
};

[[noreturn]] void fail(int http, std::string code, std::string message, std::string field = {},
                       json details = nullptr);
// Refuses with a domain error: its kind's status (server/status.h), its details object.
[[noreturn]] void fail(const Error& e);
json error_body(const ApiError& e);
Date clock_today();
// Constant-time comparison of two secrets (CSRF tokens, receipt codes).
bool csrf_equal(const std::string& a, const std::string& b);

struct Api {
  ServerOptions opt;
  std::unique_ptr<ledger::StorePool> pool;
  ledger::PolicySet policies;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<PersonKeys> keys;
  Sessions sessions;
  httplib::Server http;
  std::atomic<int> uploads_running{0};  // uploads being read (server/uploads.h)
  // Failed logins (and old passwords) per user and per address; the public
  // lookups per address (counted in this process only).
  RateLimiter login_user{opt.login_failures, std::chrono::minutes(15)};
  RateLimiter login_ip{opt.login_failures * 4, std::chrono::minutes(15)};
  RateLimiter public_ip{opt.public_per_minute, std::chrono::minutes(1)};

  struct Ctx {
    const httplib::Request& req;
    httplib::Response& res;
    std::optional<Session> s;
    ledger::Actor actor;
  };
  // open: anyone; any_session: logged in (also before the first password
  // change); session: logged in with a password of their own.
  enum class Access { open, any_session, session };

  explicit Api(ServerOptions o);
  virtual ~Api() = default;

  Date today() const { return opt.today ? *opt.today : clock_today(); }

  static void send_json(httplib::Response& res, int status, const json& j);
  // Set-Cookie value of the session cookie (empty token: the one that clears it); Secure with --secure-cookies.
  std::string session_cookie(const std::string& token) const;
  // Sends the file `write(path)` produces as a download named `filename`
  // (an .xlsx: the UI's ?format=xlsx links); the temp file is removed.
  static void send_file(Ctx& c, const std::string& filename, const std::string& mime,
                        const std::function<void(const std::string& path)>& write);
  static void send_xlsx(Ctx& c, const std::string& filename,
                        const std::function<void(const std::string& path)>& write);
  // True when the request asks for ?format=xlsx.
  static bool wants_xlsx(Ctx& c);
  void route(const std::string& method, const std::string& pattern, Access access, std::function<void(Ctx&)> fn);

  static json body(Ctx& c);
  // A string field of at most `max_chars` characters (code points) of valid
  // UTF-8 without control or bidi-override characters; 400 bad_field naming
  // the field otherwise. Long texts (a policy file) pass a larger bound.
  static std::string str_field(const json& j, const char* k, bool required = false, size_t max_chars = 200);
  // A name (person, payer, account holder): ≤ 50 characters, not only spaces.
  static std::string name_field(const json& j, const char* k, bool required = false);
  // An integer field within [min, max]; 400 bad_field outside (never truncated).
  static int64_t int_field(const json& j, const char* k, bool required, int64_t def = 0,
                           int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  // The body's idempotency_key (≤ 100 characters) as the ledger stores it:
  // keys are unique per issuing user's region scope, so the same key sent
  // from another scope is a different key there and reveals nothing of the first.
  static std::string key_field(Ctx& c, const json& j);
  // Days before today a payment entered by `role` may be dated (ServerOptions).
  int backdate_days(std::string_view role) const;
  // A campaign year (2000–2199) from the body; `def` when absent.
  static int year_field(const json& j, const char* k, int def);
  static std::optional<Date> date_field(const json& j, const char* k);
  static std::string qp(Ctx& c, const char* k);
  // An integer query parameter within [min, max]; 400 bad_field otherwise.
  static int64_t qint(Ctx& c, const char* k, int64_t def, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  // A year written in a form field or parameter (2000–2199); 400 bad_field naming `k` otherwise.
  static int year_text(const std::string& v, const char* k);
  // ?year= (2000–2199), 0 when absent; 400 bad_field otherwise.
  static int qyear(Ctx& c);
  // A YYYY-MM-DD query parameter; nullopt when absent, 400 bad_field when garbage.
  static std::optional<Date> qdate(Ctx& c, const char* k);
  RegionCode qregion(Ctx& c, const char* k);
  // ?under= (or the given parameter) limited to the actor's scope; empty
  // asks for the actor's scope, then the region of the year's first policy.
  // 404 outside the scope.
  RegionCode scoped_region(Ctx& c, const char* k, int year);
  static void need(Ctx& c, std::string_view perm);
  std::pair<int64_t, int64_t> page(Ctx& c);
  int year_of(Ctx& c);
  // Full ID from a person key or an ID number in a URL/body.
  std::string person_id(std::string_view key);
  std::string region_name(store::Store& st, RegionCode r);
};

void add_user_routes(Api& api);      // routes_users.cc: login, logout, session, password, users
void add_registry_routes(Api& api);  // routes_registry.cc: regions, persons, households, enrollments
void add_payment_routes(Api& api);   // routes_payments.cc: payments, receipts, public lookups
void add_import_routes(Api& api);    // routes_imports.cc: uploads, batches, templates, targets
void add_audit_routes(Api& api);     // routes_audit.cc: the audit log
void add_campaign_routes(Api& api);  // routes_campaign.cc: progress, reports, lists, notices, funds, reconciliations
void add_policy_routes(Api& api);    // routes_policy.cc: policies, diff, what-if
// Shared by route files: the body of POST /payments read into a request (the
// batch reads its items the same way), and the person search box's text read
// into the admin store's filter (15+ digits an ID, 4+ its end, else a name or
// its pinyin initials).
ledger::PaymentRequest payment_request(Api& api, Api::Ctx& c, const json& body);
store::PersonFilter person_filter(Api& api, const ledger::Actor& a, int year, const std::string& q, RegionCode village,
                                  const std::string& household, const std::string& status);
void add_collect_routes(Api& api);   // routes_collect.cc: whole-household payment, batch payments
void add_household_routes(Api& api); // routes_households.cc: dues, search, the collector's offline cache, contacts
void add_daily_routes(Api& api);     // routes_daily.cc: the daily handover (日结), ledger export

}  // namespace canbao::server
