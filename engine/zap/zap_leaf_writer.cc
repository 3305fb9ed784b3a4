#include "engine/zap/zap_leaf_writer.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "engine/util/byteorder.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

LeafEditor::LeafEditor(std::vector<uint8_t>& block, int bs, int key_int_size, uint64_t object,
                       uint64_t blkid)
    : b_(&block),
      bs_(bs),
      key_int_size_(key_int_size),
      object_(object),
      blkid_(blkid),
      hash_entries_(leaf_hash_entries(bs)),
      num_chunks_(leaf_num_chunks(bs)),
      chunks_off_(kLeafHeaderSize + 2 * leaf_hash_entries(bs)) {}

uint16_t LeafEditor::u16(size_t off) const { return load<uint16_t>(&(*b_)[off]); }
uint32_t LeafEditor::u32(size_t off) const { return load<uint32_t>(&(*b_)[off]); }
uint64_t LeafEditor::u64(size_t off) const { return load<uint64_t>(&(*b_)[off]); }
void LeafEditor::set16(size_t off, uint16_t v) { store<uint16_t>(&(*b_)[off], v); }
void LeafEditor::set64(size_t off, uint64_t v) { store<uint64_t>(&(*b_)[off], v); }

uint64_t LeafEditor::prefix() const { return u64(kLeafPrefix); }
uint16_t LeafEditor::prefix_len() const { return u16(kLeafPrefixLen); }
uint16_t LeafEditor::nfree() const { return u16(kLeafNfree); }
uint16_t LeafEditor::nentries() const { return u16(kLeafNentries); }

Error LeafEditor::corrupt(std::string what) const {
  return make_error(EIO, "zap object {} block {}: {}", object_, blkid_, what);
}

size_t LeafEditor::bucket_slot(uint64_t hash) const {
  // The bucket is taken from the hash bits just below the leaf's prefix.
  uint64_t shift = 64 - (bs_ - 5) - prefix_len();
  uint64_t bucket = shift >= 64 ? 0 : (hash >> shift) & (hash_entries_ - 1);
  return kLeafHeaderSize + 2 * bucket;
}

void LeafEditor::init(std::vector<uint8_t>& block, int bs, bool cd_sorted) {
  std::fill(block.begin(), block.end(), 0);
  uint64_t nhash = leaf_hash_entries(bs), nchunks = leaf_num_chunks(bs);
  store<uint64_t>(&block[0], kBlockLeaf);
  store<uint32_t>(&block[kLeafMagicOff], kLeafMagic);
  store<uint16_t>(&block[kLeafNfree], static_cast<uint16_t>(nchunks));
  block[kLeafFlags] = cd_sorted ? kLeafFlagCdSorted : 0;
  std::memset(&block[kLeafHeaderSize], 0xFF, 2 * nhash);
  size_t chunks = kLeafHeaderSize + 2 * nhash;
  for (uint64_t i = 0; i < nchunks; i++) {
    block[chunks + i * kChunkSize] = kChunkFree;
    uint16_t next = i + 1 == nchunks ? kChainEnd : static_cast<uint16_t>(i + 1);
    store<uint16_t>(&block[chunks + i * kChunkSize + kArrayNext], next);
  }
}

// ---- validation ------------------------------------------------------------------------

Status LeafEditor::check_array(uint16_t head, uint64_t nbytes, std::vector<bool>& seen,
                               uint16_t entry) const {
  uint16_t c = head;
  for (uint64_t i = 0; i < leaf_array_chunks(nbytes); i++) {
    if (c >= num_chunks_ || seen[c] || u8(chunk_off(c)) != kChunkArray)
      return corrupt(fmt::format("entry chunk {}: array chain reaches bad chunk {}", entry, c));
    seen[c] = true;
    c = u16(chunk_off(c) + kArrayNext);
  }
  if (c != kChainEnd) return corrupt(fmt::format("entry chunk {}: array chain too long", entry));
  return Status::Ok();
}

