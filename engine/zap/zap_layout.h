// On-disk constants of the ZAP encodings (drawn in zap.h) and a byte-order-aware view
// of one block. Internal to engine/zap.
#pragma once

#include <cstdint>
#include <span>

#include "engine/util/byteorder.h"

namespace fzfs::zap_layout {

inline constexpr uint64_t kBlockLeaf = (uint64_t{1} << 63) + 0;
inline constexpr uint64_t kBlockHeader = (uint64_t{1} << 63) + 1;
inline constexpr uint64_t kBlockMicro = (uint64_t{1} << 63) + 3;
inline constexpr uint64_t kZapMagic = 0x2F52AB2ABULL;
inline constexpr uint32_t kLeafMagic = 0x2AB1EAF;

// Micro ZAP.
inline constexpr size_t kMicroHeaderSize = 64;
inline constexpr size_t kMicroEntrySize = 64;
inline constexpr size_t kMicroNameOffset = 14;  // after value u64, cd u32, pad u16
inline constexpr size_t kMicroNameLen = 50;

// Fat ZAP header field offsets.
inline constexpr size_t kHdrMagic = 8;
inline constexpr size_t kHdrPtrtblBlk = 16;
inline constexpr size_t kHdrPtrtblNumblks = 24;
inline constexpr size_t kHdrPtrtblShift = 32;
inline constexpr size_t kHdrPtrtblNextblk = 40;
inline constexpr size_t kHdrPtrtblBlksCopied = 48;
inline constexpr size_t kHdrFreeblk = 56;
inline constexpr size_t kHdrNumLeafs = 64;
inline constexpr size_t kHdrNumEntries = 72;
inline constexpr size_t kHdrSalt = 80;
inline constexpr size_t kHdrNormflags = 88;
inline constexpr size_t kHdrFlags = 96;

// Leaf header field offsets and geometry.
inline constexpr size_t kLeafPrefix = 16;
inline constexpr size_t kLeafMagicOff = 24;
inline constexpr size_t kLeafNfree = 28;
inline constexpr size_t kLeafNentries = 30;
inline constexpr size_t kLeafPrefixLen = 32;
inline constexpr size_t kLeafFreelist = 34;
inline constexpr size_t kLeafFlags = 36;
inline constexpr uint8_t kLeafFlagCdSorted = 1;  // entry chains kept in cd order
inline constexpr size_t kLeafHeaderSize = 48;
inline constexpr size_t kChunkSize = 24;
inline constexpr size_t kArrayBytes = 21;  // chunk minus type byte and next u16
inline constexpr uint16_t kChainEnd = 0xFFFF;
inline constexpr uint8_t kChunkFree = 253;
inline constexpr uint8_t kChunkEntry = 252;
inline constexpr uint8_t kChunkArray = 251;

// Entry chunk field offsets.
inline constexpr size_t kEntIntlen = 1;
inline constexpr size_t kEntNext = 2;
inline constexpr size_t kEntNameChunk = 4;
inline constexpr size_t kEntNameNumints = 6;
inline constexpr size_t kEntValueChunk = 8;
inline constexpr size_t kEntValueNumints = 10;
inline constexpr size_t kEntCd = 12;
inline constexpr size_t kEntHash = 16;
// Array chunk: payload at 1, next at 22.
inline constexpr size_t kArrayNext = 22;

// Smallest and largest fat ZAP block shifts we accept: below 512 bytes the layout
// degenerates, above 1 MiB chunk indices would no longer fit in a u16.
inline constexpr int kMinBlockShift = 9;
inline constexpr int kMaxBlockShift = 20;

inline uint64_t leaf_hash_entries(int bs) { return uint64_t{1} << (bs - 5); }
inline uint64_t leaf_num_chunks(int bs) {
  return ((uint64_t{1} << bs) - 2 * leaf_hash_entries(bs)) / kChunkSize - 2;
}

// The top n bits of a hash (the pointer-table index or a leaf prefix).
inline uint64_t hash_idx(uint64_t hash, uint64_t n) { return n == 0 ? 0 : hash >> (64 - n); }

// Fixed-width fields of one block in the writer's byte order. Offsets come from the
// validated geometry; an offset past the end still reads as zero rather than crashing.
class BlockView {
 public:
  BlockView(std::span<const uint8_t> data, bool foreign) : data_(data), foreign_(foreign) {}
  size_t size() const { return data_.size(); }
  const uint8_t* bytes(size_t off) const { return data_.data() + off; }
  uint8_t u8(size_t off) const { return off < data_.size() ? data_[off] : 0; }
  uint16_t u16(size_t off) const { return get<uint16_t>(off); }
  uint32_t u32(size_t off) const { return get<uint32_t>(off); }
  uint64_t u64(size_t off) const { return get<uint64_t>(off); }

 private:
  template <typename T>
  T get(size_t off) const {
    if (off > data_.size() || data_.size() - off < sizeof(T)) return 0;
    T v = load<T>(data_.data() + off);
    return foreign_ ? bswap(v) : v;
  }
  std::span<const uint8_t> data_;
  bool foreign_;
};

}  // namespace fzfs::zap_layout
