// A fixed pool of store connections for request threads (SQLite connections
// are single-threaded; PostgreSQL connections too). lease() blocks until a
// connection is free; the Lease gives it back when it goes out of scope.
//
// Broken connections (PostgreSQL fail-over, server restart): a connection
// whose last statement threw store::Unavailable, or that the server closed
// while it sat idle in the pool, is reconnected by lease() before it is
// handed out (same URL: a multi-host URL finds the new primary), retrying with
// backoff for up to reconnect_wait(); when the database is still unreachable
// then, lease() throws store::Unavailable (retry later) and keeps
// the connection for the next try. Opening the pool retries the same way for
// up to open_wait, so `canbao serve` may start while PostgreSQL is starting.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace canbao::ledger {

using std::chrono::milliseconds;

// Opens a store, retrying while it throws store::Unavailable (backoff from
// 100 ms doubling to 2 s) until `wait` has passed; then the last error is thrown.
std::unique_ptr<store::Store> open_with_retry(const std::string& url, const store::OpenOptions& opt,
                                              milliseconds wait);
// s.reconnect(), retrying the same way until `deadline`.
void reconnect_with_retry(store::Store& s, std::chrono::steady_clock::time_point deadline);

class StorePool {
 public:
  StorePool(std::string url, store::OpenOptions opt, size_t size, milliseconds open_wait = milliseconds(10000));
  const std::string& url() const { return url_; }
  const store::OpenOptions& options() const { return opt_; }
  // Opens one more connection with the same options (e.g. the ledger writer's).
  std::unique_ptr<store::Store> open_one() const;
  // How long lease() tries to reconnect a broken connection (default 5 s).
  milliseconds reconnect_wait() const { return reconnect_wait_; }
  void set_reconnect_wait(milliseconds w) { reconnect_wait_ = w; }

  class Lease {
   public:
    Lease(StorePool& p, std::unique_ptr<store::Store> s) : p_(&p), s_(std::move(s)) {}
    Lease(Lease&& o) noexcept = default;
    ~Lease() {
      if (s_) p_->give_back(std::move(s_));
    }
    store::Store& operator*() { return *s_; }
    store::Store* operator->() { return s_.get(); }
    store::Store& get() { return *s_; }
   private:
    StorePool* p_;
    std::unique_ptr<store::Store> s_;
  };
  // A usable connection (reconnected first when it was broken); throws
  // store::Unavailable when the database stays unreachable for reconnect_wait().
  Lease lease();

 private:
  void give_back(std::unique_ptr<store::Store> s);
  std::string url_;
  store::OpenOptions opt_;
  milliseconds open_wait_;
  milliseconds reconnect_wait_{5000};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<store::Store>> free_;
};

}  // namespace canbao::ledger
