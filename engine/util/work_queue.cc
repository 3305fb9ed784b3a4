#include "engine/util/work_queue.h"

namespace fzfs {

WorkQueue::~WorkQueue() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool WorkQueue::submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stop_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
    if (workers_.empty())
      for (size_t i = 0; i < threads_; i++) workers_.emplace_back([this] { work(); });
  }
  cv_.notify_one();
  return true;
}

void WorkQueue::work() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    l.unlock();
    job();
    l.lock();
  }
}

}  // namespace fzfs
