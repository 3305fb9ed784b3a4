#include "engine/vdev/label.h"

#include <cstring>

#include "engine/checksum/checksum.h"
#include "engine/util/byteorder.h"

namespace fzfs {

uint64_t vdev_label_offset(uint64_t device_size, int l) {
  const uint64_t psize = device_size & ~(kVdevLabelSize - 1);
  const uint64_t base = uint64_t(l) * kVdevLabelSize;
  return l < kVdevLabels / 2 ? base : base + psize - kVdevLabels * kVdevLabelSize;
}

namespace {

void read_one(BlockDevice& dev, VdevLabel& label) {
  const uint64_t phys_at = label.offset + kVdevPhysOffset;
  std::vector<uint8_t> phys(kVdevPhysSize);
  Status s = dev.pread(phys, phys_at);
  if (!s.ok()) {
    label.error = fmt::format("label {}: {}", label.index, s.error().message());
  } else if (!verify_embedded(phys, ChecksumType::kSha256, Cksum{{phys_at, 0, 0, 0}})) {
    label.error = fmt::format("device {}: label {} at offset {:#x}: checksum mismatch",
                              dev.path(), label.index, phys_at);
  } else {
    // The nvlist ends well before the trailer; keep the decoder off the trailer anyway.
    auto config = NvList::decode(std::span(phys).first(kVdevPhysSize - kLabelEckSize));
    if (!config.ok()) {
      label.error = fmt::format("device {}: label {} at offset {:#x}: {}", dev.path(),
                                label.index, phys_at, config.error().message());
    } else {
      label.config = std::move(*config);
      label.valid = true;
    }
  }

  label.ring_offset = label.offset + kUberblockRingOffset;
  label.ring.resize(kUberblockRingSize);
  if (!dev.pread(label.ring, label.ring_offset).ok()) label.ring.clear();
}

}  // namespace

std::array<VdevLabel, kVdevLabels> read_vdev_labels(BlockDevice& dev) {
  std::array<VdevLabel, kVdevLabels> labels;
  const bool fits = dev.size() >= kVdevLabels * kVdevLabelSize;
  for (int l = 0; l < kVdevLabels; l++) {
    VdevLabel& label = labels[l];
    label.index = l;
    if (!fits) {
      label.error = fmt::format("device {}: {} bytes is too small for labels", dev.path(), dev.size());
      continue;
    }
    label.offset = vdev_label_offset(dev.size(), l);
    read_one(dev, label);
  }
  return labels;
}

Result<std::vector<uint8_t>> seal_label_region(std::span<const uint8_t> body, uint64_t size,
                                               uint64_t region_offset) {
  if (size < kLabelEckSize || body.size() > size - kLabelEckSize)
    return make_error(EOVERFLOW, "label region at {:#x}: {} bytes do not fit in {} bytes",
                      region_offset, body.size(), size < kLabelEckSize ? 0 : size - kLabelEckSize);
  std::vector<uint8_t> region(size, 0);
  if (!body.empty()) std::memcpy(region.data(), body.data(), body.size());  // an empty body may have no data()
  // The trailer is written in host order; readers detect the order by the magic.
  Cksum verifier;
  verifier.w[0] = region_offset;
  if (!seal_embedded(region, ChecksumType::kSha256, verifier)) return make_error(ENOTSUP, "label: sha256 unavailable");
  return region;
}

Result<std::vector<uint8_t>> encode_vdev_phys(const NvList& config, uint64_t region_offset) {
  std::vector<uint8_t> packed = config.encode_xdr();
  auto region = seal_label_region(packed, kVdevPhysSize, region_offset);
  if (!region.ok()) return std::move(region).error().context("label config");
  return region;
}

namespace {

Status check_label_room(const BlockDevice& dev, int l) {
  if (l < 0 || l >= kVdevLabels) return make_error(EINVAL, "device {}: no label {}", dev.path(), l);
  if (dev.size() < kVdevLabels * kVdevLabelSize)
    return make_error(ENOSPC, "device {}: {} bytes is too small for labels", dev.path(), dev.size());
  return Status::Ok();
}

}  // namespace

Status write_vdev_phys(BlockDevice& dev, int l, const NvList& config) {
  FZ_CHECK(check_label_room(dev, l));
  const uint64_t at = vdev_label_offset(dev.size(), l) + kVdevPhysOffset;
  auto region = encode_vdev_phys(config, at);
  if (!region.ok())
    return std::move(region).error().context("device {}: label {}", dev.path(), l);
  Status s = dev.pwrite(*region, at);
  if (!s.ok())
    return std::move(s).error().context("device {}: writing label {} config at {:#x}", dev.path(),
                                        l, at);
  return Status::Ok();
}

uint64_t uberblock_slot_offset(uint64_t device_size, int l, uint64_t slot_size, uint64_t slot) {
  return vdev_label_offset(device_size, l) + kUberblockRingOffset + slot * slot_size;
}

Status write_uberblock_slot(BlockDevice& dev, int l, uint64_t slot_size, uint64_t slot,
                            std::span<const uint8_t> body) {
  FZ_CHECK(check_label_room(dev, l));
  const bool size_ok = slot_size >= 1024 && slot_size <= 8192 && (slot_size & (slot_size - 1)) == 0;
  if (!size_ok || slot >= uberblock_ring_slots(slot_size))
    return make_error(EINVAL, "device {}: label {}: no uberblock slot {} of {} bytes", dev.path(), l,
                      slot, slot_size);
  const uint64_t at = uberblock_slot_offset(dev.size(), l, slot_size, slot);
  auto region = seal_label_region(body, slot_size, at);
  if (!region.ok())
    return std::move(region).error().context("device {}: label {} uberblock slot {}", dev.path(), l,
                                              slot);
  Status s = dev.pwrite(*region, at);
  if (!s.ok())
    return std::move(s).error().context("device {}: writing label {} uberblock slot {} at {:#x}",
                                        dev.path(), l, slot, at);
  return Status::Ok();
}

}  // namespace fzfs
