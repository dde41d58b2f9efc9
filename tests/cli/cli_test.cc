// The `canbao` command as users run it: exit codes, stderr lines, outputs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/id_number.h"

namespace {

struct Run {
  int code;
  std::string out, err;
};

std::string tmp(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / "canbao-cli-test";
  std::filesystem::create_directories(d);
  return (d / name).string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Run run(const std::string& args) {
  std::string out = tmp("stdout"), err = tmp("stderr");
  std::string cmd = std::string(CANBAO_BINARY) + " " + args + " >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), slurp(out), slurp(err)};
}

std::string policy(const char* name) { return std::string(CANBAO_SOURCE_DIR) + "/policies/2024/" + name + ".toml"; }

std::string id(const char* first17) {
  std::string s(first17);
  s.push_back(canbao::IdNumber::check_char(s));
  return s;
}

}  // namespace

TEST(Cli, PolicyCheckPassesOnSeedsAndFailsWithFileLine) {
  auto ok = run("policy check " + policy("guichi") + " " + policy("jincheng") + " " + policy("urad-front-banner") + " " +
                policy("xiaoling") + " " + policy("xinchengzi"));
  EXPECT_EQ(ok.code, 0) << ok.err;
  std::string bad = tmp("bad.toml");
  std::ofstream(bad) << "[policy]\nid = \"x\"\nregion = \"12\"\nfoo = 1\n";
  auto r = run("policy check " + bad);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(bad + ":4: unknown key 'foo'"), std::string::npos) << r.err;
}

TEST(Cli, PolicyShowIsChinese) {
  auto r = run("policy show " + policy("xinchengzi"));
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("中央财政"), std::string::npos);
  EXPECT_NE(r.out.find("89.60"), std::string::npos);
  EXPECT_NE(r.out.find("10793"), std::string::npos);
}

TEST(Cli, AssessWritesGoodRowsAndReportsBadOnes) {
  std::string roster = tmp("roster.csv");
  std::ofstream(roster) << "身份证号,姓名,户号,户籍地区划,人员类别,缴费日期\n"
                        << id("34170219700101001") << ",张三,H1,341702100201,低保对象,2023-10-01\n"
                        << "341702197001010010,李四,H1,341702100201,,\n"
                        << id("34170219430601002") << ",王五,H2,341702100201,,2023-12-31\n";
  std::string out = tmp("out.jsonl");
  auto r = run("assess --policy " + policy("guichi") + " --input " + roster + " --as-of 2023-11-01 --out " + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("row 3, column 身份证号:"), std::string::npos) << r.err;
  std::istringstream lines(slurp(out));
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["individual_due_fen"], 3800);
  EXPECT_EQ(rows[0]["subsidy_fen"], 34200);
  EXPECT_EQ(rows[0]["subsidies"][0]["payer"], "区财政");
  EXPECT_EQ(rows[0]["subsidies"][0]["category"], "minimum_living");
  EXPECT_EQ(rows[0]["coverage_start"], "2024-01-01");
  EXPECT_TRUE(rows[0]["waiting_until"].is_null());
  EXPECT_FALSE(rows[0]["trace"].empty());
  EXPECT_EQ(rows[1]["individual_due_fen"], 18000);  // 80+: 200 subsidy
  for (auto key : {"id_number", "eligible", "reason", "standard_fen", "subsidy_fen", "individual_due_fen", "subsidies",
                   "window_open", "window_close", "coverage_start", "coverage_end", "waiting_until", "trace"})
    EXPECT_TRUE(rows[0].contains(key)) << key;
}

TEST(Cli, AssessCsvFormatAndMissingColumns) {
  std::string roster = tmp("roster2.csv");
  std::ofstream(roster) << "id_number,name,household_id,hukou_region\n" << id("14052519800101001") << ",赵六,H1,140525100201\n";
  auto r = run("assess --policy " + policy("jincheng") + " --input " + roster + " --format csv --as-of 2023-11-01");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("id_number,eligible,standard_fen", 0), 0u);
  EXPECT_NE(r.out.find(",38000,"), std::string::npos);
  std::string bad = tmp("roster3.csv");
  std::ofstream(bad) << "id_number,name\n1,2\n";
  auto m = run("assess --policy " + policy("jincheng") + " --input " + bad);
  EXPECT_EQ(m.code, 1);
  EXPECT_NE(m.err.find("missing required column"), std::string::npos) << m.err;
}

TEST(Cli, GenIsDeterministicAndAssessable) {
  std::string a = tmp("gen-a.csv"), b = tmp("gen-b.csv");
  ASSERT_EQ(run("gen --policy " + policy("jincheng") + " --persons 3000 --seed 42 --out " + a).code, 0);
  ASSERT_EQ(run("gen --policy " + policy("jincheng") + " --persons 3000 --seed 42 --out " + b).code, 0);
  EXPECT_EQ(slurp(a), slurp(b));
  auto r = run("assess --policy " + policy("jincheng") + " --input " + a + " --as-of 2023-11-01 --no-trace --out " + tmp("gen.jsonl"));
  EXPECT_EQ(r.code, 0) << r.err;
  std::istringstream lines(slurp(tmp("gen.jsonl")));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) ++n;
  EXPECT_EQ(n, 3000);
}
