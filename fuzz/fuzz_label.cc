// Vdev labels and uberblocks: the input is a device image (padded to 1 MiB so all four
// labels exist); every label is read and every ring slot parsed as an uberblock.
//
// Label 0's config and uberblock slots carry sha256 trailers, so a mutated byte would
// only ever reach the checksum test. When the input's first byte (in the blank pad,
// which nothing parses) is even, those trailers are recomputed first, and the mutated
// config and uberblocks reach their parsers; seeds cut from real pools start with a
// zero pad, so they are resealed too.
#include <algorithm>
#include <cstring>

#include "engine/checksum/checksum.h"
#include "engine/io/memory_device.h"
#include "engine/spa/uberblock.h"
#include "engine/util/byteorder.h"
#include "engine/util/nvlist.h"
#include "engine/vdev/label.h"

namespace {

using namespace fzfs;

constexpr size_t kEck = 40;  // trailer: magic + 4-word checksum

// Recomputes an embedded sha256 trailer whose verifier is the block's device offset.
void seal(std::span<uint8_t> block, uint64_t offset) {
  uint8_t* eck = block.data() + block.size() - kEck;
  store<uint64_t>(eck, kZecMagic);
  const uint64_t verifier[4] = {offset, 0, 0, 0};
  std::memcpy(eck + 8, verifier, sizeof verifier);
  Cksum sum;
  if (compute_checksum(ChecksumType::kSha256, block, false, &sum)) std::memcpy(eck + 8, sum.w, sizeof sum.w);
}

uint64_t config_ashift(std::span<const uint8_t> packed) {
  auto nvl = NvList::decode(packed);
  if (!nvl.ok()) return 9;
  const NvList* tree = nvl->get_nvlist("vdev_tree");
  return tree ? tree->get_u64("ashift").value_or(9) : 9;
}

void seal_label0(std::span<uint8_t> dev) {
  std::span<uint8_t> region = dev.subspan(kVdevPhysOffset, kVdevPhysSize);
  seal(region, kVdevPhysOffset);
  const uint64_t slot = uberblock_slot_size(config_ashift(region.first(kVdevPhysSize - kEck)));
  for (uint64_t off = 0; off + slot <= kUberblockRingSize; off += slot) {
    std::span<uint8_t> s = dev.subspan(kUberblockRingOffset + off, slot);
    if (std::any_of(s.begin(), s.end(), [](uint8_t b) { return b != 0; })) seal(s, kUberblockRingOffset + off);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryDevice dev("fuzz", std::max<size_t>(size, 1 << 20));
  std::memcpy(dev.bytes().data(), data, size);
  if (size > 0 && (data[0] & 1) == 0) seal_label0(dev.bytes());
  for (const VdevLabel& l : read_vdev_labels(dev)) {
    uint64_t ashift = 9;
    if (l.config) {
      (void)l.config->to_string();
      if (const NvList* tree = l.config->get_nvlist("vdev_tree")) ashift = tree->get_u64("ashift").value_or(9);
    }
    // Slots are as large as the label's ashift says (1 KiB up to 8 KiB).
    const uint64_t slot = uberblock_slot_size(ashift);
    for (uint64_t off = 0; off + slot <= l.ring.size(); off += slot)
      (void)Uberblock::parse(std::span(l.ring).subspan(off, slot), l.ring_offset + off);
  }
  // Checksums keep random slots out of the parser above; feed the raw bytes too.
  if (size >= 1024) (void)Uberblock::parse(std::span(data, size), 0);
  return 0;
}
