// The HTTP server's connection threads (issue 11, failed requests under load).
//
// cpp-httplib serves a keep-alive connection on one thread for the
// connection's whole life. Its own ThreadPool starts a fixed number of
// threads; connection N+1 then waits in the queue, unread, until some other
// client closes — a phone that sent its payment gets no answer (and, after
// its read timeout, an error for a payment that may land later). This queue
// instead starts a thread for a connection at once when none is idle, up to
// `max` threads, and lets a thread that stayed idle for `idle` end, so the
// resting server holds only the threads its connections need.
#pragma once
#include <httplib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <system_error>
#include <thread>

namespace canbao::server {

// The listening socket's backlog (connections the kernel completes before
// accept); the kernel caps it at net.core.somaxconn (4096 since Linux 5.4).
inline constexpr int kListenBacklog = 4096;

// Every connection holds a descriptor: raise the soft RLIMIT_NOFILE (1024 in
// a Debian login shell) towards the hard limit so `want` fit; accept() would
// otherwise fail with EMFILE and httplib leaves the connection in the backlog.
inline void raise_open_files_limit(size_t want) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= want) return;
  r.rlim_cur = r.rlim_max == RLIM_INFINITY ? rlim_t(want) : std::min<rlim_t>(r.rlim_max, want);
  setrlimit(RLIMIT_NOFILE, &r);
}

class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max, std::chrono::milliseconds idle = std::chrono::seconds(60))
      : max_(max == 0 ? 1 : max), idle_timeout_(idle) {}
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;
  ~ConnectionThreads() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::list<std::thread> done;
    {
      std::lock_guard lk(m_);
      jobs_.push_back(std::move(fn));
      // A job per idle thread is already promised; start one more thread
      // for every job beyond those (up to max_; past it the job waits).
      if (jobs_.size() > idle_ && live_ < max_) {
        threads_.emplace_back();
        auto self = std::prev(threads_.end());
        try {
          *self = std::thread([this, self] { work(self); });
          ++live_;
          if (live_ > peak_) peak_ = live_;
        } catch (const std::system_error&) {
          // No thread to be had (EAGAIN: process or memory limits): the job
          // waits for a running thread, as with a fixed pool.
          threads_.erase(self);
        }
      }
      done.swap(finished_);
    }
    cv_.notify_one();
    for (auto& t : done) t.join();
  }

  // Runs every queued job (in-flight connections finish), then joins.
  void shutdown() override {
    std::unique_lock lk(m_);
    shutdown_ = true;
    cv_.notify_all();
    cv_done_.wait(lk, [&] { return live_ == 0; });
    auto all = std::move(threads_);
    all.splice(all.end(), finished_);
    lk.unlock();
    for (auto& t : all)
      if (t.joinable()) t.join();
  }

  size_t live() const {
    std::lock_guard lk(m_);
    return live_;
  }
  size_t peak() const {
    std::lock_guard lk(m_);
    return peak_;
  }

 private:
  void work(std::list<std::thread>::iterator self) {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lk(m_);
        ++idle_;
        cv_.wait_for(lk, idle_timeout_, [&] { return !jobs_.empty() || shutdown_; });
        --idle_;
        if (jobs_.empty()) {
          // Shut down, or idle for idle_timeout_: end; the next enqueue (or
          // shutdown) joins this thread.
          finished_.splice(finished_.end(), threads_, self);
          if (--live_ == 0) cv_done_.notify_all();
          return;
        }
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }

  const size_t max_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex m_;
  std::condition_variable cv_, cv_done_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> threads_, finished_;
  size_t live_ = 0, idle_ = 0, peak_ = 0;
  bool shutdown_ = false;
};

}  // namespace canbao::server
