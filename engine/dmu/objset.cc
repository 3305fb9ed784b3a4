#include "engine/dmu/objset.h"

#include <algorithm>
#include <cstring>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr uint64_t kObjsetTypeOffset = 704;

class DnodeObjectData final : public ObjectData {
 public:
  DnodeObjectData(const Objset* os, Dnode dn) : os_(os), dn_(std::move(dn)) {}
  uint64_t object() const override { return dn_.object; }
  uint64_t block_size() const override { return dn_.data_block_size(); }
  uint64_t max_blkid() const override { return dn_.maxblkid; }
  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const override {
    FZ_TRY(Blkptr bp, os_->level0_bp(dn_, blkid));
    *foreign = !bp.is_hole() && BlockReader::foreign(bp);
    FZ_TRY(BlockData data, os_->reader()->read(bp));
    std::vector<uint8_t> out(block_size(), 0);
    std::memcpy(out.data(), data->data(), std::min<size_t>(out.size(), data->size()));
    return out;
  }

 private:
  const Objset* os_;
  Dnode dn_;
};

}  // namespace

Result<std::shared_ptr<Objset>> Objset::open(BlockReader* reader, const Blkptr& bp) {
  FZ_TRY(BlockData phys, reader->read(bp));
  if (phys->size() < 1024) return make_error(EIO, "objset_phys of {} bytes is too small", phys->size());
  bool little = bp.little_endian();
  std::shared_ptr<Objset> os(new Objset(reader));
  FZ_TRY(os->meta_, Dnode::decode(std::span(phys->data(), kDnodeSize), little, 0));
  if (!os->meta_.allocated()) return make_error(EIO, "objset has no meta-dnode");
  os->type_ = static_cast<ObjsetType>(load_order<uint64_t>(phys->data() + kObjsetTypeOffset, little));
  return os;
}

uint64_t Objset::max_object() const {
  return (meta_.maxblkid + 1) * (meta_.data_block_size() >> kDnodeShift);
}

Result<Blkptr> Objset::level0_bp(const Dnode& dn, uint64_t blkid) const {
  Blkptr hole;
  if (blkid > dn.maxblkid) return hole;
  const int epbs = dn.nlevels > 1 ? dn.indblkshift - 7 : 0;  // log2(blkptrs per indirect block)
  const int shift_top = epbs * (dn.nlevels - 1);
  uint64_t top = shift_top >= 64 ? 0 : blkid >> shift_top;
  if (top >= dn.nblkptr) return hole;
  Blkptr bp = dn.blkptr[top];
  for (int level = dn.nlevels - 1; level >= 1; level--) {
    if (bp.is_hole()) return hole;
    if (!bp.embedded() && bp.level() != level)
      return make_error(EIO, "object {}: blkptr at level {} claims level {}", dn.object, level, bp.level());
    FZ_TRY(BlockData ind, reader_->read(bp));
    uint64_t nptrs = ind->size() / kBlkptrSize;
    const int shift = epbs * (level - 1);  // a 10-level tree reaches past 64 bits
    uint64_t idx = shift >= 64 ? 0 : (blkid >> shift) & ((1ULL << epbs) - 1);
    if (idx >= nptrs) return make_error(EIO, "object {}: indirect block too small for index {}", dn.object, idx);
    bp = Blkptr::decode(ind->data() + idx * kBlkptrSize, bp.little_endian());
  }
  return bp;
}

Result<BlockData> Objset::read_block(const Dnode& dn, uint64_t blkid) const {
  FZ_TRY(Blkptr bp, level0_bp(dn, blkid));
  if (bp.is_hole()) return BlockData(std::make_shared<std::vector<uint8_t>>(dn.data_block_size(), 0));
  auto r = reader_->read(bp);
  if (!r.ok()) return std::move(r).error().context("object {} block {}", dn.object, blkid);
  return r;
}

