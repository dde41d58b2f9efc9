// canbao user add — accounts with a role and a region (prints a one-time password).
#include <fmt/format.h>

#include "cli/commands.h"
#include "ledger/pool.h"
#include "server/auth.h"

namespace canbao::cli {

void add_user_commands(CLI::App& app, int& exit_code) {
  auto* u = app.add_subcommand("user", "账号管理 / user accounts");
  u->require_subcommand(1);
  struct Args {
    std::string db, username, role, region, department, display;
  };
  auto a = std::make_shared<Args>();
  auto* add = u->add_subcommand("add", "新增账号（打印一次性密码，首次登录须修改）/ add a user");
  add->add_option("--db", a->db, "数据库")->required();
  add->add_option("username", a->username, "用户名")->required();
  add->add_option("--role", a->role, "角色: admin township village school tax department auditor")->required();
  add->add_option("--region", a->region, "管辖区划代码");
  add->add_option("--department", a->department, "资助部门名称（department 角色）");
  add->add_option("--display-name", a->display, "显示名称");
  add->callback([a, &exit_code] {
    try {
      server::User x;
      x.username = a->username;
      x.role = a->role;
      x.department = a->department;
      x.display_name = a->display;
      if (!a->region.empty()) {
        auto r = RegionCode::parse(a->region);
        if (!r) throw std::runtime_error("区划代码无效: " + a->region);
        x.scope = *r;
      }
      ledger::StorePool pool(a->db, {}, 1);
      auto l = pool.lease();
      std::string pw = server::create_user(*l, x, "", "canbao user add");
      fmt::print("user '{}' ({}) created; one-time password: {}\n", x.username, x.role, pw);
    } catch (const std::exception& e) {
      fmt::print(stderr, "canbao: {}\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace canbao::cli
