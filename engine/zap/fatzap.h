// A fat ZAP: the header in block 0, the pointer table (embedded or external) that maps
// hash prefixes to leaf blocks, and the walk over those leaves. Internal to engine/zap.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/dmu/object_data.h"
#include "engine/util/status.h"
#include "engine/zap/zap.h"
#include "engine/zap/zap_leaf.h"

namespace fzfs {

class FatZap {
 public:
  // block0: the header block as read; foreign: written in the other byte order.
  static Result<FatZap> open(const ObjectData& obj, std::span<const uint8_t> block0, bool foreign);

  uint64_t salt() const { return salt_; }
  uint64_t normflags() const { return normflags_; }
  uint64_t flags() const { return flags_; }
  uint64_t num_entries() const { return num_entries_; }

  Result<std::optional<ZapEntry>> lookup(std::string_view name) const;
  Status list(const std::function<bool(const ZapEntry&)>& emit) const;

 private:
  FatZap(const ObjectData& obj) : obj_(&obj) {}

  Error corrupt(uint64_t blkid, std::string what) const;
  Status check_ptrtbl(uint64_t zt_blk, uint64_t zt_numblks, uint64_t max_blkid) const;
  // Pointer-table entries [first, first + n) as leaf block ids.
  Result<std::vector<uint64_t>> ptrtbl_range(uint64_t first, uint64_t n) const;
  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const;
  Result<ZapLeaf> read_leaf(uint64_t blkid) const;

  const ObjectData* obj_;
  int bs_ = 0;
  uint64_t zt_blk_ = 0;     // external table's first block, 0 when embedded
  uint64_t zt_shift_ = 0;   // the table has 2^zt_shift entries
  uint64_t salt_ = 0;
  uint64_t normflags_ = 0;
  uint64_t flags_ = 0;
  uint64_t num_entries_ = 0;
  std::vector<uint64_t> embedded_;  // the embedded table, host order
};

}  // namespace fzfs
