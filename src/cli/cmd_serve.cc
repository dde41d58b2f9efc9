// canbao serve / init / demo-db — the HTTP server and its database set-up.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "ledger/pool.h"
#include "server/auth.h"
#include "server/demo.h"
#include "server/server.h"

namespace canbao::cli {

namespace {

struct ServeArgs {
  std::string db, bind = "127.0.0.1", policies = "policies/2024", web, today;
  int port = 8080;
  size_t threads = 2048, batch = 512;
  bool demo = false, secure_cookies = false;
  std::vector<std::string> backdate;  // "N" (every role) or "role=N"
};

int run_serve(const ServeArgs& a) {
  server::ServerOptions o;
  o.db = a.db;
  o.bind = a.bind;
  o.port = a.port;
  o.policies_dir = a.policies;
  o.web_dir = a.web;
  o.threads = a.threads;
  o.batch_max = a.batch;
  o.secure_cookies = a.secure_cookies;
  if (o.web_dir.empty() && std::filesystem::exists("web/dist/index.html")) o.web_dir = "web/dist";
  for (const auto& b : a.backdate) {
    auto eq = b.find('=');
    std::string role = eq == std::string::npos ? "" : b.substr(0, eq);
    std::string num = eq == std::string::npos ? b : b.substr(eq + 1);
    int n = -1;
    try {
      size_t used = 0;
      n = std::stoi(num, &used);
      if (used != num.size()) n = -1;
    } catch (...) {
    }
    if (n < 0 || n > 3660 || (!role.empty() && !server::valid_role(role))) {
      fmt::print(stderr, "canbao: --backdate-days '{}' should be N or ROLE=N (N days, 0–3660)\n", b);
      return 2;
    }
    if (role.empty()) o.backdate_days_default = n;
    else o.backdate_days[role] = n;
  }
  if (!a.today.empty()) {
    auto d = Date::parse(a.today);
    if (!d) {
      fmt::print(stderr, "canbao: --today '{}' is not a date (YYYY-MM-DD)\n", a.today);
      return 2;
    }
    o.today = d;
  }
  std::vector<server::DemoUser> demo_users;
  if (a.demo) {
    if (o.db.empty()) o.db = "canbao-demo.db";
    if (!o.today) o.today = server::demo_today(a.policies);
    server::DemoOptions d;
    d.db = o.db;
    d.policies_dir = a.policies;
    d.today = *o.today;
    demo_users = server::build_demo(d);
  }
  if (o.db.empty()) {
    fmt::print(stderr, "canbao: --db is required (or --demo)\n");
    return 2;
  }
  // Signals go to one thread that stops the server (graceful: in-flight
  // requests finish, queued payments are committed, the store is closed).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::unique_ptr<server::Server> srv;
  try {
    srv = std::make_unique<server::Server>(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "canbao: {}\n", e.what());
    return 1;
  }
  int port = srv->bind();
  if (port < 0) {
    fmt::print(stderr, "canbao: cannot listen on {}:{}\n", o.bind, o.port);
    return 1;
  }
  std::atomic<bool> done{false};
  std::thread sig([&] {
    timespec ts{0, 200'000'000};
    while (!done) {
      int s = sigtimedwait(&set, nullptr, &ts);
      if (s == SIGTERM || s == SIGINT) {
        fmt::print(stderr, "canbao serve: stopping (signal {})\n", s);
        srv->stop();
        return;
      }
    }
  });
  fmt::print("canbao serve: http://{}:{}/ (db {}, today {})\n", o.bind, port, o.db, srv->today().str());
  for (auto& u : demo_users)
    fmt::print("  demo user {:9} password {:16} role {:10} region {} ({})\n", u.username, u.password, u.role, u.region,
               u.note);
  std::fflush(stdout);
  srv->run();
  done = true;
  sig.join();
  srv.reset();
  fmt::print(stderr, "canbao serve: stopped\n");
  return 0;
}

}  // namespace

void add_serve_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ServeArgs>();
  auto* s = app.add_subcommand("serve", "HTTP 服务：JSON API (/api/v1) 与网页界面 / run the HTTP server");
  s->add_option("--db", a->db, "数据库：SQLite 文件或 postgresql://… URL");
  s->add_option("--port", a->port, "端口 (默认 8080; 0 = 任意空闲端口)");
  s->add_option("--bind", a->bind, "监听地址 (默认 127.0.0.1)");
  s->add_option("--policies", a->policies, "政策文件目录 (默认 policies/2024)");
  s->add_option("--backdate-days", a->backdate,
                 "缴费日期最多可早于今天的天数：N（所有角色，默认 3）或 角色=N，可重复 / backdating window per role");
  s->add_option("--web", a->web, "网页界面静态文件目录 (默认 web/dist，若存在)");
  s->add_option("--today", a->today, "业务日期 YYYY-MM-DD (演示/测试用；默认系统日期)");
  s->add_option("--threads", a->threads, "同时服务的连接数上限 (每个连接一个线程, 按需启动; 默认 2048)");
  s->add_option("--batch", a->batch, "每次组提交的最多缴费笔数 (默认 512)");
  s->add_flag("--secure-cookies", a->secure_cookies,
              "会话 Cookie 加 Secure 标记（经 HTTPS 反向代理对外服务时使用）/ mark the session cookie Secure");
  s->add_flag("--demo", a->demo, "建立并使用演示数据库（贵池区约5000人，演示账号见启动输出）");
  s->callback([a, &exit_code] { exit_code = run_serve(*a); });

  auto da = std::make_shared<server::DemoOptions>();
  auto* d = app.add_subcommand("demo-db", "建立演示数据库 / build the demo database");
  d->add_option("--db", da->db, "数据库 (默认 canbao-demo.db)");
  d->add_option("--policies", da->policies_dir, "政策文件目录");
  d->add_option("--persons", da->persons, "人数 (默认 5000)");
  d->callback([da, &exit_code] {
    if (da->db.empty()) da->db = "canbao-demo.db";
    try {
      for (auto& u : server::build_demo(*da))
        fmt::print("demo user {:9} password {:16} role {:10} region {}\n", u.username, u.password, u.role, u.region);
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });

  auto db = std::make_shared<std::string>();
  auto admin = std::make_shared<std::string>("admin");
  auto region = std::make_shared<std::string>();
  auto* i = app.add_subcommand("init", "建库并创建首个管理员（打印一次性密码）/ create the schema and the first admin");
  i->add_option("--db", *db, "数据库")->required();
  i->add_option("--admin", *admin, "管理员用户名 (默认 admin)");
  i->add_option("--region", *region, "管理员管辖区划 (默认全部)");
  i->callback([db, admin, region, &exit_code] {
    try {
      ledger::StorePool pool(*db, {}, 1);
      auto l = pool.lease();
      if (server::find_user(*l, std::string_view(*admin))) {
        fmt::print(stderr, "canbao: user '{}' already exists (use `canbao user add`)\n", *admin);
        exit_code = 1;
        return;
      }
      server::User u;
      u.username = *admin;
      u.display_name = "管理员";
      u.role = "admin";
      if (!region->empty()) {
        auto r = RegionCode::parse(*region);
        if (!r) throw std::runtime_error("--region is not a division code");
        u.scope = *r;
      }
      std::string pw = server::create_user(*l, u, "", "canbao init");
      fmt::print("schema version {}; admin user '{}' one-time password: {}\n(change it at first login)\n",
                 l->schema_version(), *admin, pw);
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace canbao::cli
