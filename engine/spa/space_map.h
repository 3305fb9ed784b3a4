// Space maps: the on-disk log of a metaslab's allocations and frees. A space map is a
// DMU object of the MOS (type SPACE_MAP) whose data is an array of u64 entries appended
// txg after txg; replaying them in order gives the allocated ranges of the region it
// covers. Its bonus (space_map_phys) says how much of the log is in use:
//
//   bonus:  0 smp_object (historic)  8 smp_length (bytes of log in use)
//          16 smp_alloc (bytes allocated, signed)  24 pad[5]
//          64 smp_histogram[32] (free-segment histogram; absent in pools before v19)
//
// Entries (offsets and runs in units of 1 << shift, the vdev's ashift; offsets are
// relative to the start of the region the map covers, i.e. the metaslab):
//
//   debug (one word): marks the txg and sync pass of the entries that follow
//     63 62 | 61 60  | 59 ... 50 | 49 ........... 0
//      1  0 | action | sync pass | txg (low bits)
//
//   one-word entry
//     63 | 62 ............ 16 | 15   | 14 ....... 0
//      0 | offset (47 bits)   | type | run - 1
//
//   two-word entry (feature spacemap_v2; also carries a vdev id, as log space maps need)
//     word 1:  63 62 | 61 60 | 59 ......... 24 | 23 ...... 0
//               1  1 |  pad  | run - 1 (36 b)  | vdev id
//     word 2:  63   | 62 ...................... 0
//              type | offset (63 bits)
//
//   type: 0 = ALLOC, 1 = FREE. A two-word entry never straddles a block: the writer
//   pads the last word of a block with an all-zero debug entry instead.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/util/range_set.h"
#include "engine/util/status.h"

namespace fzfs {

inline constexpr uint64_t kSpaceMapHistogramSize = 32;
inline constexpr uint32_t kSmNoVdev = 1u << 24;  // an entry that names no vdev

struct SpaceMapPhys {
  uint64_t object = 0;
  uint64_t length = 0;
  int64_t alloc = 0;
  std::vector<uint64_t> histogram;  // empty for the 24-byte bonus of old pools

  static Result<SpaceMapPhys> decode(std::span<const uint8_t> bonus, bool little);
};

enum class SmType { kAlloc = 0, kFree = 1 };

struct SpaceMapEntry {
  SmType type = SmType::kAlloc;
  uint32_t vdev = kSmNoVdev;
  uint64_t offset = 0;     // units of 1 << shift, relative to the map's start
  uint64_t run = 0;        // units of 1 << shift, at least 1
  uint64_t txg = 0;        // from the last debug entry before it (0 if none)
  uint64_t sync_pass = 0;
  uint64_t index = 0;      // word index of the entry's first word in the log
};

// Decodes a space map's words as they arrive, block by block, and calls back for each
// ALLOC/FREE entry. Debug entries only update txg and sync pass.
class SpaceMapParser {
 public:
  using Callback = std::function<Status(const SpaceMapEntry&)>;
  explicit SpaceMapParser(Callback cb) : cb_(std::move(cb)) {}

  // Feeds the next bytes of the log (a multiple of 8) in the writer's byte order.
  Status feed(std::span<const uint8_t> bytes, bool little);
  // Ends the log: an unfinished two-word entry is an error.
  Status finish() const;
  uint64_t words() const { return words_; }

 private:
  Status word(uint64_t w);

  Callback cb_;
  uint64_t words_ = 0;
  uint64_t txg_ = 0, sync_pass_ = 0;
  bool pending_ = false;  // saw the first word of a two-word entry
  uint64_t first_ = 0;
};

// Reads a space map's log of `length` bytes through `read_block` (block blkid of the
// object: its bytes and whether little-endian), `block_size` bytes per block.
using SpaceMapBlockReader = std::function<Status(uint64_t blkid, std::vector<uint8_t>* out, bool* little)>;
Status read_space_map(uint64_t length, uint64_t block_size, const SpaceMapBlockReader& read_block,
                      const SpaceMapParser::Callback& cb);

// The region a space map describes: bytes [start, start + size) of a vdev, in units of
// 1 << shift.
struct SpaceMapRegion {
  uint64_t start = 0;
  uint64_t size = 0;
  uint64_t shift = 9;
};

// Applies one entry to the allocated set of its region: ALLOC adds its range, FREE
// removes it. A range outside the region, an ALLOC of allocated space or a FREE of free
// space is an error (the map contradicts itself).
Status apply_space_map_entry(const SpaceMapEntry& e, const SpaceMapRegion& region, RangeSet* allocated);

}  // namespace fzfs
