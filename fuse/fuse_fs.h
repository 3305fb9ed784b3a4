// The file system one FUSE mount shows: a live Filesystem, the synthetic `.zfs` and
// `.zfs/snapshot` directories, and each snapshot's Filesystem, opened the first time
// `.zfs/snapshot/NAME` is looked up. Speaks node ids (see node_id.h) and engine types;
// the libfuse glue lives in fuse_ops.cc.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/pool/filesystem.h"
#include "engine/util/status.h"
#include "fuse/node_id.h"

namespace fzfs::fuse {

// Where a mount finds the snapshots of its dataset (the daemon backs this by the Pool).
struct SnapshotSource {
  std::function<Result<std::vector<std::string>>()> list;  // names after '@'
  std::function<Result<std::shared_ptr<Filesystem>>(const std::string& snap)> open;
};

// A node found by lookup: its FUSE id and attributes (attr.ino is what st_ino shows).
struct Node {
  uint64_t id = 0;
  Attr attr;
};

// One directory entry as readdir reports it. id is 0 when the node has no id yet (a
// snapshot not opened so far); readdirplus then leaves it to a later lookup.
struct Listed {
  std::string name;
  uint64_t id = 0;
  uint64_t ino = 0;
  uint32_t dtype = 0;
};

class FuseFs {
 public:
  FuseFs(std::shared_ptr<Filesystem> live, SnapshotSource snapshots, bool snapdir_visible);

  const std::string& dataset_name() const { return live_->dataset_name(); }

  Result<Node> lookup(uint64_t parent, std::string_view name);
  Result<Attr> getattr(uint64_t id);
  // The whole listing, "." and ".." first, so a directory handle can keep it.
  Result<std::vector<Listed>> list(uint64_t dir);
  Result<size_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out);
  Result<std::string> readlink(uint64_t id);
  Result<std::vector<std::string>> listxattr(uint64_t id);
  Result<std::vector<uint8_t>> getxattr(uint64_t id, std::string_view name);
  Result<FsStat> statfs();

  // Directory handles: the listing taken at opendir, kept so offsets stay stable across
  // readdir calls. Owned here, so listings the kernel never released (a mount torn down
  // with directories open) are freed with the file system.
  uint64_t open_handle(std::vector<Listed> listing);
  const std::vector<Listed>* handle(uint64_t fh);
  void close_handle(uint64_t fh);

 private:
  struct Object {
    std::shared_ptr<Filesystem> fs;  // null for .zfs and .zfs/snapshot
    NodeRef ref;
  };
  Result<Object> resolve(uint64_t id);
  Result<std::shared_ptr<Filesystem>> object_fs(uint64_t id, uint64_t* obj);
  Result<uint32_t> open_snapshot(const std::string& name);
  Result<Node> node_of(const std::shared_ptr<Filesystem>& fs, NodeRef ref);
  Result<Attr> synthetic_attr(uint64_t object);
  Result<std::vector<Listed>> list_synthetic(uint64_t object);

  std::shared_ptr<Filesystem> live_;  // also trees_[0]; immutable, so read unlocked
  NodeIdMap ids_;
  SnapshotSource snapshots_;
  bool snapdir_visible_;
  std::shared_mutex mu_;  // guards trees_ and snap_trees_
  std::vector<std::shared_ptr<Filesystem>> trees_;  // [0] is the live file system
  std::map<std::string, uint32_t, std::less<>> snap_trees_;
  std::mutex handles_mu_;
  uint64_t next_handle_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<const std::vector<Listed>>> handles_;
};

}  // namespace fzfs::fuse
