// The file system one FUSE mount shows: a live Filesystem, the synthetic `.zfs` and
// `.zfs/snapshot` directories, and each snapshot's Filesystem, opened the first time
// `.zfs/snapshot/NAME` is looked up. Speaks node ids (see node_id.h) and engine types;
// the libfuse glue lives in fuse_ops.cc. Changes go to the live file system only:
// snapshots and `.zfs` answer EROFS, and a change spanning two trees EXDEV.
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
#include "fuse/lookup_counts.h"
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

// Who asks for a change (fuse_req_ctx): new files get this owner, and the umask.
struct Caller {
  uint32_t uid = 0, gid = 0;
  uint32_t umask = 0;
};

class FuseFs {
 public:
  FuseFs(std::shared_ptr<Filesystem> live, SnapshotSource snapshots, bool snapdir_visible);

  const std::string& dataset_name() const { return live_->dataset_name(); }
  bool readonly() const { return live_->readonly(); }
  // Whether the node may change while mounted (its tree is writable): the kernel must
  // then not cache its name, attributes or listing for long.
  bool mutable_node(uint64_t id);
  // Kernel write-back caching of file data (see fuse_mount.h); set before mounting.
  bool writeback_cache() const { return writeback_cache_; }
  void set_writeback_cache(bool on) { writeback_cache_ = on; }

  Result<Node> lookup(uint64_t parent, std::string_view name);
  Result<Attr> getattr(uint64_t id);
  // The whole listing, "." and ".." first, so a directory handle can keep it.
  Result<std::vector<Listed>> list(uint64_t dir);
  Result<size_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out);
  Result<std::string> readlink(uint64_t id);
  Result<std::vector<std::string>> listxattr(uint64_t id);
  Result<std::vector<uint8_t>> getxattr(uint64_t id, std::string_view name);
  Result<FsStat> statfs();

  // ---- changes; new nodes come back with their id ------------------------------------
  // Regular files, FIFOs, sockets and devices (mode carries the type; 0 means regular).
  Result<Node> create(uint64_t parent, std::string_view name, uint32_t mode, uint64_t rdev,
                      const Caller& c);
  Result<Node> mkdir(uint64_t parent, std::string_view name, uint32_t mode, const Caller& c);
  Result<Node> symlink(uint64_t parent, std::string_view name, std::string_view target,
                       const Caller& c);
  Result<Node> link(uint64_t id, uint64_t newparent, std::string_view newname);
  Status unlink(uint64_t parent, std::string_view name);
  Status rmdir(uint64_t parent, std::string_view name);
  Status rename(uint64_t parent, std::string_view name, uint64_t newparent,
                std::string_view newname, unsigned flags);
  Result<Attr> setattr(uint64_t id, const SetAttr& a);
  Result<size_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data);
  Status fsync(uint64_t id, bool datasync);
  Status setxattr(uint64_t id, std::string_view name, std::span<const uint8_t> value, int flags);
  Status removexattr(uint64_t id, std::string_view name);

  // ---- lookup counts (see lookup_counts.h) --------------------------------------------
  // Call before every reply that hands the kernel a node; undo with forget(id, 1) when
  // that reply fails.
  void remember(uint64_t id) { lookups_.add(id); }
  // The kernel dropped n references; at zero the file system hears forget(object).
  void forget(uint64_t id, uint64_t n);
  // The session ended: every node still referenced is forgotten, then a writable live
  // file system is synced (unmount flushes everything).
  void shutdown();
  uint64_t lookup_count(uint64_t id) const { return lookups_.count(id); }
  uint64_t lookup_overdrops() const { return lookups_.overdrops(); }

  // Directory handles: the listing taken at opendir, kept so offsets stay stable across
  // readdir calls. Owned here, so listings the kernel never released (a mount torn down
  // with directories open) are freed with the file system.
  uint64_t open_handle(std::vector<Listed> listing);
  // The listing to read from `off`. A mutable directory read again from offset 0 (after
  // rewinddir) is listed anew, as POSIX asks; the listing taken at opendir serves the
  // first pass.
  Result<const std::vector<Listed>*> listing_at(uint64_t fh, uint64_t dir, int64_t off);
  void close_handle(uint64_t fh);

 private:
  struct Object {
    std::shared_ptr<Filesystem> fs;  // null for .zfs and .zfs/snapshot
    NodeRef ref;
  };
  struct Handle {
    std::unique_ptr<const std::vector<Listed>> listing;
    bool fresh = true;  // not read from offset 0 yet
  };
  Result<Object> resolve(uint64_t id);
  // A node that may be changed: real, in a writable tree (else EROFS).
  Result<Object> writable(uint64_t id);
  // A writable directory to add or remove `name` in (ENAMETOOLONG past 255 bytes).
  Result<Object> writable_dir(uint64_t id, std::string_view name);
  // EXDEV unless both nodes are in one tree.
  Status same_tree(uint64_t a, uint64_t b);
  // The owner of a new entry in dir: the caller, with the directory's group when the
  // directory is setgid (the POSIX/ZFS rule; *setgid_dir tells which).
  Result<Creds> owner_in(const Object& dir, const Caller& c, bool* setgid_dir);
  Result<Node> new_node(const Object& dir, Result<Attr> made);
  void release(uint64_t id);  // the kernel holds no more references to id
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
  std::unordered_map<uint64_t, Handle> handles_;
  LookupCounts lookups_;
  bool writeback_cache_ = false;
};

}  // namespace fzfs::fuse
