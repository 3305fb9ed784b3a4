// A MutableObjectData over memory, for tests: blocks are kept as written, a block can be
// marked as written by the other byte order, and reads and writes are counted so tests
// can see which blocks an operation touched.
#pragma once

#include <map>
#include <set>

#include "engine/dmu/object_data.h"

namespace fzfs {

class MemoryObject : public MutableObjectData {
 public:
  explicit MemoryObject(uint64_t block_size = 512, uint64_t object = 77)
      : object_(object), block_size_(block_size) {}

  std::map<uint64_t, std::vector<uint8_t>> blocks;
  std::set<uint64_t> foreign;       // blocks stored in the other byte order
  std::set<uint64_t> written;       // blocks written since the last clear
  uint64_t writes = 0;

  uint64_t object() const override { return object_; }
  uint64_t block_size() const override { return block_size_; }
  uint64_t max_blkid() const override { return blocks.empty() ? 0 : blocks.rbegin()->first; }

  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* is_foreign) const override {
    *is_foreign = foreign.count(blkid) != 0;
    auto it = blocks.find(blkid);
    if (it == blocks.end()) return std::vector<uint8_t>(block_size_, 0);
    std::vector<uint8_t> out = it->second;
    out.resize(block_size_, 0);
    return out;
  }

  Status write_block(uint64_t blkid, std::span<const uint8_t> data) override {
    if (data.size() != block_size_)
      return make_error(EINVAL, "object {}: write of {} bytes, block size {}", object_, data.size(), block_size_);
    blocks[blkid].assign(data.begin(), data.end());
    foreign.erase(blkid);
    written.insert(blkid);
    writes++;
    return Status::Ok();
  }

  Status set_block_size(uint64_t bytes) override {
    if (max_blkid() > 0)
      return make_error(EINVAL, "object {}: block size change with {} blocks", object_, max_blkid() + 1);
    block_size_ = bytes;
    if (blocks.count(0)) blocks[0].resize(bytes, 0);
    return Status::Ok();
  }

 private:
  uint64_t object_;
  uint64_t block_size_;
};

}  // namespace fzfs
