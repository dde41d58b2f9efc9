#include "server/api.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <sodium.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/id_number.h"
#include "registry/rules.h"
#include "server/status.h"

namespace canbao::server {

namespace {

std::string cookie_value(const httplib::Request& req, std::string_view name) {
  std::string c = req.get_header_value("Cookie");
  size_t p = 0;
  while (p < c.size()) {
    size_t e = c.find(';', p);
    if (e == std::string::npos) e = c.size();
    std::string_view kv(c.data() + p, e - p);
    while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
    if (kv.substr(0, name.size()) == name && kv.size() > name.size() && kv[name.size()] == '=')
      return std::string(kv.substr(name.size() + 1));
    p = e + 1;
  }
  return {};
}

}  // namespace

bool csrf_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void fail(int http, std::string code, std::string message, std::string field, json details) {
  throw ApiError{http, std::move(code), std::move(message), std::move(field), std::move(details)};
}

void fail(const Error& e) {
  throw ApiError{http_status(e.kind), e.code, e.message, e.field,
                 e.details.empty() ? json(nullptr) : json::parse(e.details), e.row};
}

json error_body(const ApiError& e) {
  json err = {{"code", e.code},
              {"message", e.message},
              {"field", e.field.empty() ? json() : json(e.field)},
              {"row", e.row >= 0 ? json(e.row) : json()}};
  if (!e.details.is_null()) err["details"] = e.details;
  return json{{"error", err}};
}

Date clock_today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return Date::from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Api::Api(ServerOptions o) : opt(std::move(o)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium init failed");
  pool = std::make_unique<ledger::StorePool>(opt.db, opt.open, opt.pool);
  if (!opt.policies_dir.empty()) policies = ledger::PolicySet::load_dir(opt.policies_dir);
  ledger::LedgerOptions lo;
  lo.batch_max = opt.batch_max;
  ledger = std::make_unique<ledger::Ledger>(*pool, policies, lo);
  auto l = pool->lease();
  keys = std::make_unique<PersonKeys>(server_key(*l, "person_key"));
}

void Api::send_json(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json; charset=utf-8");
}

std::string Api::session_cookie(const std::string& token) const {
  return fmt::format("canbao_session={}; HttpOnly; SameSite=Strict; Path=/{}{}", token,
                     token.empty() ? "; Max-Age=0" : "", opt.secure_cookies ? "; Secure" : "");
}

void Api::send_file(Ctx& c, const std::string& filename, const std::string& mime,
                    const std::function<void(const std::string& path)>& write) {
  namespace fs = std::filesystem;
  auto path = fs::temp_directory_path() / fmt::format("canbao-export-{}{}", random_token(8),
                                                     fs::path(filename).extension().string());
  struct Rm {
    fs::path p;
    ~Rm() { std::error_code ec; fs::remove(p, ec); }
  } rm{path};
  write(path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("export file not written: " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  c.res.status = 200;
  // RFC 6266/5987: a UTF-8 file name for the Chinese titles, an ASCII fallback.
  std::string enc;
  for (unsigned char ch : filename) {
    if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_') enc += char(ch);
    else enc += fmt::format("%{:02X}", ch);
  }
  c.res.set_header("Content-Disposition",
                   fmt::format("attachment; filename=\"export{}\"; filename*=UTF-8''{}",
                               fs::path(filename).extension().string(), enc));
  c.res.set_content(ss.str(), mime);
}

void Api::send_xlsx(Ctx& c, const std::string& filename, const std::function<void(const std::string& path)>& write) {
  send_file(c, filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", write);
}

bool Api::wants_xlsx(Ctx& c) { return qp(c, "format") == "xlsx"; }

void Api::route(const std::string& method, const std::string& pattern, Access access, std::function<void(Ctx&)> fn) {
  auto h = [this, access, fn = std::move(fn), method](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    Ctx c{req, res, std::nullopt, {}};
    try {
      if (access != Access::open) {
        std::string tok = cookie_value(req, "canbao_session");
        if (!tok.empty()) {
          auto l = pool->lease();  // released before the handler leases its own
          c.s = sessions.get(*l, tok);
        }
        if (!c.s) fail(401, "not_logged_in", "请先登录");
        if (access == Access::session && c.s->must_change)
          fail(403, "password_change_required", "首次登录须先修改密码");
        if (method != "GET" && !csrf_equal(req.get_header_value("X-CSRF-Token"), c.s->csrf))
          fail(403, "csrf", "请求缺少有效的 CSRF 令牌，请刷新页面后重试");
        c.actor = c.s->actor();
        c.actor.backdate_days = backdate_days(c.actor.role);
      }
      fn(c);
    } catch (const ApiError& e) {
      // A handler that knows when the limit lifts has set its own; one header only.
      if (e.http == 429 && !res.has_header("Retry-After")) res.set_header("Retry-After", "60");
      send_json(res, e.http, error_body(e));
    } catch (const json::exception& e) {
      send_json(res, 400, error_body({400, "bad_json", "请求内容不是有效的 JSON 或字段类型不对"}));
    } catch (const DomainError& e) {
      int http = http_status(e.error.kind);
      send_json(res, http, error_body({http, e.error.code, e.error.message, e.error.field, nullptr, e.error.row}));
    } catch (const store::Unavailable&) {  // fail-over window: the client retries (same idempotency key)
      res.set_header("Retry-After", "2");
      send_json(res, 503, error_body({503, "store_unavailable", "数据库暂时不可用，请稍后重试"}));
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao serve: {} {}: {}\n", req.method, req.path, e.what());
      send_json(res, 500, error_body({500, "internal", "服务器内部错误，请稍后重试"}));
    }
  };
  if (method == "GET") http.Get(pattern, h);
  else if (method == "POST") http.Post(pattern, h);
  else if (method == "PUT") http.Put(pattern, h);
  else if (method == "DELETE") http.Delete(pattern, h);
}

json Api::body(Ctx& c) {
  if (c.req.body.empty()) return json::object();
  try {
    auto j = json::parse(c.req.body);
    if (!j.is_object()) fail(400, "bad_json", "请求体须为 JSON 对象");
    return j;
  } catch (const json::parse_error&) {
    fail(400, "bad_json", "请求内容不是有效的 JSON");
  }
}

namespace {
// Why a text is refused, or nullptr: bad UTF-8, C0/C1 controls (NUL, line
// breaks) and the bidi controls that make a name display differently from
// what is stored (U+202A–202E, U+2066–2069, U+200E/200F, U+061C).
const char* text_problem(std::string_view s, size_t max_chars, size_t* chars) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
    else return "不是有效的 UTF-8 文本";
    if (i + len > s.size()) return "不是有效的 UTF-8 文本";
    for (size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return "不是有效的 UTF-8 文本";
      cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return "含有控制字符";
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
        cp == 0x061C)
      return "含有文字方向控制字符";
    i += len;
    ++n;
  }
  *chars = n;
  if (n > max_chars) return "过长";
  return nullptr;
}
}  // namespace

std::string Api::str_field(const json& j, const char* k, bool required, size_t max_chars) {
  if (!j.contains(k) || j[k].is_null()) {
    if (required) fail(400, "missing_field", fmt::format("缺少字段 {}", k), k);
    return {};
  }
  if (!j[k].is_string()) fail(400, "bad_field", fmt::format("字段 {} 须为字符串", k), k);
  std::string v = j[k].get<std::string>();
  size_t chars = 0;
  if (const char* why = text_problem(v, max_chars, &chars))
    fail(400, "bad_field", fmt::format("字段 {} {}（不超过 {} 个字符）", k, why, max_chars), k);
  if (required && v.empty()) fail(400, "missing_field", fmt::format("缺少字段 {}", k), k);
  return v;
}

std::string Api::name_field(const json& j, const char* k, bool required) {
  std::string v = str_field(j, k, required, 50);
  // Only spaces (ASCII or the ideographic U+3000) is no name.
  bool blank = !v.empty();
  for (size_t i = 0; i < v.size() && blank;) {
    if (v[i] == ' ') ++i;
    else if (v.compare(i, 3, "\xE3\x80\x80") == 0) i += 3;
    else blank = false;
  }
  if (blank) fail(400, "bad_field", fmt::format("字段 {} 不能只有空格", k), k);
  return v;
}

int64_t Api::int_field(const json& j, const char* k, bool required, int64_t def, int64_t min, int64_t max) {
  if (!j.contains(k) || j[k].is_null()) {
    if (required) fail(400, "missing_field", fmt::format("缺少字段 {}", k), k);
    return def;
  }
  // nlohmann keeps integers above INT64_MAX as unsigned: never read them as int64.
  if (!j[k].is_number_integer() || (j[k].is_number_unsigned() && j[k].get<uint64_t>() > uint64_t(INT64_MAX)))
    fail(400, "bad_field", fmt::format("字段 {} 须为整数", k), k);
  int64_t v = j[k].get<int64_t>();
  if (v < min || v > max) fail(400, "bad_field", fmt::format("字段 {} 超出范围（{}–{}）", k, min, max), k);
  return v;
}

std::string Api::key_field(Ctx& c, const json& j) {
  std::string key = str_field(j, "idempotency_key", true, 100);
  return c.actor.scope.empty() ? key : c.actor.scope.str() + "|" + key;
}

int Api::backdate_days(std::string_view role) const {
  auto it = opt.backdate_days.find(std::string(role));
  return it != opt.backdate_days.end() ? it->second : opt.backdate_days_default;
}

int Api::year_field(const json& j, const char* k, int def) {
  return int(int_field(j, k, false, def, 2000, 2199));
}

std::optional<Date> Api::date_field(const json& j, const char* k) {
  auto s = str_field(j, k);
  if (s.empty()) return std::nullopt;
  auto d = Date::parse(s);
  if (!d) fail(400, "bad_field", fmt::format("字段 {} 须为日期 YYYY-MM-DD", k), k);
  return d;
}

std::string Api::qp(Ctx& c, const char* k) { return c.req.has_param(k) ? c.req.get_param_value(k) : ""; }

namespace {
// The whole text as a decimal integer (no sign games, no trailing bytes, no overflow).
std::optional<int64_t> whole_int(std::string_view v) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return std::nullopt;
  return n;
}
}  // namespace

int64_t Api::qint(Ctx& c, const char* k, int64_t def, int64_t min, int64_t max) {
  auto v = qp(c, k);
  if (v.empty()) return def;
  auto n = whole_int(v);
  if (!n) fail(400, "bad_field", fmt::format("参数 {} 须为整数", k), k);
  if (*n < min || *n > max) fail(400, "bad_field", fmt::format("参数 {} 超出范围（{}–{}）", k, min, max), k);
  return *n;
}

int Api::year_text(const std::string& v, const char* k) {
  auto n = whole_int(v);
  if (!n || *n < 2000 || *n > 2199) fail(400, "bad_field", fmt::format("{} 须为年度（2000–2199），如 2024", k), k);
  return int(*n);
}

int Api::qyear(Ctx& c) {
  if (qp(c, "year").empty()) return 0;
  return year_text(qp(c, "year"), "year");
}

std::optional<Date> Api::qdate(Ctx& c, const char* k) {
  auto v = qp(c, k);
  if (v.empty()) return std::nullopt;
  auto d = Date::parse(v);
  if (!d) fail(400, "bad_field", fmt::format("参数 {} 须为日期 YYYY-MM-DD", k), k);
  return d;
}

RegionCode Api::qregion(Ctx& c, const char* k) {
  auto v = qp(c, k);
  if (v.empty()) return {};
  auto r = RegionCode::parse(v);
  if (!r) fail(400, "bad_field", fmt::format("参数 {} 不是有效的区划代码", k), k);
  return *r;
}

RegionCode Api::scoped_region(Ctx& c, const char* k, int year) {
  RegionCode under = qregion(c, k);
  if (under.empty()) under = c.actor.scope;
  if (under.empty()) {
    for (auto& p : policies.all())
      if (p.year == year) { under = p.region; break; }
  }
  if (under.empty() || !c.actor.in_scope(under)) fail(404, "not_found", "区划不在您的管辖范围内", k);
  return under;
}

void Api::need(Ctx& c, std::string_view perm) {
  if (!role_may(c.actor.role, perm)) fail(403, "forbidden", "您的角色无权进行此操作");
}

std::pair<int64_t, int64_t> Api::page(Ctx& c) {
  int64_t p = qint(c, "page", 1, 1, 1000000);
  int64_t ps = std::clamp<int64_t>(qint(c, "page_size", 50, 1, 100000), 1, 500);
  return {p, ps};
}

int Api::year_of(Ctx& c) {
  if (int y = qyear(c)) return y;
  return policies.all().empty() ? today().year() + 1 : policies.all().front().year;
}

std::string Api::person_id(std::string_view key) {
  if (!key.empty() && key[0] == 'p') {
    if (auto id = keys->decode(key)) return *id;
    fail(404, "not_found", "未找到该人员");
  }
  auto id = IdNumber::parse(key, today().plus_days(366));
  if (!id) fail(400, "bad_field", "身份证号无效", "person");
  return id->str();
}

std::string Api::region_name(store::Store& st, RegionCode r) {
  if (r.empty()) return "";
  auto reg = st.region(r);
  return reg ? reg->name : "";
}

}  // namespace canbao::server
