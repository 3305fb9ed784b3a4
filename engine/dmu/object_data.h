// A read-only view of one DMU object's data blocks, as the layers above the DMU (ZAP,
// SA, ZPL) need it. The DMU implements it over a dnode's block tree; tests implement it
// over memory.
#pragma once

#include <cstdint>
#include <span>
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

// An object being changed in an open transaction group (ZAP and SA writers work on it).
// Blocks written here are always in host byte order; read_block() of a block that was
// written in the other byte order still reports *foreign = true, and the writer must
// convert what it rewrites.
class MutableObjectData : public ObjectData {
 public:
  // Replaces data block `blkid` with `data` (exactly block_size() bytes); max_blkid()
  // grows to cover it.
  virtual Status write_block(uint64_t blkid, std::span<const uint8_t> data) = 0;
  // Changes the data block size. As in ZFS, only while the object has at most one block
  // (block 0): a micro ZAP doubling, or its upgrade to a fat ZAP. Block 0's bytes are
  // kept (cut or zero-extended to the new size).
  virtual Status set_block_size(uint64_t bytes) = 0;
};

}  // namespace fzfs
