#include "engine/util/task_pool.h"

namespace fzfs {
namespace {
thread_local bool in_task = false;
}  // namespace

TaskPool& TaskPool::shared() {
  static TaskPool pool(std::max(1u, std::thread::hardware_concurrency()) - 1);
  return pool;
}

TaskPool::TaskPool(size_t threads) {
  for (size_t i = 0; i < threads; i++) workers_.emplace_back([this] { work(); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void TaskPool::work() {
  in_task = true;
  uint64_t seen = 0;
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || (round_ != seen && next_ < n_); });
    if (stop_) return;
    seen = round_;
    while (next_ < n_) {
      size_t i = next_++;
      const auto* fn = fn_;
      l.unlock();
      (*fn)(i);
      l.lock();
      if (++finished_ == n_) done_cv_.notify_all();
    }
  }
}

void TaskPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (in_task || workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; i++) fn(i);
    return;
  }
  std::lock_guard<std::mutex> run(run_mu_);
  std::unique_lock<std::mutex> l(mu_);
  fn_ = &fn;
  n_ = n, next_ = 0, finished_ = 0;
  round_++;
  cv_.notify_all();
  // The caller works too.
  in_task = true;
  while (next_ < n_) {
    size_t i = next_++;
    l.unlock();
    fn(i);
    l.lock();
    finished_++;
  }
  in_task = false;
  done_cv_.wait(l, [&] { return finished_ == n_; });
  fn_ = nullptr;
  n_ = 0;
}

}  // namespace fzfs
