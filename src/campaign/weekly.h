// The weekly progress report (晋市医保发〔2023〕10号 五(五): 各县（市、区）集中征缴期内
// 每周五下午17:00前向市医保局报送筹资进展情况). Figures as of the Friday of the
// ISO week, change against the Friday before; one sheet per level below the
// root (county / township / village as present), each with a 合计 row equal
// to the root, a chart-ready sheet, and the same data as JSON.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "campaign/progress.h"

namespace canbao::campaign {

struct WeeklyReport {
  IsoWeek week;
  ProgressTree tree;
  nlohmann::json to_json() const;  // {"week", "as_of", "levels": [{"level", "label", "rows": [...], "total": {...}}], "chart": [...]}
};

// `year` = the policy year (a 2023 autumn campaign collects for 2024).
WeeklyReport weekly_report(store::Store& st, RegionCode root, int year, const IsoWeek& week, int depth = 3);
// The policy year a report week belongs to: collection runs in the autumn before the year.
int campaign_year_of(Date d);
void write_weekly_xlsx(const WeeklyReport& r, const std::string& path);
// The progress tree as of any day (GET /reports/progress?format=xlsx): 汇总,
// one sheet per level with a 合计 row equal to the root.
void write_progress_xlsx(const ProgressTree& t, const std::string& path);
// "县（市、区）", "乡镇（街道）", "村（社区）" by the region level of a depth's nodes.
std::string level_label(const ProgressTree& t, int depth);

}  // namespace canbao::campaign
