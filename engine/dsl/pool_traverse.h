// Pool traversal: every block pointer reachable from the active uberblock, in the
// manner of `zdb -b`. Starting at the MOS root, it descends through indirect blocks,
// dnode blocks (each dnode's block tree and spill block), objset blocks (meta-dnode,
// user/group/project-used dnodes, the ZIL chain), the objset of every DSL dataset found
// in the MOS (heads, snapshots, clones, hidden ones), and the members of gang blocks.
//
//   uberblock.rootbp ─► MOS objset ─► meta-dnode tree ─► dnodes ─► their block trees
//                                           dsl_dataset bonus.bp ─► dataset objset ─► ...
//
// Separately, traverse_pending_frees() lists the blocks the pool still holds although
// nothing references them: the deferred-free list ("sync_bplist") and the free bpobj
// ("free_bpobj") of the object directory, each a bpobj of block pointers. (Dataset
// deadlists need no visit: their blocks are still referenced by older snapshots.)
//
// bpobj (MOS object; bonus bpobj_phys, data = blkptr[num_blkptrs]):
//   0 num_blkptrs  8 bytes  16 comp  24 uncomp    (old bplists end here, or after 16)
//  32 subobjs (object: u64 array of further bpobjs)  40 num_subobjs  48 num_freed
//
// ZIL header (objset_phys + 512) and the chain of log blocks it starts:
//   0 claim_txg  8 replay_seq  16 blkptr log (first block)  144 claim_blk_seq
// 152 flags  160 claim_lr_seq  168 pad[3]
//   each log block holds a zil_chain {pad u64, blkptr next, nused u64, 40-byte trailer}:
//   at its start (checksum ZILOG2) or in its last 184 bytes (checksum ZILOG). Blocks born
//   after the last synced txg are not in the space maps yet and are not visited.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/dsl/dsl_pool.h"

namespace fzfs {

enum class BlockRole {
  kTree,        // part of an objset's block trees (or an objset block)
  kGangMember,  // a child of a gang header; counted on its own
  kZil,         // an intent log block
  kPendingFree  // listed in the deferred-free list or the free bpobj
};

struct BlockOrigin {
  BlockRole role = BlockRole::kTree;
  uint64_t objset = 0;  // dataset object of the objset (0 = the MOS)
  uint64_t object = 0;  // object within it (kMetaObject for the meta-dnode)
  int level = 0;
  uint64_t blkid = 0;  // index of the block among its level's blocks
};

inline constexpr uint64_t kMetaObject = ~0ULL;

// Called for every non-hole block pointer (embedded ones included). Returning false
// skips the block's contents: a block already visited through another path (shared by
// snapshots) need not be walked again.
using BlockVisitor = std::function<bool(const Blkptr& bp, const BlockOrigin& where)>;

struct TraverseStats {
  uint64_t objsets = 0;
  uint64_t dnodes = 0;
  uint64_t zil_blocks = 0;
};

Result<TraverseStats> traverse_pool(const DslPool& dp, const BlockVisitor& visit);
Status traverse_pending_frees(const DslPool& dp, const BlockVisitor& visit);

}  // namespace fzfs
