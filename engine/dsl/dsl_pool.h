// The DSL pool: the MOS opened at the chosen uberblock, its object directory (object 1:
// "root_dataset", "config", "features_for_read", ...) and the tree of DSL directories
// and datasets that names every file system, volume, snapshot and clone.
//
//   MOS object directory ──root_dataset──► dsl_dir "pool"
//        dsl_dir ──child_dir_zapobj──► { "home" ─► dsl_dir, "$MOS" ─► ..., ... }
//        dsl_dir ──head_dataset_obj──► dsl_dataset (the live file system)
//        dsl_dataset ──snapnames_zapobj──► { "snap1" ─► dsl_dataset (snapshot), ... }
//        dsl_dataset.bp ──► objset_phys of the file system
//        dsl_dir.origin_obj ──► the snapshot a clone was made from
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/dmu/objset.h"
#include "engine/dsl/dsl_phys.h"
#include "engine/spa/spa.h"
#include "engine/zap/zap.h"

namespace fzfs {

struct DslNode {
  std::string name;  // "pool/fs" or "pool/fs@snap"
  bool snapshot = false;
  uint64_t ds_obj = 0;
  uint64_t dir_obj = 0;
  DslDatasetPhys ds;
  DslDirPhys dir;
  ObjsetType os_type = ObjsetType::kNone;
  std::string origin;  // clones: the origin snapshot's name
};

class DslPool {
 public:
  // Opens the MOS at the best uberblock whose MOS and object directory read cleanly,
  // checks the pool version and features, and reads the MOS config.
  // With `only`, opens the MOS of that uberblock alone (a pool this process writes).
  static Result<std::unique_ptr<DslPool>> open(Spa* spa, const Uberblock* only = nullptr);

  Spa* spa() const { return spa_; }
  const Uberblock& uberblock() const { return ub_; }
  const Objset& mos() const { return *mos_; }
  const NvList& mos_config() const { return mos_config_; }
  uint64_t root_dir_obj() const { return root_dir_; }
  // Features the pool has active, by guid ("com.delphix:hole_birth" -> refcount).
  const std::map<std::string, uint64_t>& features() const { return features_; }
  // The object directory's entries (for fzdb).
  Result<std::vector<ZapEntry>> object_directory() const;

  Result<DslDirPhys> dir(uint64_t obj) const;
  Result<DslDatasetPhys> dataset(uint64_t obj) const;
  // The full name of a dataset object ("pool/a/b" or "pool/a@s").
  Result<std::string> dataset_name(uint64_t ds_obj) const;
  Result<std::string> dir_name(uint64_t dir_obj) const;

  // Every dataset and snapshot, in `zfs list` order: a dataset, its snapshots by
  // creation txg, then its children by name. Directories whose names start with '$'
  // ($MOS, $FREE, $ORIGIN) are internal and skipped.
  Result<std::vector<DslNode>> walk() const;
  // One dataset by name.
  Result<DslNode> find(const std::string& name) const;

  // Reads a ZAP object of the MOS.
  Result<std::vector<ZapEntry>> zap_entries(uint64_t obj) const;

 private:
  Result<DslNode> make_node(uint64_t ds_obj, std::string name, bool snapshot) const;
  Status walk_dir(uint64_t dir_obj, const std::string& name, std::vector<DslNode>* out, int depth) const;
  Status check_features();

  Spa* spa_ = nullptr;
  Uberblock ub_;
  std::shared_ptr<Objset> mos_;
  NvList mos_config_;
  uint64_t root_dir_ = 0;
  std::map<std::string, uint64_t> features_;
};

// Read features this implementation understands (any other active feature in
// features_for_read makes the pool unreadable here).
bool feature_supported_for_read(const std::string& guid);

}  // namespace fzfs
