// The DSL's on-disk records, kept in the bonus buffers of MOS objects.
//
// dsl_dir_phys (bonus of a DSL_DIR object; one per dataset name, snapshots excluded):
//   0 creation_time  8 head_dataset_obj  16 parent_obj  24 origin_obj (clones)
//  32 child_dir_zapobj (name -> child dir)  40 used_bytes  48 compressed_bytes
//  56 uncompressed_bytes  64 quota  72 reserved  80 props_zapobj  88 deleg_zapobj
//  96 flags  104 used_breakdown[5] (head, snap, child, child_rsrv, refrsrv)  144 clones
//
// dsl_dataset_phys (bonus of a DSL_DATASET object; the head or a snapshot):
//   0 dir_obj  8 prev_snap_obj  16 prev_snap_txg  24 next_snap_obj
//  32 snapnames_zapobj (name -> snapshot dataset; heads only)  40 num_children
//  48 creation_time  56 creation_txg  64 deadlist_obj  72 referenced_bytes
//  80 compressed_bytes  88 uncompressed_bytes  96 unique_bytes  104 fsid_guid
// 112 guid  120 flags  128 bp (blkptr of the objset)  256 next_clones_obj
// 264 props_obj (snapshots' own props)  272 userrefs_obj
#pragma once

#include <cstdint>
#include <span>

#include "engine/util/status.h"
#include "engine/zio/blkptr.h"

namespace fzfs {

inline constexpr uint64_t kDdUsedNum = 5;
enum DdUsed { kDdUsedHead = 0, kDdUsedSnap = 1, kDdUsedChild = 2, kDdUsedChildRsrv = 3, kDdUsedRefRsrv = 4 };
inline constexpr uint64_t kDdFlagUsedBreakdown = 1;

struct DslDirPhys {
  uint64_t creation_time = 0, head_dataset_obj = 0, parent_obj = 0, origin_obj = 0;
  uint64_t child_dir_zapobj = 0, used_bytes = 0, compressed_bytes = 0, uncompressed_bytes = 0;
  uint64_t quota = 0, reserved = 0, props_zapobj = 0, deleg_zapobj = 0, flags = 0;
  uint64_t used_breakdown[kDdUsedNum] = {};
  uint64_t clones = 0;
  static Result<DslDirPhys> decode(std::span<const uint8_t> bonus, bool little);
  // Writes the fields into a host-order bonus of at least 152 bytes (the rest is kept).
  void encode(std::span<uint8_t> bonus) const;
};

struct DslDatasetPhys {
  uint64_t dir_obj = 0, prev_snap_obj = 0, prev_snap_txg = 0, next_snap_obj = 0;
  uint64_t snapnames_zapobj = 0, num_children = 0, creation_time = 0, creation_txg = 0;
  uint64_t deadlist_obj = 0, referenced_bytes = 0, compressed_bytes = 0, uncompressed_bytes = 0;
  uint64_t unique_bytes = 0, fsid_guid = 0, guid = 0, flags = 0;
  Blkptr bp;
  uint64_t next_clones_obj = 0, props_obj = 0, userrefs_obj = 0;
  static Result<DslDatasetPhys> decode(std::span<const uint8_t> bonus, bool little);
  // Writes the fields into a host-order bonus of at least 280 bytes (the rest is kept).
  void encode(std::span<uint8_t> bonus) const;
};

}  // namespace fzfs
