// Issue 11, findings 3, 4, 13 and the 429 of 14: uploads are refused cheaply.
//  - A bad upload (empty, UTF-16, random bytes named .xlsx, a truncated zip,
//    10^6 columns) is 422 bad_file with a Chinese message that never shows
//    the server's temporary path, and writes nothing. Before: 500.
//  - A zip bomb (styles.xml inflating to 150 MB, shared strings to 400 MB)
//    is 422 and costs the server < 100 MB of RSS, leaving no temp file.
//    Before: ~1 GB per upload.
//  - At most two uploads are read at once; a third gets 429 with one
//    Retry-After. Before: no limit.
//  - Ids past int64 on payments, imports and reconciliations are 404. Before: 500.
#include <gtest/gtest.h>
#include <zip.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "../server/client.h"

using namespace canbao;
using namespace canbao::testing_server;
namespace fs = std::filesystem;

namespace {

// ------------------------------------------------------------ workbooks

// A part of `head + unit × reps + tail` bytes produced while libzip deflates
// it, so building a 400 MB bomb does not itself take 400 MB.
struct Repeat {
  std::string head, unit, tail;
  uint64_t reps = 0;
  uint64_t pos = 0;
  zip_error_t err;
  uint64_t size() const { return head.size() + unit.size() * reps + tail.size(); }
  size_t read(char* out, size_t len) {
    size_t n = 0;
    const uint64_t body_end = head.size() + unit.size() * reps;
    while (n < len && pos < size()) {
      if (pos < head.size()) {
        size_t k = std::min<uint64_t>(len - n, head.size() - pos);
        std::memcpy(out + n, head.data() + pos, k);
        n += k, pos += k;
      } else if (pos < body_end) {
        uint64_t off = (pos - head.size()) % unit.size();
        size_t k = std::min<uint64_t>({len - n, unit.size() - off, body_end - pos});
        std::memcpy(out + n, unit.data() + off, k);
        n += k, pos += k;
      } else {
        size_t k = std::min<uint64_t>(len - n, size() - pos);
        std::memcpy(out + n, tail.data() + (pos - body_end), k);
        n += k, pos += k;
      }
    }
    return n;
  }
};

zip_int64_t repeat_cb(void* ud, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
  auto* r = static_cast<Repeat*>(ud);
  switch (cmd) {
    case ZIP_SOURCE_OPEN: r->pos = 0; return 0;
    case ZIP_SOURCE_READ: return zip_int64_t(r->read(static_cast<char*>(data), len));
    case ZIP_SOURCE_CLOSE: return 0;
    case ZIP_SOURCE_STAT: {
      auto* st = static_cast<zip_stat_t*>(data);
      zip_stat_init(st);
      st->valid = ZIP_STAT_SIZE;
      st->size = r->size();
      return sizeof(*st);
    }
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&r->err, data, len);
    case ZIP_SOURCE_FREE: delete r; return 0;
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                            ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SUPPORTS, -1);
    default: return -1;
  }
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A roster workbook (inline-string header and one row) whose part `big`
// (styles or shared strings) is `r`; the other parts are ordinary.
std::string workbook(const std::map<std::string, std::string>& small, const std::string& big_name, Repeat* big) {
  fs::path p = fs::temp_directory_path() / fmt::format("canbao-sec-wb-{}.xlsx", ::getpid());
  int err = 0;
  zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  EXPECT_NE(z, nullptr);
  for (auto& [name, content] : small) {
    zip_source_t* s = zip_source_buffer(z, content.data(), content.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8), 0);
  }
  if (big) {
    zip_error_init(&big->err);
    zip_source_t* s = zip_source_function(z, repeat_cb, big);
    EXPECT_GE(zip_file_add(z, big_name.c_str(), s, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::string out = slurp(p);
  fs::remove(p);
  return out;
}

const char* kNs = R"(xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main")";
const char* kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

std::map<std::string, std::string> roster_parts() {
  std::string cells;
  auto is = [](const char* ref, const char* text) {
    return fmt::format(R"(<c r="{}" t="inlineStr"><is><t>{}</t></is></c>)", ref, text);
  };
  return {
      {"[Content_Types].xml",
       R"(<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>)"},
      {"_rels/.rels", fmt::format(R"(<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{}/officeDocument" Target="xl/workbook.xml"/></Relationships>)",
                                  kRelNs)},
      {"xl/workbook.xml", fmt::format(R"(<?xml version="1.0"?><workbook {} xmlns:r="{}"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>)",
                                      kNs, kRelNs)},
      {"xl/_rels/workbook.xml.rels",
       fmt::format(R"(<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{0}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{0}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="{0}/sharedStrings" Target="sharedStrings.xml"/></Relationships>)",
                   kRelNs)},
      {"xl/worksheets/sheet1.xml",
       fmt::format(R"(<?xml version="1.0"?><worksheet {}><sheetData><row r="1">{}{}{}{}</row><row r="2">{}{}{}{}</row></sheetData></worksheet>)",
                   kNs, is("A1", "身份证号"), is("B1", "姓名"), is("C1", "户号"), is("D1", "户籍地区划"),
                   is("A2", "341702199001011234"), is("B2", "张三"), is("C2", "H1"), is("D2", "341702"))},
  };
}

