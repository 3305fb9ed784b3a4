#include "engine/zap/fatzap.h"

#include <algorithm>
#include <bit>
#include <unordered_set>

#include "engine/zap/zap_hash.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

Error FatZap::corrupt(uint64_t blkid, std::string what) const {
  return make_error(EIO, "zap object {} block {}: {}", obj_->object(), blkid, what);
}

Result<FatZap> FatZap::open(const ObjectData& obj, std::span<const uint8_t> block0, bool foreign) {
  FatZap z(obj);
  uint64_t size = block0.size();
  if (!std::has_single_bit(size) || size < (uint64_t{1} << kMinBlockShift) ||
      size > (uint64_t{1} << kMaxBlockShift))
    return z.corrupt(0, fmt::format("unsupported fat ZAP block size {}", size));
  z.bs_ = std::countr_zero(size);
  BlockView b(block0, foreign);
  if (b.u64(kHdrMagic) != kZapMagic)
    return z.corrupt(0, fmt::format("bad fat ZAP magic {:#x}", b.u64(kHdrMagic)));
  z.zt_blk_ = b.u64(kHdrPtrtblBlk);
  uint64_t zt_numblks = b.u64(kHdrPtrtblNumblks);
  z.zt_shift_ = b.u64(kHdrPtrtblShift);
  z.num_entries_ = b.u64(kHdrNumEntries);
  z.salt_ = b.u64(kHdrSalt);
  z.normflags_ = b.u64(kHdrNormflags);
  z.flags_ = b.u64(kHdrFlags);
  if (zt_numblks == 0) {
    // Embedded: the second half of block 0 holds 2^(bs-4) entries, of which the first
    // 2^zt_shift are in use.
    if (z.zt_shift_ > uint64_t(z.bs_ - 4))
      return z.corrupt(0, fmt::format("embedded pointer table shift {} too large", z.zt_shift_));
    z.zt_blk_ = 0;
    uint64_t n = uint64_t{1} << z.zt_shift_;
    z.embedded_.resize(n);
    for (uint64_t i = 0; i < n; i++) z.embedded_[i] = b.u64(size / 2 + 8 * i);
  } else {
    FZ_CHECK(z.check_ptrtbl(z.zt_blk_, zt_numblks, obj.max_blkid()));
  }
  return z;
}

Status FatZap::check_ptrtbl(uint64_t zt_blk, uint64_t zt_numblks, uint64_t max_blkid) const {
  // The external table only ever doubles from one block, so it is exactly
  // 2^(zt_shift - (bs-3)) blocks; anything else, or a table outside the object, is
  // corruption (and refusing it bounds every walk over the table).
  uint64_t per_block_shift = bs_ - 3;
  if (zt_shift_ < per_block_shift || zt_shift_ - per_block_shift > 40 ||
      zt_numblks != uint64_t{1} << (zt_shift_ - per_block_shift))
    return corrupt(0, fmt::format("pointer table of {} blocks does not match shift {}", zt_numblks,
                                  zt_shift_));
  if (zt_blk == 0 || zt_blk > max_blkid || zt_numblks - 1 > max_blkid - zt_blk)
    return corrupt(0, fmt::format("pointer table blocks {}+{} outside the object (max block {})",
                                  zt_blk, zt_numblks, max_blkid));
  return Status::Ok();
}

Result<std::vector<uint8_t>> FatZap::read_block(uint64_t blkid, bool* foreign) const {
  auto block = obj_->read_block(blkid, foreign);
  if (!block.ok()) return std::move(block.error()).context("zap object {} block {}", obj_->object(), blkid);
  return block;
}

Result<std::vector<uint64_t>> FatZap::ptrtbl_range(uint64_t first, uint64_t n) const {
  if (zt_blk_ == 0) return std::vector<uint64_t>(embedded_.begin() + first, embedded_.begin() + first + n);
  std::vector<uint64_t> out;
  out.reserve(n);
  uint64_t per_block = uint64_t{1} << (bs_ - 3);
  while (out.size() < n) {
    uint64_t idx = first + out.size();
    uint64_t blkid = zt_blk_ + idx / per_block;
    bool foreign = false;
    FZ_TRY(auto block, read_block(blkid, &foreign));
    if (block.size() != (size_t{1} << bs_))
      return corrupt(blkid, fmt::format("pointer table block is {} bytes", block.size()));
    BlockView b(block, foreign);
    for (uint64_t i = idx % per_block; i < per_block && out.size() < n; i++) out.push_back(b.u64(8 * i));
  }
  return out;
}

Result<ZapLeaf> FatZap::read_leaf(uint64_t blkid) const {
  // Block 0 is the header; a pointer to it (or past the object) is corruption.
  if (blkid == 0 || blkid > obj_->max_blkid())
    return corrupt(0, fmt::format("pointer table names leaf block {} (max block {})", blkid,
                                  obj_->max_blkid()));
  bool foreign = false;
  FZ_TRY(auto block, read_block(blkid, &foreign));
  return ZapLeaf::parse(std::move(block), foreign, bs_, obj_->object(), blkid);
}

Result<std::optional<ZapEntry>> FatZap::lookup(std::string_view name) const {
  if (flags_ & kZapFlagUint64Key)
    return make_error(EINVAL, "zap object {}: keys are uint64 arrays, not names", obj_->object());
  if (normflags_ != 0) {
    // The hash of a normalizing ZAP is taken over the normalized name, which needs
    // Unicode tables we do not carry; an exact-match scan finds names as stored.
    std::optional<ZapEntry> found;
    FZ_CHECK(list([&](const ZapEntry& e) {
      if (e.name != name) return true;
      found = e;
      return false;
    }));
    return found;
  }
  uint64_t hash = zap_hash_name(salt_, name, zap_hash_bits(flags_));
  FZ_TRY(auto ptr, ptrtbl_range(hash_idx(hash, zt_shift_), 1));
  FZ_TRY(auto leaf, read_leaf(ptr[0]));
  if (hash_idx(hash, leaf.prefix_len()) != leaf.prefix())
    return corrupt(ptr[0], fmt::format("leaf prefix {:#x}/{} does not cover hash {:#x}",
                                       leaf.prefix(), leaf.prefix_len(), hash));
  return leaf.lookup(hash, name);
}

Status FatZap::list(const std::function<bool(const ZapEntry&)>& emit) const {
  // Walk the pointer table in index order, i.e. in hash order; each leaf owns a
  // contiguous run of entries, and one seen before (only in a corrupt table) is skipped.
  uint64_t total = uint64_t{1} << zt_shift_;
  uint64_t batch = uint64_t{1} << (bs_ - 3);
  std::unordered_set<uint64_t> visited;
  for (uint64_t first = 0; first < total; first += batch) {
    FZ_TRY(auto ptrs, ptrtbl_range(first, std::min(batch, total - first)));
    for (uint64_t blkid : ptrs) {
      if (!visited.insert(blkid).second) continue;
      FZ_TRY(auto leaf, read_leaf(blkid));
      FZ_TRY(auto entries, leaf.entries(flags_ & kZapFlagUint64Key));
      for (const ZapEntry& e : entries) {
        if (!emit(e)) return Status::Ok();
      }
    }
  }
  return Status::Ok();
}

}  // namespace fzfs
