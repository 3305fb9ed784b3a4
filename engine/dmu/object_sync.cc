#include "engine/dmu/object_sync.h"

#include <cstring>
#include <set>

#include "engine/dmu/dmu_types.h"

namespace fzfs {
namespace {

constexpr int kMaxLevels = 10;

// Block `old` of dn's tree (or spill) was replaced by `bp`: the old block dies, the new
// one is born, and dn.used follows. Nothing changes when the writer reused the old
// block in place (both born in this txg).
void account_replacement(Dnode& dn, const Blkptr& old, const Blkptr& bp, bool reused, const SyncContext& ctx) {
  if (reused) return;
  if (!old.is_hole()) {
    dn.used -= std::min(dn.used, ctx.dsize(old));
    ctx.kill(old);
  }
  if (!bp.is_hole()) {
    dn.used += ctx.dsize(bp);
    ctx.born(bp);
  }
}

// The indirect blocks one sync touches, loaded once and patched bottom-up.
class TreeRewriter {
 public:
  TreeRewriter(Dnode& dn, const SyncContext& ctx) : dn_(dn), ctx_(ctx) {}

  Status run(const std::map<uint64_t, DirtyBlock>& dirty);

 private:
  int epbs() const { return dn_.indblkshift - 7; }
  uint64_t ind_size() const { return uint64_t{1} << dn_.indblkshift; }
  Status grow_to_fit(uint64_t max_blkid);
  Result<std::vector<uint8_t>*> load(int level, uint64_t idx);
  Result<Blkptr> old_bp(int level, uint64_t idx);
  Status replace(int level, uint64_t idx, const Blkptr& bp);
  Result<Blkptr> write(std::span<const uint8_t> bytes, int level, uint64_t fill, const Blkptr& old);

