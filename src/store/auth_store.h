// AuthStore: what accounts and sessions (src/server/auth) ask of the database.
//
// Interface only (plain structs and pure virtuals); the SQL is in
// store/sql_auth_store.cc. Reached as Store::auth(): the same connection and
// transaction as the Store. Login throttles are not here: they are counted in
// the server's memory (server::RateLimiter), per process.
//
// The store checks nothing a person typed (name rules, roles, password
// strength are src/server/auth's); it keeps rows, and the database's own
// constraints are its only refusals (StoreError).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace canbao::store {

// One row of `users` (migration 2).
struct UserRow {
  int64_t id = 0;
  std::string username, display_name, role, department;
  RegionCode scope;  // empty: the whole database (admin, auditor)
  bool must_change = true, disabled = false;
  std::string password_hash;  // argon2id (crypto_pwhash_str), never the password
};

// One row of `sessions` (migration 5) as a login writes it.
struct SessionRow {
  std::string token_hash;  // hex BLAKE2b-256 of the token: a copy of the table opens no session
  std::string csrf;
  int64_t user_id = 0;
  bool must_change = false;
  int64_t last_seen = 0, expires_at = 0;  // unix seconds; expires_at = last_seen + idle
  RegionCode region;  // the user's scope (the row's shard key)
};

// A session read back with its user as the user is *now*, so a changed role
// or a disabled account takes effect on the next request.
struct SessionAndUser {
  std::string csrf;
  bool must_change = false;
  int64_t last_seen = 0, expires_at = 0;
  UserRow user;
};

class AuthStore {
 public:
  virtual ~AuthStore() = default;

  // --- users
  // nullopt when no user has that name (disabled users are returned: the caller decides).
  virtual std::optional<UserRow> user_named(std::string_view username) = 0;
  // nullopt when no user has that id.
  virtual std::optional<UserRow> user(int64_t id) = 0;
  // Users whose scope lies in `scope`, by id; an empty scope also lists the
  // unscoped users, who are visible only to unscoped admins.
  virtual std::vector<UserRow> users_in(RegionCode scope) = 0;
  // Writes u and returns its id; id and disabled are ignored (a new account
  // starts enabled) and created_at is set by the store.
  // Throws StoreError on a taken username: callers ask user_named first for a
  // message a person can read; the constraint only settles a race.
  virtual int64_t add_user(const UserRow& u) = 0;
  // Nothing happens when no user has that id.
  virtual void set_password_hash(int64_t user_id, std::string_view hash, bool must_change) = 0;
  // Nothing happens when no user has that id.
  virtual void set_user_disabled(int64_t user_id, bool disabled) = 0;

  // --- sessions
  // created_at is set by the store. Throws StoreError when the hash exists.
  virtual void add_session(const SessionRow& s) = 0;
  // The session of that hash with its user; nullopt when there is none.
  // Expiry and a disabled user are the caller's to judge.
  virtual std::optional<SessionAndUser> session(std::string_view token_hash) = 0;
  // Slides the idle expiry. Nothing happens when the session is gone.
  virtual void touch_session(std::string_view token_hash, int64_t last_seen, int64_t expires_at) = 0;
  // Only when the session belongs to user_id (a session never changes owner).
  virtual void set_session_must_change(std::string_view token_hash, int64_t user_id, bool must_change) = 0;
  // Logout. Nothing happens when the session is gone.
  virtual void drop_session(std::string_view token_hash) = 0;
  // Every session of the user except keep_hash (empty: all of them), so a
  // changed password or a disabled account leaves none behind on any server.
  virtual void drop_sessions_of(int64_t user_id, std::string_view keep_hash = {}) = 0;
  // Forgets sessions whose expires_at ≤ now (unix seconds).
  virtual void drop_expired_sessions(int64_t now) = 0;
};

}  // namespace canbao::store
