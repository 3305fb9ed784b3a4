// Decoding of a micro ZAP's single block. Internal to engine/zap.
#pragma once

#include <cstdint>
#include <span>
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

}  // namespace fzfs
