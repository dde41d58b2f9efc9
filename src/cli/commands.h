// The `canbao` command's subcommands. Each registers itself on the CLI11
// app; failures print one line ("canbao: …") and return a non-zero code.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "core/date.h"

namespace canbao::cli {

void add_policy_commands(CLI::App& app, int& exit_code);
void add_assess_command(CLI::App& app, int& exit_code);
void add_gen_command(CLI::App& app, int& exit_code);
void add_serve_commands(CLI::App& app, int& exit_code);   // serve, init, demo-db
void add_user_commands(CLI::App& app, int& exit_code);    // user add
void add_import_payments_command(CLI::App& app, int& exit_code);  // import payments
void add_import_commands(CLI::App& app, int& exit_code);   // import roster|subsidy-list|employee-roster|targets
void add_regions_commands(CLI::App& app, int& exit_code);  // regions import
void add_check_commands(CLI::App& app, int& exit_code);    // check duplicates
void add_report_commands(CLI::App& app, int& exit_code);    // report progress|targets|weekly|mobilisation|notice|funds (campaign)
void add_reconcile_command(CLI::App& app, int& exit_code);  // reconcile (campaign)

// Shared by the subcommands (common.cc):
// The business day of --today (YYYY-MM-DD), else the local calendar day; throws on a bad date.
Date business_day(const std::string& text);
// The `import` group, created by whichever import command registers first.
CLI::App* import_group(CLI::App& app);

}  // namespace canbao::cli
