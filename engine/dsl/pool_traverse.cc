#include "engine/dsl/pool_traverse.h"

#include <set>
#include <vector>

#include "engine/dmu/dmu_types.h"
#include "engine/dmu/u64_array.h"
#include "engine/util/byteorder.h"
#include "engine/zap/zap.h"

namespace fzfs {
namespace {

// objset_phys layout (see engine/dmu/objset.h).
constexpr uint64_t kZilHeaderOffset = 512;
constexpr uint64_t kUserUsedOffset = 1024, kGroupUsedOffset = 1536, kProjectUsedOffset = 2048;
constexpr uint64_t kProjectUsedObject = ~0ULL - 2;  // -3; user -1 and group -2 in object_store.h
// zil_header: claim_txg at 0, the first log block's bp at 16.
constexpr uint64_t kZilLogBpOffset = 16;
// zil_chain: pad u64, next blkptr, nused u64, then the 40-byte checksum trailer.
constexpr uint64_t kZilChainSize = 8 + kBlkptrSize + 8 + 40;
constexpr uint64_t kMaxZilBlocks = 1 << 20;
constexpr int kMaxLevel = 9;
constexpr int kMaxGangDepth = 8;
constexpr uint64_t kMaxBpobjDepth = 64;

class Walker {
 public:
  Walker(const DslPool& dp, const BlockVisitor& visit) : dp_(dp), reader_(dp.spa()->reader()), visit_(visit) {}

  Status objset(const Blkptr& bp, uint64_t ds_obj);
  Status datasets();
  TraverseStats stats;

  // Visits bp and, if the visitor asks, its gang members and contents.
  Status block(const Blkptr& bp, BlockOrigin where);
  // Visits a block listed for freeing: the block and its gang members, nothing below
  // (each block of a freed tree is listed on its own).
  Status listed(const Blkptr& bp, const BlockOrigin& where) {
    if (bp.is_hole() || bp.embedded() || !visit_(bp, where)) return Status::Ok();
    return gang_members(bp, where, 0);
  }
  Status gang_members(const Blkptr& bp, const BlockOrigin& where, int depth);

 private:
  Status contents(const Blkptr& bp, const BlockOrigin& where);
  Status dnode_block(const Blkptr& bp, const BlockData& data, const BlockOrigin& where);
  Status dnode(const Dnode& dn, uint64_t ds_obj);
  Status objset_contents(const Blkptr& bp, const BlockData& data, uint64_t ds_obj);
  Status zil(std::span<const uint8_t> header, bool little, uint64_t ds_obj);