// styles.xml inflating to ~150 MB of cell formats.
std::string styles_bomb() {
  auto parts = roster_parts();
  parts["xl/sharedStrings.xml"] = fmt::format(R"(<?xml version="1.0"?><sst {}/>)", kNs);
  auto* r = new Repeat;
  r->head = fmt::format(R"(<?xml version="1.0"?><styleSheet {}><cellXfs count="1">)", kNs);
  r->unit = R"(<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>)";
  r->reps = (150ull << 20) / r->unit.size();
  r->tail = "</cellXfs></styleSheet>";
  return workbook(parts, "xl/styles.xml", r);
}

// sharedStrings.xml inflating to ~400 MB.
std::string shared_strings_bomb() {
  auto parts = roster_parts();
  parts["xl/styles.xml"] = fmt::format(R"(<?xml version="1.0"?><styleSheet {}/>)", kNs);
  auto* r = new Repeat;
  r->head = fmt::format(R"(<?xml version="1.0"?><sst {}>)", kNs);
  r->unit = "<si><t>a</t></si>";
  r->reps = (400ull << 20) / r->unit.size();
  r->tail = "</sst>";
  return workbook(parts, "xl/sharedStrings.xml", r);
}

// ------------------------------------------------------------ memory

int64_t status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(std::strlen(key)));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux ≥ 4.0), so the peak after an
// upload is that upload's own.
bool reset_peak() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return bool(f);
}

bool has_chinese(const std::string& s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    unsigned char c = s[i];
    if (c >= 0xE4 && c <= 0xE9) return true;  // U+4E00–U+9FFF lead bytes
  }
  return false;
}

class Uploads : public ServerFixture {
 protected:
  std::string prefix() const override { return "upl_"; }

  void configure(server::ServerOptions& o) override {
    o.on_upload = [this](const std::string&) {
      std::unique_lock lk(mu);
      ++inside;
      cv.notify_all();
      cv.wait(lk, [&] { return !hold; });
    };
  }

  // Every table an import could write.
  std::map<std::string, int64_t> counts() {
    std::map<std::string, int64_t> m;
    for (auto t : {"import_batches", "persons", "households", "payments", "enrollments", "reconciliation_runs"})
      m[t] = count(fmt::format("SELECT COUNT(*) FROM {}", t));
    return m;
  }

  httplib::Result upload(Client& c, const std::string& path, const std::string& field, const std::string& filename,
                         const std::string& content) {
    httplib::MultipartFormDataItems items = {{field, content, filename, "application/octet-stream"}};
    return c.c.Post(path, c.headers(true), items);
  }

