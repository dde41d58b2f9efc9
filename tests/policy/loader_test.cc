// The loader's validation: every broken-policy error names file:line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "policy/loader.h"

using namespace canbao;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(CANBAO_SOURCE_DIR) + "/policies/2024/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kMinimal = R"(
[policy]
id = "t-2024"
jurisdiction = "测试县"
region = "341702"
year = 2024
document = "测试〔2023〕1号"

[standard]
individual = "380.00"
cite = "测试 一"

[eligibility]
hukou_or_residence_in = ["341702"]
cite = "测试 二"

[coverage]
start = 2024-01-01
end = 2024-12-31
cite = "测试 三"

[[window]]
id = "general"
label = "征缴期"
open = 2023-09-01
close = 2023-12-31
cite = "测试 四"
)";

PolicyLoad load(const std::string& extra) { return parse_policy(std::string(kMinimal) + extra, "t.toml"); }

std::string all_errors(const PolicyLoad& l) {
  std::string s;
  for (auto& e : l.errors) s += e.str() + "\n";
  return s;
}

}  // namespace

TEST(Loader, SeedPoliciesLoadClean) {
  for (auto name : {"guichi.toml", "jincheng.toml", "urad-front-banner.toml", "xiaoling.toml", "xinchengzi.toml"}) {
    auto l = parse_policy(read(name), name);
    EXPECT_TRUE(l.ok()) << name << "\n" << all_errors(l);
  }
}

TEST(Loader, MinimalLoads) {
  auto l = load("");
  EXPECT_TRUE(l.ok()) << all_errors(l);
}

TEST(Loader, SyntaxErrorHasLine) {
  auto l = parse_policy("[policy]\nid = \n", "bad.toml");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.errors[0].line, 2);
  EXPECT_EQ(l.errors[0].str().rfind("bad.toml:2:", 0), 0u);
}

TEST(Loader, UnknownKeyNamesLine) {
  auto l = load("\n[agent_fee]\nper_person = \"1.00\"\ncite = \"x\"\nper_persno = 3\n");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(all_errors(l).find("unknown key 'per_persno'"), std::string::npos);
  EXPECT_EQ(l.errors[0].line, 32);
}

TEST(Loader, UnknownCategory) {
  auto l = load(R"(
[subsidy]
combine = "highest"
cite = "x"
[[subsidy.rule]]
id = "a"
label = "a"
any = ["低保对象", "外星人"]
amount = "full"
payers = [{ payer = "民政", amount = "full" }]
cite = "x"
)");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(all_errors(l).find("unknown category '外星人'"), std::string::npos);
}

TEST(Loader, AmountAboveStandardAndBadExpect) {
  auto l = load(R"(
[subsidy]
combine = "highest"
cite = "x"
[[subsidy.rule]]
id = "a"
label = "a"
any = ["minimum_living"]
amount = "400.00"
payers = [{ payer = "民政", amount = "400.00" }]
cite = "x"
[[subsidy.rule]]
id = "b"
label = "b"
any = ["monitored"]
amount = "90%"
expect = "340.00"
payers = [{ payer = "民政", amount = "342.00" }]
cite = "x"
)");
  auto s = all_errors(l);
  EXPECT_NE(s.find("above the individual standard"), std::string::npos) << s;
  EXPECT_NE(s.find("the document says 340.00"), std::string::npos) << s;
}

TEST(Loader, PayerLinesMustAddUp) {
  auto l = load(R"(
[subsidy]
combine = "highest"
cite = "x"
[[subsidy.rule]]
id = "a"
label = "a"
any = ["monitored"]
amount = "full"
payers = [{ payer = "医保局", amount = "200.00" }, { payer = "乡村振兴局", amount = "170.00" }]
cite = "x"
)");
  EXPECT_NE(all_errors(l).find("payer lines add up to 370.00 yuan but the subsidy is 380.00"), std::string::npos);
}

TEST(Loader, InexactPercentNeedsRounding) {
  auto l = load(R"(
[subsidy]
combine = "highest"
cite = "x"
[[subsidy.rule]]
id = "a"
label = "a"
any = ["monitored"]
amount = "33.333%"
payers = [{ payer = "x", amount = "1.00" }]
cite = "x"
)");
  EXPECT_NE(all_errors(l).find("not a whole number of fen"), std::string::npos) << all_errors(l);
}

TEST(Loader, ConflictWithoutOrderIsAnError) {
  // Broken 乌拉特前旗: 特困 (医保局 full) and 优抚 (退役军人事务局 full) can meet in one
  // person with equal amounts and no order declared.
  std::string text = read("urad-front-banner.toml");
  auto pos = text.find("order = [");
  ASSERT_NE(pos, std::string::npos);
  text.erase(pos, text.find('\n', pos) - pos);
  auto l = parse_policy(text, "broken.toml");
  ASSERT_FALSE(l.ok());
  auto s = all_errors(l);
  EXPECT_NE(s.find("conflict: rules 'extreme_poverty' and 'laid_off_worker'"), std::string::npos) << s;
  EXPECT_EQ(s.rfind("broken.toml:", 0), 0u);
}

TEST(Loader, SameOutcomeIsNoConflict) {
  auto l = load(R"(
[subsidy]
combine = "highest"
cite = "x"
[[subsidy.rule]]
id = "a"
label = "a"
any = ["extreme_poverty"]
amount = "full"
payers = [{ payer = "区财政", amount = "full" }]
cite = "x"
[[subsidy.rule]]
id = "b"
label = "b"
born_on_or_before = 1923-12-31
amount = "full"
payers = [{ payer = "区财政", amount = "full" }]
cite = "x"
)");
  EXPECT_TRUE(l.ok()) << all_errors(l);
}

TEST(Loader, FiscalSplitMustAddUp) {
  auto text = std::string(kMinimal);
  text.replace(text.find("individual = \"380.00\""), 21, "individual = \"380.00\"\nfiscal_subsidy = \"640.00\"");
  text += R"(
[[fiscal_split]]
level = "central"
name = "中央"
share = "80%"
cite = "x"
[[fiscal_split]]
level = "region"
name = "自治区"
share = "20% * 7/10"
cite = "x"
)";
  auto l = parse_policy(text, "t.toml");
  EXPECT_NE(all_errors(l).find("fiscal_split shares add up to 94%"), std::string::npos) << all_errors(l);
}

TEST(Loader, TargetsMustMatchTotal) {
  auto l = load(R"(
[[target]]
cite = "附件"
total = 100
rows = [["甲", 40], ["乙", 50]]
)");
  EXPECT_NE(all_errors(l).find("target rows add up to 90 but the document's total is 100"), std::string::npos);
}

TEST(Loader, MissingCiteAndBadDates) {
  auto l = load(R"(
[[window]]
id = "x"
label = "x"
open = 2023-12-01
close = 2023-11-01
)");
  auto s = all_errors(l);
  EXPECT_NE(s.find("has no 'cite'"), std::string::npos) << s;
  EXPECT_NE(s.find("window closes before it opens"), std::string::npos) << s;
}

TEST(Loader, UnspecifiedNeedsReasonAndUnknownOverride) {
  auto l = load(R"(
[subsidy]
combine = "highest"
cite = "x"
[[subsidy.rule]]
id = "a"
label = "a"
any = ["entitled_veteran"]
amount = "unspecified"
overrides = ["nope"]
cite = "x"
)");
  auto s = all_errors(l);
  EXPECT_NE(s.find("must say why"), std::string::npos) << s;
  EXPECT_NE(s.find("overrides unknown rule 'nope'"), std::string::npos) << s;
}
