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
//   168  ub_software_version highest SPA version the writing software knew
//   176  ub_mmp_magic        0xa11cea11 when the mmp fields below are meaningful
//   184  ub_mmp_delay        multihost: ns since the last MMP write (0 = off)
//   192  ub_mmp_config       multihost: write interval, sequence, fail intervals
//   200  ub_checkpoint_txg   non-zero in a checkpointed uberblock
//   208  ub_raidz_reflow_info  RAIDZ expansion progress
//   216  zeros
//   ...
//   slot end - 40: zio_eck trailer (sha256 with the slot's byte offset on the device
//   as verifier; see label.h)
//
// Older writers stop earlier (zfs-fuse, v23, right after ub_rootbp) and leave the rest
// zero; OpenZFS writes the mmp magic on every sync whatever the pool version.
// Slot size: 1 << clamp(ashift, 10, 13) bytes, so 128 slots with ashift 9/10.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/util/status.h"
#include "engine/zio/blkptr.h"

namespace fzfs {

inline constexpr uint64_t kUberblockMagic = 0x00bab10c;
inline constexpr uint64_t kMmpMagic = 0xa11cea11;
inline constexpr uint64_t kUberblockBodySize = 216;  // the fields above, up to the zeros

struct Uberblock {
  uint64_t version = 0;
  uint64_t txg = 0;
  uint64_t guid_sum = 0;
  uint64_t timestamp = 0;
  Blkptr rootbp;
  uint64_t software_version = 0;
  uint64_t mmp_magic = 0;
  uint64_t mmp_delay = 0;
  uint64_t mmp_config = 0;
  uint64_t checkpoint_txg = 0;
  uint64_t raidz_reflow_info = 0;
  bool little = true;  // byte order of the writer
  // Where it was found (for fzdb and messages).
  std::string device;
  int label = 0;
  int slot = 0;

  // Parses one slot. `slot_offset` is its absolute byte offset on the device (the
  // checksum verifier). Returns nullopt for an empty, foreign or damaged slot.
  static std::optional<Uberblock> parse(std::span<const uint8_t> slot, uint64_t slot_offset);

  // The fields (kUberblockBodySize bytes) in host byte order, as a writer stores them
  // at the start of a slot.
  std::vector<uint8_t> encode_body() const;
  // A whole slot of uberblock_slot_size(ashift) bytes for the device byte offset
  // `slot_offset`: the body, zeros and the checksum trailer. parse() reads it back.
  Result<std::vector<uint8_t>> encode(uint64_t slot_offset, uint64_t ashift) const;

  // The uberblock a sync of `txg` writes after this one, with the fields set as ZFS
  // sets them on every sync: the version stays (pools keep their version until
  // upgraded), the mmp magic is set with multihost off, no checkpoint. The caller
  // sets rootbp to the txg's MOS root. Where-found fields are cleared.
  Uberblock next(uint64_t new_txg, uint64_t new_guid_sum, uint64_t now_seconds,
                 uint64_t writer_version) const;
  // Newer is better: higher txg, then later timestamp.
  bool better_than(const Uberblock& o) const {
    return txg != o.txg ? txg > o.txg : timestamp > o.timestamp;
  }
};

uint64_t uberblock_slot_size(uint64_t ashift);
// The ring slot a txg's uberblock goes to (the same in all four labels).
uint64_t uberblock_slot_for_txg(uint64_t txg, uint64_t ashift);

// Every valid uberblock in one label's ring (`ring_offset`: the ring's byte offset on
// the device, `ashift` of its top-level vdev), with label index, slot and device set.
std::vector<Uberblock> uberblocks_in_ring(std::span<const uint8_t> ring, uint64_t ring_offset,
                                          uint64_t ashift, const std::string& device, int label);

}  // namespace fzfs
