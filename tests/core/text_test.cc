#include <gtest/gtest.h>

#include "core/text.h"

namespace canbao {

TEST(HtmlEscape, EscapesMarkupAndQuotesKeepsChinese) {
  EXPECT_EQ(html_escape("<b>张&三</b>"), "&lt;b&gt;张&amp;三&lt;/b&gt;");
  EXPECT_EQ(html_escape("a\"b'c"), "a&quot;b&#39;c");
  EXPECT_EQ(html_escape("漏缴错缴请联系医保站"), "漏缴错缴请联系医保站");
  EXPECT_EQ(html_escape(""), "");
}

}  // namespace canbao
