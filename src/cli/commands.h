// The `canbao` command's subcommands. Each registers itself on the CLI11
// app; failures print one line ("canbao: …") and return a non-zero code.
#pragma once
#include <CLI/CLI.hpp>

namespace canbao::cli {

void add_policy_commands(CLI::App& app, int& exit_code);
void add_assess_command(CLI::App& app, int& exit_code);
void add_gen_command(CLI::App& app, int& exit_code);

}  // namespace canbao::cli
