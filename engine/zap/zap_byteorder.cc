#include "engine/zap/zap_byteorder.h"

#include <algorithm>

#include "engine/util/byteorder.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

namespace {

template <typename T>
void swap_at(std::vector<uint8_t>& b, size_t off) {
  store<T>(&b[off], bswap(load<T>(&b[off])));
}

}  // namespace

void micro_block_to_host(std::vector<uint8_t>& block) {
  bswap_u64_array(block.data(), std::min(block.size(), kMicroHeaderSize));
  for (size_t off = kMicroHeaderSize; off + kMicroEntrySize <= block.size(); off += kMicroEntrySize) {
    swap_at<uint64_t>(block, off);      // value
    swap_at<uint32_t>(block, off + 8);  // cd
    swap_at<uint16_t>(block, off + 12); // pad
  }
}

void word_block_to_host(std::vector<uint8_t>& block) { bswap_u64_array(block.data(), block.size()); }

Status leaf_block_to_host(std::vector<uint8_t>& b, int bs, uint64_t object, uint64_t blkid) {
  if (b.size() != (size_t{1} << bs) || bs < kMinBlockShift || bs > kMaxBlockShift)
    return make_error(EIO, "zap object {} block {}: leaf of {} bytes", object, blkid, b.size());
  swap_at<uint64_t>(b, 0);
  swap_at<uint64_t>(b, 8);
  swap_at<uint64_t>(b, kLeafPrefix);
  swap_at<uint32_t>(b, kLeafMagicOff);
  for (size_t off : {kLeafNfree, kLeafNentries, kLeafPrefixLen, kLeafFreelist}) swap_at<uint16_t>(b, off);
  uint64_t nhash = leaf_hash_entries(bs);
  for (uint64_t i = 0; i < nhash; i++) swap_at<uint16_t>(b, kLeafHeaderSize + 2 * i);
  size_t chunks = kLeafHeaderSize + 2 * nhash;
  for (uint64_t i = 0; i < leaf_num_chunks(bs); i++) {
    size_t off = chunks + i * kChunkSize;
    switch (b[off]) {
      case kChunkEntry:
        for (size_t f : {kEntNext, kEntNameChunk, kEntNameNumints, kEntValueChunk, kEntValueNumints})
          swap_at<uint16_t>(b, off + f);
        swap_at<uint32_t>(b, off + kEntCd);
        swap_at<uint64_t>(b, off + kEntHash);
        break;
      case kChunkFree:
      case kChunkArray:
        swap_at<uint16_t>(b, off + kArrayNext);
        break;
      default:
        return make_error(EIO, "zap object {} block {}: chunk {} has unknown type {}", object, blkid, i, b[off]);
    }
  }
  return Status::Ok();
}

}  // namespace fzfs
