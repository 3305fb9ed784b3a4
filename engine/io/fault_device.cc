#include "engine/io/fault_device.h"

#include <algorithm>

namespace fzfs {

FaultDevice::FaultDevice(std::shared_ptr<BlockDevice> inner) : inner_(std::move(inner)) {}

void FaultDevice::corrupt_reads(uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  corrupt_.push_back({offset, length});
}
void FaultDevice::fail_reads(uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  fail_read_.push_back({offset, length});
}
void FaultDevice::fail_writes(uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  fail_write_.push_back({offset, length});
}
void FaultDevice::fail_all(bool on) {
  std::lock_guard lock(mu_);
  fail_all_ = on;
}
void FaultDevice::clear() {
  std::lock_guard lock(mu_);
  corrupt_.clear();
  fail_read_.clear();
  fail_write_.clear();
  fail_all_ = false;
}

bool FaultDevice::hits(const std::vector<Range>& ranges, uint64_t off, uint64_t len) const {
  return std::any_of(ranges.begin(), ranges.end(), [&](const Range& r) { return r.overlaps(off, len); });
}

Status FaultDevice::pread(std::span<uint8_t> buf, uint64_t offset) {
  reads_++;
  std::vector<Range> corrupt;
  {
    std::lock_guard lock(mu_);
    if (fail_all_) return make_error(EIO, "device {}: injected failure (device missing)", path());
    if (hits(fail_read_, offset, buf.size()))
      return make_error(EIO, "device {}: injected read error at offset {} ({} bytes)", path(),
                        offset, buf.size());
    corrupt = corrupt_;
  }
  FZ_CHECK(inner_->pread(buf, offset));
  for (const Range& r : corrupt) {
    if (!r.overlaps(offset, buf.size())) continue;
    const uint64_t from = std::max(r.offset, offset);
    const uint64_t to = std::min(r.offset + r.length, offset + buf.size());
    for (uint64_t i = from; i < to; i++) buf[i - offset] = static_cast<uint8_t>(~buf[i - offset]);
  }
  return Status::Ok();
}

Status FaultDevice::pwrite(std::span<const uint8_t> buf, uint64_t offset) {
  writes_++;
  {
    std::lock_guard lock(mu_);
    if (fail_all_) return make_error(EIO, "device {}: injected failure (device missing)", path());
    if (hits(fail_write_, offset, buf.size()))
      return make_error(EIO, "device {}: injected write error at offset {} ({} bytes)", path(),
                        offset, buf.size());
  }
  return inner_->pwrite(buf, offset);
}

Status FaultDevice::flush() {
  {
    std::lock_guard lock(mu_);
    if (fail_all_) return make_error(EIO, "device {}: injected failure (device missing)", path());
  }
  return inner_->flush();
}

}  // namespace fzfs
