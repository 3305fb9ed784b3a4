#include "engine/io/memory_device.h"

#include <cstring>

namespace fzfs {

namespace {
bool in_range(uint64_t offset, uint64_t len, uint64_t size) {
  return offset <= size && len <= size - offset;
}
}  // namespace

Status MemoryDevice::pread(std::span<uint8_t> buf, uint64_t offset) {
  if (!in_range(offset, buf.size(), bytes_.size()))
    return make_error(EIO, "device {}: read of {} bytes at offset {} past the end ({} bytes)", path_,
                      buf.size(), offset, bytes_.size());
  if (!buf.empty()) std::memcpy(buf.data(), bytes_.data() + offset, buf.size());
  return Status::Ok();
}

Status MemoryDevice::pwrite(std::span<const uint8_t> buf, uint64_t offset) {
  if (!in_range(offset, buf.size(), bytes_.size()))
    return make_error(EIO, "device {}: write of {} bytes at offset {} past the end ({} bytes)",
                      path_, buf.size(), offset, bytes_.size());
  if (!buf.empty()) std::memcpy(bytes_.data() + offset, buf.data(), buf.size());
  return Status::Ok();
}

}  // namespace fzfs
