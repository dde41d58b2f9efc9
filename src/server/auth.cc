#include "server/auth.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "store/sql_store.h"

namespace canbao::server {

using store::detail::Param;
using store::detail::RowView;
using store::detail::SqlStore;
using store::detail::region_p;
using store::detail::text_or_null;

const std::vector<std::string_view> kRoles = {"admin", "township", "village", "school", "tax", "department", "auditor"};

std::string_view role_label(std::string_view r) {
  if (r == "admin") return "医保局管理员";
  if (r == "township") return "乡镇（街道）经办";
  if (r == "village") return "村（社区）协理员";
  if (r == "school") return "学校";
  if (r == "tax") return "税务局";
  if (r == "department") return "资助部门";
  if (r == "auditor") return "审计";
  return "";
}

bool valid_role(std::string_view r) { return std::find(kRoles.begin(), kRoles.end(), r) != kRoles.end(); }

bool role_may(std::string_view role, std::string_view perm) {
  // The permission table, as data.
  static const std::unordered_map<std::string_view, std::vector<std::string_view>> k = {
      // read.reconcile: reconciliation runs and their per-person findings;
      // reconcile: start a run (upload the tax/treasury files) or rerun one.
      {"township", {"read", "read.payments", "write.enroll", "write.payment", "reverse", "unmask", "import.roster",
                    "read.reconcile"}},
      {"village", {"read", "read.payments", "write.enroll", "write.payment", "reverse", "unmask"}},
      {"school", {"read", "read.payments", "write.payment"}},
      {"tax", {"read", "read.payments", "write.payment", "import.payments", "read.reconcile", "reconcile"}},
      {"department", {"read", "write.subsidy", "import.subsidy_list", "read.subsidy"}},
      {"auditor", {"read", "read.payments", "audit", "read.subsidy", "read.reconcile", "policy.whatif"}},
  };
  if (role == "admin") return true;
  auto it = k.find(role);
  if (it == k.end()) return false;
  return std::find(it->second.begin(), it->second.end(), perm) != it->second.end();
}

bool role_channel(std::string_view role, std::string_view ch) {
  if (role == "admin") return true;
  if (role == "township" || role == "village")
    return ch == "village_collector" || ch == "wechat" || ch == "alipay" || ch == "app" || ch == "bank" ||
           ch == "family_account";
  if (role == "school") return ch == "school";
  if (role == "tax") return ch == "tax_hall" || ch == "wechat" || ch == "alipay" || ch == "app" || ch == "bank";
  return false;
}

namespace {
SqlStore& sql(store::Store& st) {
  auto* s = dynamic_cast<SqlStore*>(&st);
  if (!s) throw store::StoreError("server needs an SQL store");
  return *s;
}
constexpr std::string_view kUserSelect =
    "SELECT id, username, display_name, role, scope, department, password_hash, must_change, disabled FROM users ";
User read_user(const RowView& v) {
  User u;
  u.id = v.i(0);
  u.username = v.s(1);
  u.display_name = v.s(2);
  u.role = v.s(3);
  u.scope = v.region(4);
  if (!v.null(5)) u.department = v.s(5);
  u.password_hash = v.s(6);
  u.must_change = v.i(7) != 0;
  u.disabled = v.i(8) != 0;
  return u;
}
}  // namespace

std::optional<User> find_user(store::Store& st, std::string_view username) {
  std::optional<User> out;
  sql(st).sql_query(std::string(kUserSelect) + "WHERE username = ?", {username},
                    [&](const RowView& v) { out = read_user(v); });
  return out;
}

std::optional<User> find_user(store::Store& st, int64_t id) {
  std::optional<User> out;
  sql(st).sql_query(std::string(kUserSelect) + "WHERE id = ?", {id}, [&](const RowView& v) { out = read_user(v); });
  return out;
}

std::vector<User> list_users(store::Store& st, RegionCode scope) {
  auto [lo, hi] = store::detail::region_range(scope);
  std::vector<User> out;
  // Users without a scope (whole database) are visible only to unscoped admins.
  std::string w = scope.empty() ? "" : "WHERE scope BETWEEN ? AND ? ";
  if (scope.empty())
    sql(st).sql_query(std::string(kUserSelect) + "ORDER BY id", {}, [&](const RowView& v) { out.push_back(read_user(v)); });
  else
    sql(st).sql_query(std::string(kUserSelect) + w + "ORDER BY id", {lo, hi},
                      [&](const RowView& v) { out.push_back(read_user(v)); });
  for (auto& u : out) u.password_hash.clear();
  return out;
}

std::string hash_password(const std::string& pw) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, pw.data(), pw.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("密码哈希失败（内存不足）");
  return out;
}

