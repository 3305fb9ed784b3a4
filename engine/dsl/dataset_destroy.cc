#include "engine/dsl/dataset_destroy.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "engine/dsl/dsl_dataset_ops.h"
#include "engine/dsl/dsl_records.h"
#include "engine/dsl/pool_traverse.h"

namespace fzfs {
Result<DestroyPlan> plan_destroy(const DslPool& dp, const std::vector<DslNode>& nodes,
                                 const std::function<uint64_t(const Blkptr&)>& dsize) {
  DestroyPlan plan;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const DslNode& n = *it;
    if (n.snapshot) continue;
    // The head and its snapshots; the oldest snapshot's prev_snap_txg is where the
    // dataset's own blocks begin (0, or its origin's txg for a clone).
    std::set<uint64_t> objsets = {n.ds_obj};
    uint64_t min_birth = n.ds.prev_snap_txg;
    for (const DslNode& s : nodes) {
      if (!s.snapshot || s.dir_obj != n.dir_obj) continue;
      objsets.insert(s.ds_obj);
      if (s.ds.prev_snap_obj == 0 || s.ds.prev_snap_obj == n.dir.origin_obj) min_birth = s.ds.prev_snap_txg;
    }
    DestroyPlan::Head h;
    h.dir_obj = n.dir_obj;
    h.ds_obj = n.ds_obj;
    // (vdev, offset, birth) of a block's first copy: a block shared by snapshots is one
    // reference; a dedup hit (same place, written again later) is another.
    std::set<std::tuple<uint64_t, uint64_t, uint64_t>> seen;
    auto visit = [&](const Blkptr& bp, const BlockOrigin& where) -> bool {
      if (where.objset == 0) return true;              // the MOS: it leads to the datasets
      if (!objsets.count(where.objset)) return false;  // another dataset: not walked
      if (where.role == BlockRole::kPendingFree) return false;
      // A gang member goes with its header: freeing a gang block frees its whole tree.
      if (where.role == BlockRole::kGangMember) return false;
      // A block born before the dataset began is the origin's, and so is all below it.
      if (bp.birth <= min_birth) return false;
      if (bp.embedded()) return true;
      // Snapshots share blocks: each is freed once, and walked once.
      if (!seen.insert({bp.dva[0].vdev(), bp.dva[0].offset(), bp.birth}).second) return false;
      BlockSpace space{dsize(bp), bp.psize(), bp.lsize()};
      h.blocks.emplace_back(bp, space);
      if (where.role != BlockRole::kZil) h.used += space.used;
      return true;
    };
    auto walked = traverse_pool(dp, visit);
    if (!walked.ok()) return std::move(walked).error().context("dataset {}", n.name);
    plan.heads.push_back(std::move(h));
  }
  return plan;
}

Status apply_destroy(WritableObjset& mos, uint64_t version, const DestroyPlan& plan) {
  FZ_TRY(auto entry, mos_zap_lookup(mos, kMosObjectDirectory, "sync_bplist"));
  if (!entry || entry->ints.empty()) return make_error(EIO, "the pool has no deferred-free list (sync_bplist)");
  const uint64_t deferred = entry->ints[0];
  for (const DestroyPlan::Head& h : plan.heads) {
    for (const auto& [bp, space] : h.blocks) FZ_CHECK(bpobj_append(mos, deferred, bp, space));
    FZ_CHECK(destroy_dataset_records(mos, version, h.dir_obj));
  }
  return Status::Ok();
}

}  // namespace fzfs
