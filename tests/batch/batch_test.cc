// The batch path gives exactly the single-person answers; what-if and diff.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "assess/batch.h"
#include "assess/whatif.h"
#include "io/gen.h"
#include "io/policy_file.h"
#include "io/roster.h"
#include "policy/diff.h"

using namespace canbao;

namespace {

Policy load(const std::string& name) {
  auto l = io::load_policy_file(std::string(CANBAO_SOURCE_DIR) + "/policies/2024/" + name + ".toml");
  if (!l.ok()) throw std::runtime_error("policy " + name);
  return *l.policy;
}

PersonColumns population(const Policy& p, int64_t n, uint64_t seed) {
  io::GenOptions g = io::gen_options_for(p, n, seed, 0.5);
  // Unique per call: ctest runs suites in parallel.
  auto path = (std::filesystem::temp_directory_path() /
               ("canbao-batch-" + p.id + "-" + std::to_string(n) + "-" + std::to_string(seed) + "-" + std::to_string(getpid()) + ".csv"))
                  .string();
  {
    std::ofstream f(path, std::ios::binary);
    io::generate_roster(g, f);
  }
  std::vector<io::RowError> errors;
  auto cols = io::read_roster_columns(path, *Date::parse("2026-01-01"), errors);
  EXPECT_TRUE(errors.empty());
  return cols;
}

}  // namespace

TEST(Batch, SameAnswersAsSinglePersonPath) {
  for (auto name : {"guichi", "jincheng", "urad-front-banner", "xiaoling", "xinchengzi"}) {
    Policy p = load(name);
    auto cols = population(p, 20000, 3);
    ASSERT_EQ(cols.size(), 20000u);
    std::vector<AssessmentSummary> out(cols.size());
    Date as_of = *Date::parse("2023-11-01");
    assess_batch(p, cols, as_of, out, 2);
    int64_t subsidised = 0;
    for (size_t i = 0; i < cols.size(); ++i) {
      Assessment a;
      assess(p, cols.facts(i), as_of, a);
      auto s = AssessmentSummary::of(a);
      ASSERT_EQ(s.due_fen, out[i].due_fen) << name << " row " << i;
      ASSERT_EQ(s.winner, out[i].winner);
      ASSERT_EQ(s.flags, out[i].flags);
      ASSERT_EQ(s.coverage_start, out[i].coverage_start);
      subsidised += s.winner >= 0 || (s.open & open_subsidy_unspecified);
    }
    EXPECT_GT(subsidised, 0) << name;
  }
}

TEST(WhatIf, IdenticalPoliciesMoveNothing) {
  Policy p = load("guichi");
  auto cols = population(p, 5000, 5);
  auto w = what_if(p, p, cols, *Date::parse("2023-11-01"));
  EXPECT_EQ(w.persons, 5000);
  EXPECT_EQ(w.due_changed, 0);
  EXPECT_TRUE(w.moves.empty());
  EXPECT_EQ(w.base.individual_total, w.variant.individual_total);
}

TEST(WhatIf, RaisingOneSubsidyMovesExactlyThatMoney) {
  Policy base = load("guichi");
  Policy variant = base;
  int i = variant.find_subsidy("minimum_living_veteran");
  ASSERT_GE(i, 0);
  variant.subsidies[i].amount = Money::from_yuan(380);
  variant.subsidies[i].payers[0].amount = Money::from_yuan(380);
  auto cols = population(base, 20000, 9);
  auto w = what_if(base, variant, cols, *Date::parse("2023-11-01"));
  ASSERT_GT(w.due_changed, 0);
  EXPECT_EQ(w.pay_more, 0);
  // Every fen the individuals stop paying, 区财政 now pays.
  Money moved = w.base.individual_total - w.variant.individual_total;
  EXPECT_EQ(moved, w.variant.by_payer["区财政"] - w.base.by_payer["区财政"]);
  EXPECT_GT(moved.fen, 0);
}

TEST(Diff, GuichiVersusJincheng) {
  auto rows = diff_policies(load("guichi"), load("jincheng"));
  bool standard_same = false, minimum_living_differs = false;
  for (auto& r : rows) {
    if (r.section == "个人缴费标准") standard_same = !r.differs && r.left == "380.00";
    if (r.section == "资助：低保对象") minimum_living_differs = r.differs && r.left.rfind("342.00", 0) == 0 && r.right.rfind("304.00", 0) == 0;
  }
  EXPECT_TRUE(standard_same);
  EXPECT_TRUE(minimum_living_differs);
  EXPECT_EQ(subsidy_for_category(load("jincheng"), Category::entitled_veteran), "需本地配置");
}
