// Small text helpers shared by the HTML pages canbao prints (receipts,
// public notices).
#pragma once
#include <string>
#include <string_view>

namespace canbao {

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view s);

}  // namespace canbao
