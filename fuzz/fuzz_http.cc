// libFuzzer target over the HTTP routing and JSON bodies (issue 11): one
// in-process `canbao serve` on a temporary SQLite database with the test
// registry of tests/support/fixture.h, started once; each input is one request over
// loopback. Any answer but a 5xx (503 store_unavailable is a retry, not a
// bug) is fine; a 5xx, no answer, or a sanitizer report is a finding.
//
// Input: byte 0 picks the method (bits 0-1: GET POST PUT DELETE) and who asks
// (bits 2-3: nobody, admin, a village collector, the tax bureau); then the
// path up to the first '\n' ("/api/v1/" is put before one that does not start
// with '/'; bytes outside printable ASCII are percent-encoded), then the body,
// sent as application/json.
//
// Requests that end the harness's own sessions or hash passwords (argon2,
// ~0.1 s each) are skipped: non-GET under /auth/ and /users.
#include <httplib.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>

#include "server/auth.h"
#include "support/fixture.h"
#include "server/server.h"
#include "store/store.h"

using namespace canbao;
namespace fs = std::filesystem;

namespace {

struct Persona {
  std::unique_ptr<httplib::Client> c;
  std::string cookie, csrf;
};

struct Harness {
  fs::path dir;
  std::unique_ptr<server::Server> srv;
  std::thread th;
  int port = 0;
  Persona who[4];

  Harness() {
    dir = fs::temp_directory_path() / fmt::format("canbao-fuzz-http-{}", ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string db = (dir / "fuzz.db").string();
    {
      auto st = store::open_store(db, {});
      auto fx = server::make_fixture(*st, 2, 1, 6);
      auto user = [&](const char* name, const char* role, RegionCode scope) {
        server::User u;
        u.username = name;
        u.role = role;
        u.scope = scope;
        server::create_user(*st, u, fmt::format("pw-{}-fuzz-123", name), "fuzz", false);
      };
      user("admin", "admin", {});
      user("va", "village", fx.villages[0]);
      user("tax", "tax", *RegionCode::parse("341702"));
    }
    server::ServerOptions o;
    o.db = db;
    o.port = 0;
    o.policies_dir = std::string(CANBAO_SOURCE_DIR) + "/policies/2024";
    o.today = Date::from_ymd(2023, 11, 20);
    o.threads = 8;
    o.pool = 4;
    o.quiet = true;
    srv = std::make_unique<server::Server>(o);
    port = srv->bind();
    if (port <= 0) {
      std::fprintf(stderr, "fuzz_http: cannot bind\n");
      std::abort();
    }
    th = std::thread([this] { srv->run(); });
    th.detach();  // runs until the process exits
    const char* names[4] = {nullptr, "admin", "va", "tax"};
    for (int i = 0; i < 4; ++i) {
      who[i].c = std::make_unique<httplib::Client>("127.0.0.1", port);
      who[i].c->set_keep_alive(true);
      who[i].c->set_tcp_nodelay(true);  // no 40 ms Nagle/delayed-ACK stall per POST on loopback
      who[i].c->set_read_timeout(20);
      who[i].c->set_connection_timeout(5);
      if (!names[i]) continue;
      nlohmann::json body = {{"username", names[i]}, {"password", fmt::format("pw-{}-fuzz-123", names[i])}};
      auto r = who[i].c->Post("/api/v1/auth/login", body.dump(), "application/json");
      if (!r || r->status != 200) {
        std::fprintf(stderr, "fuzz_http: login %s failed\n", names[i]);
        std::abort();
      }
      auto sc = r->get_header_value("Set-Cookie");
      who[i].cookie = sc.substr(0, sc.find(';'));
      who[i].csrf = nlohmann::json::parse(r->body)["csrf_token"];
    }
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / fmt::format("canbao-fuzz-http-{}", ::getpid()), ec);
    });
  }
};

std::string encode_path(std::string_view raw) {
  std::string p;
  if (raw.empty() || raw[0] != '/') p = "/api/v1/";
  for (unsigned char ch : raw) {
    if (ch > 0x20 && ch < 0x7F) p += char(ch);
    else p += fmt::format("%{:02X}", ch);
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();  // never destroyed: the server outlives the last input
  if (size == 0) return 0;
  static const char* kMethods[4] = {"GET", "POST", "PUT", "DELETE"};
  std::string method = kMethods[data[0] & 3];
  Persona& p = h->who[(data[0] >> 2) & 3];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nl = rest.find('\n');
  std::string path = encode_path(rest.substr(0, nl));
  std::string body = nl == rest.npos ? std::string() : std::string(rest.substr(nl + 1));
  if (method != "GET" && (path.find("/auth/") != path.npos || path.find("/users") != path.npos)) return 0;

  httplib::Headers hdr;
  if (!p.cookie.empty()) {
    hdr.emplace("Cookie", p.cookie);
    hdr.emplace("X-CSRF-Token", p.csrf);
  }
  auto send = [&] {
    return method == "GET"    ? p.c->Get(path, hdr)
           : method == "POST" ? p.c->Post(path, hdr, body, "application/json")
           : method == "PUT"  ? p.c->Put(path, hdr, body, "application/json")
                              : p.c->Delete(path, hdr, body, "application/json");
  };
  httplib::Result r = send();
  // A kept-alive connection the server closed after its idle timeout (this
  // process starved of CPU for seconds on a busy machine) reads as no answer
  // once; the client reconnects on the next call. A server that really does
  // not answer fails the second time too.
  if (!r && (r.error() == httplib::Error::Read || r.error() == httplib::Error::Write)) r = send();
  if (!r) {
    std::fprintf(stderr, "fuzz_http: no answer to %s %s (%s)\n", method.c_str(), path.c_str(),
                 httplib::to_string(r.error()).c_str());
    std::abort();
  }
  if (r->status >= 500 && r->status != 503) {
    std::fprintf(stderr, "fuzz_http: %d for %s %s\nbody: %.200s\nanswer: %.400s\n", r->status, method.c_str(),
                 path.c_str(), body.c_str(), r->body.c_str());
    std::abort();
  }
  return 0;
}
