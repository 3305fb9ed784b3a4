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

// ---- Writing -------------------------------------------------------------------------
//
// The writer appends batches: each batch of one type starts with a debug entry naming
// the action, sync pass and txg, then one entry per range in the order given. Without
// spacemap_v2 (every legacy pool version) only one-word entries exist and a run longer
// than kSmRunMax units is cut into several entries. With spacemap_v2 active a range
// whose run or offset does not fit one word gets a two-word entry (runs above
// kSm2RunMax are cut); a two-word entry that would start in a block's last word is
// preceded by an all-zero debug word so that it begins the next block:
//
//   block k:   ... | entry | entry | 0x8000000000000000 (pad) |
//   block k+1: | two-word w1 | two-word w2 | ...

inline constexpr uint64_t kSmRunMax = 1ULL << 15;     // units in one one-word entry
inline constexpr uint64_t kSmOffsetMax = 1ULL << 47;  // one-word offsets are below this
inline constexpr uint64_t kSm2RunMax = 1ULL << 36;    // units in one two-word entry

// How a particular space map object is laid out on disk.
struct SpaceMapLayout {
  uint64_t block_size = 4096;  // the object's data block size (words never straddle it)
  bool two_word = false;       // feature spacemap_v2 active
};

// One range of a batch, in bytes of the vdev's DVA space (like RangeSet).
struct SpaceMapRange {
  SmType type = SmType::kAlloc;
  uint64_t start = 0;
  uint64_t length = 0;
};

// Encodes appends to one space map whose log already holds `length` bytes.
class SpaceMapWriter {
 public:
  SpaceMapWriter(const SpaceMapRegion& region, const SpaceMapLayout& layout, uint64_t length);

  // Appends `ranges` (a debug entry opens each run of equal type) written in sync pass
  // `sync_pass` of `txg`. Ranges must be non-empty, aligned to 1 << region.shift and
  // inside the region; nothing is appended when one is not.
  Status append(std::span<const SpaceMapRange> ranges, uint64_t txg, uint64_t sync_pass);

  const std::vector<uint64_t>& words() const { return words_; }  // words appended so far
  uint64_t length() const { return length_; }                     // log bytes, old + new
  int64_t alloc_delta() const { return alloc_delta_; }            // change to smp_alloc

 private:
  Status check(const SpaceMapRange& r) const;
  void put(uint64_t w);
  void entry(SmType type, uint64_t unit, uint64_t units);

  SpaceMapRegion region_;
  SpaceMapLayout layout_;
  uint64_t length_;
  int64_t alloc_delta_ = 0;
  std::vector<uint64_t> words_;
};

// The debug word that opens a batch (all fields zero is the padding word).
uint64_t space_map_debug_word(SmType action, uint64_t sync_pass, uint64_t txg);

// Condensing: a map that has grown long with ALLOC/FREE churn is rewritten from scratch
// as the metaslab's current allocated ranges, one ALLOC batch. The caller truncates the
// object, stores these words and sets smp_length to their size and smp_alloc to
// allocated.bytes(). (Empty when nothing is allocated.)
Result<std::vector<uint64_t>> encode_condensed_space_map(const RangeSet& allocated, const SpaceMapRegion& region,
                                                         const SpaceMapLayout& layout, uint64_t txg,
                                                         uint64_t sync_pass);

// When to condense, ZFS's rule: in sync pass 1 only, when the map is at least twice as
// long as its condensed form would be and longer than four records (a record being the
// larger of the block size and 1 << ashift), so small maps are left alone. ZFS also
// condenses a metaslab that has no free space left, whose map then shrinks to a few
// entries. `condensed_bytes` is the size encode_condensed_space_map would produce.
bool should_condense_space_map(uint64_t length, uint64_t condensed_bytes, uint64_t block_size, uint64_t ashift);

}  // namespace fzfs
