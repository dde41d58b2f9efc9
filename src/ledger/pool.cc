#include "ledger/pool.h"

namespace canbao::ledger {

StorePool::StorePool(std::string url, store::OpenOptions opt, size_t size) : url_(std::move(url)), opt_(opt) {
  // The first connection applies pending migrations; the others only open.
  free_.push_back(store::open_store(url_, opt_));
  opt_.migrate = false;
  for (size_t k = 1; k < size; ++k) free_.push_back(store::open_store(url_, opt_));
}

std::unique_ptr<store::Store> StorePool::open_one() const { return store::open_store(url_, opt_); }

StorePool::Lease StorePool::lease() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !free_.empty(); });
  auto s = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(s));
}

void StorePool::give_back(std::unique_ptr<store::Store> s) {
  {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(s));
  }
  cv_.notify_one();
}

}  // namespace canbao::ledger
