// A fixed set of worker threads for data-parallel loops (a txg's block checksums and
// compression, RAIDZ parity). One pool per process, sized to the machine's cores.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fzfs {

class TaskPool {
 public:
  // The process-wide pool (hardware_concurrency() threads, at least 1).
  static TaskPool& shared();
  explicit TaskPool(size_t threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Runs fn(i) for i in [0, n) on the workers and the calling thread; returns when all
  // are done. Calls from inside a task run inline (no nesting deadlock).
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);
  size_t threads() const { return workers_.size() + 1; }

 private:
  void work();

  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_ = 0, next_ = 0, finished_ = 0;
  uint64_t round_ = 0;
  bool stop_ = false;
  std::mutex run_mu_;  // one parallel_for at a time
};

}  // namespace fzfs
