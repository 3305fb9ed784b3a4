// What the pool daemon holds: the imported Pool and one FUSE mount per mounted
// filesystem dataset. The socket protocol (protocol.h) is a thin layer over this.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/pool/pool.h"
#include "fuse/fuse_mount.h"

namespace fzfs {

class PoolService {
 public:
  // altroot ("" for none) prefixes every mountpoint, as `zpool import -R` does.
  PoolService(std::unique_ptr<Pool> pool, std::string altroot);
  ~PoolService();

  const std::string& name() const { return name_; }

  // Datasets as `zfs get` shows them here: mountpoint under the altroot, mounted
  // as this daemon knows it.
  Result<std::vector<DatasetInfo>> datasets();
  std::map<std::string, PropValue> pool_properties();
  VdevStatusNode status();
  std::string health();
  HealthReport health_report();

  // Runs fn with the pool under the pool lock; ENXIO once the pool is closed. The
  // dataset and property changes (dataset_admin.h) go through here.
  Status with_pool(const std::function<Status(Pool&)>& fn);

  Result<std::string> mount(const std::string& dataset);  // returns the mountpoint
  // Mounts every filesystem with canmount=on and a path mountpoint, parents first.
  // Returns one "cannot mount 'DS': why" line per failure.
  std::vector<std::string> mount_all();
  // The same for DATASET and its descendants only; `only`, when given, further limits
  // it to those names.
  std::vector<std::string> mount_subtree(const std::string& dataset,
                                         const std::function<bool(const std::string&)>& only = {});
  // By dataset name or mountpoint path. Without force a busy mount is EBUSY.
  Status unmount(const std::string& dataset_or_path, bool force);
  Status unmount_all(bool force);
  // Unmounts DATASET and its mounted descendants, children first. Returns the names
  // that were mounted (so a caller can mount them again), or the first failure.
  Result<std::vector<std::string>> unmount_subtree(const std::string& dataset, bool force);
  std::vector<std::pair<std::string, std::string>> mounts();  // (dataset, mountpoint)
  // Unmounts everything and closes the pool, releasing its devices: a read-write pool
  // is committed and exported (Pool::export_pool), or destroyed with `destroy`.
  Status close(bool force, bool destroy = false);

 private:
  std::string full_mountpoint(const std::string& mountpoint) const;
  void reap_dead_mounts();  // mounts ended from outside (umount by hand)
  Result<std::string> mount_locked(const DatasetInfo& ds);
  // Unmounts the named mounts, deepest mountpoint first; mounts_mu_ held.
  Status unmount_locked(std::vector<std::string> datasets, bool force);

  std::string name_;
  std::string altroot_;
  std::mutex pool_mu_;    // every Pool call: the engine facade is not promised reentrant
  std::unique_ptr<Pool> pool_;
  std::mutex mounts_mu_;  // mounts_
  std::map<std::string, std::unique_ptr<fuse::FuseMount>> mounts_;  // by dataset
};

}  // namespace fzfs
