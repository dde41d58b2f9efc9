// Issue 11, failed requests under load: bench_payments with 128 keep-alive
// clients saw "error: -1 Read" for 0.3–5% of its requests, and a collector
// whose request fails sees an error for a payment that may have landed.
//
// Two causes, both in how connections reach a request thread:
//  - Debian's compiled cpp-httplib 0.11.4 listens with a backlog of 5. A burst
//    of connections overflowed the SYN and accept queues; the kernel answered
//    with SYN cookies and dropped completed handshakes, and a client whose
//    handshake was finally refused got a reset after it had sent its request
//    (TcpExtSyncookiesFailed = TcpEstabResets = the failed requests).
//  - httplib's ThreadPool has a fixed number of threads (256 by default) and
//    a keep-alive connection holds one for its life: connection 257 waited,
//    unread, until another client closed or stayed idle for 30 s.
//
// What is pinned, without timing thresholds:
//  - the listening socket's backlog (read back from the kernel) fits a burst
//    of 1,000 connections;
//  - 300 clients connecting at once (default server options) are each
//    answered while all 300 keep their connections open, then each sends
//    more requests on its connection: 0 failed requests. The wait for "all
//    answered" is bounded by 20 s, below the server's 30 s keep-alive timeout:
//    with a fixed pool of 256 the last 44 connections are answered only when
//    the first ones time out, so this fails on the old code whatever the
//    machine's speed;
//  - ConnectionThreads runs as many connections at once as it is allowed, and
//    queues (never drops) the rest.
#include <gtest/gtest.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "../server/client.h"
#include "server/conn_threads.h"

using namespace canbao;
using namespace canbao::testing_server;

namespace {

// The backlog of the TCP socket listening on 127.0.0.1:port, as the kernel
// holds it (what `ss -ltn` shows as Send-Q); -1 when sock_diag is unavailable.
int listen_backlog(int port) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 r;
  } req{};
  req.nlh.nlmsg_len = sizeof(req);
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.r.sdiag_family = AF_INET;
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_states = 1u << 10;  // TCP_LISTEN
  if (send(fd, &req, sizeof(req), 0) != ssize_t(sizeof(req))) {
    close(fd);
    return -1;
  }
  int backlog = -1;
  alignas(nlmsghdr) char buf[32768];
  for (bool done = false; !done;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    int len = int(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      auto* m = reinterpret_cast<inet_diag_msg*>(NLMSG_DATA(h));
      if (ntohs(m->id.idiag_sport) == port) backlog = int(m->idiag_wqueue);  // sk_max_ack_backlog
    }
  }
  close(fd);
  return backlog;
}

int somaxconn() {
  int v = 4096;
  std::ifstream("/proc/sys/net/core/somaxconn") >> v;
  return v;
}

// Waits until `n` threads arrived, at most `limit`; false when it ran out.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  bool arrive_and_wait(int n, std::chrono::seconds limit) {
    std::unique_lock lk(m);
    if (++arrived >= n) cv.notify_all();
    return cv.wait_for(lk, limit, [&] { return arrived >= n; });
  }
};

class LoadTest : public ServerFixture {
 protected:
  std::string prefix() const override { return "sec_load_"; }
  // The server as `canbao serve` runs it (ServerFixture uses 64 threads).
  void configure(server::ServerOptions& o) override {
    static const server::ServerOptions defaults;
    o.threads = defaults.threads;
  }
};

TEST_P(LoadTest, ListeningSocketHoldsABurstOfConnections) {
  // One answer first: httplib's stop() does nothing before the accept loop
  // runs, so a test that stops the server at once could leave it accepting.
  ASSERT_EQ(Client(port).get("/api/v1/health").first, 200);
  int backlog = listen_backlog(port);
  if (backlog < 0) GTEST_SKIP() << "NETLINK_SOCK_DIAG not available here";
  // The old code: 5 (cpp-httplib's compiled CPPHTTPLIB_LISTEN_BACKLOG).
  EXPECT_GE(backlog, std::min(1024, somaxconn())) << "listen backlog of the server socket";
}

TEST_P(LoadTest, ThreeHundredKeepAliveClientsNoFailedRequest) {
  constexpr int kClients = 300, kMore = 4;
  auto admin = as("admin");
  ASSERT_FALSE(admin->cookie.empty());
  const httplib::Headers authed = {{"Cookie", admin->cookie}};

  Gate start, answered;
  std::atomic<int> failed{0}, ok{0}, unanswered_in_time{0};
  std::mutex first_m;
  std::string first_failure;
  auto fail = [&](const std::string& what) {
    ++failed;
    std::lock_guard lk(first_m);
    if (first_failure.empty()) first_failure = what;
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < kClients; ++t)
    ts.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_read_timeout(60);
      start.arrive_and_wait(kClients, std::chrono::seconds(120));  // all connect at once
      auto r = c.Get("/api/v1/health");
      if (!r || r->status != 200)
        fail(fmt::format("client {} request 1: {}", t, r ? std::to_string(r->status) : httplib::to_string(r.error())));
      else
        ++ok;
      // Every client holds its open keep-alive connection until all were
      // answered (the server's keep-alive timeout is 30 s).
      if (!answered.arrive_and_wait(kClients, std::chrono::seconds(20))) ++unanswered_in_time;
      for (int k = 0; k < kMore; ++k) {
        auto r2 = k % 2 ? c.Get("/api/v1/auth/me", authed) : c.Get("/api/v1/health");
        if (!r2 || r2->status != 200)
          fail(fmt::format("client {} request {}: {}", t, k + 2,
                           r2 ? std::to_string(r2->status) : httplib::to_string(r2.error())));
        else
          ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(failed.load(), 0) << "first: " << first_failure;
  EXPECT_EQ(ok.load(), kClients * (1 + kMore));
  EXPECT_EQ(unanswered_in_time.load(), 0)
      << "clients still waiting for their first answer while the others held their connections";
}

INSTANTIATE_TEST_SUITE_P(Engines, LoadTest, ::testing::Values("sqlite", "postgresql"));

TEST(ConnectionThreads, RunsAllowedConnectionsAtOnceAndQueuesTheRest) {
  constexpr int kJobs = 300;
  {
    // As many jobs at once as allowed: each waits for all the others.
    server::ConnectionThreads q(kJobs);
    Gate all;
    std::atomic<int> met{0};
    for (int i = 0; i < kJobs; ++i)
      q.enqueue([&] {
        if (all.arrive_and_wait(kJobs, std::chrono::seconds(60))) ++met;
      });
    q.shutdown();
    EXPECT_EQ(met.load(), kJobs);
    EXPECT_EQ(q.peak(), size_t(kJobs));
    EXPECT_EQ(q.live(), 0u);
  }
  {
    // Past the limit a job waits for a thread and still runs; shutdown drains.
    server::ConnectionThreads q(2);
    std::atomic<int> ran{0};
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    for (int i = 0; i < 50; ++i)
      q.enqueue([&] {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return open; });
        ++ran;
      });
    EXPECT_LE(q.live(), 2u);
    {
      std::lock_guard lk(m);
      open = true;
    }
    cv.notify_all();
    q.shutdown();
    EXPECT_EQ(ran.load(), 50);
    EXPECT_LE(q.peak(), 2u);
  }
  {
    // Idle threads end; the queue then starts new ones on demand.
    server::ConnectionThreads q(8, std::chrono::milliseconds(1));
    std::atomic<int> ran{0};
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 8; ++i) q.enqueue([&] { ++ran; });
      while (q.live() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    q.shutdown();
    EXPECT_EQ(ran.load(), 24);
  }
}

}  // namespace