Status LeafEditor::check() const {
  if (b_->size() != (size_t{1} << bs_)) return corrupt(fmt::format("leaf is {} bytes", b_->size()));
  if (u64(0) != kBlockLeaf) return corrupt(fmt::format("not a leaf (block type {:#x})", u64(0)));
  if (u32(kLeafMagicOff) != kLeafMagic) return corrupt(fmt::format("bad leaf magic {:#x}", u32(kLeafMagicOff)));
  uint64_t plen = prefix_len();
  if (plen + (bs_ - 5) > 64 || (plen < 64 && (prefix() >> plen) != 0))
    return corrupt(fmt::format("bad prefix {:#x}/{}", prefix(), plen));
  std::vector<bool> seen(num_chunks_);
  uint64_t entries = 0;
  for (uint64_t bucket = 0; bucket < hash_entries_; bucket++) {
    size_t slot = kLeafHeaderSize + 2 * bucket;
    for (uint16_t c = u16(slot); c != kChainEnd; c = u16(chunk_off(c) + kEntNext)) {
      if (c >= num_chunks_ || seen[c] || u8(chunk_off(c)) != kChunkEntry)
        return corrupt(fmt::format("bucket {}: chain reaches bad chunk {}", bucket, c));
      seen[c] = true;
      entries++;
      size_t off = chunk_off(c);
      uint64_t hash = u64(off + kEntHash);
      if (hash_idx(hash, plen) != prefix() || bucket_slot(hash) != slot)
        return corrupt(fmt::format("entry chunk {}: hash {:#x} does not belong here", c, hash));
      uint8_t intlen = u8(off + kEntIntlen);
      if (intlen != 1 && intlen != 2 && intlen != 4 && intlen != 8)
        return corrupt(fmt::format("entry chunk {}: value integer size {}", c, intlen));
      uint16_t name_ints = u16(off + kEntNameNumints);
      if (name_ints == 0) return corrupt(fmt::format("entry chunk {}: empty name", c));
      FZ_CHECK(check_array(u16(off + kEntNameChunk), uint64_t{name_ints} * key_int_size_, seen, c));
      FZ_CHECK(check_array(u16(off + kEntValueChunk), uint64_t{u16(off + kEntValueNumints)} * intlen, seen, c));
    }
  }
  if (entries != nentries())
    return corrupt(fmt::format("{} entries chained, header says {}", entries, nentries()));
  uint64_t nfree_seen = 0;
  for (uint16_t c = u16(kLeafFreelist); c != kChainEnd; c = u16(chunk_off(c) + kArrayNext)) {
    if (c >= num_chunks_ || seen[c] || u8(chunk_off(c)) != kChunkFree)
      return corrupt(fmt::format("free list reaches bad chunk {}", c));
    seen[c] = true;
    nfree_seen++;
  }
  if (nfree_seen != nfree())
    return corrupt(fmt::format("{} chunks on the free list, header says {}", nfree_seen, nfree()));
  if (std::find(seen.begin(), seen.end(), false) != seen.end())
    return corrupt("a chunk is neither free nor in use");
  return Status::Ok();
}

// ---- chunks and arrays ------------------------------------------------------------------

uint16_t LeafEditor::alloc_chunk() {
  uint16_t c = u16(kLeafFreelist);
  set16(kLeafFreelist, u16(chunk_off(c) + kArrayNext));
  set16(kLeafNfree, nfree() - 1);
  return c;
}

void LeafEditor::free_chunk(uint16_t c) {
  size_t off = chunk_off(c);
  std::memset(&(*b_)[off], 0, kChunkSize);  // zeroed so free space compresses away
  (*b_)[off] = kChunkFree;
  set16(off + kArrayNext, u16(kLeafFreelist));
  set16(kLeafFreelist, c);
  set16(kLeafNfree, nfree() + 1);
}

uint16_t LeafEditor::create_array(std::span<const uint8_t> bytes) {
  uint16_t head = kChainEnd;
  size_t link = 0;  // where to store the next chunk's index; 0 = head
  for (size_t pos = 0; pos < bytes.size(); pos += kArrayBytes) {
    uint16_t c = alloc_chunk();
    size_t off = chunk_off(c);
    std::memset(&(*b_)[off], 0, kChunkSize);
    (*b_)[off] = kChunkArray;
    size_t n = std::min(kArrayBytes, bytes.size() - pos);
    std::memcpy(&(*b_)[off + 1], bytes.data() + pos, n);
    set16(off + kArrayNext, kChainEnd);
    if (link == 0) head = c; else set16(link, c);
    link = off + kArrayNext;
  }
  return head;
}

