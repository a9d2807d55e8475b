#include "descent/store/lease_keeper.hpp"

#include <chrono>
#include <memory>

#include "descent/store/store.hpp"

namespace descent::store {

LeaseKeeper::LeaseKeeper(std::filesystem::path store_path, std::int64_t run_id, std::string owner, double heartbeat_seconds)
    : store_path_(std::move(store_path)),
      run_id_(run_id),
      owner_(std::move(owner)),
      heartbeat_seconds_(heartbeat_seconds),
      thread_([this] { beat(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LeaseKeeper::beat() {
  std::unique_ptr<Store> store;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::duration<double>(heartbeat_seconds_), [this] { return stop_; })) {
    try {
      if (!store) store = std::make_unique<Store>(store_path_);
      if (!store->renew_lease(run_id_, owner_)) return;  // taken over: finish_run will find out
    } catch (const std::exception&) {
      // A busy or briefly unreachable store: the next beat tries again, well within the lease.
    }
  }
}

}  // namespace descent::store
