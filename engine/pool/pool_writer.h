// The read-write life of an imported pool: the open txg and the thread that syncs it.
//
//   writers (FUSE threads, dataset commands) ── lock() ──► change the open txg
//   sync thread: every 5 s, when dirty data passes its limit, or when asked (fsync,
//   sync, export) ── lock() ──► WritablePool::sync ──► waiters whose request came
//   before the sync started are released
//
// A sync that fails (a device error) leaves the pool refusing changes (EIO), as ZFS
// suspends a pool; what was synced before stays.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "engine/pool/writable_pool.h"
#include "engine/zpl/zpl_fs.h"

namespace fzfs {

struct PoolWriterOptions {
  // Sync early past this much dirty data; 0 picks default_dirty_max(). A pool whose
  // free space is small syncs earlier still (PoolWriter::sync_point).
  uint64_t dirty_max = 0;
  int txg_timeout_ms = 5000;  // sync at least this often when dirty

  // A tenth of physical memory, kept between 64 MiB and 4 GiB: ZFS's rule for
  // zfs_dirty_data_max. A random rewrite dirties whole records, and each sync rewrites
  // every record dirtied since the last one: the more a txg holds, the fewer rewrites.
  static uint64_t default_dirty_max();
};

class PoolWriter {
 public:
  static Result<std::unique_ptr<PoolWriter>> start(std::unique_ptr<WritablePool> wp, PoolWriterOptions opts = {});
  ~PoolWriter();  // stops the thread; call shutdown() first to keep the changes

  std::shared_mutex& lock() { return mu_; }
  WritablePool& pool() { return *wp_; }  // with lock() held
  // Called with lock() held after a change.
  void changed();
  // Returns once everything changed before the call is on disk.
  Status wait_synced();
  // With lock() held: ENOSPC if `bytes` more would overfill the pool.
  Status reserve(uint64_t bytes);
  // Without lock(): once dirty data is 1.5 times the sync point, waits for a sync, so that
  // writers arriving faster than the sync thread gets the lock cannot pile up dirty
  // data until reserve() refuses them (ZFS delays writers past its dirty limit too).
  void throttle();
  // Final sync with the labels marked `label_state` (1 = exported); stops the thread.
  Status shutdown(uint64_t label_state);
  // Increments after every successful sync (readers of the MOS refresh on a change).
  uint64_t generation() const;
  Status health() const;

 private:
  PoolWriter(std::unique_ptr<WritablePool> wp, PoolWriterOptions opts) : wp_(std::move(wp)), opts_(opts) {}
  void run();
  Status sync_locked(std::optional<uint64_t> label_state);
  // Free space a sync may use: free, not deferred, less the reserve that reserve() keeps.
  uint64_t room() const;
  // The dirty bytes past which a sync starts: dirty_max, or a quarter of room() when
  // that is less, so that reserve() (which counts dirty data twice) does not refuse
  // writes that a sync would have made room for.
  uint64_t sync_point() const;

  std::unique_ptr<WritablePool> wp_;
  PoolWriterOptions opts_;
  std::shared_mutex mu_;  // the open txg: changes and syncs exclusive, reads shared

  mutable std::mutex cv_mu_;  // the fields below; never held while taking mu_
  std::condition_variable cv_, done_cv_;
  bool stop_ = false;
  uint64_t requested_ = 0;  // sync requests made
  uint64_t covered_ = 0;    // requests covered by syncs that finished
  uint64_t generation_ = 0;
  Status failed_;           // the first sync failure
  std::thread thread_;
};

// One dataset's view of the pool writer, as its ZPL file system needs it.
class DatasetTxg final : public ZplTxg {
 public:
  DatasetTxg(PoolWriter* w, uint64_t ds_obj, std::function<FsStat()> statfs) : w_(w), ds_obj_(ds_obj), statfs_(std::move(statfs)) {}
  std::shared_mutex& lock() override { return w_->lock(); }
  uint64_t open_txg() override { return w_->pool().open_txg(); }
  void changed() override { w_->changed(); }
  Status wait_synced() override { return w_->wait_synced(); }
  // Pool space first, then the dataset's quota (and its ancestors').
  Status reserve(uint64_t bytes) override;
  void throttle() override { w_->throttle(); }
  FsStat statfs() override { return statfs_(); }

 private:
  PoolWriter* w_;
  uint64_t ds_obj_;
  std::function<FsStat()> statfs_;
};

}  // namespace fzfs
