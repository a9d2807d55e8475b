// Independent tasks on a few threads: work(i) for every i in [0, count), each index run exactly
// once, handed out in order as threads free up (tasks of unequal length balance themselves). The
// caller keeps each task's result at its own index, so what comes out does not depend on the
// thread count. An exception thrown by a task stops the handing out; the first one is rethrown
// on the calling thread once every thread has stopped.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace descent {

template <typename Work>
void parallel_for(std::int64_t count, std::int64_t threads, const Work& work) {
  const std::int64_t workers = std::min(std::max<std::int64_t>(threads, 1), count);
  if (workers <= 1) {
    for (std::int64_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::atomic<std::int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto run = [&] {
    for (std::int64_t i = next++; i < count; i = next++) {
      try {
        work(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = count;
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::int64_t w = 1; w < workers; ++w) pool.emplace_back(run);
  run();
  for (std::thread& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace descent
