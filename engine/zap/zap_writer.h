// Changes ZAP objects (layouts drawn in zap.h) through the DMU's MutableObjectData: creates
// micro or fat ZAPs, adds, replaces and removes entries, and upgrades a micro ZAP to a fat
// one when ZFS would. Every operation re-reads the blocks it needs (block 0, one pointer
// table block, one or two leaves), converts foreign-order blocks to host order, checks
// them, and writes back only the blocks it changed, all at the end, so an error leaves
// the object as it was.
//
// The rules are those of the ZFS code that wrote pool versions 1-28 (zfs-fuse, pool v23;
// zap_micro.c, zap.c, zap_leaf.c), so that replaying zfs-fuse's operations rebuilds its
// blocks byte for byte (zap_writer_test checks this against real blocks):
//  - a new micro ZAP is one 512-byte block; when all its slots are used and an entry is
//    added or updated, the block grows by 512 bytes, up to 128 KiB; a new entry takes the
//    first free slot from where the last add stopped, and the lowest collision
//    differentiator (cd) unused by entries of equal hash;
//  - it becomes a fat ZAP of 16 KiB blocks for a value other than one u64, a name of 50
//    bytes or more, an add past 128 KiB, or an add of a hash already held by so many
//    entries that they would not fit one fat leaf; entries are re-added in slot order with
//    their cds;
//  - a full fat leaf splits on its next hash bit, entries moving in chunk order, the
//    pointer table doubling first when the leaf already uses all of its bits; the table
//    also doubles early when, after an insert, such a leaf has fewer than 20 free chunks;
//    it moves out of block 0 into a block of its own when it outgrows half of block 0;
//  - freed chunks go onto the front of the leaf's free list one at a time (name, value,
//    then entry), so later entries reuse them in that order.
// Differences from ZFS that only change which blocks hold what: a pointer table larger
// than one block doubles in one operation (ZFS copies one block per operation; a copy it
// left under way is finished first), and leaves never merge after removals (OpenZFS 2.3).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/dmu/object_data.h"
#include "engine/util/status.h"
#include "engine/zap/zap.h"

namespace fzfs {

// A value: num_ints integers of int_size (1, 2, 4 or 8) bytes each.
struct ZapValue {
  uint8_t int_size = 8;
  std::vector<uint64_t> ints;

  static ZapValue u64(uint64_t v) { return ZapValue{8, {v}}; }
  static ZapValue array(uint8_t int_size, std::vector<uint64_t> ints) {
    return ZapValue{int_size, std::move(ints)};
  }
  static ZapValue bytes(std::span<const uint8_t> b) {
    return ZapValue{1, std::vector<uint64_t>(b.begin(), b.end())};
  }
  bool is_single_u64() const { return int_size == 8 && ints.size() == 1; }
  // The integers as stored in leaf array chunks: big-endian, packed.
  std::vector<uint8_t> stored_bytes() const;
};

// A key: a name, or for ZAP_FLAG_UINT64_KEY objects an array of u64 words.
struct ZapKey {
  std::string_view name;
  std::span<const uint64_t> words;
  bool is_words = false;

  static ZapKey of_name(std::string_view n) { return ZapKey{n, {}, false}; }
  static ZapKey of_words(std::span<const uint64_t> w) { return ZapKey{{}, w, true}; }
};

struct ZapCreateOptions {
  bool fat = false;      // a fat ZAP from the start (forced when flags != 0)
  uint64_t flags = 0;    // kZapFlagHash64 | kZapFlagUint64Key | kZapFlagPreHashedKey
  uint64_t normflags = 0;
  std::optional<uint64_t> salt;  // random when unset; ZFS salts are odd, so bit 0 is set
  int fat_block_shift = 14;      // block size of a fat ZAP (fzap_default_block_shift)
};

// Keep one writer per object while it is in use: it carries the micro ZAP's next-slot
// hint, as ZFS keeps it in its in-memory zap_t (a new writer starts from slot 0, which is
// also valid, only laid out differently).
class ZapWriter {
 public:
  // Lays out an empty ZAP in obj (which should hold no data yet): block 0 and, for a fat
  // ZAP, its first leaf in block 1.
  static Result<ZapWriter> create(MutableObjectData& obj, const ZapCreateOptions& opts = {});
  // A writer over an existing ZAP. Block 0 is checked now; the rest as it is reached.
  static Result<ZapWriter> open(MutableObjectData& obj);

  Result<bool> is_micro() const;
  Result<uint64_t> count() const;

  // EEXIST when the key is present.
  Status add(const ZapKey& key, const ZapValue& value);
  // Adds or replaces.
  Status update(const ZapKey& key, const ZapValue& value);
  // ENOENT when the key is absent.
  Status remove(const ZapKey& key);
  // nullopt when absent. Names are looked up by the ZapReader; uint64 keys here.
  Result<std::optional<ZapEntry>> lookup(const ZapKey& key) const;

  Status add(std::string_view name, uint64_t v) { return add(ZapKey::of_name(name), ZapValue::u64(v)); }
  Status update(std::string_view name, uint64_t v) {
    return update(ZapKey::of_name(name), ZapValue::u64(v));
  }
  Status remove(std::string_view name) { return remove(ZapKey::of_name(name)); }

 private:
  explicit ZapWriter(MutableObjectData& obj) : obj_(&obj) {}
  enum class Mode { kAdd, kUpdate };
  Status put(const ZapKey& key, const ZapValue& value, Mode mode);
  Status put_micro(const ZapKey& key, const ZapValue& value, Mode mode, std::vector<uint8_t> block0);

  MutableObjectData* obj_;
  // Where the next micro ZAP slot search starts (ZFS keeps this hint in memory only).
  uint64_t micro_alloc_next_ = 0;
};

}  // namespace fzfs
