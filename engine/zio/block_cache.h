// A small cache of verified, decompressed blocks (the role the ARC plays in ZFS), keyed
// by where the block lives and when it was born, so a block reached through several
// paths (an indirect block shared by a dataset and its snapshots) is read once.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "engine/zio/blkptr.h"

namespace fzfs {

using BlockData = std::shared_ptr<const std::vector<uint8_t>>;

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  struct Key {
    uint64_t vdev_offset;  // DVA[0] vdev (top 16 bits) and offset
    uint64_t birth;
    bool operator==(const Key&) const = default;
    // A block is cached under its first DVA and birth txg, which name its bytes.
    static Key of(const Blkptr& bp) { return Key{(bp.dva[0].vdev() << 48) ^ bp.dva[0].offset(), bp.birth}; }
  };

  struct KeyHash {
    size_t operator()(const Key& k) const { return k.vdev_offset * 0x9e3779b97f4a7c15ULL ^ k.birth; }
  };

  BlockData get(const Key& k);
  void put(const Key& k, BlockData data);
  void erase(const Key& k);
  size_t size_bytes() const;

 private:
  using Lru = std::list<std::pair<Key, BlockData>>;
  mutable std::mutex mu_;
  size_t capacity_;
  size_t bytes_ = 0;
  Lru lru_;  // front = most recently used
  std::unordered_map<Key, Lru::iterator, KeyHash> index_;
};

}  // namespace fzfs
