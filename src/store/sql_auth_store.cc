// AuthStore over SQL (both engines; '?' placeholders, see sql_store.h).
#include <string>

#include "store/auth_store.h"
#include "store/sql_store.h"

namespace canbao::store::detail {
namespace {

// The columns read_user expects, in its order; the session read lists the
// same columns first (prefixed) so one mapping serves both.
constexpr std::string_view kUserSelect =
    "SELECT id, username, display_name, role, scope, department, password_hash, must_change, disabled FROM users ";
constexpr int kUserCols = 9;

UserRow read_user(const RowView& v) {
  UserRow u;
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

// Unscoped rows carry region 0 (the column is NOT NULL).
Param shard(RegionCode scope) { return scope.empty() ? Param(0) : region_p(scope); }

class SqlAuthStore final : public AuthStore {
 public:
  explicit SqlAuthStore(SqlStore& s) : s_(s) {}

  std::optional<UserRow> user_named(std::string_view username) override {
    std::optional<UserRow> out;
    s_.sql_query(std::string(kUserSelect) + "WHERE username = ?", {username},
                 [&](const RowView& v) { out = read_user(v); });
    return out;
  }

  std::optional<UserRow> user(int64_t id) override {
    std::optional<UserRow> out;
    s_.sql_query(std::string(kUserSelect) + "WHERE id = ?", {id}, [&](const RowView& v) { out = read_user(v); });
    return out;
  }

  std::vector<UserRow> users_in(RegionCode scope) override {
    std::vector<UserRow> out;
    auto add = [&](const RowView& v) { out.push_back(read_user(v)); };
    if (scope.empty()) {
      s_.sql_query(std::string(kUserSelect) + "ORDER BY id", {}, add);
    } else {
      auto [lo, hi] = region_range(scope);
      s_.sql_query(std::string(kUserSelect) + "WHERE scope BETWEEN ? AND ? ORDER BY id", {lo, hi}, add);
    }
    return out;
  }

  int64_t add_user(const UserRow& u) override {
    return s_.sql_insert(
        "INSERT INTO users (username, display_name, role, scope, department, password_hash, must_change, disabled, "
        "created_at, region) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        {u.username, u.display_name, u.role, region_p(u.scope), text_or_null(u.department), u.password_hash,
         u.must_change ? 1 : 0, now_iso(), shard(u.scope)});
  }

  void set_password_hash(int64_t user_id, std::string_view hash, bool must_change) override {
    s_.sql_exec("UPDATE users SET password_hash = ?, must_change = ? WHERE id = ?", {hash, must_change ? 1 : 0, user_id});
  }

  void set_user_disabled(int64_t user_id, bool disabled) override {
    s_.sql_exec("UPDATE users SET disabled = ? WHERE id = ?", {disabled ? 1 : 0, user_id});
  }

  void add_session(const SessionRow& s) override {
    s_.sql_exec(
        "INSERT INTO sessions (token_hash, csrf, user_id, must_change, created_at, last_seen, expires_at, region) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {s.token_hash, s.csrf, s.user_id, s.must_change ? 1 : 0, now_iso(), s.last_seen, s.expires_at,
         shard(s.region)});
  }

  std::optional<SessionAndUser> session(std::string_view token_hash) override {
    std::optional<SessionAndUser> out;
    s_.sql_query(
        "SELECT u.id, u.username, u.display_name, u.role, u.scope, u.department, u.password_hash, u.must_change, "
        "u.disabled, s.csrf, s.must_change, s.last_seen, s.expires_at "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        {token_hash}, [&](const RowView& v) {
          SessionAndUser r;
          r.user = read_user(v);
          r.csrf = v.s(kUserCols);
          r.must_change = v.i(kUserCols + 1) != 0;
          r.last_seen = v.i(kUserCols + 2);
          r.expires_at = v.i(kUserCols + 3);
          out = std::move(r);
        });
    return out;
  }

  void touch_session(std::string_view token_hash, int64_t last_seen, int64_t expires_at) override {
    s_.sql_exec("UPDATE sessions SET last_seen = ?, expires_at = ? WHERE token_hash = ?",
                {last_seen, expires_at, token_hash});
  }

  void set_session_must_change(std::string_view token_hash, int64_t user_id, bool must_change) override {
    s_.sql_exec("UPDATE sessions SET must_change = ? WHERE token_hash = ? AND user_id = ?",
                {must_change ? 1 : 0, token_hash, user_id});
  }

  void drop_session(std::string_view token_hash) override {
    s_.sql_exec("DELETE FROM sessions WHERE token_hash = ?", {token_hash});
  }

  void drop_sessions_of(int64_t user_id, std::string_view keep_hash) override {
    if (keep_hash.empty())
      s_.sql_exec("DELETE FROM sessions WHERE user_id = ?", {user_id});
    else
      s_.sql_exec("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", {user_id, keep_hash});
  }

  void drop_expired_sessions(int64_t now) override {
    s_.sql_exec("DELETE FROM sessions WHERE expires_at <= ?", {now});
  }

 private:
  SqlStore& s_;
};

}  // namespace

std::unique_ptr<AuthStore> make_auth_store(SqlStore& s) { return std::make_unique<SqlAuthStore>(s); }

}  // namespace canbao::store::detail
