// Space accounting and the free-or-keep decision for one head dataset's txg sync, and
// the same for the MOS (which belongs to no dataset).
//
//   block born ──► referenced, compressed, uncompressed, unique += its space
//                  dsl_dir (and each parent, as "child" space) used += space
//   block killed ─┬► born after the newest snapshot (birth > prev_snap_txg): nobody else
//                 │  holds it ─► freed; unique and the dir's "head" space shrink
//                 └► else a snapshot holds it ─► the head's dead list; the dir moves the
//                    space from "head" to "snap"; the newest snapshot's unique grows if
//                    it was the last one to hold it
//
// Deltas collect during the sync and are written into the MOS bonus buffers once, at
// finish(): per-block MOS updates would dirty the same dnodes thousands of times.
#pragma once

#include <cstdint>

#include "engine/dmu/writable_objset.h"
#include "engine/dsl/deadlist.h"
#include "engine/dsl/dsl_phys.h"

namespace fzfs {

// used/compressed/uncompressed deltas of one dsl_dir (breakdown by DdUsed).
struct DirDelta {
  int64_t used = 0, compressed = 0, uncompressed = 0;
  int64_t breakdown[kDdUsedNum] = {};
};

// Applies a delta to a dsl_dir and (as child space) to every parent up to the root.
Status apply_dir_delta(WritableObjset& mos, uint64_t dir_obj, const DirDelta& d);

class HeadDatasetSync {
 public:
  // Reads the head dataset `ds_obj` (and what it needs of its snapshot and origin).
  static Result<HeadDatasetSync> begin(WritableObjset& mos, uint64_t ds_obj);

  void born(const BlockSpace& s);
  // True when the caller frees the block now; false when it went to the dead list.
  Result<bool> kill(const Blkptr& bp, const BlockSpace& s);
  // Writes the new root bp and the space deltas into the MOS.
  Status finish(const Blkptr& root);

  const DslDatasetPhys& phys() const { return ds_; }

 private:
  HeadDatasetSync(WritableObjset& mos) : mos_(&mos) {}

  WritableObjset* mos_;
  uint64_t ds_obj_ = 0;
  DslDatasetPhys ds_;
  uint64_t origin_txg_ = 0;
  bool prev_is_newest_ = false;  // the newest snapshot's next_snap_obj is this head
  uint64_t prev_prev_snap_txg_ = 0;
  int64_t referenced_ = 0, compressed_ = 0, uncompressed_ = 0, unique_ = 0;
  int64_t prev_unique_ = 0;
  DirDelta dir_;
};

}  // namespace fzfs
