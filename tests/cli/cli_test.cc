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

// Issue 12 §13: `policy show` reads like the document — every part of the
// file, with the document's own words where the engine keeps a code.
namespace {
// The lines of `out` from the one containing `from` up to (not including) the next blank line.
std::string block(const std::string& out, const std::string& from) {
  auto a = out.find(from);
  if (a == std::string::npos) return "";
  auto b = out.find("\n\n", a);
  return out.substr(a, b == std::string::npos ? std::string::npos : b - a);
}
// One subsidy rule's lines: from its label to the next rule (a line starting with two spaces and no more).
std::string rule_block(const std::string& out, const std::string& label) {
  auto a = out.find(label);
  if (a == std::string::npos) return "";
  auto b = out.find("\n  ", a);
  while (b != std::string::npos && out.compare(b + 3, 1, " ") == 0) b = out.find("\n  ", b + 1);
  return out.substr(a, b == std::string::npos ? std::string::npos : b - a);
}
}  // namespace

TEST(Cli, PolicyShowEveryPartOfTheFile) {
  for (auto name : {"guichi", "jincheng", "urad-front-banner", "xiaoling", "xinchengzi"}) {
    auto r = run("policy show " + policy(name));
    ASSERT_EQ(r.code, 0) << name << r.err;
    EXPECT_NE(r.out.find("【参保对象】"), std::string::npos) << name;
    EXPECT_NE(r.out.find("职工医保"), std::string::npos) << name << ": excluded 职工医保参保人员";
    EXPECT_NE(r.out.find("【退费】"), std::string::npos) << name;
    EXPECT_NE(r.out.find("【家庭共济】"), std::string::npos) << name;
    EXPECT_EQ(r.out.find("event_date"), std::string::npos) << name << ": coverage start in words, not ids";
  }
  // 乌政办发〔2023〕81号 三: "进入待遇享受期不予退费".
  auto u = run("policy show " + policy("urad-front-banner"));
  EXPECT_NE(block(u.out, "【退费】").find("不予退费"), std::string::npos) << u.out;
  EXPECT_NE(block(u.out, "【退费】").find("乌政办发〔2023〕81号 方案 三"), std::string::npos) << u.out;
  // Remarks ([[remark]]): 五 注 "断保或新参保人员…须先…参保登记，方可自主缴费".
  EXPECT_NE(block(u.out, "【其他说明】").find("方案 五 注"), std::string::npos) << u.out;
  EXPECT_NE(block(u.out, "【其他说明】").find("方可自主缴费"), std::string::npos) << u.out;
  // 晋市医保发〔2023〕10号 三(三) 家庭共济账户缴费.
  auto j = run("policy show " + policy("jincheng"));
  auto fam = block(j.out, "【家庭共济】");
  EXPECT_NE(fam.find("家庭共济账户"), std::string::npos) << j.out;
  EXPECT_NE(fam.find("晋市医保发〔2023〕10号 三(三)"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("每月1—25日"), std::string::npos) << j.out;
  // 贵池 百岁/80岁 go by birth date and hukou, not by a department list.
  auto g = run("policy show " + policy("guichi"));
  auto centenarian = rule_block(g.out, "“百岁”老人全额资助");
  ASSERT_FALSE(centenarian.empty()) << g.out;
  EXPECT_EQ(centenarian.find("名单截止"), std::string::npos) << centenarian;
  auto aged80 = rule_block(g.out, "80周岁及以上老年人口定额资助");
  ASSERT_FALSE(aged80.empty()) << g.out;
  EXPECT_EQ(aged80.find("名单截止"), std::string::npos) << aged80;
  // …while the list-based rules keep 三.9's day.
  EXPECT_NE(rule_block(g.out, "低保对象、重点优抚对象90%定额资助").find("名单截止 2023-08-31"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("【代办经费】1.00"), std::string::npos);
  EXPECT_NE(g.out.find("区政府按筹资人数每人1元补助村"), std::string::npos) << "agent fee note";
  EXPECT_NE(g.out.find("1020"), std::string::npos) << "standard note";
  // 城政字〔2024〕21号 五(二): 先缴后补 — the person pays 400 first, then is reimbursed.
  auto x = run("policy show " + policy("xinchengzi"));
  auto med = rule_block(x.out, "医疗救助对象资助参保（先缴后补）");
  ASSERT_FALSE(med.empty()) << x.out;
  EXPECT_NE(med.find("个人先缴 400.00"), std::string::npos) << med;
  EXPECT_EQ(med.find("个人 —"), std::string::npos) << med;
  EXPECT_NE(block(x.out, "【其他说明】").find("城政字〔2024〕21号 四(三)"), std::string::npos) << x.out;
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
