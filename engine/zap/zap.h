// ZAP ("ZFS attribute processor") objects map names to small arrays of integers:
// directories, property lists, the SA registry, the MOS directory. Two encodings exist,
// chosen per object by the first u64 of block 0. This reader handles both, in either
// byte order, and treats every block as hostile input.
//
// Micro ZAP (block 0 only; every value is one u64; names < 50 bytes):
//
//   offset 0    +------------------------------+
//               | block type = ZBT_MICRO  u64  |   0x8000000000000003
//               | salt                    u64  |   seeds the name hash
//               | normflags               u64  |   unicode normalization of names
//               | pad[5]                  u64  |
//   offset 64   +------------------------------+
//               | entry 0 (64 bytes)           |   value u64 | cd u32 | pad u16 |
//               | entry 1                      |   name[50], NUL-terminated;
//               | ... (block_size/64 - 1)      |   name[0] == 0 marks a free slot
//               +------------------------------+
//
// Fat ZAP: block 0 is the header, the other blocks are leaves or pointer-table blocks.
//
//   block 0     +------------------------------+ 0
//               | block type = ZBT_HEADER u64  |   0x8000000000000001
//               | magic = 0x2F52AB2AB     u64  |
//               | ptrtbl: zt_blk          u64  |   first block of an external table
//               |         zt_numblks      u64  |   0 => table embedded in block 0
//               |         zt_shift        u64  |   table has 2^zt_shift entries
//               |         zt_nextblk      u64  |   (growth in progress; unused here)
//               |         zt_blks_copied  u64  |
//               | freeblk                 u64  |
//               | num_leafs               u64  |
//               | num_entries             u64  |   what zap_count reports
//               | salt                    u64  |
//               | normflags               u64  |
//               | flags                   u64  |   bit0 HASH64, bit1 UINT64_KEY, bit2 PRE_HASHED
//               +- - - - - - - - - - - - - - - + block_size/2
//               | embedded pointer table       |   2^(bs-4) u64 leaf block ids
//               +------------------------------+ block_size
//
//   Pointer table: entry i = block id of the leaf owning hashes whose top zt_shift bits
//   equal i. An external table spans zt_numblks blocks of 2^(bs-3) u64 each. Several
//   consecutive entries point to the same leaf when its prefix is shorter than zt_shift.
//
//   leaf block  +------------------------------+ 0
//               | block type = ZBT_LEAF   u64  |   0x8000000000000000
//               | pad1 (old next-leaf)    u64  |
//               | prefix                  u64  |   top prefix_len bits of its hashes
//               | magic 0x2AB1EAF u32 | nfree u16 | nentries u16 |
//               | prefix_len u16 | freelist u16 | flags u8 | pad[11] |
//               +------------------------------+ 48
//               | hash table: 2^(bs-5) u16     |   chunk index of a bucket's first
//               |                              |   entry, 0xFFFF = empty
//               +------------------------------+ 48 + 2^(bs-4)
//               | chunks, 24 bytes each,       |   (block_size - 2^(bs-4)) / 24 - 2
//               | to the end of the block      |   of them
//               +------------------------------+
//
//   entry chunk:  type=252 u8 | value_intlen u8 | next u16 | name_chunk u16 |
//                 name_numints u16 | value_chunk u16 | value_numints u16 |
//                 cd u32 | hash u64
//   array chunk:  type=251 u8 | 21 payload bytes | next u16 (0xFFFF ends the chain)
//   free chunk:   type=253 u8 | 21 unused bytes  | next u16
//
//   The bucket of a hash h is the leaf-hash-shift bits just below the leaf's prefix:
//   (h >> (64 - (bs-5) - prefix_len)) & (2^(bs-5) - 1). Entries in a bucket chain through
//   `next`; entries with equal hash differ by cd. Names (including their NUL) and values
//   are byte streams across array chunks, integers stored big-endian whatever the host,
//   so only the structure fields above depend on the writer's byte order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dmu/object_data.h"
#include "engine/util/status.h"

namespace fzfs {

// ZAP flag bits (fat ZAP header zap_flags).
inline constexpr uint64_t kZapFlagHash64 = 1 << 0;
inline constexpr uint64_t kZapFlagUint64Key = 1 << 1;
inline constexpr uint64_t kZapFlagPreHashedKey = 1 << 2;

class FatZap;

struct ZapEntry {
  std::string name;               // empty for ZAP_FLAG_UINT64_KEY objects (see key)
  std::vector<uint64_t> key;      // the key words, only for ZAP_FLAG_UINT64_KEY objects
  uint8_t int_size = 8;           // 1, 2, 4 or 8
  uint64_t num_ints = 1;
  std::vector<uint64_t> ints;     // the values when int_size > 1
  std::vector<uint8_t> bytes;     // the values when int_size == 1 (strings, packed data)
  uint64_t hash = 0;
  uint32_t cd = 0;
};

// Reads one ZAP object. The ObjectData must outlive the reader.
class MicroZapBlock;

class ZapReader {
 public:
  static Result<ZapReader> open(const ObjectData& obj);

  bool is_micro() const { return micro_; }
  uint64_t salt() const { return salt_; }
  uint64_t normflags() const { return normflags_; }
  uint64_t flags() const { return flags_; }
  // Entries as ZFS counts them (micro: used slots; fat: the header's num_entries).
  uint64_t count() const { return count_; }

  // nullopt when absent. EINVAL for a ZAP keyed by uint64 arrays.
  Result<std::optional<ZapEntry>> lookup(std::string_view name) const;
  // The single integer value of name; ENOENT when absent, EOVERFLOW when the value has
  // more than one integer.
  Result<uint64_t> lookup_u64(std::string_view name) const;
  // Calls emit for every entry in (hash, cd) order, as ZFS's cursor does; stops early
  // when emit returns false.
  Status list(const std::function<bool(const ZapEntry&)>& emit) const;
  Result<std::vector<ZapEntry>> list_all() const;

 private:
  ZapReader() = default;

  uint64_t object_ = 0;
  bool micro_ = false;
  uint64_t salt_ = 0;
  uint64_t normflags_ = 0;
  uint64_t flags_ = 0;
  uint64_t count_ = 0;
  std::shared_ptr<const MicroZapBlock> micro_block_;  // micro ZAP: block 0 as read
  std::shared_ptr<const FatZap> fat_;    // fat ZAP: header geometry and pointer table
};

}  // namespace fzfs
