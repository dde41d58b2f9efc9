// canbao gen — a synthetic roster for a policy's region (benchmarks, demos).
#include <fmt/format.h>

#include <fstream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "io/gen.h"
#include "io/policy_file.h"

namespace canbao::cli {

void add_gen_command(CLI::App& app, int& exit_code) {
  static std::string policy, out;
  static int64_t persons = 1000;
  static uint64_t seed = 1;
  static double paid_share = 0.6;
  auto* cmd = app.add_subcommand("gen", "生成模拟参保名册 (generate a synthetic roster for the policy's region)");
  cmd->add_option("--policy", policy, "policy .toml file")->required();
  cmd->add_option("--persons", persons, "number of persons")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", seed, "random seed (same seed, same file)");
  cmd->add_option("--paid-share", paid_share, "share of persons with a payment date (0–1, default 0.6)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--out", out, "roster .csv to write")->required();
  cmd->callback([&exit_code] {
    auto load = io::load_policy_file(policy);
    if (!load.ok()) {
      for (auto& e : load.errors) fmt::print(stderr, "{}\n", e.str());
      exit_code = 1;
      return;
    }
    const Policy& p = *load.policy;
    io::GenOptions g = io::gen_options_for(p, persons, seed, paid_share);
    std::ofstream f(out, std::ios::binary);
    if (!f) {
      fmt::print(stderr, "canbao: cannot write {}\n", out);
      exit_code = 1;
      return;
    }
    Progress progress("gen");
    io::generate_roster(g, f, [&](int64_t done) { progress.update(done, double(done) / persons); });
    f.close();
    if (!f) {
      fmt::print(stderr, "canbao: error writing {}\n", out);
      exit_code = 1;
      return;
    }
    progress.finish(persons);
  });
}

}  // namespace canbao::cli
