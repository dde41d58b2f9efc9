// canbao — 城乡居民基本医疗保险参保缴费. Entry point of the command line.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"canbao — 城乡居民基本医疗保险参保缴费管理 (urban-rural resident medical insurance campaign)"};
  app.require_subcommand(1);
  int exit_code = 0;
  canbao::cli::add_policy_commands(app, exit_code);
  canbao::cli::add_assess_command(app, exit_code);
  canbao::cli::add_gen_command(app, exit_code);
  canbao::cli::add_serve_commands(app, exit_code);
  canbao::cli::add_user_commands(app, exit_code);
  canbao::cli::add_import_payments_command(app, exit_code);
  canbao::cli::add_import_commands(app, exit_code);
  canbao::cli::add_regions_commands(app, exit_code);
  canbao::cli::add_check_commands(app, exit_code);
  canbao::cli::add_report_commands(app, exit_code);    // campaign
  canbao::cli::add_reconcile_command(app, exit_code);  // campaign
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
