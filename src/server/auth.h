// Accounts, sessions, throttling and opaque person keys for the server.
//
// Users live in the `users` table (migration 2) with argon2id hashes
// (libsodium crypto_pwhash_str). Sessions are random 256-bit tokens kept in
// memory (a restart logs everyone out), each with its CSRF token.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/region_code.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace canbao::server {

extern const std::vector<std::string_view> kRoles;  // admin, township, …
std::string_view role_label(std::string_view role);
bool valid_role(std::string_view role);
// May this role do `perm` (read, read.payments, write.enroll, write.payment,
// write.subsidy, reverse, unmask, audit, users, import.<kind>)?
bool role_may(std::string_view role, std::string_view perm);
// Channels a role may record payments with (admin: every one).
bool role_channel(std::string_view role, std::string_view channel);

struct User {
  int64_t id = 0;
  std::string username, display_name, role, department;
  RegionCode scope;
  bool must_change = true, disabled = false;
  std::string password_hash;
};

// The users table (every call takes the caller's connection).
std::optional<User> find_user(store::Store& st, std::string_view username);
std::optional<User> find_user(store::Store& st, int64_t id);
std::vector<User> list_users(store::Store& st, RegionCode scope);
// Creates a user with a password (random one-time password when empty,
// returned); audited in the same transaction. Throws std::runtime_error
// (Chinese message) on a taken username or bad role/region.
std::string create_user(store::Store& st, const User& u, const std::string& password, const std::string& actor,
                        bool must_change = true);
void set_password(store::Store& st, int64_t user_id, const std::string& password, bool must_change,
                  const std::string& actor);
void set_disabled(store::Store& st, int64_t user_id, bool disabled, const std::string& actor);
std::string hash_password(const std::string& password);
bool verify_password(const std::string& hash, const std::string& password);
std::string random_password();  // 14 characters, no look-alikes
std::string random_token(size_t bytes = 32);  // base64url

struct Session {
  std::string token, csrf;
  int64_t user_id = 0;
  std::string username, display_name, role, department;
  RegionCode scope;
  bool must_change = false;
  std::chrono::steady_clock::time_point last_seen;
  ledger::Actor actor() const { return {username, role, scope, department}; }
};

class Sessions {
 public:
  explicit Sessions(std::chrono::seconds idle = std::chrono::hours(12)) : idle_(idle) {}
  Session create(const User& u);
  std::optional<Session> get(const std::string& token);  // refreshes last_seen
  void drop(const std::string& token);
  void drop_user(int64_t user_id);
  void set_must_change(const std::string& token, bool v);
 private:
  std::chrono::seconds idle_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Session> map_;
};

// Sliding-window counter: allow at most `limit` events per `window` per key.
class RateLimiter {
 public:
  RateLimiter(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}
  bool blocked(const std::string& key);  // true when at the limit (does not count)
  void hit(const std::string& key);
  bool take(const std::string& key) {  // count and answer whether allowed
    std::lock_guard lk(mu_);
    prune(key);
    auto& d = map_[key];
    if (int(d.size()) >= limit_) return false;
    d.push_back(std::chrono::steady_clock::now());
    return true;
  }
  void clear(const std::string& key);
  int retry_after_seconds(const std::string& key);
 private:
  void prune(const std::string& key);
  int limit_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> map_;
};

// Opaque, reversible handles for ID numbers in URLs (deterministic
// XChaCha20 with a synthetic IV from a keyed BLAKE2b of the ID).
class PersonKeys {
 public:
  explicit PersonKeys(std::string key32) : key_(std::move(key32)) {}
  std::string encode(std::string_view id) const;
  std::optional<std::string> decode(std::string_view key) const;
 private:
  std::string key_;
};

// 32-byte key from server_keys (created when missing).
std::string server_key(store::Store& st, std::string_view name);

}  // namespace canbao::server
