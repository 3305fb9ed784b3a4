// The pool-wide allocation check, like `zdb -b`: every block reachable from the active
// uberblock (pool_traverse.h) and every block still awaiting its free (deferred-free
// list, free bpobj) is claimed, DVA by DVA, against the allocations the space maps
// record (pool_space.h). In a consistent pool the two sets are equal:
//   leaked                       allocated in a space map, claimed by no block
//   referenced but not allocated claimed by a block, free in the space maps
//   double allocated             claimed by two different blocks
// A block shared by several datasets (snapshots, clones) or by dedup is one block: it is
// identified by its first DVA and its physical birth txg, and counted once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/dsl/pool_traverse.h"
#include "engine/pool/pool_impl.h"
#include "engine/pool/pool_space.h"

namespace fzfs {

struct BlockTally {
  uint64_t blocks = 0;
  uint64_t lsize = 0;
  uint64_t psize = 0;
  uint64_t asize = 0;  // over all DVAs, gang headers included
  void add(uint64_t l, uint64_t p, uint64_t a) { blocks++, lsize += l, psize += p, asize += a; }
};

struct BlockCheckReport {
  BlockTally total;                       // blocks referenced by the pool's trees
  std::map<uint8_t, BlockTally> by_type;  // ... by DMU object type
  BlockTally pending_free;                // blocks listed for freeing, still allocated
  uint64_t embedded = 0;                  // embedded block pointers (no space)
  uint64_t gang_headers = 0;
  uint64_t objsets = 0, dnodes = 0, zil_blocks = 0;

  uint64_t space_map_alloc = 0;     // sum of smp_alloc over all metaslabs
  uint64_t space_map_replayed = 0;  // bytes allocated after replaying every map (and log)
  uint64_t log_space_maps = 0, log_entries = 0;
  uint64_t claimed_bytes = 0;       // union of the ranges the blocks claim

  uint64_t leaked_bytes = 0, leaked_ranges = 0;
  uint64_t unallocated_bytes = 0, unallocated_ranges = 0;
  uint64_t double_bytes = 0, double_blocks = 0;
  std::vector<std::string> problems;  // the first few, described

  bool clean() const { return leaked_bytes == 0 && unallocated_bytes == 0 && double_bytes == 0; }
};

// The accounting behind the check, fed one block pointer at a time (the traversal's
// visitor): claims each DVA's range on its top-level vdev and, at the end, compares the
// claims with the space maps' allocations.
class BlockAccounting {
 public:
  // tops: the pool's top-level vdevs by id (for asize); space: the replayed space maps.
  BlockAccounting(std::vector<const Vdev*> tops, PoolSpace space);
  ~BlockAccounting();
  BlockAccounting(const BlockAccounting&) = delete;
  BlockAccounting& operator=(const BlockAccounting&) = delete;

  // Counts bp once; false when the same block (first DVA, physical birth) was seen.
  bool visit(const Blkptr& bp, const BlockOrigin& where);
  // Compares claims with allocations; call once, after the last visit.
  BlockCheckReport finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

Result<BlockCheckReport> check_block_allocation(PoolImpl& pool);

}  // namespace fzfs
