// A pool open for writing: the open transaction group and its sync.
//
//   changes ──► dataset objsets (ZPL) and the MOS (DSL records, ZAPs) in memory
//   sync(txg):
//     1. each changed dataset: objset sync (its blocks born/killed through the DSL:
//        freed, or kept on the dead list for a snapshot), then its dsl_dataset and
//        dsl_dir records in the MOS
//     2. the MOS, in passes: sync it, append the allocations and frees it caused to
//        the metaslabs' space maps (MOS objects), which changes the MOS again; repeat
//        until a pass allocates nothing (blocks born in this txg are rewritten in place)
//     3. the uberblock for txg (and the labels when the config changed) on every leaf
//     4. frees of txg - 2 become allocatable
//
// Not thread-safe: the pool facade serializes every call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "engine/dmu/writable_objset.h"
#include "engine/dsl/dsl_pool.h"
#include "engine/pool/write_policy.h"
#include "engine/spa/label_sync.h"
#include "engine/spa/metaslab_allocator.h"
#include "engine/spa/spa.h"

namespace fzfs {

struct WritablePoolOptions {
  // Label nvlist per leaf guid as found on disk; each sync that rewrites labels stores
  // it with the new txg and state.
  std::map<uint64_t, NvList> leaf_labels;
  bool lz4_active = false;
};

class WritablePool {
 public:
  // Opens the pool at the MOS `dp` was opened at: replays the space maps into the
  // allocator and continues from the uberblock's txg.
  static Result<std::unique_ptr<WritablePool>> open(Spa& spa, const DslPool& dp, WritablePoolOptions opts);

  // A new pool on `spa` (whose devices carry fresh labels and no uberblock): every
  // metaslab empty, an empty MOS of `version` to fill in, txg `txg` open. The caller
  // creates the MOS objects, the metaslab arrays (set_metaslab_array) and datasets,
  // then calls sync() to write the first uberblock.
  static Result<std::unique_ptr<WritablePool>> create_new(Spa& spa, uint64_t version, uint64_t txg,
                                                          WritablePoolOptions opts);
  // The metaslab array object of a top-level vdev (a new pool's are made by the caller).
  void set_metaslab_array(uint64_t vdev, uint64_t object);
  // A head dataset whose objset was created in this txg (its dsl_dataset already in
  // the MOS): sync() writes it and stores its root bp.
  void add_new_dataset(uint64_t ds_obj, std::unique_ptr<WritableObjset> os, const DatasetWriteProps& props);
  // Whether the pool charges deflated space (the MOS directory's "deflate"), and the
  // $MOS directory to charge the MOS's own blocks to.
  void set_deflate(bool on) { deflate_ = on; }
  void set_mos_dir(uint64_t dir_obj) { mos_dir_ = dir_obj; }
  // Replaces the label configs the next label-writing sync stores (pool creation: the
  // configs name the metaslab arrays only once the MOS objects exist).
  void set_leaf_labels(std::map<uint64_t, NvList> labels) { opts_.leaf_labels = std::move(labels); }

  uint64_t open_txg() const { return txg_; }
  uint64_t version() const { return version_; }
  WritableObjset& mos() { return *mos_; }
  BlockReader* reader() { return spa_->reader(); }

  // A head dataset's objset, open for change (loaded on first use). `props` are its
  // write properties (the caller resolves inheritance).
  Result<WritableObjset*> dataset(uint64_t ds_obj, const DatasetWriteProps& props);
  void set_dataset_props(uint64_t ds_obj, const DatasetWriteProps& props);
  // The dataset's objset if it is open for change, else null.
  WritableObjset* dataset_if_open(uint64_t ds_obj) {
    auto it = datasets_.find(ds_obj);
    return it == datasets_.end() ? nullptr : it->second.os.get();
  }

  // Bytes of changes waiting for the next sync (the dirty-data limit looks at this).
  uint64_t dirty_bytes() const;
  bool dirty() const;

  // Commits the open txg. `state` set: rewrite every label with that pool state (the
  // first sync after import, export).
  Status sync(std::optional<uint64_t> label_state = std::nullopt);

  SpaceTotals space() const { return alloc_->pool_space(); }
  const Uberblock& uberblock() const { return ub_; }

 private:
  WritablePool() = default;
  SyncContext context(bool mos_rules, const DatasetWriteProps& props, int pass);
  uint64_t dsize(const Blkptr& bp) const;
  Status sync_datasets();
  Status free_deferred();
  Status sync_mos();
  Status append_space_maps(int pass, bool* appended);
  Status apply_mos_space();

  Spa* spa_ = nullptr;
  uint64_t version_ = 0;
  uint64_t txg_ = 0;  // the open txg
  Uberblock ub_;      // the last committed uberblock
  WritablePoolOptions opts_;
  std::unique_ptr<MetaslabAllocator> alloc_;
  std::unique_ptr<BlockWriter> writer_;
  std::unique_ptr<WritableObjset> mos_;
  std::vector<uint64_t> deflate_ratio_;  // per top-level vdev (512 = no deflation)
  std::vector<uint64_t> ms_array_;       // metaslab array object per top-level vdev
  bool deflate_ = false;                 // pool charges deflated space (v3+)
  int max_copies_ = 3;
  uint64_t mos_dir_ = 0;                 // the $MOS dsl_dir (0 before v11)
  int64_t mos_used_ = 0, mos_comp_ = 0, mos_uncomp_ = 0;  // not yet charged to $MOS

  struct OpenDataset {
    std::unique_ptr<WritableObjset> os;
    DatasetWriteProps props;
  };
  std::map<uint64_t, OpenDataset> datasets_;
};

}  // namespace fzfs
