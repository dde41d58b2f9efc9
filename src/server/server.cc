// `canbao serve`: the listening socket and its threads, the static files of
// the web UI, and the order routes are added in (routes_<area>.cc).
#include "server/server.h"
#include "server/web_root.h"

#include <httplib.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <sstream>
#include <unordered_map>

#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/conn_threads.h"

namespace canbao::server {

using json = nlohmann::json;

namespace {

std::string mime_of(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  return "application/octet-stream";
}

}  // namespace

struct Server::Impl : Api {
  int bound_port = -1;
  std::mutex run_mu;  // run()/stop() hand-over
  bool stop_requested = false, running = false;
  std::atomic<bool> listen_returned{false};
  int listen_fd = -1;  // the listening socket (set by httplib's socket-options hook)

  explicit Impl(ServerOptions o) : Api(std::move(o)) {
    if (!opt.web_dir.empty()) web_root = std::make_unique<WebRoot>(opt.web_dir);
    setup();
  }
  std::unique_ptr<WebRoot> web_root;  // --web, resolved once

  // ------------------------------------------------------------ routes

  void setup() {
    // A thread for every connection at once, up to opt.threads (issue 11):
    // httplib's fixed ThreadPool left connection 257 unread behind 256 open
    // keep-alive connections.
    http.new_task_queue = [n = opt.threads] { return new ConnectionThreads(n); };
    // Remember the listening socket: Server::bind() widens its backlog.
    http.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_fd = sock;
    });
    http.set_keep_alive_max_count(1000000);
    http.set_keep_alive_timeout(30);
    // Without it Nagle delays the body of each request behind its headers:
    // +30–60% payments/s in bench_payments.
    http.set_tcp_nodelay(true);
    http.set_payload_max_length(200u << 20);
    http.set_read_timeout(60);

    route("GET", "/api/v1/health", Access::open, [this](Ctx& c) {
      auto l = pool->lease();
      json backdate = {{"default", opt.backdate_days_default}};
      for (auto r : kRoles) backdate[std::string(r)] = backdate_days(r);
      send_json(c.res, 200, {{"ok", true}, {"engine", l->engine()}, {"schema_version", l->schema_version()},
                             {"today", today().str()}, {"backdate_days", backdate}});
    });

    add_user_routes(*this);
    add_registry_routes(*this);
    add_collect_routes(*this);  // before add_payment_routes: /payments/batch is not a payment id
    add_household_routes(*this);
    add_daily_routes(*this);
    add_payment_routes(*this);
    add_import_routes(*this);
    add_audit_routes(*this);
    add_campaign_routes(*this);
    add_policy_routes(*this);