uint16_t LeafEditor::move_array_to(uint16_t head, LeafEditor& dst) {
  // Chunk by chunk: take one in the destination, free its source right away.
  uint16_t new_head = kChainEnd;
  size_t link = 0;
  for (uint16_t c = head; c != kChainEnd;) {
    uint16_t next = u16(chunk_off(c) + kArrayNext);
    uint16_t nc = dst.alloc_chunk();
    std::memcpy(&(*dst.b_)[dst.chunk_off(nc)], &(*b_)[chunk_off(c)], kChunkSize);
    dst.set16(dst.chunk_off(nc) + kArrayNext, kChainEnd);
    if (link == 0) new_head = nc; else dst.set16(link, nc);
    link = dst.chunk_off(nc) + kArrayNext;
    free_chunk(c);
    c = next;
  }
  return new_head;
}

void LeafEditor::free_array(uint16_t head) {
  // One chunk at a time onto the front of the free list, so the list ends up in reverse
  // array order: what the pool-version-28-era code (and zfs-fuse) does. OpenZFS 2.x keeps
  // the array order instead; readers do not care.
  for (uint16_t c = head; c != kChainEnd;) {
    uint16_t next = u16(chunk_off(c) + kArrayNext);
    free_chunk(c);
    c = next;
  }
}

bool LeafEditor::array_equals(uint16_t head, std::span<const uint8_t> bytes) const {
  uint16_t c = head;
  for (size_t pos = 0; pos < bytes.size(); pos += kArrayBytes) {
    size_t n = std::min(kArrayBytes, bytes.size() - pos);
    if (std::memcmp(&(*b_)[chunk_off(c) + 1], bytes.data() + pos, n) != 0) return false;
    c = u16(chunk_off(c) + kArrayNext);
  }
  return true;
}

// ---- entries ------------------------------------------------------------------------------

void LeafEditor::link_entry(uint16_t entry) {
  // Chains stay sorted by cd: the entry goes before the first one with a larger cd.
  uint32_t cd = u32(chunk_off(entry) + kEntCd);
  size_t link = bucket_slot(u64(chunk_off(entry) + kEntHash));
  while (u16(link) != kChainEnd && u32(chunk_off(u16(link)) + kEntCd) <= cd)
    link = chunk_off(u16(link)) + kEntNext;
  set16(chunk_off(entry) + kEntNext, u16(link));
  set16(link, entry);
}

std::optional<LeafEntryRef> LeafEditor::find(const ZapName& zn) const {
  size_t link = bucket_slot(zn.hash);
  for (uint16_t c = u16(link); c != kChainEnd; link = chunk_off(c) + kEntNext, c = u16(link)) {
    size_t off = chunk_off(c);
    if (u64(off + kEntHash) != zn.hash || u16(off + kEntNameNumints) != zn.num_ints) continue;
    if (array_equals(u16(off + kEntNameChunk), zn.stored)) return LeafEntryRef{c, link};
  }
  return std::nullopt;
}

uint32_t LeafEditor::unused_cd(uint64_t hash) const {
  std::set<uint32_t> used;
  for (uint16_t c = u16(bucket_slot(hash)); c != kChainEnd; c = u16(chunk_off(c) + kEntNext))
    if (u64(chunk_off(c) + kEntHash) == hash) used.insert(u32(chunk_off(c) + kEntCd));
  uint32_t cd = 0;
  while (used.count(cd)) cd++;
  return cd;
}

