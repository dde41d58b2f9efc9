// Issue 11, finding 1 (critical): nothing outside the web root is ever
// served. Before the fix, GET //etc/passwd, /%2fetc/passwd and //<database>
// answered 200 with the file (joining the root with an absolute path drops
// the root).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../server/client.h"
#include "server/web_root.h"

using namespace canbao;
using namespace canbao::testing_server;
namespace fs = std::filesystem;

namespace {

fs::path make_web_root(const std::string& name) {
  fs::path base = fs::temp_directory_path() / ("canbao-webroot-" + name);
  fs::remove_all(base);
  fs::create_directories(base / "web" / "assets");
  std::ofstream(base / "web" / "index.html") << "<!doctype html><title>canbao</title>INDEX-PAGE";
  std::ofstream(base / "web" / "assets" / "app.js") << "console.log('APP-JS')";
  std::ofstream(base / "secret.txt") << "TOP-SECRET-OUTSIDE";
  fs::create_directories(base / "web2");
  std::ofstream(base / "web2" / "x.txt") << "SIBLING-DIR";
  fs::create_symlink(base / "secret.txt", base / "web" / "link-out.txt");
  fs::create_directory_symlink(base, base / "web" / "up");
  return base;
}

TEST(WebRoot, ResolvesOnlyInsideTheRoot) {
  fs::path base = make_web_root("unit");
  server::WebRoot root(base / "web");
  EXPECT_TRUE(root.file("/index.html"));
  EXPECT_TRUE(root.file("/assets/app.js"));
  EXPECT_TRUE(root.file("//assets//app.js"));  // doubled slashes stay inside
  EXPECT_FALSE(root.file("//etc/passwd"));
  EXPECT_FALSE(root.file("/etc/passwd"));      // relative to the root: absent there
  EXPECT_FALSE(root.file("/../secret.txt"));
  EXPECT_FALSE(root.file("/assets/../../secret.txt"));
  EXPECT_FALSE(root.file("/link-out.txt"));    // symlink leading out
  EXPECT_FALSE(root.file("/up/secret.txt"));   // directory symlink leading out
  EXPECT_FALSE(root.file("/../web2/x.txt"));   // a sibling sharing the root's name as prefix
  EXPECT_FALSE(root.file(std::string_view("/index.html\0x", 13)));
  EXPECT_FALSE(root.inside("/../secret.txt"));
  EXPECT_TRUE(root.inside("/some/spa/route"));
  EXPECT_FALSE(root.file((base / "secret.txt").string()));  // an absolute path is taken as relative
  fs::remove_all(base);
}

class StaticFiles : public ServerFixture {
 protected:
  std::string prefix() const override { return "static_"; }
  void configure(server::ServerOptions& o) override {
    base = make_web_root(test_name());
    o.web_dir = (base / "web").string();
  }
  void TearDown() override {
    ServerFixture::TearDown();
    fs::remove_all(base);
  }
  // Status and body of a raw GET with the path sent exactly as written.
  std::pair<int, std::string> raw_get(const std::string& path) {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Get(path);
    if (!r) return {-1, ""};
    return {r->status, r->body};
  }
  fs::path base;
};

TEST_P(StaticFiles, NothingOutsideTheWebRoot) {
  std::string db = fs::absolute(url).string();
  ASSERT_TRUE(fs::exists(db));
  const std::vector<std::string> attacks = {
      "//etc/passwd",
      "/%2fetc/passwd",
      "/%2Fetc%2Fpasswd",
      "//proc/self/environ",
      "/" + db,
      "/" + db + "-wal",
      "/%2f" + db.substr(1),
      "/../../../../etc/passwd",
      "/..%2f..%2f..%2f..%2fetc/passwd",
      "/assets/..%2f..%2fsecret.txt",
      "/link-out.txt",
      "/up/secret.txt",
      "/" + (base / "secret.txt").string(),
  };
  for (const auto& a : attacks) {
    auto [status, body] = raw_get(a);
    SCOPED_TRACE(a);
    EXPECT_TRUE(status == 404 || (status == 200 && body.find("INDEX-PAGE") != std::string::npos)) << status;
    EXPECT_EQ(body.find("root:"), std::string::npos);
    EXPECT_EQ(body.find("SQLite format"), std::string::npos);
    EXPECT_EQ(body.find("TOP-SECRET-OUTSIDE"), std::string::npos);
    EXPECT_EQ(body.find("PATH="), std::string::npos);
  }
  // What the UI needs still works: files, and the SPA fallback for its routes.
  EXPECT_EQ(raw_get("/assets/app.js"), std::make_pair(200, std::string("console.log('APP-JS')")));
  auto [s, b] = raw_get("/persons/123");
  EXPECT_EQ(s, 200);
  EXPECT_NE(b.find("INDEX-PAGE"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, StaticFiles, ::testing::Values("sqlite"));

}  // namespace