bool verify_password(const std::string& hash, const std::string& pw) {
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), pw.data(), pw.size()) == 0;
}

std::string random_password() {
  static const char* a = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string s;
  for (int i = 0; i < 14; ++i) s += a[randombytes_uniform(uint32_t(std::strlen(a)))];
  return s;
}

std::string random_token(size_t bytes) {
  std::vector<unsigned char> b(bytes);
  randombytes_buf(b.data(), b.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string create_user(store::Store& st, const User& u, const std::string& password, const std::string& actor,
                        bool must_change) {
  if (u.username.empty() || u.username.size() > 64) throw std::runtime_error("用户名不能为空且不超过64个字符");
  for (char c : u.username)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      throw std::runtime_error("用户名只能包含字母、数字、_、-、.");
  if (!valid_role(u.role)) throw std::runtime_error("角色无效：" + u.role);
  if (u.role != "admin" && u.role != "auditor" && u.scope.empty())
    throw std::runtime_error("该角色必须指定管辖区划");
  if (u.role == "department" && u.department.empty()) throw std::runtime_error("资助部门用户必须指定部门名称");
  std::string pw = password.empty() ? random_password() : password;
  if (pw.size() < 8) throw std::runtime_error("密码至少8个字符");
  std::string h = hash_password(pw);
  auto& s = sql(st);
  auto tx = st.transaction();
  if (find_user(st, u.username)) throw std::runtime_error("用户名已存在：" + u.username);
  int64_t id = s.sql_insert(
      "INSERT INTO users (username, display_name, role, scope, department, password_hash, must_change, disabled, "
      "created_at, region) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
      {u.username, u.display_name, u.role, region_p(u.scope), text_or_null(u.department), h, must_change ? 1 : 0,
       store::detail::now_iso(), u.scope.empty() ? Param(0) : region_p(u.scope)});
  nlohmann::json nj = {{"username", u.username}, {"role", u.role}, {"region", u.scope.str()},
                       {"department", u.department}};
  st.audit({"", actor, "user.create", "user", std::to_string(id), "", nj.dump(), u.scope});
  tx.commit();
  return pw;
}

void set_password(store::Store& st, int64_t user_id, const std::string& pw, bool must_change,
                  const std::string& actor) {
  std::string h = hash_password(pw);
  auto tx = st.transaction();
  sql(st).sql_exec("UPDATE users SET password_hash = ?, must_change = ? WHERE id = ?", {h, must_change ? 1 : 0, user_id});
  auto u = find_user(st, user_id);
  st.audit({"", actor, "user.password", "user", std::to_string(user_id), "",
            nlohmann::json{{"must_change", must_change}}.dump(), u ? u->scope : RegionCode{}});
  tx.commit();
}

void set_disabled(store::Store& st, int64_t user_id, bool disabled, const std::string& actor) {
  auto tx = st.transaction();
  auto u = find_user(st, user_id);
  sql(st).sql_exec("UPDATE users SET disabled = ? WHERE id = ?", {disabled ? 1 : 0, user_id});
  st.audit({"", actor, disabled ? "user.disable" : "user.enable", "user", std::to_string(user_id),
            nlohmann::json{{"disabled", u && u->disabled}}.dump(), nlohmann::json{{"disabled", disabled}}.dump(),
            u ? u->scope : RegionCode{}});
  tx.commit();
}

// ----------------------------------------------------------------- sessions

Session Sessions::create(const User& u) {
  Session s;
  s.token = random_token(32);
  s.csrf = random_token(24);
  s.user_id = u.id;
  s.username = u.username;
  s.display_name = u.display_name;
  s.role = u.role;
  s.department = u.department;
  s.scope = u.scope;
  s.must_change = u.must_change;
  s.last_seen = std::chrono::steady_clock::now();
  std::unique_lock lk(mu_);
  map_[s.token] = s;
  return s;
}

std::optional<Session> Sessions::get(const std::string& token) {
  auto now = std::chrono::steady_clock::now();
  {
    std::shared_lock lk(mu_);
    auto it = map_.find(token);
    if (it == map_.end()) return std::nullopt;
    if (now - it->second.last_seen < idle_) {
      // Refresh at most once a minute (keeps the hot path read-only).
      if (now - it->second.last_seen < std::chrono::minutes(1)) return it->second;
    }
  }
  std::unique_lock lk(mu_);
  auto it = map_.find(token);
  if (it == map_.end()) return std::nullopt;
  if (now - it->second.last_seen >= idle_) {
    map_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void Sessions::drop(const std::string& token) {
  std::unique_lock lk(mu_);
  map_.erase(token);
}

void Sessions::drop_user(int64_t user_id) {
  std::unique_lock lk(mu_);
  for (auto it = map_.begin(); it != map_.end();) it = it->second.user_id == user_id ? map_.erase(it) : std::next(it);
}

void Sessions::set_must_change(const std::string& token, bool v) {
  std::unique_lock lk(mu_);
  if (auto it = map_.find(token); it != map_.end()) it->second.must_change = v;
}

// ------------------------------------------------------------- rate limiter

void RateLimiter::prune(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return;
  auto cut = std::chrono::steady_clock::now() - window_;
  while (!it->second.empty() && it->second.front() < cut) it->second.pop_front();
  if (it->second.empty()) map_.erase(it);
}

bool RateLimiter::blocked(const std::string& key) {
  std::lock_guard lk(mu_);
  prune(key);
  auto it = map_.find(key);
  return it != map_.end() && int(it->second.size()) >= limit_;
}

void RateLimiter::hit(const std::string& key) {
  std::lock_guard lk(mu_);
  prune(key);
  map_[key].push_back(std::chrono::steady_clock::now());
}

void RateLimiter::clear(const std::string& key) {
  std::lock_guard lk(mu_);
  map_.erase(key);
}

int RateLimiter::retry_after_seconds(const std::string& key) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key);
  if (it == map_.end() || it->second.empty()) return 1;
  auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.front() + window_ -
                                                               std::chrono::steady_clock::now());
  return std::max<int>(1, int(left.count()) + 1);
}

// --------------------------------------------------------------- person keys

std::string PersonKeys::encode(std::string_view id) const {
  unsigned char siv[8];
  crypto_generichash(siv, sizeof siv, reinterpret_cast<const unsigned char*>(id.data()), id.size(),
                     reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  unsigned char nonce[crypto_stream_xchacha20_NONCEBYTES] = {0};
  std::memcpy(nonce, siv, sizeof siv);
  std::vector<unsigned char> c(id.size());
  crypto_stream_xchacha20_xor(c.data(), reinterpret_cast<const unsigned char*>(id.data()), id.size(), nonce,
                              reinterpret_cast<const unsigned char*>(key_.data()));
  std::string out = "p";
  static const char* hx = "0123456789abcdef";
  for (unsigned char b : siv) { out += hx[b >> 4]; out += hx[b & 15]; }
  for (unsigned char b : c) { out += hx[b >> 4]; out += hx[b & 15]; }
  return out;
}

std::optional<std::string> PersonKeys::decode(std::string_view k) const {
  if (k.size() < 17 || k[0] != 'p' || (k.size() - 1) % 2) return std::nullopt;
  std::vector<unsigned char> b;
  for (size_t i = 1; i + 1 < k.size() + 1; i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int h = v(k[i]), l = v(k[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    b.push_back(static_cast<unsigned char>(h * 16 + l));
  }
  if (b.size() <= 8) return std::nullopt;
  unsigned char nonce[crypto_stream_xchacha20_NONCEBYTES] = {0};
  std::memcpy(nonce, b.data(), 8);
  std::string id(b.size() - 8, '\0');
  crypto_stream_xchacha20_xor(reinterpret_cast<unsigned char*>(id.data()), b.data() + 8, b.size() - 8, nonce,
                              reinterpret_cast<const unsigned char*>(key_.data()));
  if (encode(id) != k) return std::nullopt;
  return id;
}

std::string server_key(store::Store& st, std::string_view name) {
  auto& s = sql(st);
  std::string hexkey;
  auto tx = st.transaction();
  s.sql_query("SELECT value FROM server_keys WHERE name = ?", {name}, [&](const RowView& v) { hexkey = v.s(0); });
  if (hexkey.empty()) {
    unsigned char k[32];
    randombytes_buf(k, sizeof k);
    static const char* hx = "0123456789abcdef";
    for (unsigned char b : k) { hexkey += hx[b >> 4]; hexkey += hx[b & 15]; }
    s.sql_exec("INSERT INTO server_keys (name, value, region) VALUES (?, ?, 0)", {name, hexkey});
  }
  tx.commit();
  std::string key(32, '\0');
  for (size_t i = 0; i < 32; ++i) key[i] = char(std::stoi(hexkey.substr(2 * i, 2), nullptr, 16));
  return key;
}

}  // namespace canbao::server
