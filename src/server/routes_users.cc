// Account routes: login and logout, the session's user and CSRF token,
// password changes (throttled like logins: guessing the old password is
// guessing the login), and the admin's user management within its scope.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "server/api.h"
#include "server/uploads.h"

namespace canbao::server {

namespace {

using Ctx = Api::Ctx;
using Access = Api::Access;

json user_json(Api& api, store::Store& st, const Session& s) {
  return {{"id", s.user_id}, {"username", s.username}, {"display_name", s.display_name}, {"role", s.role},
          {"role_label", role_label(s.role)}, {"region", s.scope.str()},
          {"region_name", s.scope.empty() ? json() : json(api.region_name(st, s.scope))}, {"department", s.department},
          {"must_change_password", s.must_change}};
}
json user_json(Api& api, store::Store& st, const User& u) {
  return {{"id", u.id}, {"username", u.username}, {"display_name", u.display_name}, {"role", u.role},
          {"role_label", role_label(u.role)}, {"region", u.scope.str()},
          {"region_name", u.scope.empty() ? json() : json(api.region_name(st, u.scope))}, {"department", u.department},
          {"disabled", u.disabled}, {"must_change_password", u.must_change}};
}

void login(Api& api, Ctx& c) {
  auto b = Api::body(c);
  auto user = Api::str_field(b, "username", true), pw = Api::str_field(b, "password", true);
  const std::string ip = c.req.remote_addr;
  if (api.login_user.blocked(user) || api.login_ip.blocked(ip)) {
    c.res.set_header("Retry-After", std::to_string(api.login_user.retry_after_seconds(user)));
    fail(429, "too_many_requests", "登录失败次数过多，请15分钟后再试");
  }
  auto l = api.pool->lease();
  auto u = find_user(*l, user);
  bool ok = u && !u->disabled && verify_password(u->password_hash, pw);
  if (!u) {
    // Same work whether or not the user exists.
    static const std::string dummy = hash_password("canbao-dummy-password");
    verify_password(dummy, pw);
  }
  {
    auto tx = l->transaction();
    l->audit({"", user.substr(0, 64), ok ? "login" : "login.failed", "user", u ? std::to_string(u->id) : "",
              "", json{{"ip", ip}}.dump(), u ? u->scope : RegionCode{}});
    tx.commit();
  }
  if (!ok) {
    api.login_user.hit(user);
    api.login_ip.hit(ip);
    fail(401, "bad_credentials", "用户名或密码不正确");
  }
  api.login_user.clear(user);
  auto s = api.sessions.create(*l, *u);
  c.res.set_header("Set-Cookie", api.session_cookie(s.token));
  Api::send_json(c.res, 200, {{"user", user_json(api, *l, s)}, {"csrf_token", s.csrf}});
}

void add_session_routes(Api& api) {
  api.route("POST", "/api/v1/auth/login", Access::open, [&api](Ctx& c) { login(api, c); });
  api.route("POST", "/api/v1/auth/logout", Access::any_session, [&api](Ctx& c) {
    {
      auto l = api.pool->lease();
      api.sessions.drop(*l, c.s->token);
    }
    c.res.set_header("Set-Cookie", api.session_cookie(""));
    c.res.status = 204;
  });
  api.route("GET", "/api/v1/auth/me", Access::any_session,
        [&api](Ctx& c) {
          auto l = api.pool->lease();
          Api::send_json(c.res, 200, {{"user", user_json(api, *l, *c.s)}, {"csrf_token", c.s->csrf}});
        });
  api.route("GET", "/api/v1/auth/csrf", Access::any_session,
        [&api](Ctx& c) { Api::send_json(c.res, 200, {{"csrf_token", c.s->csrf}}); });
  api.route("POST", "/api/v1/auth/password", Access::any_session, [&api](Ctx& c) {
    auto b = Api::body(c);
    auto old_pw = Api::str_field(b, "old_password", true), new_pw = Api::str_field(b, "new_password", true);
    // Guessing old_password is guessing the login password: the same counters as login.
    const std::string ip = c.req.remote_addr;
    if (api.login_user.blocked(c.s->username) || api.login_ip.blocked(ip)) {
      c.res.set_header("Retry-After", std::to_string(std::max(api.login_user.retry_after_seconds(c.s->username),
                                                              api.login_ip.retry_after_seconds(ip))));
      fail(429, "too_many_requests", "原密码错误次数过多，请15分钟后再试");
    }
    if (auto why = weak_password(new_pw)) fail(400, "bad_field", "新" + *why, "new_password");
    if (new_pw == old_pw) fail(400, "bad_field", "新密码不能与原密码相同", "new_password");
    auto l = api.pool->lease();
    auto u = find_user(*l, c.s->user_id);
    if (!u || !verify_password(u->password_hash, old_pw)) {
      api.login_user.hit(c.s->username);
      api.login_ip.hit(ip);
      fail(401, "bad_credentials", "原密码不正确", "old_password");
    }
    api.login_user.clear(c.s->username);
    // Ends the user's other sessions (every server), keeps this one.
    set_password(*l, u->id, new_pw, false, u->username, c.s->token);
    c.res.status = 204;
  });
}

void add_user_admin_routes(Api& api) {
  api.route("GET", "/api/v1/users", Access::session, [&api](Ctx& c) {
    Api::need(c, "users");
    auto l = api.pool->lease();
    json items = json::array();
    for (auto& u : list_users(*l, c.actor.scope)) items.push_back(user_json(api, *l, u));
    Api::send_json(c.res, 200, {{"items", items}});
  });
  api.route("POST", "/api/v1/users", Access::session, [&api](Ctx& c) {
    Api::need(c, "users");
    auto b = Api::body(c);
    User u;
    u.username = Api::str_field(b, "username", true);
    u.display_name = Api::str_field(b, "display_name");
    u.role = Api::str_field(b, "role", true);
    if (!valid_role(u.role))
      fail(422, "bad_field", "角色无效，可选：admin、township、village、school、tax、department、auditor", "role");
    u.department = Api::str_field(b, "department");
    auto reg = Api::str_field(b, "region");
    if (!reg.empty()) {
      auto r = RegionCode::parse(reg);
      if (!r) fail(400, "bad_field", "区划代码无效", "region");
      u.scope = *r;
    }
    if (u.scope.empty()) u.scope = c.actor.scope;
    if (!c.actor.in_scope(u.scope)) fail(403, "out_of_scope", "只能在本管辖区划内创建用户", "region");
    auto l = api.pool->lease();
    // A collector scoped wider than its village would see and collect for
    // the whole county: the region must exist and sit at the role's level
    // (village → village, township → township, others → county or above).
    if (!role_fits_region(u.role, u.scope))
      fail(422, "bad_field",
           u.scope.empty() ? "该角色必须指定管辖区划"
           : u.role == "village"  ? "村（社区）协理员的管辖区划须为村（社区）级代码（12位）"
           : u.role == "township" ? "乡镇（街道）经办的管辖区划须为乡镇（街道）级代码（9位）"
                                  : std::string(role_label(u.role)) + "的管辖区划须为县级或以上代码",
           "region");
    if (!u.scope.empty() && !l->region(u.scope))
      fail(422, "bad_field", "区划代码不存在：" + u.scope.str(), "region");
    if (u.role == "department" && u.department.empty())
      fail(422, "bad_field", "资助部门用户必须指定部门名称", "department");
    std::string pw;
    try {
      pw = create_user(*l, u, "", c.actor.username);
    } catch (const store::StoreError&) {
      throw;
    } catch (const std::runtime_error& e) {
      fail(422, "bad_field", e.what(), "username");
    }
    auto nu = find_user(*l, u.username);
    Api::send_json(c.res, 201, {{"user", user_json(api, *l, *nu)}, {"password", pw}});
  });
  api.route("POST", R"(/api/v1/users/(\d+)/reset-password)", Access::session, [&api](Ctx& c) {
    Api::need(c, "users");
    auto l = api.pool->lease();
    auto u = find_user(*l, path_id(c, 1, "未找到该用户"));
    if (!u || !c.actor.in_scope(u->scope.empty() ? RegionCode{} : u->scope) ||
        (u->scope.empty() && !c.actor.scope.empty()))
      fail(404, "not_found", "未找到该用户");
    std::string pw = random_password();
    set_password(*l, u->id, pw, true, c.actor.username);  // ends the user's sessions
    Api::send_json(c.res, 200, {{"password", pw}});
  });
  api.route("POST", R"(/api/v1/users/(\d+)/disable)", Access::session, [&api](Ctx& c) {
    Api::need(c, "users");
    auto l = api.pool->lease();
    auto u = find_user(*l, path_id(c, 1, "未找到该用户"));
    if (!u || (u->scope.empty() && !c.actor.scope.empty()) || (!u->scope.empty() && !c.actor.in_scope(u->scope)))
      fail(404, "not_found", "未找到该用户");
    set_disabled(*l, u->id, true, c.actor.username);  // ends the user's sessions
    c.res.status = 204;
  });
}

}  // namespace

void add_user_routes(Api& api) {
  add_session_routes(api);
  add_user_admin_routes(api);
}

}  // namespace canbao::server
