// The dnode: the fixed-size record that describes one DMU object. An objset's dnodes
// live in the data blocks of its meta-dnode, 512 bytes apiece (a "large dnode" takes
// 1 + dn_extra_slots consecutive 512-byte slots).
//
//   0        1          2          3         4            5          6          7
//   +--------+----------+----------+---------+------------+----------+----------+--------+
//   | type   |indblkshift| nlevels | nblkptr | bonustype  | checksum | compress | flags  |
//   +--------+----------+----------+---------+------------+----------+----------+--------+
//   8: datablkszsec u16 (data block size / 512)  10: bonuslen u16  12: extra_slots u8
//  16: maxblkid u64 (last level-0 block id)      24: used u64 (bytes, or sectors if old)
//  32: padding (4 x u64)
//  64: blkptr[nblkptr]  (128 bytes each: the roots of the object's block tree)
//      bonus[bonuslen]  (follows the blkptrs: znode, dsl_dir, dsl_dataset, SA header...)
// end-128: spill blkptr (if flags & SPILL_BLKPTR: an extra block for system attributes)
//
// The block tree: level-0 blocks hold data (datablkszsec * 512 bytes each); a block at
// level L > 0 holds (1 << indblkshift) / 128 block pointers to level L-1; nlevels counts
// levels including the blkptr array in the dnode. Block b at level 0 is reached by
// dividing b by the fan-out once per level.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/util/status.h"
#include "engine/zio/blkptr.h"

namespace fzfs {

inline constexpr uint64_t kDnodeShift = 9;
inline constexpr uint64_t kDnodeSize = 1 << kDnodeShift;  // one slot
inline constexpr uint8_t kDnodeFlagUsedBytes = 1 << 0;
inline constexpr uint8_t kDnodeFlagUserusedAccounted = 1 << 1;  // counted in the user/group-used ZAPs
inline constexpr uint8_t kDnodeFlagSpillBlkptr = 1 << 2;

struct Dnode {
  uint64_t object = 0;
  uint8_t type = 0;
  uint8_t indblkshift = 0;
  uint8_t nlevels = 0;
  uint8_t nblkptr = 0;
  uint8_t bonustype = 0;
  uint8_t checksum = 0;
  uint8_t compress = 0;
  uint8_t flags = 0;
  uint16_t datablkszsec = 0;
  uint16_t bonuslen = 0;
  uint8_t extra_slots = 0;
  uint64_t maxblkid = 0;
  uint64_t used = 0;
  std::vector<Blkptr> blkptr;
  std::vector<uint8_t> bonus;  // exactly bonuslen bytes, in the writer's byte order
  std::optional<Blkptr> spill;
  bool little = true;  // byte order the dnode (and its bonus) was written in

  // Decodes the dnode at the start of `slots` (which holds at least its own slots).
  // Validates every size against the space it claims; errors name the object.
  static Result<Dnode> decode(std::span<const uint8_t> slots, bool little, uint64_t object);

  // Writes the dnode into `slots` (slot_count() * 512 bytes, zero-filled first) in host
  // byte order. The bonus bytes are copied as they are: callers keep them in host order.
  void encode(std::span<uint8_t> slots) const;

  bool allocated() const { return type != 0; }
  uint64_t data_block_size() const { return uint64_t(datablkszsec) << kSectorShift; }
  uint64_t used_bytes() const { return (flags & kDnodeFlagUsedBytes) ? used : used << kSectorShift; }
  // Size of the object's data: (maxblkid + 1) blocks, or 0 if none was ever written.
  uint64_t slot_count() const { return 1 + extra_slots; }
  bool bonus_foreign() const { return little != Blkptr::kHostLittleEndian(); }
};

}  // namespace fzfs
