// zfs destroy of file systems and their snapshots: what it frees and how.
//
//   plan (read from the last synced DSL):
//     for each file system, deepest first: every block of its head's and its snapshots'
//     objsets born after the dataset began (a clone's origin keeps the blocks it shares),
//     each block once,
//     the intent log blocks included (a gang block's members go with its header)
//   apply (in the open txg):
//     each block ─► the pool's deferred-free list (MOS object directory "sync_bplist"),
//                   which every ZFS frees at its next txg sync; until then the blocks
//                   stay allocated in the space maps (nothing can reuse them early)
//     destroy_dataset_records(dir) ─► MOS objects gone, the parent gives up the space
//
// The caller makes sure none of the heads has changes that are not synced (an open,
// dirty objset would hold blocks the plan cannot see).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/dmu/writable_objset.h"
#include "engine/dsl/deadlist.h"
#include "engine/dsl/dsl_pool.h"

namespace fzfs {

struct DestroyPlan {
  struct Head {
    uint64_t dir_obj = 0;
    uint64_t ds_obj = 0;
    std::vector<std::pair<Blkptr, BlockSpace>> blocks;  // the blocks it alone holds
    uint64_t used = 0;                                   // their space as the DSL counts it
  };
  std::vector<Head> heads;  // in destroy order: children before parents
};

// `nodes` are the file systems to destroy and all their snapshots, parents first, as
// DslPool::walk lists them (the caller has refused snapshots with clones or holds).
// `dsize` is a block's deflated allocated size (the pool's rule for raidz).
Result<DestroyPlan> plan_destroy(const DslPool& dp, const std::vector<DslNode>& nodes,
                                 const std::function<uint64_t(const Blkptr&)>& dsize);

Status apply_destroy(WritableObjset& mos, uint64_t version, const DestroyPlan& plan);

}  // namespace fzfs
