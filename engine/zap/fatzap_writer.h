// Changes a fat ZAP (layout drawn in zap.h) for one operation: finds the leaf of a hash
// through the pointer table, adds, replaces or removes entries, splits full leaves and
// doubles the pointer table (moving it out of block 0 when it outgrows the embedded
// half). Blocks are read once, converted to host order and checked, kept until commit()
// writes the changed ones; dropping the editor without commit() changes nothing.
// Internal to engine/zap.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "engine/dmu/object_data.h"
#include "engine/util/status.h"
#include "engine/zap/zap.h"
#include "engine/zap/zap_leaf_writer.h"
#include "engine/zap/zap_name.h"

namespace fzfs {

// A leaf whose prefix uses every pointer-table bit and has fewer free chunks than this
// after an insert makes the table double ahead of need (ZAP_LEAF_LOW_WATER).
inline constexpr uint64_t kLeafLowWater = 20;

class FatZapEditor {
 public:
  // An empty fat ZAP of blocks of 1 << bs bytes (the object's block size must be that
  // already): the header in block 0 with an embedded table naming leaf 1.
  static FatZapEditor fresh(MutableObjectData& obj, int bs, uint64_t salt, uint64_t normflags,
                            uint64_t flags);
  // block0: the header block in host order.
  static Result<FatZapEditor> open(MutableObjectData& obj, std::vector<uint8_t> block0);

  uint64_t salt() const;
  uint64_t normflags() const;
  uint64_t flags() const;
  uint64_t num_entries() const;

  // cd: a collision differentiator to keep (a micro ZAP's, on upgrade), else the lowest
  // free one. EEXIST when present.
  Status add(const ZapName& zn, const ZapValue& v, std::optional<uint32_t> cd = std::nullopt);
  Status update(const ZapName& zn, const ZapValue& v);
  Status remove(const ZapName& zn);  // ENOENT when absent
  Result<std::optional<ZapEntry>> lookup_words(const ZapName& zn);

  Status commit();

 private:
  FatZapEditor(MutableObjectData& obj, int bs) : obj_(&obj), bs_(bs) {}
  Error corrupt(uint64_t blkid, std::string what) const;
  Status check_header() const;

  uint64_t hdr(size_t off) const;
  void set_hdr(size_t off, uint64_t v);
  uint64_t block_bytes() const { return uint64_t{1} << bs_; }
  uint64_t per_table_block() const { return uint64_t{1} << (bs_ - 3); }
  bool cd_sorted() const { return normflags() != 0; }
  int key_int_size() const { return (flags() & kZapFlagUint64Key) ? 8 : 1; }

  // Blocks in host order, read on first use.
  Result<std::vector<uint8_t>*> table_block(uint64_t blkid);
  Result<LeafEditor> leaf(uint64_t blkid);
  std::vector<uint8_t>& new_block(uint64_t blkid);
  void dirty(uint64_t blkid) { dirty_.insert(blkid); }

  Result<uint64_t> ptr(uint64_t idx);
  Status set_ptr(uint64_t idx, uint64_t blkid);
  uint64_t alloc_blocks(uint64_t n);
  Status grow_table();
  Status finish_table_copy();
  Result<LeafEditor> leaf_for(uint64_t hash);
  Result<LeafEditor> split_leaf(LeafEditor& l, uint64_t hash);
  void maybe_grow_table(const LeafEditor& l);

  MutableObjectData* obj_;
  int bs_;
  std::map<uint64_t, std::vector<uint8_t>> blocks_;
  std::set<uint64_t> dirty_;
  std::set<uint64_t> leaves_;  // cached blocks that are checked (or new) leaves
};

}  // namespace fzfs
