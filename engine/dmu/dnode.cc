#include "engine/dmu/dnode.h"

#include <algorithm>

#include "engine/util/byteorder.h"

namespace fzfs {

Result<Dnode> Dnode::decode(std::span<const uint8_t> slots, bool little, uint64_t object) {
  if (slots.size() < kDnodeSize) return make_error(EIO, "object {}: dnode truncated", object);
  const uint8_t* p = slots.data();
  Dnode d;
  d.object = object;
  d.little = little;
  d.type = p[0];
  d.indblkshift = p[1];
  d.nlevels = p[2];
  d.nblkptr = p[3];
  d.bonustype = p[4];
  d.checksum = p[5];
  d.compress = p[6];
  d.flags = p[7];
  d.datablkszsec = load_order<uint16_t>(p + 8, little);
  d.bonuslen = load_order<uint16_t>(p + 10, little);
  d.extra_slots = p[12];
  d.maxblkid = load_order<uint64_t>(p + 16, little);
  d.used = load_order<uint64_t>(p + 24, little);
  if (d.type == 0) return d;

  uint64_t size = d.slot_count() * kDnodeSize;
  if (size > slots.size())
    return make_error(EIO, "object {}: dnode claims {} slots past the end of its block", object, d.slot_count());
  uint64_t tail = (d.flags & kDnodeFlagSpillBlkptr) ? kBlkptrSize : 0;
  if (d.nblkptr == 0 || 64 + d.nblkptr * kBlkptrSize + tail > size)
    return make_error(EIO, "object {}: dnode has an impossible blkptr count {}", object, d.nblkptr);
  if (d.nlevels == 0 || d.nlevels > 10)  // 2^64 bytes need at most ~9 levels
    return make_error(EIO, "object {}: dnode has an impossible level count {}", object, d.nlevels);
  if (d.datablkszsec == 0 || d.data_block_size() > (16u << 20))
    return make_error(EIO, "object {}: dnode has an impossible block size {}", object, d.data_block_size());
  if (d.nlevels > 1 && (d.indblkshift < 10 || d.indblkshift > 17))
    return make_error(EIO, "object {}: dnode has an impossible indirect block shift {}", object, d.indblkshift);
  uint64_t bonus_off = 64 + d.nblkptr * kBlkptrSize;
  if (bonus_off + d.bonuslen + tail > size)
    return make_error(EIO, "object {}: bonus of {} bytes overruns the dnode", object, d.bonuslen);

  d.blkptr.reserve(d.nblkptr);
  for (int i = 0; i < d.nblkptr; i++) d.blkptr.push_back(Blkptr::decode(p + 64 + i * kBlkptrSize, little));
  d.bonus.assign(p + bonus_off, p + bonus_off + d.bonuslen);
  if (tail) d.spill = Blkptr::decode(p + size - kBlkptrSize, little);
  return d;
}

void Dnode::encode(std::span<uint8_t> slots) const {
  std::fill(slots.begin(), slots.end(), 0);
  uint8_t* p = slots.data();
  p[0] = type;
  p[1] = indblkshift;
  p[2] = nlevels;
  p[3] = nblkptr;
  p[4] = bonustype;
  p[5] = checksum;
  p[6] = compress;
  p[7] = flags;
  store<uint16_t>(p + 8, datablkszsec);
  store<uint16_t>(p + 10, bonuslen);
  p[12] = extra_slots;
  store<uint64_t>(p + 16, maxblkid);
  store<uint64_t>(p + 24, used);
  for (size_t i = 0; i < blkptr.size() && i < nblkptr; i++) blkptr[i].encode(p + 64 + i * kBlkptrSize);
  const uint64_t bonus_off = 64 + uint64_t(nblkptr) * kBlkptrSize;
  std::copy(bonus.begin(), bonus.begin() + std::min<size_t>(bonus.size(), bonuslen), p + bonus_off);
  if (spill) spill->encode(p + slot_count() * kDnodeSize - kBlkptrSize);
}

}  // namespace fzfs
