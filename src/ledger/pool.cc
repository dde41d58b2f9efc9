#include "ledger/pool.h"

#include <algorithm>
#include <thread>

namespace canbao::ledger {

namespace {
using Clock = std::chrono::steady_clock;

// Sleeps the next backoff step (100 ms, 200 ms, … 2 s), never past the
// deadline; false when the deadline has passed.
bool backoff(int attempt, Clock::time_point deadline) {
  auto now = Clock::now();
  if (now >= deadline) return false;
  auto step = milliseconds(std::min(2000, 100 << std::min(attempt, 5)));
  std::this_thread::sleep_for(std::min<Clock::duration>(step, deadline - now));
  return true;
}
}  // namespace

std::unique_ptr<store::Store> open_with_retry(const std::string& url, const store::OpenOptions& opt,
                                              milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  for (int attempt = 0;; ++attempt) {
    try {
      return store::open_store(url, opt);
    } catch (const store::Unavailable&) {
      if (!backoff(attempt, deadline)) throw;
    }
  }
}

void reconnect_with_retry(store::Store& s, Clock::time_point deadline) {
  for (int attempt = 0;; ++attempt) {
    try {
      s.reconnect();
      return;
    } catch (const store::Unavailable&) {
      if (!backoff(attempt, deadline)) throw;
    }
  }
}

StorePool::StorePool(std::string url, store::OpenOptions opt, size_t size, milliseconds open_wait)
    : url_(std::move(url)), opt_(opt), open_wait_(open_wait) {
  // The first connection applies pending migrations; the others only open.
  free_.push_back(open_with_retry(url_, opt_, open_wait_));
  opt_.migrate = false;
  for (size_t k = 1; k < size; ++k) free_.push_back(open_with_retry(url_, opt_, open_wait_));
}

std::unique_ptr<store::Store> StorePool::open_one() const { return open_with_retry(url_, opt_, open_wait_); }

StorePool::Lease StorePool::lease() {
  std::unique_ptr<store::Store> s;
  {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !free_.empty(); });
    s = std::move(free_.back());
    free_.pop_back();
  }
  Lease l(*this, std::move(s));  // given back even when reconnecting throws
  if (l->broken()) reconnect_with_retry(*l, Clock::now() + reconnect_wait_);
  return l;
}

void StorePool::give_back(std::unique_ptr<store::Store> s) {
  {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(s));
  }
  cv_.notify_one();
}

}  // namespace canbao::ledger
