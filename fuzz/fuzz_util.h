// Helpers shared by the libFuzzer targets: an in-memory ObjectData cut from the input.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/dmu/object_data.h"

namespace fzfs::fuzz {

// The input split into equal blocks; block size is 512 << (first byte % 9) (up to 128 K).
class BytesObject final : public ObjectData {
 public:
  BytesObject(const uint8_t* data, size_t size) {
    if (size == 0) return;
    bs_ = 512u << (data[0] % 9);
    bytes_.assign(data + 1, data + size);
    foreign_ = data[0] & 0x80;
  }
  uint64_t object() const override { return 1; }
  uint64_t block_size() const override { return bs_; }
  uint64_t max_blkid() const override { return bytes_.empty() ? 0 : (bytes_.size() - 1) / bs_; }
  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const override {
    std::vector<uint8_t> out(bs_, 0);
    uint64_t off = blkid * bs_;
    if (off < bytes_.size()) std::memcpy(out.data(), bytes_.data() + off, std::min<uint64_t>(bs_, bytes_.size() - off));
    *foreign = foreign_;
    return out;
  }

 private:
  uint64_t bs_ = 512;
  bool foreign_ = false;
  std::vector<uint8_t> bytes_;
};

}  // namespace fzfs::fuzz
