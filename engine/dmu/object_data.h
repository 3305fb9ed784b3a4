// A read-only view of one DMU object's data blocks, as the layers above the DMU (ZAP,
// SA, ZPL) need it. The DMU implements it over a dnode's block tree; tests implement it
// over memory.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

class ObjectData {
 public:
  virtual ~ObjectData() = default;
  virtual uint64_t object() const = 0;      // object number, for error messages
  virtual uint64_t block_size() const = 0;  // data block size in bytes
  virtual uint64_t max_blkid() const = 0;   // highest data block id in use
  // Reads data block blkid (block_size() bytes; zeros for a hole). *foreign is set true
  // when the block was written in the other byte order, so its structure needs swapping.
  virtual Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const = 0;
};

}  // namespace fzfs
