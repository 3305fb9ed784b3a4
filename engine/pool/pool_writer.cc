#include "engine/pool/pool_writer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "engine/dsl/prop_set.h"

namespace fzfs {

uint64_t PoolWriterOptions::default_dirty_max() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const uint64_t phys = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
  return std::clamp<uint64_t>(phys / 10, 64ULL << 20, 4ULL << 30);
}

Result<std::unique_ptr<PoolWriter>> PoolWriter::start(std::unique_ptr<WritablePool> wp, PoolWriterOptions opts) {
  if (opts.dirty_max == 0) opts.dirty_max = PoolWriterOptions::default_dirty_max();
  std::unique_ptr<PoolWriter> w(new PoolWriter(std::move(wp), opts));
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

PoolWriter::~PoolWriter() {
  {
    std::lock_guard<std::mutex> g(cv_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t PoolWriter::generation() const {
  std::lock_guard<std::mutex> g(cv_mu_);
  return generation_;
}

Status PoolWriter::health() const {
  std::lock_guard<std::mutex> g(cv_mu_);
  return failed_;
}

uint64_t PoolWriter::room() const {
  SpaceTotals t = wp_->space();
  // Keep back 1/32 of the pool (at least 16 MiB) so that a sync, and the frees that
  // make room, can always be written.
  const uint64_t slop = std::max<uint64_t>(t.size / 32, 16ULL << 20);
  const uint64_t free = t.free() > t.deferred ? t.free() - t.deferred : 0;
  return free > slop ? free - slop : 0;
}

uint64_t PoolWriter::sync_point() const { return std::min(opts_.dirty_max, room() / 4); }

void PoolWriter::changed() {
  if (wp_->dirty_bytes() < sync_point()) return;
  std::lock_guard<std::mutex> g(cv_mu_);
  requested_++;
  cv_.notify_all();
}

Status PoolWriter::reserve(uint64_t bytes) {
  if (Status s = health(); !s.ok()) return make_error(EIO, "pool is suspended after a failed sync: {}", s.error().message());
  if (bytes == 0) return Status::Ok();
  // Dirty data counts twice against the room left (indirect blocks, ditto copies of
  // metadata).
  if (room() < 2 * (wp_->dirty_bytes() + bytes)) return make_error(ENOSPC, "out of space");
  return Status::Ok();
}

void PoolWriter::throttle() {
  bool over;
  {
    std::shared_lock<std::shared_mutex> g(mu_);
    const uint64_t dirty = wp_->dirty_bytes();
    over = dirty > 0 && dirty >= sync_point() / 2 * 3;
  }
  if (over) (void)wait_synced();  // a failure shows in the write's reserve()
}

Status PoolWriter::wait_synced() {
  std::unique_lock<std::mutex> l(cv_mu_);
  if (!failed_.ok()) return failed_;
  const uint64_t mine = ++requested_;
  cv_.notify_all();
  done_cv_.wait(l, [&] { return covered_ >= mine || !failed_.ok() || stop_; });
  if (!failed_.ok()) return failed_;
  if (covered_ < mine) return make_error(EIO, "pool is closing");
  return Status::Ok();
}

Status PoolWriter::sync_locked(std::optional<uint64_t> label_state) {
  uint64_t covers;
  {
    std::lock_guard<std::mutex> g(cv_mu_);
    // After a failed sync the in-memory state no longer matches the disk: never write
    // again (the pool reopens at its last good txg).
    if (!failed_.ok()) return failed_;
    covers = requested_;  // every request made so far sees this sync's changes
  }
  Status s = wp_->sync(label_state);
  std::lock_guard<std::mutex> g(cv_mu_);
  if (!s.ok()) {
    if (failed_.ok()) failed_ = s;
  } else {
    covered_ = std::max(covered_, covers);
    generation_++;
  }
  done_cv_.notify_all();
  return s;
}

void PoolWriter::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> l(cv_mu_);
      cv_.wait_for(l, std::chrono::milliseconds(opts_.txg_timeout_ms),
                   [&] { return stop_ || requested_ > covered_; });
      if (stop_) return;
      if (!failed_.ok()) continue;
    }
    std::lock_guard<std::shared_mutex> g(mu_);
    if (wp_->dirty() || [&] {
          std::lock_guard<std::mutex> c(cv_mu_);
          return requested_ > covered_;
        }())
      (void)sync_locked(std::nullopt);
  }
}

Status PoolWriter::shutdown(uint64_t label_state) {
  Status s;
  {
    std::lock_guard<std::shared_mutex> g(mu_);
    s = sync_locked(label_state);
  }
  {
    std::lock_guard<std::mutex> g(cv_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  done_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return s;
}

Status DatasetTxg::reserve(uint64_t bytes) {
  FZ_CHECK(w_->reserve(bytes));
  if (bytes == 0) return Status::Ok();
  // The DSL's used bytes move only at sync: count this dataset's unsynced data too.
  auto os = w_->pool().dataset_if_open(ds_obj_);
  const uint64_t pending = os ? os->dirty_bytes() : 0;
  return check_quota(w_->pool().mos(), ds_obj_, pending + bytes);
}

}  // namespace fzfs
