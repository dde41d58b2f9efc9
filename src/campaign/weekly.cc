#include "campaign/weekly.h"

#include <fmt/format.h>

#include "core/money.h"
#include "io/xlsx_writer.h"

namespace canbao::campaign {

namespace {
std::string pct(const ProgressNode& n) {
  if (!n.has_target || n.target <= 0) return "";
  // basis points, half up, exact integer arithmetic
  int64_t bp = (n.now.paid * 100000 / n.target + 5) / 10;
  return fmt::format("{}.{:02d}%", bp / 100, bp % 100);
}
std::string parent_name(const ProgressTree& t, const ProgressNode& n) {
  return n.parent >= 0 ? t.nodes[size_t(n.parent)].label() : "";
}
}  // namespace

int campaign_year_of(Date d) { return d.month() >= 7 ? d.year() + 1 : d.year(); }

std::string level_label(const ProgressTree& t, int depth) {
  for (int i : t.at_depth(depth)) {
    const auto& n = t.nodes[size_t(i)];
    if (n.kind != ProgressNode::Kind::region) continue;
    switch (n.region.level()) {
      case RegionCode::province: return "省";
      case RegionCode::city: return "市";
      case RegionCode::county: return "县（市、区）";
      case RegionCode::township: return "乡镇（街道）";
      case RegionCode::village: return "村（社区）";
      default: break;
    }
  }
  return fmt::format("第{}级", depth);
}

WeeklyReport weekly_report(store::Store& st, RegionCode root, int year, const IsoWeek& week, int depth) {
  WeeklyReport r;
  r.week = week;
  ProgressOptions o;
  o.depth = depth;
  r.tree = progress(st, root, year, week.friday, o);
  return r;
}

static nlohmann::json row_json(const ProgressTree& t, const ProgressNode& n) {
  return {{"region", n.region.str()},
          {"name", n.label()},
          {"parent", parent_name(t, n)},
          {"kind", n.kind == ProgressNode::Kind::region ? "region" : n.kind == ProgressNode::Kind::unit ? "unit" : "direct"},
          {"target", n.has_target ? nlohmann::json(n.target) : nlohmann::json()},
          {"registered", n.now.registered},
          {"paid", n.now.paid},
          {"rate", n.rate()},
          {"rate_text", pct(n)},
          {"paid_this_week", n.change().paid},
          {"registered_this_week", n.change().registered},
          {"paid_last_week", n.week_ago.paid},
          {"subsidised", n.now.subsidised},
          {"collected_fen", n.now.collected_fen},
          {"collected_this_week_fen", n.change().collected_fen},
          {"subsidy_fen", n.now.subsidy_fen},
          {"rank", n.rank ? nlohmann::json(n.rank) : nlohmann::json()}};
}

nlohmann::json WeeklyReport::to_json() const {
  nlohmann::json levels = nlohmann::json::array();
  for (int d = 1; d <= tree.max_depth(); ++d) {
    nlohmann::json rows = nlohmann::json::array();
    for (int i : tree.level_rows(d)) rows.push_back(row_json(tree, tree.nodes[size_t(i)]));
    levels.push_back({{"depth", d}, {"label", level_label(tree, d)}, {"rows", rows}});
  }
  nlohmann::json chart = nlohmann::json::array();
  for (int c : tree.root().children) {
    const auto& n = tree.nodes[size_t(c)];
    chart.push_back({{"name", n.label()}, {"rate", n.rate()}, {"paid", n.now.paid},
                     {"target", n.has_target ? nlohmann::json(n.target) : nlohmann::json()},
                     {"paid_this_week", n.change().paid}});
  }
  return {{"week", week.str()},       {"as_of", week.friday.str()}, {"year", tree.year},
          {"region", tree.root().region.str()}, {"region_name", tree.root().name},
          {"total", row_json(tree, tree.root())}, {"levels", levels}, {"chart", chart}};
}

void write_weekly_xlsx(const WeeklyReport& r, const std::string& path) {
  const auto& t = r.tree;
  io::XlsxWriter w(path);
  const std::vector<std::string> header = {"序号", "上级单位", "单位", "区划代码", "任务数", "登记人数", "缴费人数",
                                           "完成率", "本周新增缴费人数", "上周末缴费人数", "资助人数",
                                           "个人缴费金额（元）", "本周新增金额（元）", "资助金额（元）", "同级排名"};
  auto add = [&](int64_t k, const ProgressNode& n, bool total) {
    w.add_row({total ? io::Cell("合计") : io::Cell(k), total ? std::string() : parent_name(t, n),
               total ? t.root().label() : n.label(), n.region.str(),
               n.has_target ? io::Cell(n.target) : io::Cell(), n.now.registered, n.now.paid, pct(n), n.change().paid,
               n.week_ago.paid, n.now.subsidised, Money::from_fen(n.now.collected_fen),
               Money::from_fen(n.change().collected_fen), Money::from_fen(n.now.subsidy_fen),
               n.rank && !total ? io::Cell(int64_t(n.rank)) : io::Cell()});
  };
  // 汇总 first: the root.
  w.add_sheet("汇总", {"项目", "内容"});
  w.add_row({"报告周", r.week.str()});
  w.add_row({"统计截止", r.week.friday.str() + "（周五）"});
  w.add_row({"年度", int64_t(t.year)});
  w.add_row({"地区", t.root().label()});
  w.add_row({"任务数", t.root().has_target ? io::Cell(t.root().target) : io::Cell("—")});
  w.add_row({"缴费人数", t.root().now.paid});
  w.add_row({"完成率", pct(t.root())});
  w.add_row({"本周新增缴费人数", t.root().change().paid});
  w.add_row({"个人缴费金额（元）", Money::from_fen(t.root().now.collected_fen)});
  for (int d = 1; d <= t.max_depth(); ++d) {
    w.add_sheet(fmt::format("{}进度", level_label(t, d)), header);
    int64_t k = 0;
    for (int i : t.level_rows(d)) add(++k, t.nodes[size_t(i)], false);
    add(0, t.root(), true);  // every level sums to the root
  }
  w.add_sheet("图表数据", {"单位", "完成率（%）", "缴费人数", "任务数", "本周新增"});
  for (int c : t.root().children) {
    const auto& n = t.nodes[size_t(c)];
    std::string p = pct(n);
    if (!p.empty()) p.pop_back();
    w.add_row({n.label(), p, n.now.paid, n.has_target ? io::Cell(n.target) : io::Cell(), n.change().paid});
  }
  w.close();
}

void write_progress_xlsx(const ProgressTree& t, const std::string& path) {
  io::XlsxWriter w(path);
  const std::vector<std::string> header = {"序号", "上级单位", "单位", "区划代码", "任务数", "登记人数", "缴费人数",
                                           "完成率", "近7天新增缴费人数", "资助人数", "个人缴费金额（元）",
                                           "资助金额（元）", "同级排名"};
  auto add = [&](int64_t k, const ProgressNode& n, bool total) {
    w.add_row({total ? io::Cell("合计") : io::Cell(k), total ? std::string() : parent_name(t, n),
               total ? t.root().label() : n.label(), n.region.str(),
               n.has_target ? io::Cell(n.target) : io::Cell(), n.now.registered, n.now.paid, pct(n), n.change().paid,
               n.now.subsidised, Money::from_fen(n.now.collected_fen), Money::from_fen(n.now.subsidy_fen),
               n.rank && !total ? io::Cell(int64_t(n.rank)) : io::Cell()});
  };
  w.add_sheet("汇总", {"项目", "内容"});
  w.add_row({"年度", int64_t(t.year)});
  w.add_row({"统计截止", t.as_of.str()});
  w.add_row({"地区", t.root().label()});
  w.add_row({"任务数", t.root().has_target ? io::Cell(t.root().target) : io::Cell("—")});
  w.add_row({"登记人数", t.root().now.registered});
  w.add_row({"缴费人数", t.root().now.paid});
  w.add_row({"完成率", pct(t.root())});
  w.add_row({"个人缴费金额（元）", Money::from_fen(t.root().now.collected_fen)});
  w.add_row({"资助金额（元）", Money::from_fen(t.root().now.subsidy_fen)});
  for (int d = 1; d <= t.max_depth(); ++d) {
    w.add_sheet(fmt::format("{}进度", level_label(t, d)), header);
    int64_t k = 0;
    for (int i : t.level_rows(d)) add(++k, t.nodes[size_t(i)], false);
    add(0, t.root(), true);
  }
  w.close();
}

}  // namespace canbao::campaign
