// Changes one fat ZAP leaf (layout drawn in zap.h) held in host byte order: entry
// creation and removal, value replacement, and the split of a full leaf into two. check()
// must pass before any change; it proves every chain and chunk sound, so the changes
// below can follow indices without further tests. Internal to engine/zap.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/util/status.h"
#include "engine/zap/zap_name.h"

namespace fzfs {

// An entry found in a leaf: its chunk and the offset of the u16 that links to it (a hash
// table slot or the previous entry's next field).
struct LeafEntryRef {
  uint16_t chunk = 0;
  size_t link = 0;
};

class LeafEditor {
 public:
  // key_int_size: 1 for names, 8 for uint64-key ZAPs.
  LeafEditor(std::vector<uint8_t>& block, int bs, int key_int_size, uint64_t object, uint64_t blkid);

  // Writes an empty leaf: every chunk free, in index order on the free list.
  static void init(std::vector<uint8_t>& block, int bs, bool cd_sorted);

  // EIO unless the header, hash chains, arrays and free list are consistent, every chunk
  // is used exactly once, and every entry's hash belongs to this leaf and its bucket.
  Status check() const;

  uint64_t prefix() const;
  uint16_t prefix_len() const;
  uint16_t nfree() const;
  uint16_t nentries() const;
  uint64_t blkid() const { return blkid_; }

  std::optional<LeafEntryRef> find(const ZapName& zn) const;
  // The lowest collision differentiator no entry of this hash uses.
  uint32_t unused_cd(uint64_t hash) const;
  // E2BIG when the entry is larger than a whole leaf, EAGAIN when this leaf lacks room.
  Status create(const ZapName& zn, uint32_t cd, const ZapValue& value);
  Status replace_value(const LeafEntryRef& e, const ZapValue& value);
  void remove(const LeafEntryRef& e);
  // Lengthens the prefix by one bit and moves the entries whose new bit is 1 to
  // `sibling`, an empty leaf.
  void split(LeafEditor& sibling, bool cd_sorted);

 private:
  size_t chunk_off(uint64_t c) const { return chunks_off_ + c * 24; }
  size_t bucket_slot(uint64_t hash) const;
  uint8_t u8(size_t off) const { return (*b_)[off]; }
  uint16_t u16(size_t off) const;
  uint32_t u32(size_t off) const;
  uint64_t u64(size_t off) const;
  void set16(size_t off, uint16_t v);
  void set64(size_t off, uint64_t v);
  Error corrupt(std::string what) const;

  Status check_array(uint16_t head, uint64_t nbytes, std::vector<bool>& seen, uint16_t entry) const;
  bool array_equals(uint16_t head, std::span<const uint8_t> bytes) const;
  uint16_t alloc_chunk();
  void free_chunk(uint16_t c);
  uint16_t create_array(std::span<const uint8_t> bytes);
  uint16_t move_array_to(uint16_t head, LeafEditor& dst);
  void free_array(uint16_t head);
  void link_entry(uint16_t entry);
  void move_entry(uint16_t entry, LeafEditor& dst);

  std::vector<uint8_t>* b_;  // a pointer so that editors can be reassigned
  int bs_;
  int key_int_size_;
  uint64_t object_;
  uint64_t blkid_;
  uint64_t hash_entries_;
  uint64_t num_chunks_;
  size_t chunks_off_;
};

// ZAP_LEAF_ARRAY_NCHUNKS: array chunks holding nbytes.
inline uint64_t leaf_array_chunks(uint64_t nbytes) { return (nbytes + 20) / 21; }

}  // namespace fzfs
