// Where new blocks go. The write pipeline asks for one DVA per copy of a block; the
// spa's metaslab allocator answers from the free space its space maps describe.
#pragma once

#include <cstdint>
#include <span>

#include "engine/util/status.h"
#include "engine/zio/blkptr.h"

namespace fzfs {

class BlockAllocator {
 public:
  virtual ~BlockAllocator() = default;

  // Allocates room for one copy of a block of physical size `psize` in txg `txg`. The
  // returned DVA carries vdev id, offset and the vdev's asize for psize. Copies of one
  // block go to different top-level vdevs when the pool has several (`taken` lists the
  // DVAs the block already has). ENOSPC when no top-level vdev has room.
  virtual Result<Dva> allocate(uint64_t psize, uint64_t txg, std::span<const Dva> taken) = 0;

  // Returns a DVA's space. `birth` is the txg that allocated it: space born in the
  // syncing txg is reusable at once (nothing on disk points to it), older space only
  // after the frees of `txg` are durable and two more txgs have passed (so the pool
  // can still be opened at the last few uberblocks).
  virtual void free(const Dva& dva, uint64_t birth, uint64_t txg) = 0;
};

}  // namespace fzfs
