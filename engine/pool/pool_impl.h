// The engine facade's implementation: a pool opened read-only through spa (devices,
// vdevs, uberblock), dsl (MOS, datasets, properties) and zpl (file systems).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/dsl/dsl_pool.h"
#include "engine/pool/pool.h"
#include "engine/pool/pool_writer.h"
#include "engine/spa/spa.h"
#include "engine/zpl/zpl_fs.h"

namespace fzfs {

class PoolImpl final : public Pool {
 public:
  static Result<std::unique_ptr<PoolImpl>> open(const PoolCandidate& cand, const ImportOptions& opts);
  // Finds the pool named by opts among the devices in opts.search_dirs and opens it.
  static Result<std::unique_ptr<PoolImpl>> import(const ImportOptions& opts);

  const std::string& name() const override { return spa_->name(); }
  uint64_t guid() const override { return spa_->guid(); }
  uint64_t version() const override { return spa_->version(); }
  bool readonly() const override { return writer_ == nullptr; }
  ~PoolImpl() override;

  std::map<std::string, PropValue> properties() override;
  VdevStatusNode status() override;
  std::string health() override;
  HealthReport health_report() override;
  Result<std::vector<DatasetInfo>> datasets() override;
  Result<std::shared_ptr<Filesystem>> open_filesystem(const std::string& name) override;
  Result<std::vector<std::string>> snapshots_of(const std::string& dataset) override;
  Status sync() override;
  Status export_pool() override;
  Status destroy_pool() override;
  // Dataset and property changes (pool_datasets.cc).
  Status create_dataset(const std::string& name, const std::map<std::string, std::string>& props,
                        bool parents) override;
  Status destroy_dataset(const std::string& name, bool recursive) override;
  Status rename_dataset(const std::string& from, const std::string& to) override;
  Status set_property(const std::string& dataset, const std::string& prop, const std::string& value) override;
  Status inherit_property(const std::string& dataset, const std::string& prop) override;
  Status set_pool_property(const std::string& prop, const std::string& value) override;

  const DslPool& dsl() const { return *dsl_; }
  Spa& spa() { return *spa_; }

 private:
  PoolImpl() = default;
  // Space the pool can give datasets: deflated capacity less allocation and slop.
  uint64_t allocated_bytes();
  uint64_t deflated_space();
  uint64_t dataset_available();
  Result<const std::vector<DslNode>*> nodes();
  Status refresh_locked();  // re-reads the DSL at the last synced txg (read-write pools)
  Status start_writing(const PoolCandidate& cand);
  Result<std::shared_ptr<Filesystem>> open_writable(const DslNode& n);
  Status check_open() const;
  Status close_as(PoolState state);

  std::unique_ptr<Spa> spa_;
  std::unique_ptr<DslPool> dsl_;
  std::mutex mu_;
  std::optional<std::vector<DslNode>> nodes_;  // a read-only pool never changes
  std::optional<uint64_t> allocated_;
  std::map<std::string, std::shared_ptr<Filesystem>> filesystems_;
  // Read-write pools only.
  std::unique_ptr<PoolWriter> writer_;
  std::map<std::string, std::unique_ptr<DatasetTxg>> dataset_txgs_;
  uint64_t dsl_generation_ = 0;  // writer generation the DSL view was read at
  bool closed_ = false;
};

// What a file system's properties (atime, relatime, xattr, readonly, recordsize) ask of
// its live mount; a property the table does not have (relatime on zfs-fuse pools) takes
// OpenZFS's default.
ZplBehaviour zpl_behaviour_of(const std::map<std::string, PropValue>& props);

// The zpool-style state of a vdev tree ("ONLINE", "DEGRADED", ...) and its status tree.
VdevStatusNode vdev_status(const Vdev& v, const std::string& pool_name);

}  // namespace fzfs
