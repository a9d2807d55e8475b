// The heartbeat of a claimed run: renews the run's lease from a thread of its own, on its own
// connection to the store, however long one training step takes, until destroyed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace descent::store {

class LeaseKeeper {
public:
  // Renews `owner`'s lease on `run_id` every `heartbeat_seconds`; the lease's own length must be
  // several heartbeats, so that a busy store missing one beat does not lose the run.
  LeaseKeeper(std::filesystem::path store_path, std::int64_t run_id, std::string owner, double heartbeat_seconds);
  ~LeaseKeeper();  // stops beating and joins the thread
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

private:
  void beat();

  std::filesystem::path store_path_;
  std::int64_t run_id_;
  std::string owner_;
  double heartbeat_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: started once everything it reads is set
};

}  // namespace descent::store