  void expect_bad_file(Client& c, const std::string& path, const std::string& field, const std::string& filename,
                       const std::string& content, const std::string& what) {
    auto before = counts();
    auto r = upload(c, path, field, filename, content);
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->status, 422) << what << ": " << r->body;
    auto j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << what << ": " << r->body;
    EXPECT_EQ(j["error"]["code"], "bad_file") << what << ": " << r->body;
    std::string msg = j["error"]["message"].is_string() ? j["error"]["message"].get<std::string>() : "";
    EXPECT_TRUE(has_chinese(msg)) << what << ": " << msg;
    EXPECT_EQ(msg.find("/tmp"), std::string::npos) << what << ": " << msg;
    EXPECT_EQ(msg.find("canbao-upload"), std::string::npos) << what << ": " << msg;
    EXPECT_EQ(counts(), before) << what << ": something was written";
  }

  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  bool hold = false;
};

INSTANTIATE_TEST_SUITE_P(Engines, Uploads, ::testing::Values("sqlite", "postgresql"));

struct BadFile {
  std::string what, filename, content;
};

std::vector<BadFile> bad_files() {
  std::vector<BadFile> v;
  v.push_back({"empty file", "roster.csv", ""});
  // UTF-16LE with BOM (Excel's "Unicode text"), and without one.
  std::string u16 = "\xFF\xFE";
  for (char ch : std::string("id_number,name\r\n1,2\r\n")) u16 += ch, u16 += '\0';
  v.push_back({"UTF-16 CSV", "roster.csv", u16});
  v.push_back({"UTF-16 CSV without BOM", "roster.csv", u16.substr(2)});
  std::mt19937 rng(11);
  std::string noise(8192, '\0');
  for (auto& ch : noise) ch = char(rng());
  v.push_back({"random bytes named .xlsx", "roster.xlsx", noise});
  std::string wb = workbook(roster_parts(), "", nullptr);
  v.push_back({"truncated zip", "roster.xlsx", wb.substr(0, wb.size() / 2)});
  v.push_back({"zip cut before its directory", "roster.xlsx", wb.substr(0, wb.size() - 30)});
  std::string wide;
  wide.reserve(2000000);
  for (int i = 0; i < 1000000; ++i) wide += "a,";
  wide += "b\n1,2\n";
  v.push_back({"CSV of 10^6 columns", "roster.csv", wide});
  return v;
}

TEST_P(Uploads, BadRosterFilesAre422BadFile) {
  auto admin = as("admin");
  for (auto& b : bad_files())
    expect_bad_file(*admin, "/api/v1/imports/roster", "file", b.filename, b.content, "roster: " + b.what);
}

TEST_P(Uploads, BadPaymentFilesAre422BadFile) {
  auto tax = as("tax");
  for (auto& b : bad_files())
    expect_bad_file(*tax, "/api/v1/imports/payments?year=2024", "file", b.filename, b.content, "payments: " + b.what);
}

// The reconciliation upload already answered 422, but its message showed the
// server's temporary file (/tmp/canbao-upload-….csv).
TEST_P(Uploads, BadReconciliationFilesNameNoTempPath) {
  auto tax = as("tax");
  for (auto& b : bad_files())
    expect_bad_file(*tax, "/api/v1/reconciliations?year=2024", "tax", b.filename, b.content,
                    "reconciliation: " + b.what);
}

// Both bombs: 422 bad_file, < 100 MB of RSS, no file left in the temp directory.
TEST_P(Uploads, ZipBombsAreRefusedCheaply) {
  if (GetParam() == "postgresql") GTEST_SKIP() << "the reader does not depend on the store";
  auto admin = as("admin");
  // The server's own temp files go to a directory of this test only.
  fs::path tmp = fs::temp_directory_path() / fmt::format("canbao-sec-tmp-{}", ::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  std::string old_tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  for (auto& [what, bomb] : {std::pair{"styles.xml of 150 MB", styles_bomb()},
                             std::pair{"sharedStrings.xml of 400 MB", shared_strings_bomb()}}) {
    EXPECT_LT(bomb.size(), 1u << 20) << what;  // a small upload
    setenv("TMPDIR", tmp.c_str(), 1);
    auto before = counts();
    bool peak = reset_peak();
    int64_t rss0 = status_kb(peak ? "VmHWM:" : "VmRSS:");
    auto r = upload(*admin, "/api/v1/imports/roster", "file", "花名册.xlsx", bomb);
    int64_t rss1 = status_kb(peak ? "VmHWM:" : "VmRSS:");
    if (old_tmpdir.empty()) unsetenv("TMPDIR");
    else setenv("TMPDIR", old_tmpdir.c_str(), 1);
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->status, 422) << what << ": " << r->body;
    auto j = json::parse(r->body, nullptr, false);
    EXPECT_EQ(j["error"]["code"], "bad_file") << what << ": " << r->body;
    EXPECT_TRUE(has_chinese(j["error"]["message"].dump())) << r->body;
    int64_t grew_mb = (rss1 - rss0) / 1024;
    std::printf("[ bomb     ] %s: %zu bytes uploaded, RSS %s %+lld MB\n", what, bomb.size(),
                peak ? "peak" : "after", (long long)grew_mb);
    EXPECT_LT(grew_mb, 100) << what;
    EXPECT_EQ(counts(), before) << what;
    EXPECT_TRUE(fs::is_empty(tmp)) << what << ": the upload left a temporary file";
  }
  fs::remove_all(tmp);
}

