// The uberblock: the root of the whole pool at one transaction group. Each label ends
// in a ring of 128 KiB of uberblock slots; every txg sync writes the next slot
// (txg % slots) in all labels, so the newest valid slot across all devices is the pool.
//
//   0    ub_magic   0x00bab10c ("oo-ba-bloc"), in the writer's byte order
//   8    ub_version          SPA version (1..28, 5000)
//   16   ub_txg              txg that wrote it
//   24   ub_guid_sum         sum of all vdev guids (detects missing devices)
//   32   ub_timestamp        seconds since 1970
//   40   ub_rootbp           blkptr (128 bytes) of the MOS objset_phys
//   168  ub_software_version, mmp magic/delay/config, checkpoint txg ...
//   ...
//   slot end - 40: zio_eck trailer (sha256 with the slot's byte offset on the device
//   as verifier)
//
// Slot size: 1 << clamp(ashift, 10, 13) bytes, so 128 slots with ashift 9/10.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/zio/blkptr.h"

namespace fzfs {

inline constexpr uint64_t kUberblockMagic = 0x00bab10c;

struct Uberblock {
  uint64_t version = 0;
  uint64_t txg = 0;
  uint64_t guid_sum = 0;
  uint64_t timestamp = 0;
  Blkptr rootbp;
  uint64_t software_version = 0;
  uint64_t checkpoint_txg = 0;
  bool little = true;  // byte order of the writer
  // Where it was found (for fzdb and messages).
  std::string device;
  int label = 0;
  int slot = 0;

  // Parses one slot. `slot_offset` is its absolute byte offset on the device (the
  // checksum verifier). Returns nullopt for an empty, foreign or damaged slot.
  static std::optional<Uberblock> parse(std::span<const uint8_t> slot, uint64_t slot_offset);
  // Newer is better: higher txg, then later timestamp.
  bool better_than(const Uberblock& o) const {
    return txg != o.txg ? txg > o.txg : timestamp > o.timestamp;
  }
};

uint64_t uberblock_slot_size(uint64_t ashift);

// Every valid uberblock in one label's ring (`ring_offset`: the ring's byte offset on
// the device, `ashift` of its top-level vdev), with label index, slot and device set.
std::vector<Uberblock> uberblocks_in_ring(std::span<const uint8_t> ring, uint64_t ring_offset,
                                          uint64_t ashift, const std::string& device, int label);

}  // namespace fzfs
