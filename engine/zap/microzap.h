// Decoding of a micro ZAP's single block. Internal to engine/zap.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/util/status.h"
#include "engine/zap/zap.h"

namespace fzfs {

struct MicroZap {
  uint64_t salt = 0;
  uint64_t normflags = 0;
  std::vector<ZapEntry> entries;  // used slots, sorted by (hash, cd) like ZFS's tree
};

// block0: the object's block 0 as read; foreign: written in the other byte order.
Result<MicroZap> parse_micro_zap(std::span<const uint8_t> block0, bool foreign, uint64_t object);

// A micro ZAP block kept as read. A lookup scans the slots in place; hashing and sorting
// every entry (what a listing needs) happens once, on the first listing. Directories are
// looked up far more often than listed, and a write invalidates the whole block.
class MicroZapBlock {
 public:
  // EIO when the block is too small or a name is not terminated.
  static Result<std::shared_ptr<const MicroZapBlock>> open(std::vector<uint8_t> block0, bool foreign,
                                                           uint64_t object);

  uint64_t salt() const { return salt_; }
  uint64_t normflags() const { return normflags_; }
  uint64_t count() const { return count_; }
  // The entry whose stored name is exactly `name`.
  std::optional<ZapEntry> find(std::string_view name) const;
  // Every entry in (hash, cd) order.
  const std::vector<ZapEntry>& sorted() const;

 private:
  MicroZapBlock() = default;
  ZapEntry entry_at(size_t slot_off, std::string_view name) const;

  std::vector<uint8_t> block_;
  bool foreign_ = false;
  uint64_t object_ = 0, salt_ = 0, normflags_ = 0, count_ = 0;
  mutable std::once_flag sorted_once_;
  mutable std::vector<ZapEntry> sorted_;
};

}  // namespace fzfs