Status LeafEditor::create(const ZapName& zn, uint32_t cd, const ZapValue& value) {
  std::vector<uint8_t> vbytes = value.stored_bytes();
  uint64_t need = 1 + leaf_array_chunks(zn.stored.size()) + leaf_array_chunks(vbytes.size());
  if (need > num_chunks_)
    return make_error(E2BIG, "zap object {}: entry of {} chunks exceeds a leaf", object_, need);
  if (need > nfree()) return make_error(EAGAIN, "zap object {} block {}: leaf full", object_, blkid_);
  uint16_t e = alloc_chunk();
  size_t off = chunk_off(e);
  std::memset(&(*b_)[off], 0, kChunkSize);
  (*b_)[off] = kChunkEntry;
  (*b_)[off + kEntIntlen] = value.int_size;
  set16(off + kEntNameChunk, create_array(zn.stored));
  set16(off + kEntNameNumints, static_cast<uint16_t>(zn.num_ints));
  set16(off + kEntValueChunk, create_array(vbytes));
  set16(off + kEntValueNumints, static_cast<uint16_t>(value.ints.size()));
  store<uint32_t>(&(*b_)[off + kEntCd], cd);
  set64(off + kEntHash, zn.hash);
  link_entry(e);
  set16(kLeafNentries, nentries() + 1);
  return Status::Ok();
}

Status LeafEditor::replace_value(const LeafEntryRef& e, const ZapValue& value) {
  std::vector<uint8_t> vbytes = value.stored_bytes();
  size_t off = chunk_off(e.chunk);
  // An entry that cannot fit even an empty leaf would make splitting go on forever.
  uint64_t name_bytes = uint64_t{u16(off + kEntNameNumints)} * key_int_size_;
  if (1 + leaf_array_chunks(name_bytes) + leaf_array_chunks(vbytes.size()) > num_chunks_)
    return make_error(E2BIG, "zap object {}: entry exceeds a leaf", object_);
  uint64_t old_bytes = uint64_t{u16(off + kEntValueNumints)} * u8(off + kEntIntlen);
  int64_t delta = int64_t(leaf_array_chunks(vbytes.size())) - int64_t(leaf_array_chunks(old_bytes));
  if (delta > int64_t{nfree()}) return make_error(EAGAIN, "zap object {} block {}: leaf full", object_, blkid_);
  free_array(u16(off + kEntValueChunk));
  set16(off + kEntValueChunk, create_array(vbytes));
  set16(off + kEntValueNumints, static_cast<uint16_t>(value.ints.size()));
  (*b_)[off + kEntIntlen] = value.int_size;
  return Status::Ok();
}

void LeafEditor::remove(const LeafEntryRef& e) {
  size_t off = chunk_off(e.chunk);
  set16(e.link, u16(off + kEntNext));
  // Name, value, then the entry: the order decides which chunks later entries reuse.
  free_array(u16(off + kEntNameChunk));
  free_array(u16(off + kEntValueChunk));
  free_chunk(e.chunk);
  set16(kLeafNentries, nentries() - 1);
}

void LeafEditor::move_entry(uint16_t entry, LeafEditor& dst) {
  size_t off = chunk_off(entry);
  uint16_t ne = dst.alloc_chunk();
  size_t noff = dst.chunk_off(ne);
  std::memcpy(&(*dst.b_)[noff], &(*b_)[off], kChunkSize);
  dst.link_entry(ne);
  dst.set16(noff + kEntNameChunk, move_array_to(u16(off + kEntNameChunk), dst));
  dst.set16(noff + kEntValueChunk, move_array_to(u16(off + kEntValueChunk), dst));
  free_chunk(entry);
  set16(kLeafNentries, nentries() - 1);
  dst.set16(kLeafNentries, dst.nentries() + 1);
}

void LeafEditor::split(LeafEditor& sibling, bool cd_sorted) {
  uint64_t bit = 63 - prefix_len();
  set64(kLeafPrefix, prefix() << 1);
  set16(kLeafPrefixLen, prefix_len() + 1);
  sibling.set64(kLeafPrefix, prefix() | 1);
  sibling.set16(kLeafPrefixLen, prefix_len());
  std::memset(&(*b_)[kLeafHeaderSize], 0xFF, 2 * hash_entries_);
  if (cd_sorted) (*b_)[kLeafFlags] |= kLeafFlagCdSorted;
  // In chunk order, as ZFS does, so both leaves come out as ZFS would lay them out.
  for (uint64_t i = 0; i < num_chunks_; i++) {
    if (u8(chunk_off(i)) != kChunkEntry) continue;
    uint16_t c = static_cast<uint16_t>(i);
    if (u64(chunk_off(c) + kEntHash) & (uint64_t{1} << bit))
      move_entry(c, sibling);
    else
      link_entry(c);
  }
}

}  // namespace fzfs