void Objset::read_ahead(const Dnode& dn, uint64_t first, uint64_t last) const {
  constexpr uint64_t kMaxAheadBytes = 16ULL << 20, kMaxStreams = 256;
  const uint64_t bs = dn.data_block_size();
  if (bs == 0 || last >= dn.maxblkid) return;
  const uint64_t max_blocks = std::clamp<uint64_t>(kMaxAheadBytes / bs, 1, 256);
  uint64_t from = 0, to = 0;
  {
    std::lock_guard<std::mutex> g(streams_mu_);
    if (streams_.size() >= kMaxStreams && !streams_.count(dn.object)) streams_.clear();
    Stream& s = streams_[dn.object];
    // FUSE hands out a stream's requests to several threads, so they may arrive a little
    // out of order: anything starting near where the stream stands continues it.
    const bool sequential = s.next > 0 && first + 1 >= s.next && first <= s.next + 4;
    s.next = std::max(s.next, last + 1);
    if (!sequential) {
      s = Stream{last + 1, last, 0};
      return;
    }
    s.distance = std::min(max_blocks, std::max<uint64_t>(2, s.distance * 2));
    from = std::max(s.ahead_to, last) + 1;
    to = std::min(dn.maxblkid, last + s.distance);
    s.ahead_to = std::max(s.ahead_to, to);
  }
  for (uint64_t b = from; b <= to; b++) {
    auto bp = level0_bp(dn, b);
    if (!bp.ok()) return;
    reader_->prefetch(*bp);
  }
}

Status Objset::read(const Dnode& dn, uint64_t offset, std::span<uint8_t> out) const {
  const uint64_t bs = dn.data_block_size();
  if (bs != 0 && !out.empty()) read_ahead(dn, offset / bs, (offset + out.size() - 1) / bs);
  size_t done = 0;
  while (done < out.size()) {
    uint64_t pos = offset + done;
    uint64_t blkid = pos / bs, within = pos % bs;
    size_t n = std::min<uint64_t>(out.size() - done, bs - within);
    FZ_TRY(BlockData blk, read_block(dn, blkid));
    if (within < blk->size()) {
      size_t have = std::min<size_t>(n, blk->size() - within);
      std::memcpy(out.data() + done, blk->data() + within, have);
      if (have < n) std::memset(out.data() + done + have, 0, n - have);
    } else {
      std::memset(out.data() + done, 0, n);
    }
    done += n;
  }
  return Status::Ok();
}

Result<Dnode> Objset::dnode(uint64_t obj) const {
  const uint64_t bs = meta_.data_block_size();
  const uint64_t per_block = bs >> kDnodeShift;
  if (per_block == 0) return make_error(EIO, "meta-dnode block size {} is too small", bs);
  uint64_t blkid = obj / per_block;
  if (blkid > meta_.maxblkid) return make_error(ENOENT, "object {} does not exist", obj);
  FZ_TRY(Blkptr bp, level0_bp(meta_, blkid));
  if (bp.is_hole()) return make_error(ENOENT, "object {} does not exist", obj);
  auto blk = reader_->read(bp);
  if (!blk.ok()) return std::move(blk).error().context("dnode of object {}", obj);
  uint64_t off = (obj % per_block) << kDnodeShift;
  if (off + kDnodeSize > (*blk)->size()) return make_error(EIO, "dnode block of object {} is short", obj);
  FZ_TRY(Dnode dn, Dnode::decode(std::span((*blk)->data() + off, (*blk)->size() - off), bp.little_endian(), obj));
  if (!dn.allocated()) return make_error(ENOENT, "object {} is not allocated", obj);
  return dn;
}

std::unique_ptr<ObjectData> Objset::object_data(const Dnode& dn) const {
  return std::make_unique<DnodeObjectData>(this, dn);
}

Result<BlockData> Objset::read_spill(const Dnode& dn) const {
  if (!(dn.flags & kDnodeFlagSpillBlkptr) || !dn.spill) return make_error(ENOENT, "object {} has no spill block", dn.object);
  return reader_->read(*dn.spill);
}

Result<std::unique_ptr<ObjectData>> Objset::object_data(uint64_t obj) const {
  FZ_TRY(Dnode dn, dnode(obj));
  return object_data(dn);
}

}  // namespace fzfs
