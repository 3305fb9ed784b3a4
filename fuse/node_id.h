// FUSE node ids for one mount: the live file system and every snapshot opened through
// .zfs/snapshot share one id space, so an id names both a tree and an object in it.
//
//    63            48 47                                        0
//   +----------------+-------------------------------------------+
//   |   tree index   |   ZFS object number (< 2^48)              |
//   +----------------+-------------------------------------------+
//
// Tree 0 is the live file system, trees 1.. are snapshots in the order they were first
// looked up. The kernel requires the mount root to be FUSE_ROOT_ID (1), so the live
// root object and live object 1 trade ids (object 1 is the ZPL master node and never
// appears in a directory, but a damaged pool must not make two nodes share an id).
// `.zfs` and `.zfs/snapshot` are synthetic objects in tree 0 at the top of the 48-bit
// range, where ZFS itself numbers them (and where no dnode can live).
#pragma once

#include <cstdint>

namespace fzfs::fuse {

inline constexpr int kObjectBits = 48;
inline constexpr uint64_t kObjectMask = (uint64_t{1} << kObjectBits) - 1;
inline constexpr uint64_t kCtlDirObject = kObjectMask;       // .zfs
inline constexpr uint64_t kSnapDirObject = kObjectMask - 2;  // .zfs/snapshot
inline constexpr uint32_t kMaxTrees = 1u << (64 - kObjectBits);

struct NodeRef {
  uint32_t tree = 0;
  uint64_t object = 0;
  bool operator==(const NodeRef&) const = default;
};

class NodeIdMap {
 public:
  explicit NodeIdMap(uint64_t live_root) : live_root_(live_root) {}

  uint64_t encode(NodeRef ref) const;
  NodeRef decode(uint64_t id) const;
  // Objects the engine may hand out: below the synthetic range.
  static bool valid_object(uint64_t obj) { return obj != 0 && obj < kSnapDirObject; }

 private:
  uint64_t live_root_;
};

}  // namespace fzfs::fuse