// Two uploads held inside their slots; a third import, and a reconciliation
// upload, are 429 with exactly one Retry-After; once one finishes, the next is read.
TEST_P(Uploads, AtMostTwoUploadsAtOnce) {
  auto admin = as("admin");
  auto tax = as("tax");
  std::string csv = "身份证号,姓名,户号,户籍地区划\n";
  {
    std::lock_guard lk(mu);
    hold = true;
  }
  auto held = [&](std::string name) {
    return std::async(std::launch::async, [this, name] {
      auto c = as("admin");
      auto r = upload(*c, "/api/v1/imports/roster", "file", name, "身份证号,姓名,户号,户籍地区划\n");
      return r ? r->status : 0;
    });
  };
  auto f1 = held("a.csv");
  auto f2 = held("b.csv");
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(60), [&] { return inside == 2; }));
  }
  auto r = upload(*admin, "/api/v1/imports/roster", "file", "c.csv", csv);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(r->get_header_value_count("Retry-After"), 1u);
  EXPECT_EQ(json::parse(r->body, nullptr, false)["error"]["code"], "too_many_requests") << r->body;
  auto rr = upload(*tax, "/api/v1/reconciliations?year=2024", "tax", "tax.csv", csv);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->status, 429) << rr->body;
  EXPECT_EQ(rr->get_header_value_count("Retry-After"), 1u);
  {
    std::lock_guard lk(mu);
    hold = false;
    cv.notify_all();
  }
  EXPECT_NE(f1.get(), 429);
  EXPECT_NE(f2.get(), 429);
  auto after = upload(*admin, "/api/v1/imports/roster", "file", "d.csv", csv);
  ASSERT_TRUE(after);
  EXPECT_NE(after->status, 429) << after->body;
  EXPECT_EQ(inside, 3);  // the two held and the last one; the refused never entered
}

// Finding 14: a 429 carried two Retry-After headers (the login throttle set
// its own and the error path added "60").
TEST_P(Uploads, A429HasOneRetryAfter) {
  Client c(port);
  for (int i = 0; i < 7; ++i)
    c.c.Post("/api/v1/auth/login", json{{"username", "va"}, {"password", "wrong-password"}}.dump(),
             "application/json");
  auto r = c.c.Post("/api/v1/auth/login", json{{"username", "va"}, {"password", "wrong-password"}}.dump(),
                    "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(r->get_header_value_count("Retry-After"), 1u);
}

// Finding 13: ids past int64 are unknown ids.
TEST_P(Uploads, HugeIdsAre404) {
  auto admin = as("admin");
  const std::string big = "99999999999999999999999";
  for (std::string path : std::vector<std::string>{"/api/v1/payments/" + big, "/api/v1/imports/" + big, "/api/v1/imports/" + big + "/problems.xlsx",
                           "/api/v1/reconciliations/" + big, "/api/v1/payments/0", "/api/v1/imports/0"}) {
    auto [st, j] = admin->get(path);
    EXPECT_EQ(st, 404) << path << ": " << j.dump();
  }
  auto [st, j] = admin->post("/api/v1/reconciliations/" + big + "/rerun", json::object());
  EXPECT_EQ(st, 404) << j.dump();
}

}  // namespace
