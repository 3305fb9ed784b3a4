// Vdev labels: every leaf device carries four copies of its label, two at the front and
// two at the end, so that a device overwritten at either end still identifies itself.
//
//   device (size aligned down to 256 KiB = psize)
//   0        256K      512K                     4M                psize-512K  psize-256K  psize
//   +---------+---------+--------------------+------ ... ------+-----------+-----------+
//   | label 0 | label 1 | boot region (3.5M) | allocatable      | label 2   | label 3   |
//   +---------+---------+--------------------+------ ... ------+-----------+-----------+
//                                            ^ DVA offset 0 (kVdevLabelStartSize)
//
//   one label (256 KiB)
//   0      8K           16K                                128K                    256K
//   +------+------------+-------------------------------------+-----------------------+
//   | pad  | boot env   | vdev_phys: packed nvlist (XDR)  eck |  uberblock ring       |
//   | (8K) | (8K)       | 112K; last 40 bytes: zio_eck_t      |  128K of slots of     |
//   |      |            | (magic + sha256), verifier = byte   |  max(1K, 1 << ashift) |
//   |      |            | offset of this region on the device |                       |
//   +------+------------+-------------------------------------+-----------------------+
//
// The nvlist holds the pool config as this device knew it (name, version, txg,
// pool_guid, guid, top_guid, vdev_tree, ...). The uberblock ring is returned raw: the spa
// layer parses the slots (their size depends on the top-level vdev's ashift).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/io/block_device.h"
#include "engine/util/nvlist.h"
#include "engine/util/status.h"
#include "engine/vdev/vdev.h"  // kVdevLabelSize, kVdevLabelStartSize

namespace fzfs {

inline constexpr int kVdevLabels = 4;
inline constexpr uint64_t kVdevPadSize = 8 * 1024;            // blank, for disk labels (VTOC)
inline constexpr uint64_t kVdevBootEnvSize = 8 * 1024;        // boot environment block
inline constexpr uint64_t kVdevPhysOffset = kVdevPadSize + kVdevBootEnvSize;  // 16K
inline constexpr uint64_t kVdevPhysSize = 112 * 1024;
inline constexpr uint64_t kUberblockRingOffset = kVdevPhysOffset + kVdevPhysSize;  // 128K
inline constexpr uint64_t kUberblockRingSize = 128 * 1024;
static_assert(kUberblockRingOffset + kUberblockRingSize == 256 * 1024);

// Byte offset of label `l` (0..3) on a device of `device_size` bytes. Labels 2 and 3 sit
// at the end of the size aligned down to 256 KiB. The device must hold 4 labels.
uint64_t vdev_label_offset(uint64_t device_size, int l);

struct VdevLabel {
  int index = 0;
  uint64_t offset = 0;          // byte offset of the label on the device
  bool valid = false;           // config region checksum verified and nvlist decoded
  std::string error;            // why not valid (names device, label and offset)
  std::optional<NvList> config;  // set iff valid
  std::vector<uint8_t> ring;    // raw uberblock ring (kUberblockRingSize), empty if unreadable
  uint64_t ring_offset = 0;     // byte offset of the ring on the device
};

// Reads all four labels of a device. A damaged or unreadable label is reported in its
// entry (valid = false, error set); the others are still returned. A device too small for
// labels yields four invalid entries.
std::array<VdevLabel, kVdevLabels> read_vdev_labels(BlockDevice& dev);

// Label regions (vdev_phys, each uberblock slot) end in a zio_eck trailer:
//
//   0                                   size-40   size-32                       size
//   +-----------------------------------+---------+-----------------------------+
//   | body, then zeros                  | magic   | sha256 of the whole region, |
//   |                                   | 0x0210da7ab10c7a11 | computed with these|
//   |                                   |         | 32 bytes holding the verifier |
//   +-----------------------------------+---------+-----------------------------+
//
// The verifier is {region's byte offset on the device, 0, 0, 0}, so a region copied to
// another place never verifies. Writers store the trailer in their own byte order.
inline constexpr uint64_t kLabelEckSize = 40;

// Builds a label region of `size` bytes at device byte offset `region_offset`: `body`,
// zero fill and the trailer. Errors if the body does not fit before the trailer.
Result<std::vector<uint8_t>> seal_label_region(std::span<const uint8_t> body, uint64_t size,
                                               uint64_t region_offset);

// Builds the 112 KiB vdev_phys region for `config` as label writers store it: the XDR
// nvlist, zero fill, and the trailer with `region_offset` (the region's byte offset on
// the device) as verifier. Errors if the nvlist does not fit.
Result<std::vector<uint8_t>> encode_vdev_phys(const NvList& config, uint64_t region_offset);

// Writes `config` as the vdev_phys region of label `l` (0..3) of `dev`. Errors name the
// device and label. Does not flush.
Status write_vdev_phys(BlockDevice& dev, int l, const NvList& config);

// Slots in the uberblock ring of a label, for slots of `slot_size` bytes.
inline uint64_t uberblock_ring_slots(uint64_t slot_size) { return kUberblockRingSize / slot_size; }

// Byte offset on a device of `device_size` bytes of slot `slot` of label `l`'s ring.
uint64_t uberblock_slot_offset(uint64_t device_size, int l, uint64_t slot_size, uint64_t slot);

// Writes one uberblock slot of label `l`: `body` (the uberblock fields, in host order),
// zero fill to `slot_size` (a power of two, 1 KiB .. 8 KiB) and the trailer verified by
// the slot's device offset. Errors name the device, label and slot. Does not flush.
Status write_uberblock_slot(BlockDevice& dev, int l, uint64_t slot_size, uint64_t slot,
                            std::span<const uint8_t> body);

}  // namespace fzfs
