#include "engine/zap/zap_leaf.h"

#include <algorithm>
#include <cstring>

#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

Result<ZapLeaf> ZapLeaf::parse(std::vector<uint8_t> block, bool foreign, int bs,
                               uint64_t object, uint64_t blkid) {
  ZapLeaf l;
  l.foreign_ = foreign;
  l.bs_ = bs;
  l.object_ = object;
  l.blkid_ = blkid;
  if (block.size() != (size_t{1} << bs))
    return l.corrupt(fmt::format("leaf is {} bytes, expected {}", block.size(), size_t{1} << bs));
  BlockView b(block, foreign);
  if (b.u64(0) != kBlockLeaf) return l.corrupt(fmt::format("not a leaf (block type {:#x})", b.u64(0)));
  if (b.u32(kLeafMagicOff) != kLeafMagic)
    return l.corrupt(fmt::format("bad leaf magic {:#x}", b.u32(kLeafMagicOff)));
  l.prefix_ = b.u64(kLeafPrefix);
  l.prefix_len_ = b.u16(kLeafPrefixLen);
  // The bucket index is taken from the bits just below the prefix; both must fit in
  // the 64-bit hash.
  if (l.prefix_len_ + (bs - 5) > 64)
    return l.corrupt(fmt::format("prefix length {} too long", l.prefix_len_));
  l.hash_entries_ = leaf_hash_entries(bs);
  l.num_chunks_ = leaf_num_chunks(bs);
  l.chunks_off_ = kLeafHeaderSize + 2 * l.hash_entries_;
  l.block_ = std::move(block);
  return l;
}

Error ZapLeaf::corrupt(std::string what) const {
  return make_error(EIO, "zap object {} block {}: {}", object_, blkid_, what);
}

Result<std::vector<uint16_t>> ZapLeaf::bucket_chain(uint64_t bucket,
                                                    std::vector<bool>& seen) const {
  BlockView b(block_, foreign_);
  std::vector<uint16_t> chain;
  uint16_t chunk = b.u16(kLeafHeaderSize + 2 * bucket);
  while (chunk != kChainEnd) {
    if (chunk >= num_chunks_)
      return corrupt(fmt::format("bucket {}: chunk index {} out of range", bucket, chunk));
    if (seen[chunk]) return corrupt(fmt::format("bucket {}: entry chain loops at chunk {}", bucket, chunk));
    seen[chunk] = true;
    if (b.u8(chunk_off(chunk)) != kChunkEntry)
      return corrupt(fmt::format("bucket {}: chunk {} is not an entry", bucket, chunk));
    chain.push_back(chunk);
    chunk = b.u16(chunk_off(chunk) + kEntNext);
  }
  return chain;
}

Result<std::vector<uint8_t>> ZapLeaf::read_array(uint16_t chunk, uint64_t nbytes) const {
  // A stream longer than every chunk of the leaf cannot be real; refusing it also
  // bounds the walk below, so a looping chain cannot hang us.
  if (nbytes > num_chunks_ * kArrayBytes)
    return corrupt(fmt::format("array of {} bytes exceeds the leaf", nbytes));
  BlockView b(block_, foreign_);
  std::vector<uint8_t> out;
  out.reserve(nbytes);
  while (out.size() < nbytes) {
    if (chunk >= num_chunks_)
      return corrupt(fmt::format("array chunk index {} out of range", chunk));
    size_t off = chunk_off(chunk);
    if (b.u8(off) != kChunkArray)
      return corrupt(fmt::format("chunk {} is not an array chunk", chunk));
    size_t take = std::min<uint64_t>(kArrayBytes, nbytes - out.size());
    out.insert(out.end(), b.bytes(off + 1), b.bytes(off + 1) + take);
    chunk = b.u16(off + kArrayNext);
  }
  return out;
}

Result<std::vector<uint8_t>> ZapLeaf::read_name(uint16_t entry, bool uint64_key) const {
  BlockView b(block_, foreign_);
  size_t off = chunk_off(entry);
  uint64_t numints = b.u16(off + kEntNameNumints);
  return read_array(b.u16(off + kEntNameChunk), numints * (uint64_key ? 8 : 1));
}

Status ZapLeaf::read_value(uint16_t entry, ZapEntry& e) const {
  BlockView b(block_, foreign_);
  size_t off = chunk_off(entry);
  e.int_size = b.u8(off + kEntIntlen);
  e.num_ints = b.u16(off + kEntValueNumints);
  if (e.int_size != 1 && e.int_size != 2 && e.int_size != 4 && e.int_size != 8)
    return corrupt(fmt::format("chunk {}: bad value integer size {}", entry, e.int_size));
  FZ_TRY(auto raw, read_array(b.u16(off + kEntValueChunk), e.num_ints * e.int_size));
  if (e.int_size == 1) {
    e.bytes = std::move(raw);
    return Status::Ok();
  }
  // Array payloads are big-endian whatever the writer's order.
  e.ints.resize(e.num_ints);
  for (uint64_t i = 0; i < e.num_ints; i++) {
    uint64_t v = 0;
    for (int k = 0; k < e.int_size; k++) v = (v << 8) | raw[i * e.int_size + k];
    e.ints[i] = v;
  }
  return Status::Ok();
}

Result<ZapEntry> ZapLeaf::decode(uint16_t entry, bool uint64_key) const {
  BlockView b(block_, foreign_);
  size_t off = chunk_off(entry);
  ZapEntry e;
  e.hash = b.u64(off + kEntHash);
  e.cd = b.u32(off + kEntCd);
  FZ_TRY(auto name, read_name(entry, uint64_key));
  if (uint64_key) {
    for (size_t i = 0; i + 8 <= name.size(); i += 8) e.key.push_back(load_be<uint64_t>(&name[i]));
  } else {
    // The stored name includes its NUL; keep the bytes before the first NUL.
    auto nul = std::find(name.begin(), name.end(), uint8_t{0});
    e.name.assign(name.begin(), nul);
  }
  FZ_CHECK(read_value(entry, e));
  return e;
}

Result<std::optional<ZapEntry>> ZapLeaf::lookup(uint64_t hash, std::string_view name) const {
  uint64_t shift = 64 - (bs_ - 5) - prefix_len_;
  uint64_t bucket = shift >= 64 ? 0 : (hash >> shift) & (hash_entries_ - 1);
  std::vector<bool> seen(num_chunks_);
  FZ_TRY(auto chain, bucket_chain(bucket, seen));
  BlockView b(block_, foreign_);
  for (uint16_t entry : chain) {
    size_t off = chunk_off(entry);
    if (b.u64(off + kEntHash) != hash) continue;
    if (b.u16(off + kEntNameNumints) != name.size() + 1) continue;
    FZ_TRY(auto stored, read_name(entry, false));
    if (stored.back() != 0 || std::memcmp(stored.data(), name.data(), name.size()) != 0) continue;
    FZ_TRY(auto e, decode(entry, false));
    return std::optional<ZapEntry>(std::move(e));
  }
  return std::optional<ZapEntry>();
}

Result<std::vector<ZapEntry>> ZapLeaf::entries(bool uint64_key) const {
  std::vector<ZapEntry> out;
  std::vector<bool> seen(num_chunks_);
  for (uint64_t bucket = 0; bucket < hash_entries_; bucket++) {
    FZ_TRY(auto chain, bucket_chain(bucket, seen));
    for (uint16_t entry : chain) {
      FZ_TRY(auto e, decode(entry, uint64_key));
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const ZapEntry& a, const ZapEntry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.cd < b.cd;
  });
  return out;
}

}  // namespace fzfs
