// A fixed pool of store connections for request threads (SQLite connections
// are single-threaded; PostgreSQL connections too). lease() blocks until a
// connection is free; the Lease gives it back when it goes out of scope.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace canbao::ledger {

class StorePool {
 public:
  StorePool(std::string url, store::OpenOptions opt, size_t size);
  const std::string& url() const { return url_; }
  const store::OpenOptions& options() const { return opt_; }
  // Opens one more connection with the same options (e.g. the ledger writer's).
  std::unique_ptr<store::Store> open_one() const;

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
  Lease lease();

 private:
  void give_back(std::unique_ptr<store::Store> s);
  std::string url_;
  store::OpenOptions opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<store::Store>> free_;
};

}  // namespace canbao::ledger
