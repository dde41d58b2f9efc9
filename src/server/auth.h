// Accounts, sessions, throttling and opaque person keys for the server.
//
// Users live in the `users` table (migration 2) with argon2id hashes
// (libsodium crypto_pwhash_str). Sessions are random 256-bit tokens; the
// `sessions` table (migration 5) holds only their BLAKE2b hash, so a restart
// keeps users logged in and servers over one database share them.
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
#include "store/auth_store.h"
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

// A user is its row: the store's plain struct, so nothing maps between them.
using User = store::UserRow;

// The users table (every call takes the caller's connection).
std::optional<User> find_user(store::Store& st, std::string_view username);
std::optional<User> find_user(store::Store& st, int64_t id);
std::vector<User> list_users(store::Store& st, RegionCode scope);
// Creates a user with a password (random one-time password when empty,
// returned); audited in the same transaction. Throws std::runtime_error
// (Chinese message) on a taken username or bad role/region.
std::string create_user(store::Store& st, const User& u, const std::string& password, const std::string& actor,
                        bool must_change = true);
// Both end every session of the user in the same transaction (a changed
// password or a disabled account leaves no session behind on any server);
// set_password keeps `keep_token` (the session that changed its own password)
// with its must_change set to `must_change`.
void set_password(store::Store& st, int64_t user_id, const std::string& password, bool must_change,
                  const std::string& actor, const std::string& keep_token = {});
void set_disabled(store::Store& st, int64_t user_id, bool disabled, const std::string& actor);
// Why a password a person chose is refused (Chinese, names the rule), or
// nullopt: ≥ 10 Unicode characters, not one repeated character, not common.
std::optional<std::string> weak_password(std::string_view password);
// Whether `scope` is at the level `role` works at: village → a village (12
// digits), township → a township (9), the county-level roles (admin, auditor,
// school, tax, department) → a county or coarser; admin/auditor also none.
bool role_fits_region(std::string_view role, RegionCode scope);
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
  int64_t last_seen = 0;  // unix seconds
  ledger::Actor actor() const { return {username, role, scope, department}; }
};

// Sessions in the `sessions` table, read on every request (by the token's
// hash, the primary key) so an ended session ends on every server at once;
// no in-process cache to go stale. Every call takes the caller's connection.
class Sessions {
 public:
  explicit Sessions(std::chrono::seconds idle = std::chrono::hours(12)) : idle_(idle) {}
  // A new session of `u` (must_change copied from the user); prunes expired rows.
  Session create(store::Store& st, const User& u);
  // The live session of `token` (nullopt: unknown, expired or user disabled);
  // writes last_seen/expiry only when the stored last_seen is ≥ 1 minute old.
  std::optional<Session> get(store::Store& st, const std::string& token);
  void drop(store::Store& st, const std::string& token);
 private:
  std::chrono::seconds idle_;
};
// Ends every session of a user except `keep_token` (empty: all), in the caller's transaction.
void end_sessions(store::Store& st, int64_t user_id, const std::string& keep_token = {});
// Hex BLAKE2b-256 of a session token: what the sessions table stores.
std::string token_hash(std::string_view token);

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

// 32-byte key from server_keys (created when missing): Store::server_key,
// kept under this name for the server's existing callers.
std::string server_key(store::Store& st, std::string_view name);

}  // namespace canbao::server
