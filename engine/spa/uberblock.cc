#include "engine/spa/uberblock.h"

#include <algorithm>
#include <vector>

#include "engine/checksum/checksum.h"
#include "engine/util/byteorder.h"
#include "engine/vdev/label.h"

namespace fzfs {

uint64_t uberblock_slot_size(uint64_t ashift) {
  return 1ULL << std::clamp<uint64_t>(ashift, 10, 13);
}

uint64_t uberblock_slot_for_txg(uint64_t txg, uint64_t ashift) {
  return txg % uberblock_ring_slots(uberblock_slot_size(ashift));
}

std::vector<uint8_t> Uberblock::encode_body() const {
  std::vector<uint8_t> b(kUberblockBodySize, 0);
  uint8_t* p = b.data();
  store<uint64_t>(p, kUberblockMagic);
  store<uint64_t>(p + 8, version);
  store<uint64_t>(p + 16, txg);
  store<uint64_t>(p + 24, guid_sum);
  store<uint64_t>(p + 32, timestamp);
  rootbp.encode(p + 40);
  store<uint64_t>(p + 168, software_version);
  store<uint64_t>(p + 176, mmp_magic);
  store<uint64_t>(p + 184, mmp_delay);
  store<uint64_t>(p + 192, mmp_config);
  store<uint64_t>(p + 200, checkpoint_txg);
  store<uint64_t>(p + 208, raidz_reflow_info);
  return b;
}

Result<std::vector<uint8_t>> Uberblock::encode(uint64_t slot_offset, uint64_t ashift) const {
  return seal_label_region(encode_body(), uberblock_slot_size(ashift), slot_offset);
}

Uberblock Uberblock::next(uint64_t new_txg, uint64_t new_guid_sum, uint64_t now_seconds,
                          uint64_t writer_version) const {
  Uberblock ub;
  ub.version = version;
  ub.txg = new_txg;
  ub.guid_sum = new_guid_sum;
  ub.timestamp = now_seconds;
  ub.rootbp = rootbp;
  ub.software_version = writer_version;
  ub.mmp_magic = kMmpMagic;  // multihost off: delay and config stay 0
  ub.raidz_reflow_info = raidz_reflow_info;
  ub.little = Blkptr::kHostLittleEndian();
  return ub;
}

std::vector<Uberblock> uberblocks_in_ring(std::span<const uint8_t> ring, uint64_t ring_offset,
                                          uint64_t ashift, const std::string& device, int label) {
  std::vector<Uberblock> out;
  const uint64_t slot = uberblock_slot_size(ashift);
  for (uint64_t off = 0; off + slot <= ring.size(); off += slot) {
    auto ub = Uberblock::parse(ring.subspan(off, slot), ring_offset + off);
    if (!ub) continue;
    ub->device = device;
    ub->label = label;
    ub->slot = static_cast<int>(off / slot);
    out.push_back(*ub);
  }
  return out;
}

std::optional<Uberblock> Uberblock::parse(std::span<const uint8_t> slot, uint64_t slot_offset) {
  if (slot.size() < 1024) return std::nullopt;
  bool little;
  if (load_le<uint64_t>(slot.data()) == kUberblockMagic) {
    little = true;
  } else if (load_be<uint64_t>(slot.data()) == kUberblockMagic) {
    little = false;
  } else {
    return std::nullopt;
  }
  std::vector<uint8_t> copy(slot.begin(), slot.end());
  Cksum verifier;
  verifier.w[0] = slot_offset;
  if (!verify_embedded(copy, ChecksumType::kSha256, verifier)) return std::nullopt;

  const uint8_t* p = slot.data();
  Uberblock ub;
  ub.little = little;
  ub.version = load_order<uint64_t>(p + 8, little);
  ub.txg = load_order<uint64_t>(p + 16, little);
  ub.guid_sum = load_order<uint64_t>(p + 24, little);
  ub.timestamp = load_order<uint64_t>(p + 32, little);
  ub.rootbp = Blkptr::decode(p + 40, little);
  ub.software_version = load_order<uint64_t>(p + 168, little);
  ub.mmp_magic = load_order<uint64_t>(p + 176, little);
  ub.mmp_delay = load_order<uint64_t>(p + 184, little);
  ub.mmp_config = load_order<uint64_t>(p + 192, little);
  ub.checkpoint_txg = load_order<uint64_t>(p + 200, little);
  ub.raidz_reflow_info = load_order<uint64_t>(p + 208, little);
  if (ub.txg == 0) return std::nullopt;
  return ub;
}

}  // namespace fzfs
