#include "engine/vdev/vdev_leaf.h"

#include <algorithm>
#include <vector>

namespace fzfs {

std::string LeafVdev::name() const {
  return path_.empty() ? fmt::format("{}", guid) : path_;
}

Status LeafVdev::check_range(uint64_t offset, uint64_t size) const {
  // Data lives between the front labels and boot region and the two end labels; a block
  // pointer reaching outside is damaged, not the device (so nothing is counted).
  const uint64_t aligned = dev_->size() & ~(kVdevLabelSize - 1);
  const uint64_t reserved = kVdevLabelStartSize + kVdevLabelEndSize;
  const uint64_t room = aligned > reserved ? aligned - reserved : 0;  // DVA space size
  if (offset > room || size > room - offset)
    return make_error(EIO, "vdev {}: {:#x}+{:#x} is outside the device's data area", name(),
                      offset, size);
  return Status::Ok();
}

Status LeafVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  if (!dev_) return make_error(EIO, "vdev {}: device is missing", name());
  FZ_CHECK(check_range(offset, out.size()));
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

Status LeafVdev::write(uint64_t offset, std::span<const uint8_t> data) {
  if (!dev_) return make_error(EIO, "vdev {}: device is missing; cannot write {:#x}+{:#x}", name(),
                               offset, data.size());
  const uint64_t size = round_to_ashift(data.size(), ashift);
  FZ_CHECK(check_range(offset, size));
  // The allocation covers whole sectors: pad so a partial sector never keeps stale bytes.
  std::vector<uint8_t> padded;
  if (size != data.size()) {
    padded.assign(size, 0);
    std::copy(data.begin(), data.end(), padded.begin());
    data = padded;
  }
  Status s = dev_->pwrite(data, offset + kVdevLabelStartSize);
  if (!s.ok()) {
    counters.write_errors++;
    return std::move(s).error().context("vdev {}: write {:#x}+{:#x}", name(), offset, size);
  }
  return Status::Ok();
}

Status LeafVdev::flush() {
  if (!dev_) return Status::Ok();
  Status s = dev_->flush();
  if (!s.ok()) {
    counters.write_errors++;
    return std::move(s).error().context("vdev {}: flush", name());
  }
  return Status::Ok();
}

uint64_t LeafVdev::asize(uint64_t psize) const { return round_to_ashift(psize, ashift); }

Status PlaceholderVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  return make_error(ENXIO, "vdev {}: no device holds this data ({} top-level vdev)", name(), type_);
}

Status PlaceholderVdev::write(uint64_t offset, std::span<const uint8_t> data) {
  return make_error(ENXIO, "vdev {}: cannot write {:#x}+{:#x} ({} top-level vdev)", name(), offset,
                    data.size(), type_);
}

Status PlaceholderVdev::flush() {
  if (type_ == "hole") return Status::Ok();
  return make_error(ENXIO, "vdev {}: cannot flush ({} top-level vdev)", name(), type_);
}

}  // namespace fzfs