  Dnode& dn_;
  const SyncContext& ctx_;
  std::map<std::pair<int, uint64_t>, std::vector<uint8_t>> ind_;  // host-order contents
  std::set<int> grown_;  // levels whose block 0 was created by growth over a live tree
};

uint64_t capacity(const Dnode& dn, int levels) {
  // Level-0 blocks addressable with `levels` levels: nblkptr * fanout^(levels-1).
  const int epbs = dn.indblkshift - 7;
  const int shift = epbs * (levels - 1);
  if (shift >= 58) return UINT64_MAX;
  return uint64_t(dn.nblkptr) << shift;
}

Status TreeRewriter::grow_to_fit(uint64_t max_blkid) {
  while (capacity(dn_, dn_.nlevels) <= max_blkid) {
    if (dn_.nlevels >= kMaxLevels) return make_error(EFBIG, "object {}: block tree too deep", dn_.object);
    if (dn_.indblkshift < 10) return make_error(EIO, "object {}: no indirect block size", dn_.object);
    // The old top level moves under a new indirect block: blkptr[i] becomes its slot i.
    std::vector<uint8_t> top(ind_size(), 0);
    bool live = false;
    for (size_t i = 0; i < dn_.blkptr.size(); i++) {
      dn_.blkptr[i].encode(top.data() + i * kBlkptrSize);
      live |= !dn_.blkptr[i].is_hole();
    }
    // The new block must be written even if no dirty block lies under it, or the old
    // tree it now holds would be lost (growth by two levels at once does that).
    if (live) grown_.insert(dn_.nlevels);
    // Indirect blocks already loaded keep their (level, index): only the top is new.
    ind_[{dn_.nlevels, 0}] = std::move(top);
    for (auto& bp : dn_.blkptr) bp = Blkptr{};
    dn_.nlevels++;
  }
  return Status::Ok();
}

Result<Blkptr> TreeRewriter::old_bp(int level, uint64_t idx) {
  if (level == dn_.nlevels - 1) {
    if (idx >= dn_.blkptr.size()) return make_error(EIO, "object {}: top index {} out of range", dn_.object, idx);
    return dn_.blkptr[idx];
  }
  FZ_TRY(std::vector<uint8_t>* parent, load(level + 1, idx >> epbs()));
  uint64_t slot = idx & ((uint64_t{1} << epbs()) - 1);
  return Blkptr::decode_native(parent->data() + slot * kBlkptrSize);
}

Result<std::vector<uint8_t>*> TreeRewriter::load(int level, uint64_t idx) {
  auto it = ind_.find({level, idx});
  if (it != ind_.end()) return &it->second;
  FZ_TRY(Blkptr bp, old_bp(level, idx));
  std::vector<uint8_t> content(ind_size(), 0);
  if (!bp.is_hole()) {
    FZ_TRY(BlockData data, ctx_.reader->read(bp));
    const bool little = bp.little_endian();
    const size_t n = std::min<size_t>(data->size(), content.size()) / kBlkptrSize;
    // Re-encode in host order: a foreign-endian tree is rewritten natively.
    for (size_t i = 0; i < n; i++)
      Blkptr::decode(data->data() + i * kBlkptrSize, little).encode(content.data() + i * kBlkptrSize);
  }
  return &ind_.emplace(std::make_pair(level, idx), std::move(content)).first->second;
}

Result<Blkptr> TreeRewriter::write(std::span<const uint8_t> bytes, int level, uint64_t fill, const Blkptr& old) {
  WritePolicy p = ctx_.policy(dn_, level);
  p.type = dn_.type;
  p.level = level;
  p.fill = fill;
  bool reused = false;
  FZ_TRY(Blkptr bp, ctx_.writer->write(bytes, p, ctx_.txg, old, &reused));
  account_replacement(dn_, old, bp, reused, ctx_);
  return bp;
}

Status TreeRewriter::replace(int level, uint64_t idx, const Blkptr& bp) {
  if (level == dn_.nlevels - 1) {
    dn_.blkptr[idx] = bp;
    return Status::Ok();
  }
  FZ_TRY(std::vector<uint8_t>* parent, load(level + 1, idx >> epbs()));
  uint64_t slot = idx & ((uint64_t{1} << epbs()) - 1);
  bp.encode(parent->data() + slot * kBlkptrSize);
  return Status::Ok();
}

Status TreeRewriter::run(const std::map<uint64_t, DirtyBlock>& dirty) {
  if (dirty.empty()) return Status::Ok();
  if (dn_.blkptr.size() != dn_.nblkptr) dn_.blkptr.resize(dn_.nblkptr);
  // Only data grows the tree: a hole past its reach is a hole already.
  for (auto it = dirty.rbegin(); it != dirty.rend(); ++it) {
    if (!it->second.data) continue;
    FZ_CHECK(grow_to_fit(it->first));
    break;
  }
  const uint64_t reach = capacity(dn_, dn_.nlevels);

  // Level 0: the dirty blocks are written as one batch (compression and checksums on
  // every core), then each takes its place in its parent.
  std::map<uint64_t, bool> parents;  // indices at level 1 whose contents changed
  std::vector<BlockWriter::Job> jobs;
  std::vector<uint64_t> job_blkid;
  for (const auto& [blkid, blk] : dirty) {
    if (blkid >= reach) break;
    FZ_TRY(Blkptr old, old_bp(0, blkid));
    if (!blk.data) {
      if (old.is_hole()) continue;  // a hole stays a hole
      account_replacement(dn_, old, Blkptr{}, false, ctx_);
      FZ_CHECK(replace(0, blkid, Blkptr{}));
      parents[blkid >> epbs()] = true;
      continue;
    }
    BlockWriter::Job j;
    j.logical = *blk.data;
    j.policy = ctx_.policy(dn_, 0);
    j.policy.type = dn_.type;
    j.policy.level = 0;
    j.policy.fill = blk.fill;
    j.policy.cache = dn_.type != kOtPlainFileContents && dn_.type != kOtZvol;
    j.old = old;
    jobs.push_back(std::move(j));
    job_blkid.push_back(blkid);
  }
  FZ_CHECK(ctx_.writer->write_batch(jobs, ctx_.txg));
  for (size_t i = 0; i < jobs.size(); i++) {
    const BlockWriter::Job& j = jobs[i];
    account_replacement(dn_, j.old, j.bp, j.reused, ctx_);
    FZ_CHECK(replace(0, job_blkid[i], j.bp));
    parents[job_blkid[i] >> epbs()] = true;
  }

  // Indirect levels, bottom-up: each changed block is written once, after all its
  // children have been patched into it.
  for (int level = 1; level < dn_.nlevels; level++) {
    if (grown_.count(level)) parents[0] = true;
    std::map<uint64_t, bool> next;
    for (const auto& [idx, unused] : parents) {
      FZ_TRY(std::vector<uint8_t>* content, load(level, idx));
      uint64_t fill = 0;
      for (size_t i = 0; i < content->size() / kBlkptrSize; i++) {
        Blkptr c = Blkptr::decode_native(content->data() + i * kBlkptrSize);
        if (!c.is_hole()) fill += c.fill;
      }
      FZ_TRY(Blkptr old, old_bp(level, idx));
      std::vector<uint8_t> bytes = *content;  // the writer may keep its own copy
      Blkptr bp;
      if (fill == 0 && BlockWriter::all_zero(bytes)) {
        account_replacement(dn_, old, Blkptr{}, false, ctx_);
      } else {
        FZ_TRY(bp, write(bytes, level, fill, old));
      }
      FZ_CHECK(replace(level, idx, bp));
      next[idx >> epbs()] = true;
    }
    parents = std::move(next);
  }
  return Status::Ok();
}

Status kill_subtree(const Blkptr& bp, int depth, const SyncContext& ctx) {
  if (bp.is_hole() || bp.embedded()) return Status::Ok();
  if (bp.level() > 0) {
    if (depth > kMaxLevels) return make_error(EIO, "block tree deeper than {} levels", kMaxLevels);
    FZ_TRY(BlockData data, ctx.reader->read(bp));
    for (size_t i = 0; i + kBlkptrSize <= data->size(); i += kBlkptrSize)
      FZ_CHECK(kill_subtree(Blkptr::decode(data->data() + i, bp.little_endian()), depth + 1, ctx));
  }
  ctx.kill(bp);
  return Status::Ok();
}

Status walk_level0(const Blkptr& bp, int level, uint64_t base, int epbs, BlockReader* reader, uint64_t first,
                   uint64_t last, const std::function<Status(uint64_t, const Blkptr&)>& fn) {
  if (bp.is_hole()) return Status::Ok();
  if (level == 0) return (base >= first && base <= last) ? fn(base, bp) : Status::Ok();
  const int shift = epbs * (level - 1);
  FZ_TRY(BlockData data, reader->read(bp));
  for (size_t i = 0; i * kBlkptrSize + kBlkptrSize <= data->size(); i++) {
    uint64_t child_base = base + (uint64_t(i) << shift);
    uint64_t child_end = child_base + (uint64_t{1} << shift) - 1;
    if (child_end < first || child_base > last) continue;
    Blkptr c = Blkptr::decode(data->data() + i * kBlkptrSize, bp.little_endian());
    FZ_CHECK(walk_level0(c, level - 1, child_base, epbs, reader, first, last, fn));
  }
  return Status::Ok();
}

}  // namespace

Status sync_object_tree(Dnode& dn, const std::map<uint64_t, DirtyBlock>& dirty, const SyncContext& ctx) {
  TreeRewriter rw(dn, ctx);
  Status s = rw.run(dirty);
  if (!s.ok()) return std::move(s).error().context("object {}", dn.object);
  return s;
}

WritePolicy standalone_policy(const SyncContext& ctx, uint8_t type, uint64_t fill) {
  Dnode stand_in;  // the policy is asked of a dnode of that type
  stand_in.type = type;
  WritePolicy p = ctx.policy(stand_in, 0);
  p.type = type;
  p.level = 0;
  p.fill = fill;
  return p;
}

Status sync_spill(Dnode& dn, const std::optional<std::vector<uint8_t>>& data, const SyncContext& ctx) {
  const Blkptr old = dn.spill.value_or(Blkptr{});
  Blkptr bp;
  bool reused = false;
  if (data) {
    // ZFS writes spill blocks as SA metadata whatever the object's type.
    auto written = ctx.writer->write(*data, standalone_policy(ctx, kOtSa, 1), ctx.txg, old, &reused);
    if (!written.ok()) return std::move(written).error().context("object {}: spill block", dn.object);
    bp = *written;
  }
  account_replacement(dn, old, bp, reused, ctx);
  if (bp.is_hole()) {
    dn.spill.reset();
    dn.flags &= static_cast<uint8_t>(~kDnodeFlagSpillBlkptr);
  } else {
    dn.spill = bp;
    dn.flags |= kDnodeFlagSpillBlkptr;
  }
  return Status::Ok();
}

Status kill_object_tree(const Dnode& dn, const SyncContext& ctx) {
  for (const Blkptr& bp : dn.blkptr) FZ_CHECK(kill_subtree(bp, 0, ctx));
  if (dn.spill) FZ_CHECK(kill_subtree(*dn.spill, 0, ctx));
  return Status::Ok();
}

Status for_each_level0(const Dnode& dn, BlockReader* reader, uint64_t first, uint64_t last,
                       const std::function<Status(uint64_t, const Blkptr&)>& fn) {
  if (dn.nlevels == 0) return Status::Ok();
  const int epbs = dn.nlevels > 1 ? dn.indblkshift - 7 : 0;
  const int top_shift = epbs * (dn.nlevels - 1);
  for (size_t i = 0; i < dn.blkptr.size(); i++) {
    uint64_t base = top_shift >= 64 ? 0 : uint64_t(i) << top_shift;
    if (i > 0 && top_shift >= 64) break;
    FZ_CHECK(walk_level0(dn.blkptr[i], dn.nlevels - 1, base, epbs, reader, first, last, fn));
  }
  return Status::Ok();
}

}  // namespace fzfs
