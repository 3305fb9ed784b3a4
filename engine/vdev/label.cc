#include "engine/vdev/label.h"

#include <cstring>

#include "engine/checksum/checksum.h"
#include "engine/util/byteorder.h"

namespace fzfs {

namespace {
constexpr uint64_t kEckSize = 40;  // magic + 4-word checksum
}  // namespace

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
    auto config = NvList::decode(std::span(phys).first(kVdevPhysSize - kEckSize));
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

Result<std::vector<uint8_t>> encode_vdev_phys(const NvList& config, uint64_t region_offset) {
  std::vector<uint8_t> packed = config.encode_xdr();
  if (packed.size() > kVdevPhysSize - kEckSize)
    return make_error(EOVERFLOW, "label config of {} bytes does not fit in {} bytes", packed.size(),
                      kVdevPhysSize - kEckSize);
  std::vector<uint8_t> region(kVdevPhysSize, 0);
  std::memcpy(region.data(), packed.data(), packed.size());
  // The trailer is written in host order; readers detect the order by the magic.
  uint8_t* eck = region.data() + kVdevPhysSize - kEckSize;
  store<uint64_t>(eck, kZecMagic);
  const uint64_t verifier[4] = {region_offset, 0, 0, 0};
  std::memcpy(eck + 8, verifier, sizeof verifier);
  Cksum sum;
  if (!compute_checksum(ChecksumType::kSha256, region, false, &sum))
    return make_error(ENOTSUP, "label: sha256 unavailable");
  std::memcpy(eck + 8, sum.w, sizeof sum.w);
  return region;
}

}  // namespace fzfs
