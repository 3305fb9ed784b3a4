// A bounded queue of background jobs served by a few threads, started on first use.
// For I/O that may help later but nobody waits for (read-ahead): when the queue is full a
// job is refused rather than queued, so a burst never builds an unbounded backlog.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fzfs {

class WorkQueue {
 public:
  WorkQueue(size_t threads, size_t max_queued) : threads_(threads), max_queued_(max_queued) {}
  // Waits for the running jobs, drops the queued ones.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False (and the job is dropped) when max_queued jobs are already waiting.
  bool submit(std::function<void()> job);

 private:
  void work();

  const size_t threads_, max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
};

}  // namespace fzfs
