#include "engine/zap/fatzap_writer.h"

#include <algorithm>
#include <bit>

#include "engine/util/byteorder.h"
#include "engine/zap/zap_byteorder.h"
#include "engine/zap/zap_hash.h"
#include "engine/zap/zap_layout.h"
#include "engine/zap/zap_leaf.h"

namespace fzfs {

using namespace zap_layout;

namespace {
// Block ids past this are not a real object's (and would overflow offsets).
constexpr uint64_t kMaxBlocks = uint64_t{1} << 40;
}  // namespace

uint64_t FatZapEditor::hdr(size_t off) const { return load<uint64_t>(&blocks_.at(0)[off]); }
void FatZapEditor::set_hdr(size_t off, uint64_t v) {
  store<uint64_t>(&blocks_.at(0)[off], v);
  dirty(0);
}
uint64_t FatZapEditor::salt() const { return hdr(kHdrSalt); }
uint64_t FatZapEditor::normflags() const { return hdr(kHdrNormflags); }
uint64_t FatZapEditor::flags() const { return hdr(kHdrFlags); }
uint64_t FatZapEditor::num_entries() const { return hdr(kHdrNumEntries); }

Error FatZapEditor::corrupt(uint64_t blkid, std::string what) const {
  return make_error(EIO, "zap object {} block {}: {}", obj_->object(), blkid, what);
}

std::vector<uint8_t>& FatZapEditor::new_block(uint64_t blkid) {
  auto& b = blocks_[blkid];
  b.assign(block_bytes(), 0);
  dirty(blkid);
  return b;
}

FatZapEditor FatZapEditor::fresh(MutableObjectData& obj, int bs, uint64_t salt, uint64_t normflags,
                                 uint64_t flags) {
  FatZapEditor z(obj, bs);
  auto& h = z.new_block(0);
  store<uint64_t>(&h[0], kBlockHeader);
  store<uint64_t>(&h[kHdrMagic], kZapMagic);
  store<uint64_t>(&h[kHdrPtrtblShift], bs - 4);  // the embedded table fills half of block 0
  store<uint64_t>(&h[kHdrFreeblk], 2);
  store<uint64_t>(&h[kHdrNumLeafs], 1);
  store<uint64_t>(&h[kHdrSalt], salt);
  store<uint64_t>(&h[kHdrNormflags], normflags);
  store<uint64_t>(&h[kHdrFlags], flags);
  for (uint64_t i = 0; i < (uint64_t{1} << (bs - 4)); i++) store<uint64_t>(&h[h.size() / 2 + 8 * i], 1);
  LeafEditor::init(z.new_block(1), bs, normflags != 0);
  z.leaves_.insert(1);
  return z;
}

Result<FatZapEditor> FatZapEditor::open(MutableObjectData& obj, std::vector<uint8_t> block0) {
  uint64_t size = block0.size();
  if (!std::has_single_bit(size) || size < (uint64_t{1} << kMinBlockShift) ||
      size > (uint64_t{1} << kMaxBlockShift))
    return make_error(EIO, "zap object {} block 0: unsupported fat ZAP block size {}", obj.object(), size);
  FatZapEditor z(obj, std::countr_zero(size));
  z.blocks_[0] = std::move(block0);
  FZ_CHECK(z.check_header());
  return z;
}

Status FatZapEditor::check_header() const {
  if (hdr(0) != kBlockHeader || hdr(kHdrMagic) != kZapMagic) return corrupt(0, "not a fat ZAP header");
  uint64_t known = kZapFlagHash64 | kZapFlagUint64Key | kZapFlagPreHashedKey;
  if ((flags() & ~known) || ((flags() & kZapFlagPreHashedKey) && !(flags() & kZapFlagUint64Key)))
    return make_error(ENOTSUP, "zap object {}: unsupported ZAP flags {:#x}", obj_->object(), flags());
  uint64_t blk = hdr(kHdrPtrtblBlk), numblks = hdr(kHdrPtrtblNumblks), shift = hdr(kHdrPtrtblShift);
  uint64_t next = hdr(kHdrPtrtblNextblk), copied = hdr(kHdrPtrtblBlksCopied), freeblk = hdr(kHdrFreeblk);
  if (freeblk < 2 || freeblk > kMaxBlocks || obj_->max_blkid() >= freeblk)
    return corrupt(0, fmt::format("first free block {} does not follow the object's {} blocks", freeblk,
                                  obj_->max_blkid() + 1));
  if (numblks == 0) {
    if (blk != 0 || next != 0 || shift > uint64_t(bs_ - 4))
      return corrupt(0, fmt::format("bad embedded pointer table (shift {})", shift));
    return Status::Ok();
  }
  uint64_t per_shift = bs_ - 3;
  if (shift > uint64_t(zap_hash_bits(flags())) || shift < per_shift ||
      numblks != uint64_t{1} << (shift - per_shift) || blk == 0 || blk >= freeblk || numblks > freeblk - blk)
    return corrupt(0, fmt::format("bad pointer table: {} blocks at {}, shift {}", numblks, blk, shift));
  if (next != 0 && (copied >= numblks || next >= freeblk || 2 * numblks > freeblk - next))
    return corrupt(0, fmt::format("bad pointer table growth: {} of {} blocks copied to {}", copied, numblks, next));
  return Status::Ok();
}

// ---- blocks -------------------------------------------------------------------------------

Result<std::vector<uint8_t>*> FatZapEditor::table_block(uint64_t blkid) {
  auto it = blocks_.find(blkid);
  if (it != blocks_.end()) return &it->second;
  bool foreign = false;
  auto r = obj_->read_block(blkid, &foreign);
  if (!r.ok()) return std::move(r.error()).context("zap object {} block {}", obj_->object(), blkid);
  if (r->size() != block_bytes()) return corrupt(blkid, fmt::format("block of {} bytes", r->size()));
  if (foreign) word_block_to_host(*r);
  return &(blocks_[blkid] = std::move(*r));
}

Result<LeafEditor> FatZapEditor::leaf(uint64_t blkid) {
  uint64_t tblk = hdr(kHdrPtrtblBlk), tnum = hdr(kHdrPtrtblNumblks), next = hdr(kHdrPtrtblNextblk);
  bool in_table = (blkid >= tblk && blkid - tblk < tnum) || (next != 0 && blkid >= next && blkid - next < 2 * tnum);
  if (blkid == 0 || blkid >= hdr(kHdrFreeblk) || in_table)
    return corrupt(0, fmt::format("pointer table names leaf block {}", blkid));
  auto it = blocks_.find(blkid);
  if (it == blocks_.end()) {
    bool foreign = false;
    auto r = obj_->read_block(blkid, &foreign);
    if (!r.ok()) return std::move(r.error()).context("zap object {} block {}", obj_->object(), blkid);
    if (r->size() != block_bytes()) return corrupt(blkid, fmt::format("leaf of {} bytes", r->size()));
    if (foreign) FZ_CHECK(leaf_block_to_host(*r, bs_, obj_->object(), blkid));
    LeafEditor l(*r, bs_, key_int_size(), obj_->object(), blkid);
    FZ_CHECK(l.check());
    it = blocks_.emplace(blkid, std::move(*r)).first;
    leaves_.insert(blkid);
  }
  if (!leaves_.count(blkid)) return corrupt(0, fmt::format("pointer table names non-leaf block {}", blkid));
  return LeafEditor(it->second, bs_, key_int_size(), obj_->object(), blkid);
}

Status FatZapEditor::commit() {
  for (uint64_t blkid : dirty_) FZ_CHECK(obj_->write_block(blkid, blocks_.at(blkid)));
  dirty_.clear();
  return Status::Ok();
}

// ---- pointer table ----------------------------------------------------------------------

Result<uint64_t> FatZapEditor::ptr(uint64_t idx) {
  if (hdr(kHdrPtrtblNumblks) == 0) return load<uint64_t>(&blocks_.at(0)[block_bytes() / 2 + 8 * idx]);
  FZ_TRY(auto* b, table_block(hdr(kHdrPtrtblBlk) + idx / per_table_block()));
  return load<uint64_t>(&(*b)[8 * (idx % per_table_block())]);
}

Status FatZapEditor::set_ptr(uint64_t idx, uint64_t blkid) {
  if (hdr(kHdrPtrtblNumblks) == 0) {
    store<uint64_t>(&blocks_.at(0)[block_bytes() / 2 + 8 * idx], blkid);
    dirty(0);
    return Status::Ok();
  }
  uint64_t tblk = hdr(kHdrPtrtblBlk) + idx / per_table_block();
  FZ_TRY(auto* b, table_block(tblk));
  store<uint64_t>(&(*b)[8 * (idx % per_table_block())], blkid);
  dirty(tblk);
  return Status::Ok();
}

uint64_t FatZapEditor::alloc_blocks(uint64_t n) {
  uint64_t first = hdr(kHdrFreeblk);
  set_hdr(kHdrFreeblk, first + n);
  return first;
}

Status FatZapEditor::grow_table() {
  uint64_t shift = hdr(kHdrPtrtblShift);
  // More table bits than hash bits would index by bits that are always zero.
  if (shift >= uint64_t(zap_hash_bits(flags())) - 2)
    return make_error(ENOSPC, "zap object {}: pointer table cannot grow past {} bits", obj_->object(), shift);
  if (hdr(kHdrPtrtblNumblks) != 0) {
    set_hdr(kHdrPtrtblNextblk, alloc_blocks(2 * hdr(kHdrPtrtblNumblks)));
    set_hdr(kHdrPtrtblBlksCopied, 0);
    return finish_table_copy();
  }
  // The embedded table (half of block 0) doubles into exactly one block of its own.
  uint64_t newblk = alloc_blocks(1);
  std::vector<uint8_t>& t = new_block(newblk);
  const std::vector<uint8_t>& h = blocks_.at(0);
  for (uint64_t i = 0; i < (uint64_t{1} << shift); i++) {
    uint64_t v = load<uint64_t>(&h[block_bytes() / 2 + 8 * i]);
    store<uint64_t>(&t[16 * i], v);
    store<uint64_t>(&t[16 * i + 8], v);
  }
  set_hdr(kHdrPtrtblBlk, newblk);
  set_hdr(kHdrPtrtblNumblks, 1);
  set_hdr(kHdrPtrtblShift, shift + 1);
  return Status::Ok();
}

Status FatZapEditor::finish_table_copy() {
  // Each old block's entries double into two new blocks. ZFS copies one block per
  // operation; we copy the rest at once (also finishing a growth ZFS left under way).
  uint64_t blk = hdr(kHdrPtrtblBlk), numblks = hdr(kHdrPtrtblNumblks), next = hdr(kHdrPtrtblNextblk);
  uint64_t half = per_table_block() / 2;
  for (uint64_t b = hdr(kHdrPtrtblBlksCopied); b < numblks; b++) {
    FZ_TRY(auto* old, table_block(blk + b));
    std::vector<uint8_t> src = *old;
    for (uint64_t k = 0; k < 2; k++) {
      std::vector<uint8_t>& dst = new_block(next + 2 * b + k);
      for (uint64_t i = 0; i < half; i++) {
        uint64_t v = load<uint64_t>(&src[8 * (k * half + i)]);
        store<uint64_t>(&dst[16 * i], v);
        store<uint64_t>(&dst[16 * i + 8], v);
      }
    }
  }
  // The old table is freed; zeros are what the DMU stores for freed space (a hole).
  for (uint64_t b = 0; b < numblks; b++) new_block(blk + b);
  set_hdr(kHdrPtrtblBlk, next);
  set_hdr(kHdrPtrtblNumblks, 2 * numblks);
  set_hdr(kHdrPtrtblShift, hdr(kHdrPtrtblShift) + 1);
  set_hdr(kHdrPtrtblNextblk, 0);
  set_hdr(kHdrPtrtblBlksCopied, 0);
  return Status::Ok();
}

// ---- leaves -----------------------------------------------------------------------------

Result<LeafEditor> FatZapEditor::leaf_for(uint64_t hash) {
  uint64_t shift = hdr(kHdrPtrtblShift);
  FZ_TRY(uint64_t blkid, ptr(hash_idx(hash, shift)));
  FZ_TRY(auto l, leaf(blkid));
  if (l.prefix_len() > shift || hash_idx(hash, l.prefix_len()) != l.prefix())
    return corrupt(blkid, fmt::format("leaf prefix {:#x}/{} does not cover hash {:#x}", l.prefix(),
                                      l.prefix_len(), hash));
  return l;
}

Result<LeafEditor> FatZapEditor::split_leaf(LeafEditor& l, uint64_t hash) {
  uint64_t old_len = l.prefix_len();
  while (old_len == hdr(kHdrPtrtblShift)) FZ_CHECK(grow_table());
  // The upper half of the leaf's run of table entries will name the new leaf.
  uint64_t diff = hdr(kHdrPtrtblShift) - (old_len + 1);
  uint64_t sibling = (hash_idx(hash, old_len + 1) | 1) << diff;
  for (uint64_t i = 0; i < (uint64_t{1} << diff); i++) {
    FZ_TRY(uint64_t b, ptr(sibling + i));
    if (b != l.blkid())
      return corrupt(0, fmt::format("pointer table entry {} names block {}, expected leaf {}", sibling + i, b,
                                    l.blkid()));
  }
  uint64_t newblk = alloc_blocks(1);
  set_hdr(kHdrNumLeafs, hdr(kHdrNumLeafs) + 1);
  std::vector<uint8_t>& nb = new_block(newblk);
  LeafEditor::init(nb, bs_, cd_sorted());
  leaves_.insert(newblk);
  LeafEditor nl(nb, bs_, key_int_size(), obj_->object(), newblk);
  l.split(nl, cd_sorted());
  dirty(l.blkid());
  for (uint64_t i = 0; i < (uint64_t{1} << diff); i++) FZ_CHECK(set_ptr(sibling + i, newblk));
  bool upper = hash & (uint64_t{1} << (64 - l.prefix_len()));
  return upper ? nl : l;
}

void FatZapEditor::maybe_grow_table(const LeafEditor& l) {
  if (l.prefix_len() == hdr(kHdrPtrtblShift) && l.nfree() < kLeafLowWater) {
    // As in ZFS, failing to grow early is not an error: the next split will try again.
    Status s = grow_table();
    (void)s;
  }
}

// ---- operations -------------------------------------------------------------------------

Status FatZapEditor::add(const ZapName& zn, const ZapValue& v, std::optional<uint32_t> cd) {
  if (hdr(kHdrPtrtblNextblk) != 0) FZ_CHECK(finish_table_copy());
  FZ_TRY(auto l, leaf_for(zn.hash));
  for (;;) {
    if (l.find(zn)) return make_error(EEXIST, "zap object {}: entry exists", obj_->object());
    Status s = l.create(zn, cd ? *cd : l.unused_cd(zn.hash), v);
    if (s.ok()) break;
    if (s.error().code() != EAGAIN) return s;
    FZ_TRY(l, split_leaf(l, zn.hash));
  }
  dirty(l.blkid());
  set_hdr(kHdrNumEntries, num_entries() + 1);
  maybe_grow_table(l);
  return Status::Ok();
}

Status FatZapEditor::update(const ZapName& zn, const ZapValue& v) {
  if (hdr(kHdrPtrtblNextblk) != 0) FZ_CHECK(finish_table_copy());
  FZ_TRY(auto l, leaf_for(zn.hash));
  bool created = false;
  for (;;) {
    auto found = l.find(zn);
    Status s = found ? l.replace_value(*found, v) : l.create(zn, l.unused_cd(zn.hash), v);
    if (s.ok()) {
      created = !found;
      break;
    }
    if (s.error().code() != EAGAIN) return s;
    FZ_TRY(l, split_leaf(l, zn.hash));
  }
  dirty(l.blkid());
  if (created) set_hdr(kHdrNumEntries, num_entries() + 1);
  maybe_grow_table(l);
  return Status::Ok();
}

Status FatZapEditor::remove(const ZapName& zn) {
  FZ_TRY(auto l, leaf_for(zn.hash));
  auto found = l.find(zn);
  if (!found) return make_error(ENOENT, "zap object {}: no such entry", obj_->object());
  l.remove(*found);
  dirty(l.blkid());
  if (num_entries() > 0) set_hdr(kHdrNumEntries, num_entries() - 1);
  return Status::Ok();
}

Result<std::optional<ZapEntry>> FatZapEditor::lookup_words(const ZapName& zn) {
  FZ_TRY(auto l, leaf_for(zn.hash));
  if (!l.find(zn)) return std::optional<ZapEntry>();
  FZ_TRY(auto parsed, ZapLeaf::parse(blocks_.at(l.blkid()), false, bs_, obj_->object(), l.blkid()));
  FZ_TRY(auto all, parsed.entries(true));
  for (ZapEntry& e : all) {
    if (e.hash != zn.hash || e.key.size() != zn.num_ints) continue;
    std::vector<uint8_t> stored;
    for (uint64_t w : e.key)
      for (int k = 7; k >= 0; k--) stored.push_back(static_cast<uint8_t>(w >> (8 * k)));
    if (stored == zn.stored) return std::optional<ZapEntry>(std::move(e));
  }
  return std::optional<ZapEntry>();
}

}  // namespace fzfs
