#include "engine/vdev/vdev_leaf.h"

namespace fzfs {

std::string LeafVdev::name() const {
  return path_.empty() ? fmt::format("{}", guid) : path_;
}

Status LeafVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  if (!dev_) return make_error(EIO, "vdev {}: device is missing", name());
  // Data lives between the front labels and boot region and the two end labels; a block
  // pointer reaching outside is damaged, not the device (so nothing is counted).
  const uint64_t aligned = dev_->size() & ~(kVdevLabelSize - 1);
  const uint64_t reserved = kVdevLabelStartSize + kVdevLabelEndSize;
  const uint64_t room = aligned > reserved ? aligned - reserved : 0;  // DVA space size
  if (offset > room || out.size() > room - offset)
    return make_error(EIO, "vdev {}: {:#x}+{:#x} is outside the device's data area", name(),
                      offset, out.size());
  Status s = dev_->pread(out, offset + kVdevLabelStartSize);
  if (!s.ok()) {
    counters.read_errors++;
    return std::move(s).error().context("vdev {}: read {:#x}+{:#x}", name(), offset, out.size());
  }
  if (!verify(out)) {
    counters.cksum_errors++;
    return make_error(kECKSUM, "vdev {}: checksum mismatch at {:#x}+{:#x}", name(), offset,
                      out.size());
  }
  return Status::Ok();
}

uint64_t LeafVdev::asize(uint64_t psize) const { return round_to_ashift(psize, ashift); }

Status PlaceholderVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  return make_error(ENXIO, "vdev {}: no device holds this data ({} top-level vdev)", name(), type_);
}

}  // namespace fzfs
