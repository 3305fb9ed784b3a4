// One fat ZAP leaf block (layout drawn in zap.h): its hash buckets, entry chains and
// array-chunk streams. Every index and chain is checked, so a corrupt leaf yields EIO.
// Internal to engine/zap.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/util/status.h"
#include "engine/zap/zap.h"

namespace fzfs {

class ZapLeaf {
 public:
  // block: the leaf as read (1 << bs bytes); foreign: written in the other byte order.
  // object and blkid only name the block in errors.
  static Result<ZapLeaf> parse(std::vector<uint8_t> block, bool foreign, int bs,
                               uint64_t object, uint64_t blkid);

  uint64_t prefix() const { return prefix_; }
  uint64_t prefix_len() const { return prefix_len_; }

  // The entry for a string key with hash h, or nullopt.
  Result<std::optional<ZapEntry>> lookup(uint64_t hash, std::string_view name) const;
  // All entries, sorted by (hash, cd). uint64_key: names are arrays of u64 words.
  Result<std::vector<ZapEntry>> entries(bool uint64_key) const;

 private:
  ZapLeaf() = default;

  size_t chunk_off(uint64_t chunk) const { return chunks_off_ + chunk * 24; }
  Error corrupt(std::string what) const;
  // The chunk indices of a bucket's entry chain, refusing loops and bad indices.
  Result<std::vector<uint16_t>> bucket_chain(uint64_t bucket, std::vector<bool>& seen) const;
  // nbytes of the array-chunk stream starting at chunk.
  Result<std::vector<uint8_t>> read_array(uint16_t chunk, uint64_t nbytes) const;
  Result<std::vector<uint8_t>> read_name(uint16_t entry, bool uint64_key) const;
  Status read_value(uint16_t entry, ZapEntry& e) const;
  Result<ZapEntry> decode(uint16_t entry, bool uint64_key) const;

  std::vector<uint8_t> block_;
  bool foreign_ = false;
  int bs_ = 0;
  uint64_t object_ = 0;
  uint64_t blkid_ = 0;
  uint64_t prefix_ = 0;
  uint64_t prefix_len_ = 0;
  uint64_t hash_entries_ = 0;
  uint64_t num_chunks_ = 0;
  size_t chunks_off_ = 0;
};

}  // namespace fzfs
