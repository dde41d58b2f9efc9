#include "server/auth.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace canbao::server {

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

std::optional<User> find_user(store::Store& st, std::string_view username) { return st.auth().user_named(username); }

std::optional<User> find_user(store::Store& st, int64_t id) { return st.auth().user(id); }

std::vector<User> list_users(store::Store& st, RegionCode scope) {
  auto out = st.auth().users_in(scope);
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
  User row = u;
  row.password_hash = hash_password(pw);
  row.must_change = must_change;
  auto tx = st.transaction();
  if (find_user(st, u.username)) throw std::runtime_error("用户名已存在：" + u.username);
  int64_t id = st.auth().add_user(row);
  nlohmann::json nj = {{"username", u.username}, {"role", u.role}, {"region", u.scope.str()},
                       {"department", u.department}};
  st.audit({"", actor, "user.create", "user", std::to_string(id), "", nj.dump(), u.scope});
  tx.commit();
  return pw;
}

void set_password(store::Store& st, int64_t user_id, const std::string& pw, bool must_change,
                  const std::string& actor, const std::string& keep_token) {
  std::string h = hash_password(pw);
  auto tx = st.transaction();
  st.auth().set_password_hash(user_id, h, must_change);
  end_sessions(st, user_id, keep_token);
  if (!keep_token.empty()) st.auth().set_session_must_change(token_hash(keep_token), user_id, must_change);
  auto u = find_user(st, user_id);
  st.audit({"", actor, "user.password", "user", std::to_string(user_id), "",
            nlohmann::json{{"must_change", must_change}}.dump(), u ? u->scope : RegionCode{}});
  tx.commit();
}

void set_disabled(store::Store& st, int64_t user_id, bool disabled, const std::string& actor) {
  auto tx = st.transaction();
  auto u = find_user(st, user_id);
  st.auth().set_user_disabled(user_id, disabled);
  if (disabled) end_sessions(st, user_id);
  st.audit({"", actor, disabled ? "user.disable" : "user.enable", "user", std::to_string(user_id),
            nlohmann::json{{"disabled", u && u->disabled}}.dump(), nlohmann::json{{"disabled", disabled}}.dump(),
            u ? u->scope : RegionCode{}});
  tx.commit();
}

// ----------------------------------------------------------------- passwords

namespace {
// Unicode characters of valid UTF-8 (the JSON parser has already refused
// invalid bytes): every byte that is not a continuation byte starts one.
size_t utf8_chars(std::string_view s) {
  return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
}  // namespace

std::optional<std::string> weak_password(std::string_view pw) {
  if (utf8_chars(pw) < 10) return "密码至少10个字符（汉字、字母、数字均按1个字符计）";
  // One character repeated ("aaaaaaaaaa", "密密密密密密密密密密"): compare code points, not bytes.
  size_t first = 1;
  while (first < pw.size() && (static_cast<unsigned char>(pw[first]) & 0xC0) == 0x80) ++first;
  std::string_view c0 = pw.substr(0, first);
  bool same = pw.size() % first == 0;
  for (size_t i = 0; same && i < pw.size(); i += first) same = pw.substr(i, first) == c0;
  if (same) return "密码不能由同一个字符重复组成";
  // What password lists and guessers try first; compared without case.
  static const char* const kCommon[] = {
      "1234567890",   "0123456789",  "0987654321",   "9876543210",   "12345678910",   "123456789a",
      "a123456789",   "1234567890a", "123456789abc", "abc123456789", "abcd123456",    "abc1234567",
      "abcdefghij",   "abcdefghijk", "password123",  "password1234", "passw0rd123",   "password12",
      "qwertyuiop",   "qwerty123456", "qwer123456",  "asdfghjkl123", "zxcvbnm123",    "1qaz2wsx3edc",
      "1q2w3e4r5t",   "1q2w3e4r5t6y", "admin12345",  "admin123456",  "iloveyou123",   "woaini1314",
      "woaini520520", "5201314520",  "1314520520",   "12345qwert",   "qwert12345",    "123qweasdzxc"};
  std::string low(pw);
  for (auto& ch : low) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* c : kCommon)
    if (low == c) return "密码过于常见，容易被猜中，请换一个";
  return std::nullopt;
}

bool role_fits_region(std::string_view role, RegionCode scope) {
  if (role == "village") return scope.level() == RegionCode::village;
  if (role == "township") return scope.level() == RegionCode::township;
  if (scope.empty()) return role == "admin" || role == "auditor";
  return scope.level() <= RegionCode::county;
}

// ----------------------------------------------------------------- sessions

std::string token_hash(std::string_view token) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  static const char* hx = "0123456789abcdef";
  std::string out;
  for (unsigned char b : h) { out += hx[b >> 4]; out += hx[b & 15]; }
  return out;
}

namespace {
int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
// The user half of a session: one mapping for a new login and a stored session.
Session session_of(const User& u) {
  Session s;
  s.user_id = u.id;
  s.username = u.username;
  s.display_name = u.display_name;
  s.role = u.role;
  s.department = u.department;
  s.scope = u.scope;
  return s;
}
}  // namespace

void end_sessions(store::Store& st, int64_t user_id, const std::string& keep_token) {
  st.auth().drop_sessions_of(user_id, keep_token.empty() ? std::string() : token_hash(keep_token));
}

Session Sessions::create(store::Store& st, const User& u) {
  Session s = session_of(u);
  s.token = random_token(32);
  s.csrf = random_token(24);
  s.must_change = u.must_change;
  s.last_seen = unix_now();
  auto tx = st.transaction();
  // Logins are rare next to requests: the place to forget expired sessions.
  st.auth().drop_expired_sessions(s.last_seen);
  st.auth().add_session({token_hash(s.token), s.csrf, u.id, u.must_change, s.last_seen, s.last_seen + idle_.count(),
                         u.scope});
  tx.commit();
  return s;
}

std::optional<Session> Sessions::get(store::Store& st, const std::string& token) {
  const std::string th = token_hash(token);
  const int64_t now = unix_now();
  // The user's row rides along: role and region as they are now, and a
  // disabled account is out even if its sessions were somehow left.
  auto row = st.auth().session(th);
  if (!row || row->user.disabled || row->expires_at <= now) return std::nullopt;
  Session out = session_of(row->user);
  out.token = token;
  out.csrf = row->csrf;
  out.must_change = row->must_change;
  out.last_seen = row->last_seen;
  // At most one write a minute per session, so ordinary requests only read.
  if (now - out.last_seen >= 60) {
    try {
      st.auth().touch_session(th, now, now + idle_.count());
      out.last_seen = now;
    } catch (const store::Unavailable&) {
      throw;  // 503: the client retries
    } catch (const store::StoreError&) {
      // A busy database costs this refresh only; the next request retries it.
    }
  }
  return out;
}

void Sessions::drop(store::Store& st, const std::string& token) {
  st.auth().drop_session(token_hash(token));
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

std::string server_key(store::Store& st, std::string_view name) { return st.server_key(name); }

}  // namespace canbao::server