    // --- anything else under /api → 404; other paths → the web UI
    route("GET", R"(/api/.*)", Access::open, [](Ctx&) { fail(404, "not_found", "没有这个接口"); });
    route("POST", R"(/api/.*)", Access::open, [](Ctx&) { fail(404, "not_found", "没有这个接口"); });
    http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { static_file(req, res); });
  }

  void static_file(const httplib::Request& req, httplib::Response& res) {
    if (!web_root) {
      res.status = 404;
      res.set_content("canbao: no web UI (--web DIR)", "text/plain; charset=utf-8");
      return;
    }
    namespace fs = std::filesystem;
    // Only files inside the web root; a path that tries to leave it is 404,
    // any other unknown path inside it is the SPA's index.html.
    std::optional<fs::path> file = web_root->file(req.path);
    if (!file && web_root->inside(req.path)) file = web_root->index();
    std::ifstream in;
    if (file) in.open(*file, std::ios::binary);
    if (!file || !in) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return;
    }
    const fs::path& p = *file;
    std::ostringstream ss;
    ss << in.rdbuf();
    if (p.filename() != "index.html") res.set_header("Cache-Control", "public, max-age=3600");
    std::string mime = mime_of(p.string());
    auto body = std::make_shared<const std::string>(ss.str());
    bool compressible = mime.rfind("text/", 0) == 0 || mime.rfind("application/json", 0) == 0 || mime == "image/svg+xml";
    if (compressible && body->size() >= 1024) {
      res.set_header("Vary", "Accept-Encoding");
      if (accepts_gzip(req.get_header_value("Accept-Encoding"))) {
        if (auto gz = gzipped(p, *body)) {
          res.set_header("Content-Encoding", "gzip");
          body = gz;
        }
      }
    }
    // A provider with a known length: httplib sends it as is (its own
    // compression, which ignores q=0, is not applied).
    res.set_content_provider(body->size(), mime, [body](size_t off, size_t len, httplib::DataSink& sink) {
      sink.write(body->data() + off, len);
      return true;
    });
  }

  static bool accepts_gzip(const std::string& ae) {
    // "gzip", "deflate, gzip;q=0.8", "*" — but not "gzip;q=0".
    std::istringstream in(ae);
    std::string tok;
    while (std::getline(in, tok, ',')) {
      tok.erase(std::remove(tok.begin(), tok.end(), ' '), tok.end());
      std::string name = tok.substr(0, tok.find(';'));
      if (name != "gzip" && name != "*") continue;
      auto q = tok.find(";q=");
      if (q == std::string::npos) return true;
      try {
        return std::stod(tok.substr(q + 3)) > 0;
      } catch (...) {
        return false;
      }
    }
    return false;
  }

  // The gzip form of a static file: a precompressed FILE.gz beside it when
  // at least as new, else compressed once and kept in memory (keyed by path,
  // size and modification time, so a rebuilt web/dist is picked up).
  std::mutex gz_mu;
  std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const std::string>>> gz_cache;
  std::shared_ptr<const std::string> gzipped(const std::filesystem::path& p, const std::string& body) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto mt = fs::last_write_time(p, ec);
    std::string stamp = fmt::format("{}:{}", body.size(), ec ? 0 : mt.time_since_epoch().count());
    {
      std::lock_guard g(gz_mu);
      if (auto it = gz_cache.find(p.string()); it != gz_cache.end() && it->second.first == stamp) return it->second.second;
    }
    std::string out;
    fs::path side = p.string() + ".gz";
    std::error_code ec2;
    if (fs::is_regular_file(side, ec2) && !ec && fs::last_write_time(side, ec2) >= mt && !ec2) {
      std::ifstream in(side, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      out = ss.str();
    }
    if (out.size() < 2 || out[0] != '\x1f' || out[1] != '\x8b') {
      out.clear();
      httplib::detail::gzip_compressor z;
      bool ok = z.compress(body.data(), body.size(), true, [&](const char* d, size_t n) {
        out.append(d, n);
        return true;
      });
      if (!ok) return nullptr;
    }
    auto gz = std::make_shared<const std::string>(std::move(out));
    std::lock_guard g(gz_mu);
    gz_cache[p.string()] = {stamp, gz};
    return gz;
  }
};

Server::Server(ServerOptions opt) : impl_(std::make_unique<Impl>(std::move(opt))) {}
Server::~Server() {
  stop();
  impl_->ledger->stop();
}

int Server::bind() {
  auto& i = *impl_;
  if (i.opt.port == 0) i.bound_port = i.http.bind_to_any_port(i.opt.bind);
  else i.bound_port = i.http.bind_to_port(i.opt.bind, i.opt.port) ? i.opt.port : -1;
  if (i.bound_port > 0 && i.listen_fd >= 0) {
    // Debian's compiled cpp-httplib 0.11.4 listens with a backlog of 5: a burst
    // of connections (128 clients starting, phones reconnecting) overflowed the
    // SYN and accept queues, and clients whose handshake the kernel dropped got
    // a reset after sending their request ("error: -1 Read", issue 11).
    // listen() again on a listening socket only sets its backlog (Linux; the
    // kernel caps it at net.core.somaxconn).
    ::listen(i.listen_fd, kListenBacklog);
  }
  raise_open_files_limit(i.opt.threads + 256);
  return i.bound_port;
}

void Server::run() {
  auto& i = *impl_;
  {
    std::lock_guard lk(i.run_mu);
    if (i.stop_requested) {
      i.ledger->stop();
      return;
    }
    i.running = true;
  }
  i.http.listen_after_bind();
  i.listen_returned = true;
  // listen_after_bind returns after stop(): the thread pool finished in-flight requests.
  i.ledger->stop();
}

void Server::stop() {
  auto& i = *impl_;
  {
    std::lock_guard lk(i.run_mu);
    i.stop_requested = true;
    if (!i.running) return;  // run() has not started: it will see the request and return
  }
  // httplib's stop() does nothing before its accept loop is live (and the loop
  // would then wait in accept() for ever): wait until it is live, or over.
  while (!i.http.is_running() && !i.listen_returned) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  i.http.stop();
}
int Server::port() const { return impl_->bound_port; }
Server::LedgerFigures Server::ledger_figures() const {
  auto f = impl_->ledger->stats();
  return {f.batches, f.writes, f.apply_us, f.commit_us};
}
Date Server::today() const { return impl_->today(); }

}  // namespace canbao::server
