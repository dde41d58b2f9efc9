#include <ctime>
#include <stdexcept>

#include "cli/commands.h"

namespace canbao::cli {

Date business_day(const std::string& text) {
  if (!text.empty()) {
    auto d = Date::parse(text);
    if (!d) throw std::runtime_error("日期无效 / bad date: " + text);
    return *d;
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return Date::from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

CLI::App* import_group(CLI::App& app) {
  try {
    return app.get_subcommand("import");
  } catch (const CLI::OptionNotFound&) {
    auto* imp = app.add_subcommand("import", "导入文件 / import files");
    imp->require_subcommand(1);
    return imp;
  }
}

}  // namespace canbao::cli
