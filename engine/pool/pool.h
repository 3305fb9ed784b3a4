// The engine's front door: discover and import pools, list datasets with properties,
// and open a dataset's file system. The daemon, the FUSE layer and the tools use only
// this header (and filesystem.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/dsl/prop_value.h"
#include "engine/pool/filesystem.h"
#include "engine/util/status.h"

namespace fzfs {

enum class DatasetType { kFilesystem, kSnapshot, kVolume, kBookmark };
inline const char* to_string(DatasetType t) {
  switch (t) {
    case DatasetType::kFilesystem: return "filesystem";
    case DatasetType::kSnapshot: return "snapshot";
    case DatasetType::kVolume: return "volume";
    case DatasetType::kBookmark: return "bookmark";
  }
  return "unknown";
}

struct DatasetInfo {
  std::string name;  // "tank/home", "tank/home@snap"
  DatasetType type = DatasetType::kFilesystem;
  uint64_t dsobj = 0;  // MOS object of the dsl_dataset
  // Every property `zfs get all` lists for it, by name (user properties included).
  std::map<std::string, PropValue> props;
};

// One node of `zpool status`'s config tree.
struct VdevStatusNode {
  std::string name;    // "tank", "mirror-0", "raidz2-0", "/path/A"
  std::string state;   // "ONLINE", "DEGRADED", "UNAVAIL", "FAULTED"
  uint64_t read_errors = 0, write_errors = 0, cksum_errors = 0;
  std::string note;     // after the counters: "was /dev/sdb" for a missing device
  std::vector<VdevStatusNode> children;
};

// The "status:" and "action:" paragraphs `zpool status` prints for an unhealthy pool
// (both empty for a healthy one).
struct HealthReport {
  std::string status;
  std::string action;
};

// A pool found by discovery (what `zpool import` lists).
struct ImportCandidate {
  std::string name;
  uint64_t guid = 0;
  uint64_t version = 0;
  std::string state;   // "ONLINE", "DEGRADED", "UNAVAIL", "FAULTED"
  std::string action;  // the "action:" text zpool prints
  std::string status;  // the "status:" text, empty if none
  VdevStatusNode config;
  std::vector<std::string> device_paths;  // devices that belong to it
};

struct ImportOptions {
  std::vector<std::string> search_dirs;  // -d DIR (files and block devices in them)
  std::string pool;                      // name or decimal guid
  bool readonly = true;
  bool force = false;                    // -f
  // Tests only: read blocks without verifying checksums, so damaged metadata reaches
  // the parsers (which must fail cleanly).
  bool verify_checksums = true;
};

// `zpool create`'s arguments.
struct CreateOptions {
  std::string pool;
  std::vector<std::string> vdevs;                 // "mirror", "/d/a", "/d/b", "raidz2", ...
  std::map<std::string, std::string> pool_props;  // -o version=N, ashift=9|12, autoexpand=on
  std::map<std::string, std::string> fs_props;    // -O PROP=VAL for the root file system
  std::string mountpoint;                         // -m (empty: /POOL)
  bool force = false;                             // -f
  bool dry_run = false;                           // -n: validate and describe only
};

class Pool {
 public:
  // Creates a pool on the devices (files or block devices) and leaves it exported, so
  // that Pool::import (or zfs-fuse) can take it. With dry_run, returns the layout zpool
  // create -n would print and writes nothing. Errors carry zpool's messages.
  static Result<std::string> create(const CreateOptions& opts);

  virtual ~Pool() = default;

  // Scans the directories (or device files given directly) for pool labels.
  static Result<std::vector<ImportCandidate>> discover(const std::vector<std::string>& dirs);
  // Opens a pool: labels, uberblock, MOS, config, feature check. Takes an exclusive lock
  // on every device. Refuses unsupported versions and features with a message naming them.
  static Result<std::unique_ptr<Pool>> import(const ImportOptions& opts);

  virtual const std::string& name() const = 0;
  virtual uint64_t guid() const = 0;
  virtual uint64_t version() const = 0;
  virtual bool readonly() const = 0;

  // `zpool get all`: every pool property (size, capacity, health, guid, version,
  // altroot is the caller's, feature@... for v5000 pools).
  virtual std::map<std::string, PropValue> properties() = 0;
  // `zpool list` columns are among properties(): size, alloc, free, cap, health...
  virtual VdevStatusNode status() = 0;  // config tree with live error counters
  virtual std::string health() = 0;     // "ONLINE", "DEGRADED", ...
  virtual HealthReport health_report() { return {}; }

  // Every dataset, snapshot and volume, in `zfs list` order (parents before children,
  // a dataset's snapshots right after it, by creation txg).
  virtual Result<std::vector<DatasetInfo>> datasets() = 0;
  // Opens the ZPL file system of a filesystem dataset or snapshot ("tank/a@s").
  virtual Result<std::shared_ptr<Filesystem>> open_filesystem(const std::string& name) = 0;
  // Snapshot names (the part after '@') of a dataset, in creation order.
  virtual Result<std::vector<std::string>> snapshots_of(const std::string& dataset) = 0;

  // ---- dataset and property changes (read-write pools; EROFS otherwise) ------------------
  // zfs create [-p] [-o PROP=VAL]... NAME: a file system with its properties.
  virtual Status create_dataset(const std::string& name, const std::map<std::string, std::string>& props,
                                bool parents) {
    return make_error(EROFS, "pool is read-only");
  }
  // zfs destroy [-r] NAME (EBUSY with zfs's message when it has children and !recursive).
  virtual Status destroy_dataset(const std::string& name, bool recursive) {
    return make_error(EROFS, "pool is read-only");
  }
  virtual Status rename_dataset(const std::string& from, const std::string& to) {
    return make_error(EROFS, "pool is read-only");
  }
  // zfs set / zfs inherit (user properties "module:name" included); values are checked
  // and normalized as zfs does ("compression=gzip" -> gzip-6 on disk, "quota=1G", ...).
  virtual Status set_property(const std::string& dataset, const std::string& prop, const std::string& value) {
    return make_error(EROFS, "pool is read-only");
  }
  virtual Status inherit_property(const std::string& dataset, const std::string& prop) {
    return make_error(EROFS, "pool is read-only");
  }
  // zpool set PROP=VAL POOL.
  virtual Status set_pool_property(const std::string& prop, const std::string& value) {
    return make_error(EROFS, "pool is read-only");
  }

  // Read-write pools: commits every change so far (a txg sync) and returns when it is on
  // stable storage.
  virtual Status sync() { return Status::Ok(); }
  // Commits everything and marks the pool exported in its labels; the Pool is closed
  // afterwards (every call fails).
  virtual Status export_pool() { return Status::Ok(); }
  // zpool destroy: commits everything and marks the pool destroyed in its labels (an
  // importer then ignores it unless asked for destroyed pools); closed afterwards.
  virtual Status destroy_pool() { return make_error(EROFS, "pool is read-only"); }
};

}  // namespace fzfs
