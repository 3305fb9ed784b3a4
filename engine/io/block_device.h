// The seam between fzfs and the operating system. Every byte the engine reads or writes
// goes through a BlockDevice, so tests can put a fault-injecting device in its place.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "engine/util/status.h"

namespace fzfs {

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;
  // Reads exactly buf.size() bytes at offset; a short read is an error (EIO).
  virtual Status pread(std::span<uint8_t> buf, uint64_t offset) = 0;
  virtual Status pwrite(std::span<const uint8_t> buf, uint64_t offset) = 0;
  virtual Status flush() = 0;
  virtual uint64_t size() const = 0;
  virtual const std::string& path() const = 0;
};

// Opens a regular file or block device. With exclusive=true it takes an exclusive
// flock so that no other fzfs process opens the same pool device at once.
Result<std::unique_ptr<BlockDevice>> open_file_device(const std::string& path, bool writable,
                                                      bool exclusive);

}  // namespace fzfs
