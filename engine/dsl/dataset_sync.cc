#include "engine/dsl/dataset_sync.h"

#include <vector>

namespace fzfs {
namespace {

uint64_t add(uint64_t v, int64_t d) { return d < 0 && uint64_t(-d) > v ? 0 : v + d; }

Result<DslDatasetPhys> read_ds(WritableObjset& mos, uint64_t obj) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  auto r = DslDatasetPhys::decode(dn.bonus, true);
  if (!r.ok()) return std::move(r).error().context("dataset object {}", obj);
  return r;
}

Status write_ds(WritableObjset& mos, uint64_t obj, const DslDatasetPhys& ds) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  std::vector<uint8_t> bonus = dn.bonus;
  ds.encode(bonus);
  return mos.set_bonus(obj, bonus);
}

}  // namespace

Status apply_dir_delta(WritableObjset& mos, uint64_t dir_obj, const DirDelta& d) {
  uint64_t obj = dir_obj;
  DirDelta cur = d;
  for (int depth = 0; obj != 0; depth++) {
    if (depth > 64) return make_error(EIO, "dsl_dir {}: parent chain too long", dir_obj);
    FZ_TRY(Dnode dn, mos.dnode(obj));
    FZ_TRY(DslDirPhys dir, DslDirPhys::decode(dn.bonus, true));
    dir.used_bytes = add(dir.used_bytes, cur.used);
    dir.compressed_bytes = add(dir.compressed_bytes, cur.compressed);
    dir.uncompressed_bytes = add(dir.uncompressed_bytes, cur.uncompressed);
    if (dir.flags & kDdFlagUsedBreakdown)
      for (uint64_t i = 0; i < kDdUsedNum; i++) dir.used_breakdown[i] = add(dir.used_breakdown[i], cur.breakdown[i]);
    std::vector<uint8_t> bonus = dn.bonus;
    dir.encode(bonus);
    FZ_CHECK(mos.set_bonus(obj, bonus));
    // The parent sees all of it as its child's space.
    DirDelta up;
    up.used = cur.used, up.compressed = cur.compressed, up.uncompressed = cur.uncompressed;
    up.breakdown[kDdUsedChild] = cur.used;
    cur = up;
    obj = dir.parent_obj;
  }
  return Status::Ok();
}

Result<HeadDatasetSync> HeadDatasetSync::begin(WritableObjset& mos, uint64_t ds_obj) {
  HeadDatasetSync s(mos);
  s.ds_obj_ = ds_obj;
  FZ_TRY(s.ds_, read_ds(mos, ds_obj));
  FZ_TRY(Dnode dir_dn, mos.dnode(s.ds_.dir_obj));
  FZ_TRY(DslDirPhys dir, DslDirPhys::decode(dir_dn.bonus, true));
  if (dir.origin_obj) {
    FZ_TRY(DslDatasetPhys origin, read_ds(mos, dir.origin_obj));
    s.origin_txg_ = origin.creation_txg;
  }
  if (s.ds_.prev_snap_obj) {
    FZ_TRY(DslDatasetPhys prev, read_ds(mos, s.ds_.prev_snap_obj));
    s.prev_is_newest_ = prev.next_snap_obj == ds_obj;
    s.prev_prev_snap_txg_ = prev.prev_snap_txg;
  }
  return s;
}

void HeadDatasetSync::born(const BlockSpace& s) {
  referenced_ += s.used, compressed_ += s.compressed, uncompressed_ += s.uncompressed;
  unique_ += s.used;
  dir_.used += s.used, dir_.compressed += s.compressed, dir_.uncompressed += s.uncompressed;
  dir_.breakdown[kDdUsedHead] += s.used;
}

Result<bool> HeadDatasetSync::kill(const Blkptr& bp, const BlockSpace& s) {
  referenced_ -= s.used, compressed_ -= s.compressed, uncompressed_ -= s.uncompressed;
  if (bp.birth > ds_.prev_snap_txg) {
    unique_ -= s.used;
    dir_.used -= s.used, dir_.compressed -= s.compressed, dir_.uncompressed -= s.uncompressed;
    dir_.breakdown[kDdUsedHead] -= s.used;
    return true;
  }
  if (Status st = deadlist_insert(*mos_, ds_.deadlist_obj, bp, s); !st.ok())
    return std::move(st).error().context("dataset {}: dead list {}", ds_obj_, ds_.deadlist_obj);
  if (prev_is_newest_ && bp.birth > prev_prev_snap_txg_) prev_unique_ += s.used;
  if (bp.birth > origin_txg_) {
    dir_.breakdown[kDdUsedHead] -= s.used;
    dir_.breakdown[kDdUsedSnap] += s.used;
  }
  return false;
}

Status HeadDatasetSync::finish(const Blkptr& root) {
  FZ_TRY(ds_, read_ds(*mos_, ds_obj_));  // the dead list inserts may not touch it, but be exact
  ds_.bp = root;
  ds_.referenced_bytes = add(ds_.referenced_bytes, referenced_);
  ds_.compressed_bytes = add(ds_.compressed_bytes, compressed_);
  ds_.uncompressed_bytes = add(ds_.uncompressed_bytes, uncompressed_);
  ds_.unique_bytes = add(ds_.unique_bytes, unique_);
  FZ_CHECK(write_ds(*mos_, ds_obj_, ds_));
  if (prev_unique_) {
    FZ_TRY(DslDatasetPhys prev, read_ds(*mos_, ds_.prev_snap_obj));
    prev.unique_bytes = add(prev.unique_bytes, prev_unique_);
    FZ_CHECK(write_ds(*mos_, ds_.prev_snap_obj, prev));
  }
  FZ_CHECK(apply_dir_delta(*mos_, ds_.dir_obj, dir_));
  referenced_ = compressed_ = uncompressed_ = unique_ = prev_unique_ = 0;
  dir_ = DirDelta{};
  return Status::Ok();
}

}  // namespace fzfs