  const DslPool& dp_;
  BlockReader* reader_;
  const BlockVisitor& visit_;
  std::vector<std::pair<uint64_t, Blkptr>> dataset_bps_;  // found in the MOS, walked after it
};

Status Walker::block(const Blkptr& bp, BlockOrigin where) {
  if (bp.is_hole()) return Status::Ok();
  if (!visit_(bp, where) || bp.embedded()) return Status::Ok();
  FZ_CHECK(gang_members(bp, where, 0));
  return contents(bp, where);
}

Status Walker::gang_members(const Blkptr& bp, const BlockOrigin& where, int depth) {
  for (const Dva& dva : bp.dva) {
    if (dva.asize() == 0 || !dva.gang()) continue;
    if (depth >= kMaxGangDepth) return make_error(EIO, "gang blocks nested deeper than {}", kMaxGangDepth);
    FZ_TRY(std::vector<Blkptr> children, reader_->gang_children(bp, dva));
    BlockOrigin member = where;
    member.role = BlockRole::kGangMember;
    for (const Blkptr& c : children) {
      if (c.is_hole() || c.embedded()) continue;
      if (visit_(c, member)) FZ_CHECK(gang_members(c, member, depth + 1));
    }
  }
  return Status::Ok();
}

Status Walker::contents(const Blkptr& bp, const BlockOrigin& where) {
  const bool indirect = where.level > 0;
  const bool dnodes = !indirect && bp.type() == kOtDnode;
  const bool objset = !indirect && bp.type() == kOtObjset;
  if (!indirect && !dnodes && !objset) return Status::Ok();
  auto data = reader_->read(bp);
  if (!data.ok())
    return std::move(data).error().context("objset {} object {} level {}", where.objset,
                                           where.object == kMetaObject ? std::string("meta-dnode") : std::to_string(where.object),
                                           where.level);
  if (objset) return objset_contents(bp, *data, where.objset);
  if (dnodes) return dnode_block(bp, *data, where);
  BlockOrigin child = where;
  child.level = where.level - 1;
  const uint8_t* p = (*data)->data();
  const uint64_t nptrs = (*data)->size() / kBlkptrSize;
  for (size_t off = 0; off + kBlkptrSize <= (*data)->size(); off += kBlkptrSize) {
    child.blkid = where.blkid * nptrs + off / kBlkptrSize;
    Blkptr c = Blkptr::decode(p + off, bp.little_endian());
    if (c.is_hole()) continue;
    if (!c.embedded() && c.level() != child.level)
      return make_error(EIO, "objset {} object {}: blkptr at level {} claims level {}", where.objset, where.object,
                        child.level, c.level());
    FZ_CHECK(block(c, child));
  }
  return Status::Ok();
}

Status Walker::dnode_block(const Blkptr& bp, const BlockData& data, const BlockOrigin& where) {
  const std::vector<uint8_t>& b = *data;
  const uint64_t first = where.blkid * (b.size() >> kDnodeShift);
  for (size_t off = 0; off + kDnodeSize <= b.size();) {
    if (b[off] == 0) {  // a free slot
      off += kDnodeSize;
      continue;
    }
    FZ_TRY(Dnode dn, Dnode::decode(std::span(b.data() + off, b.size() - off), bp.little_endian(), first + (off >> kDnodeShift)));
    off += dn.slot_count() * kDnodeSize;
    FZ_CHECK(dnode(dn, where.objset));
  }
  return Status::Ok();
}

Status Walker::dnode(const Dnode& dn, uint64_t ds_obj) {
  stats.dnodes++;
  if (dn.nlevels == 0 || dn.nlevels - 1 > kMaxLevel) return make_error(EIO, "dnode with {} levels", dn.nlevels);
  BlockOrigin where{BlockRole::kTree, ds_obj, dn.object, dn.nlevels - 1};
  for (size_t i = 0; i < dn.blkptr.size(); i++) {
    const Blkptr& bp = dn.blkptr[i];
    where.blkid = i;
    if (!bp.is_hole() && !bp.embedded() && bp.level() != where.level)
      return make_error(EIO, "objset {}: dnode's blkptr claims level {} of a {}-level tree", ds_obj, bp.level(),
                        dn.nlevels);
    FZ_CHECK(block(bp, where));
  }
  if (dn.spill) FZ_CHECK(block(*dn.spill, BlockOrigin{BlockRole::kTree, ds_obj, dn.object, 0, 0}));
  if (ds_obj == 0 && dn.bonustype == kOtDslDataset) {
    auto ds = DslDatasetPhys::decode(dn.bonus, dn.little);
    if (ds.ok()) dataset_bps_.emplace_back(dn.object, ds->bp);
  }
  return Status::Ok();
}

Status Walker::objset(const Blkptr& bp, uint64_t ds_obj) {
  return block(bp, BlockOrigin{BlockRole::kTree, ds_obj, kMetaObject, 0});
}

Status Walker::objset_contents(const Blkptr& bp, const BlockData& data, uint64_t ds_obj) {
  stats.objsets++;
  const std::vector<uint8_t>& b = *data;
  const bool little = bp.little_endian();
  if (b.size() < 1024) return make_error(EIO, "objset {}: objset_phys of {} bytes is too small", ds_obj, b.size());
  FZ_TRY(Dnode meta, Dnode::decode(std::span(b.data(), kDnodeSize), little, kMetaObject));
  if (meta.allocated()) FZ_CHECK(dnode(meta, ds_obj));
  FZ_CHECK(zil(std::span(b.data() + kZilHeaderOffset, kDnodeSize), little, ds_obj));
  const std::pair<uint64_t, uint64_t> extra[] = {
      {kUserUsedOffset, kUserUsedObject}, {kGroupUsedOffset, kGroupUsedObject}, {kProjectUsedOffset, kProjectUsedObject}};
  for (auto [off, obj] : extra) {
    if (off + kDnodeSize > b.size()) break;
    FZ_TRY(Dnode dn, Dnode::decode(std::span(b.data() + off, kDnodeSize), little, obj));
    if (dn.allocated()) FZ_CHECK(dnode(dn, ds_obj));
  }
  return Status::Ok();
}

// The intent log: a chain of blocks from the ZIL header, each naming the next. A
// read-only walk counts the blocks born in synced txgs (their allocations are in the
// space maps); the chain ends at the first block that does not read back, which is the
// block preallocated for the next write.
Status Walker::zil(std::span<const uint8_t> header, bool little, uint64_t ds_obj) {
  Blkptr bp = Blkptr::decode(header.data() + kZilLogBpOffset, little);
  const uint64_t synced = dp_.uberblock().txg;
  for (uint64_t n = 0; n < kMaxZilBlocks && !bp.is_hole() && !bp.embedded(); n++) {
    if (bp.physical_birth() > synced) break;
    stats.zil_blocks++;
    if (!visit_(bp, BlockOrigin{BlockRole::kZil, ds_obj, 0, 0, n})) break;
    auto data = reader_->read(bp);
    if (!data.ok()) break;
    const std::vector<uint8_t>& b = **data;
    if (b.size() < kZilChainSize) break;
    const bool at_start = bp.checksum() == ChecksumType::kZilog2;
    const uint8_t* chain = at_start ? b.data() : b.data() + b.size() - kZilChainSize;
    bp = Blkptr::decode(chain + 8, bp.little_endian());
  }
  return Status::Ok();
}

Status Walker::datasets() {
  // Dataset objsets come to light while walking the MOS; walk each once it is done.
  for (size_t i = 0; i < dataset_bps_.size(); i++) FZ_CHECK(objset(dataset_bps_[i].second, dataset_bps_[i].first));
  return Status::Ok();
}

// A bpobj: bonus bpobj_phys {num_blkptrs, bytes, comp, uncomp, subobjs, num_subobjs, ...}
// (old bplists have the first four, or two, fields); its data is num_blkptrs block
// pointers; subobjs names an object listing num_subobjs further bpobjs.
Status visit_bpobj(const DslPool& dp, uint64_t obj, Walker& w, std::set<uint64_t>* done, uint64_t depth) {
  if (depth > kMaxBpobjDepth) return make_error(ELOOP, "bpobj {}: sub-bpobjs nested deeper than {}", obj, kMaxBpobjDepth);
  // A bpobj reached twice (the shared empty bpobj, or a hostile cycle) lists nothing new.
  if (!done->insert(obj).second) return Status::Ok();
  FZ_TRY(Dnode dn, dp.mos().dnode(obj));
  if (dn.bonus.size() < 8) return make_error(EIO, "bpobj {}: bonus of {} bytes is too short", obj, dn.bonus.size());
  auto u = [&](size_t off) { return dn.bonus.size() >= off + 8 ? load_order<uint64_t>(dn.bonus.data() + off, dn.little) : 0; };
  const uint64_t count = u(0), subobjs = u(32), nsub = u(40);
  const uint64_t capacity = (dn.maxblkid + 1) * dn.data_block_size();
  if (count > capacity / kBlkptrSize) return make_error(EIO, "bpobj {}: {} block pointers cannot fit in {} bytes", obj, count, capacity);
  const uint64_t per_block = dn.data_block_size() / kBlkptrSize;
  for (uint64_t i = 0; i < count;) {
    FZ_TRY(BlockData blk, dp.mos().read_block(dn, i / per_block));
    Blkptr lbp;
    FZ_TRY(lbp, dp.mos().level0_bp(dn, i / per_block));
    const bool little = lbp.is_hole() ? dn.little : lbp.little_endian();
    for (uint64_t j = i % per_block; j < per_block && i < count; j++, i++) {
      if ((j + 1) * kBlkptrSize > blk->size()) return make_error(EIO, "bpobj {}: short block", obj);
      Blkptr bp = Blkptr::decode(blk->data() + j * kBlkptrSize, little);
      FZ_CHECK(w.listed(bp, BlockOrigin{BlockRole::kPendingFree, 0, obj, 0, i}));
    }
  }
  if (subobjs == 0 || nsub == 0) return Status::Ok();
  FZ_TRY(Dnode sub, dp.mos().dnode(subobjs));
  FZ_TRY(std::vector<uint64_t> ids, read_u64_array(dp.mos(), sub, nsub));
  for (uint64_t child : ids) {
    if (Status s = visit_bpobj(dp, child, w, done, depth + 1); !s.ok()) return std::move(s.error()).context("bpobj {}", obj);
  }
  return Status::Ok();
}

}  // namespace

Result<TraverseStats> traverse_pool(const DslPool& dp, const BlockVisitor& visit) {
  Walker w(dp, visit);
  if (Status s = w.objset(dp.uberblock().rootbp, 0); !s.ok()) return std::move(s.error()).context("MOS");
  FZ_CHECK(w.datasets());
  return w.stats;
}

Status traverse_pending_frees(const DslPool& dp, const BlockVisitor& visit) {
  Walker w(dp, visit);
  std::set<uint64_t> done;
  FZ_TRY(auto od, dp.object_directory());
  for (const ZapEntry& e : od) {
    if (e.ints.empty() || e.ints[0] == 0) continue;
    if (e.name == "sync_bplist" || e.name == "free_bpobj") {
      if (Status s = visit_bpobj(dp, e.ints[0], w, &done, 0); !s.ok()) return std::move(s.error()).context("{}", e.name);
    } else if (e.name == "bptree_obj") {
      // Datasets being destroyed in the background still hold their blocks: bptree_phys
      // {begin, end, ...} lists them, and begin == end once all are freed.
      FZ_TRY(Dnode dn, dp.mos().dnode(e.ints[0]));
      if (dn.bonus.size() < 16) return make_error(EIO, "bptree {}: bonus of {} bytes is too short", e.ints[0], dn.bonus.size());
      if (load_order<uint64_t>(dn.bonus.data(), dn.little) != load_order<uint64_t>(dn.bonus.data() + 8, dn.little))
        return make_error(ENOTSUP, "bptree {}: background destroys in progress are not supported", e.ints[0]);
    } else if (e.name == "deleted_clones") {
      // Livelists of destroyed clones whose blocks are not freed yet.
      FZ_TRY(auto clones, dp.zap_entries(e.ints[0]));
      if (!clones.empty())
        return make_error(ENOTSUP, "deleted_clones {}: livelists awaiting their free are not supported", e.ints[0]);
    }
  }
  return Status::Ok();
}

}  // namespace fzfs
