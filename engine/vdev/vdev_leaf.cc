#include "engine/vdev/vdev_leaf.h"

namespace fzfs {

std::string LeafVdev::name() const {
  return path_.empty() ? fmt::format("{}", guid) : path_;
}

Status LeafVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  if (!dev_) return make_error(EIO, "vdev {}: device is missing", name());
  const uint64_t physical = offset + kVdevLabelStartSize;
  if (offset > UINT64_MAX - kVdevLabelStartSize - out.size()) {
    counters.read_errors++;
    return make_error(EIO, "vdev {}: offset {:#x} is out of range", name(), offset);
  }
  Status s = dev_->pread(out, physical);
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
