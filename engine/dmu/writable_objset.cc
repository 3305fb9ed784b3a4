#include "engine/dmu/writable_objset.h"

#include <algorithm>
#include <cstring>

#include "engine/dmu/dmu_types.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr uint64_t kObjsetTypeOffset = 704;
constexpr uint64_t kObjsetFlagsOffset = 712;
constexpr uint64_t kUserUsedOffset = 1024, kGroupUsedOffset = 1536;

bool is_special(uint64_t obj) { return obj == kUserUsedObject || obj == kGroupUsedObject; }
constexpr uint64_t kDnodesPerBlock = kMetaDnodeBlockSize >> kDnodeShift;

// The object view the ZAP writer works through.
class ObjectView final : public MutableObjectData {
 public:
  ObjectView(WritableObjset* os, uint64_t obj, uint64_t bs, uint64_t maxblkid)
      : os_(os), obj_(obj), bs_(bs), maxblkid_(maxblkid) {}
  uint64_t object() const override { return obj_; }
  uint64_t block_size() const override { return bs_; }
  uint64_t max_blkid() const override { return maxblkid_; }
  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const override {
    return os_->read_block(obj_, blkid, foreign);
  }
  Status write_block(uint64_t blkid, std::span<const uint8_t> data) override {
    if (data.size() != bs_) return make_error(EINVAL, "object {}: block of {} bytes, expected {}", obj_, data.size(), bs_);
    FZ_CHECK(os_->write_block(obj_, blkid, data));
    maxblkid_ = std::max(maxblkid_, blkid);
    return Status::Ok();
  }
  Status set_block_size(uint64_t bytes) override {
    FZ_CHECK(os_->set_block_size(obj_, bytes));
    bs_ = bytes;
    return Status::Ok();
  }

 private:
  WritableObjset* os_;
  uint64_t obj_, bs_, maxblkid_;
};

Dnode shaped_dnode(uint64_t obj, const NewObject& s) {
  Dnode dn;
  dn.object = obj;
  dn.type = s.type;
  dn.indblkshift = s.indblkshift;
  dn.nlevels = 1;
  dn.nblkptr = static_cast<uint8_t>(1 + (kMaxBonusLen - std::min<uint64_t>(s.bonus_len, kMaxBonusLen)) / kBlkptrSize);
  dn.bonustype = s.bonus_type;
  dn.flags = kDnodeFlagUsedBytes;
  dn.datablkszsec = static_cast<uint16_t>(s.block_size >> kSectorShift);
  dn.bonuslen = s.bonus_len;
  dn.blkptr.assign(dn.nblkptr, Blkptr{});
  dn.bonus.assign(s.bonus_len, 0);
  dn.little = Blkptr::kHostLittleEndian();
  return dn;
}

// Live dnodes in a dnode block (a large dnode counts once).
uint64_t count_dnodes(std::span<const uint8_t> block) {
  uint64_t n = 0;
  for (size_t slot = 0; slot < block.size() / kDnodeSize;) {
    const uint8_t* p = block.data() + slot * kDnodeSize;
    if (p[0] != 0) {
      n++;
      slot += 1 + p[12];
    } else {
      slot++;
    }
  }
  return n;
}

}  // namespace

Result<std::unique_ptr<WritableObjset>> WritableObjset::open(BlockReader* reader, const Blkptr& root) {
  if (root.little_endian() != Blkptr::kHostLittleEndian())
    return make_error(EROFS, "objset written in the other byte order: changing it is not supported");
  std::unique_ptr<WritableObjset> os(new WritableObjset(reader));
  FZ_TRY(os->base_, Objset::open(reader, root));
  FZ_TRY(BlockData phys, reader->read(root));
  os->phys_.assign(phys->begin(), phys->end());
  os->meta_ = os->base_->meta_dnode();
  os->type_ = os->base_->type();
  os->root_ = root;
  return os;
}

std::unique_ptr<WritableObjset> WritableObjset::create(BlockReader* reader, ObjsetType type, uint64_t phys_size,
                                                       uint8_t indblkshift) {
  std::unique_ptr<WritableObjset> os(new WritableObjset(reader));
  os->type_ = type;
  os->phys_.assign(phys_size, 0);
  store<uint64_t>(os->phys_.data() + kObjsetTypeOffset, static_cast<uint64_t>(type));
  // A new file system with room for the user/group-used dnodes is counted from its first
  // object on, so its accounting is complete (the owner passes SyncContext::owner and
  // ::account to every sync).
  if (type == ObjsetType::kZfs && phys_size >= kGroupUsedOffset + kDnodeSize)
    store<uint64_t>(os->phys_.data() + kObjsetFlagsOffset, kObjsetFlagUserAccountingComplete);
  NewObject meta{kOtDnode, kMetaDnodeBlockSize, 0, 0, indblkshift};
  os->meta_ = shaped_dnode(0, meta);
  os->meta_.nblkptr = 3;
  os->meta_.blkptr.assign(3, Blkptr{});
  return os;
}

uint64_t WritableObjset::special_offset(uint64_t obj) const {
  const uint64_t off = obj == kUserUsedObject ? kUserUsedOffset : obj == kGroupUsedObject ? kGroupUsedOffset : 0;
  return off && off + kDnodeSize <= phys_.size() ? off : 0;
}

Result<std::optional<Dnode>> WritableObjset::special_dnode(uint64_t obj) const {
  const uint64_t off = special_offset(obj);
  if (!off) return std::optional<Dnode>();
  FZ_TRY(Dnode dn, Dnode::decode(std::span(phys_.data() + off, kDnodeSize), Blkptr::kHostLittleEndian(), obj));
  if (!dn.allocated()) return std::optional<Dnode>();
  return std::optional<Dnode>(std::move(dn));
}

bool WritableObjset::keeps_user_accounting() const {
  return type_ == ObjsetType::kZfs && special_offset(kGroupUsedObject) != 0;
}

bool WritableObjset::accounts_users(const SyncContext& ctx) const {
  return ctx.owner && ctx.account && keeps_user_accounting();
}

Result<bool> WritableObjset::slot_free(uint64_t obj) {
  if (auto it = objects_.find(obj); it != objects_.end()) return false;  // changed this txg
  if (is_special(obj)) {
    if (!special_offset(obj)) return make_error(EINVAL, "objset has no room for object {:#x}", obj);
    FZ_TRY(auto dn, special_dnode(obj));
    return !dn;
  }
  if (!base_) return true;
  auto dn = base_->dnode(obj);
  if (dn.ok()) return false;
  if (dn.error().code() == ENOENT) return true;
  return std::move(dn).error();
}

Result<WritableObjset::ObjectState*> WritableObjset::state(uint64_t obj) {
  if (obj == 0) return make_error(EINVAL, "object 0 is the meta-dnode");
  auto it = objects_.find(obj);
  if (it != objects_.end()) {
    if (it->second.freed) return make_error(ENOENT, "object {} was freed", obj);
    return &it->second;
  }
  Dnode dn;
  if (is_special(obj)) {
    FZ_TRY(auto special, special_dnode(obj));
    if (!special) return make_error(ENOENT, "object {:#x} does not exist", obj);
    dn = std::move(*special);
  } else {
    if (!base_) return make_error(ENOENT, "object {} does not exist", obj);
    FZ_TRY(dn, base_->dnode(obj));
    if (dn.little != Blkptr::kHostLittleEndian())
      return make_error(EROFS, "object {} was written in the other byte order: changing it is not supported", obj);
  }
  ObjectState st;
  // Only user accounting reads the txg-start dnode: other objsets skip the copy.
  if (!is_special(obj) && keeps_user_accounting()) st.before = dn;
  st.dn = std::move(dn);
  return &objects_.emplace(obj, std::move(st)).first->second;
}

Result<Dnode> WritableObjset::dnode(uint64_t obj) const {
  auto it = objects_.find(obj);
  if (it != objects_.end()) {
    if (it->second.freed) return make_error(ENOENT, "object {} was freed", obj);
    return it->second.dn;
  }
  if (is_special(obj)) {
    FZ_TRY(auto special, special_dnode(obj));
    if (!special) return make_error(ENOENT, "object {:#x} does not exist", obj);
    return std::move(*special);
  }
  if (!base_) return make_error(ENOENT, "object {} does not exist", obj);
  return base_->dnode(obj);
}

Status WritableObjset::claim(uint64_t obj, const NewObject& shape) {
  if (obj == 0) return make_error(EINVAL, "object 0 is the meta-dnode");
  FZ_TRY(bool is_free, slot_free(obj));
  if (!is_free) return make_error(EEXIST, "object {} is in use", obj);
  if (shape.block_size == 0 || shape.block_size % 512 || shape.block_size > (16u << 20) || shape.bonus_len > kMaxBonusLen)
    return make_error(EINVAL, "object {}: impossible shape (block {} bonus {})", obj, shape.block_size, shape.bonus_len);
  ObjectState st;
  st.dn = shaped_dnode(obj, shape);
  objects_[obj] = std::move(st);
  return Status::Ok();
}

Result<uint64_t> WritableObjset::allocate(const NewObject& shape, uint64_t first) {
  uint64_t obj = std::max(first, alloc_cursor_);
  for (;; obj++) {
    if (obj >= (uint64_t{1} << 48)) return make_error(ENOSPC, "no free object numbers");
    FZ_TRY(bool is_free, slot_free(obj));
    if (is_free) break;
  }
  FZ_CHECK(claim(obj, shape));
  alloc_cursor_ = obj + 1;
  return obj;
}

void WritableObjset::drop_pending_spill(ObjectState& st) {
  if (st.spill && *st.spill) dirty_bytes_ -= std::min(dirty_bytes_, (*st.spill)->size());
  st.spill.reset();
}

Status WritableObjset::free_object(uint64_t obj) {
  FZ_TRY(ObjectState * st, state(obj));
  for (auto& [blkid, blk] : st->blocks)
    if (blk.data) dirty_bytes_ -= std::min(dirty_bytes_, blk.data->size());
  st->blocks.clear();
  drop_pending_spill(*st);  // the synced spill block (dn.spill) dies with the object
  st->freed = true;  // its number is not reused in this txg (slot_free says no)
  return Status::Ok();
}

Status WritableObjset::set_bonus(uint64_t obj, std::span<const uint8_t> bonus, uint8_t bonus_type) {
  FZ_TRY(ObjectState * st, state(obj));
  const uint64_t room = st->dn.slot_count() * kDnodeSize - 64 - uint64_t(st->dn.nblkptr) * kBlkptrSize -
                        ((st->dn.flags & kDnodeFlagSpillBlkptr) ? kBlkptrSize : 0);
  if (bonus.size() > room)
    return make_error(EOVERFLOW, "object {}: bonus of {} bytes exceeds the {} bytes of room", obj, bonus.size(), room);
  st->dn.bonus.assign(bonus.begin(), bonus.end());
  st->dn.bonuslen = static_cast<uint16_t>(bonus.size());
  st->dn.bonustype = bonus_type;
  return Status::Ok();
}

Status WritableObjset::set_spill(uint64_t obj, std::span<const uint8_t> data) {
  constexpr uint64_t kMaxSpill = 128 * 1024;  // SPA_OLD_MAXBLOCKSIZE: what every reader takes
  if (data.empty() || data.size() % 512 || data.size() > kMaxSpill)
    return make_error(EINVAL, "object {}: spill block of {} bytes (512-byte multiple up to {} wanted)", obj,
                      data.size(), kMaxSpill);
  FZ_TRY(ObjectState * st, state(obj));
  // The spill blkptr takes the last 128 bytes of the dnode: the bonus must end before.
  const uint64_t room = st->dn.slot_count() * kDnodeSize - 64 - uint64_t(st->dn.nblkptr) * kBlkptrSize;
  if (!(st->dn.flags & kDnodeFlagSpillBlkptr) && st->dn.bonuslen + kBlkptrSize > room)
    return make_error(EOVERFLOW, "object {}: no room for a spill blkptr after its {}-byte bonus", obj, st->dn.bonuslen);
  drop_pending_spill(*st);
  st->spill = std::vector<uint8_t>(data.begin(), data.end());
  dirty_bytes_ += data.size();
  st->dn.flags |= kDnodeFlagSpillBlkptr;
  return Status::Ok();
}

Status WritableObjset::remove_spill(uint64_t obj) {
  FZ_TRY(ObjectState * st, state(obj));
  if (!(st->dn.flags & kDnodeFlagSpillBlkptr)) return Status::Ok();
  drop_pending_spill(*st);
  st->spill = std::optional<std::vector<uint8_t>>();
  st->dn.flags &= static_cast<uint8_t>(~kDnodeFlagSpillBlkptr);
  return Status::Ok();
}

Result<BlockData> WritableObjset::read_spill(const Dnode& dn) const {
  if (auto it = objects_.find(dn.object); it != objects_.end() && it->second.spill) {
    if (!*it->second.spill) return make_error(ENOENT, "object {} has no spill block", dn.object);
    return std::make_shared<const std::vector<uint8_t>>(**it->second.spill);
  }
  if (!(dn.flags & kDnodeFlagSpillBlkptr) || !dn.spill) return make_error(ENOENT, "object {} has no spill block", dn.object);
  return reader_->read(*dn.spill);
}

Status WritableObjset::set_bonus(uint64_t obj, std::span<const uint8_t> bonus) {
  FZ_TRY(Dnode dn, dnode(obj));
  return set_bonus(obj, bonus, dn.bonustype);
}

Result<std::vector<uint8_t>> WritableObjset::load_block(const ObjectState& st, uint64_t blkid) const {
  const uint64_t bs = st.dn.data_block_size();
  if (auto it = st.blocks.find(blkid); it != st.blocks.end()) {
    if (it->second.data) return *it->second.data;
    return std::vector<uint8_t>(bs, 0);
  }
  if (!base_ || blkid > st.dn.maxblkid) return std::vector<uint8_t>(bs, 0);
  FZ_TRY(BlockData data, base_->read_block(st.dn, blkid));
  std::vector<uint8_t> out(data->begin(), data->begin() + std::min<size_t>(bs, data->size()));
  out.resize(bs, 0);  // copied, not zeroed first: this runs for every partial write
  return out;
}

Status WritableObjset::put_block(ObjectState& st, uint64_t blkid, std::vector<uint8_t> data) {
  auto& slot = st.blocks[blkid];
  if (!slot.data) dirty_bytes_ += data.size();
  slot.data = std::move(data);
  slot.fill = 1;
  st.dn.maxblkid = std::max(st.dn.maxblkid, blkid);
  return Status::Ok();
}

Status WritableObjset::set_block_size(uint64_t obj, uint64_t bytes) {
  if (bytes == 0 || bytes % 512 || bytes > (16u << 20)) return make_error(EINVAL, "object {}: block size {}", obj, bytes);
  FZ_TRY(ObjectState * st, state(obj));
  if (bytes == st->dn.data_block_size()) return Status::Ok();
  if (st->dn.maxblkid > 0) return make_error(ENOTSUP, "object {}: cannot change the block size of a multi-block object", obj);
  FZ_TRY(std::vector<uint8_t> b0, load_block(*st, 0));
  bool had = st->blocks.count(0) ? st->blocks[0].data.has_value() : !BlockWriter::all_zero(b0);
  if (!had && base_ && st->dn.maxblkid == 0) {
    FZ_TRY(Blkptr bp, base_->level0_bp(st->dn, 0));
    had = !bp.is_hole();
  }
  b0.resize(bytes, 0);
  st->dn.datablkszsec = static_cast<uint16_t>(bytes >> kSectorShift);
  if (had) {
    if (st->blocks.count(0) && st->blocks[0].data) dirty_bytes_ -= std::min(dirty_bytes_, st->blocks[0].data->size());
    st->blocks.erase(0);
    FZ_CHECK(put_block(*st, 0, std::move(b0)));
  }
  return Status::Ok();
}

Result<std::vector<uint8_t>> WritableObjset::read_block(uint64_t obj, uint64_t blkid, bool* foreign) const {
  *foreign = false;
  auto it = objects_.find(obj);
  if (it != objects_.end()) {
    if (it->second.freed) return make_error(ENOENT, "object {} was freed", obj);
    if (auto b = it->second.blocks.find(blkid); b != it->second.blocks.end()) return load_block(it->second, blkid);
    FZ_TRY(Blkptr bp, base_ ? base_->level0_bp(it->second.dn, blkid) : Result<Blkptr>(Blkptr{}));
    *foreign = !bp.is_hole() && BlockReader::foreign(bp);
    return load_block(it->second, blkid);
  }
  if (!base_) return make_error(ENOENT, "object {} does not exist", obj);
  FZ_TRY(Dnode dn, dnode(obj));  // also the user/group-used objects in objset_phys
  FZ_TRY(Blkptr bp, base_->level0_bp(dn, blkid));
  *foreign = !bp.is_hole() && BlockReader::foreign(bp);
  FZ_TRY(BlockData data, base_->read_block(dn, blkid));
  std::vector<uint8_t> out(dn.data_block_size(), 0);
  std::memcpy(out.data(), data->data(), std::min<size_t>(out.size(), data->size()));
  return out;
}

Status WritableObjset::write_block(uint64_t obj, uint64_t blkid, std::span<const uint8_t> data) {
  FZ_TRY(ObjectState * st, state(obj));
  if (data.size() != st->dn.data_block_size())
    return make_error(EINVAL, "object {}: block of {} bytes, expected {}", obj, data.size(), st->dn.data_block_size());
  return put_block(*st, blkid, std::vector<uint8_t>(data.begin(), data.end()));
}

Status WritableObjset::read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) const {
  auto it = objects_.find(obj);
  if (it == objects_.end()) {
    if (!base_) return make_error(ENOENT, "object {} does not exist", obj);
    FZ_TRY(Dnode dn, dnode(obj));
    return base_->read(dn, offset, out);
  }
  const ObjectState& st = it->second;
  if (st.freed) return make_error(ENOENT, "object {} was freed", obj);
  const uint64_t bs = st.dn.data_block_size();
  size_t done = 0;
  while (done < out.size()) {
    uint64_t pos = offset + done, blkid = pos / bs, within = pos % bs;
    size_t n = std::min<uint64_t>(out.size() - done, bs - within);
    std::span<uint8_t> dst = out.subspan(done, n);
    if (auto b = st.blocks.find(blkid); b != st.blocks.end()) {
      if (b->second.data) std::memcpy(dst.data(), b->second.data->data() + within, n);
      else std::memset(dst.data(), 0, n);
    } else if (!base_ || blkid > st.dn.maxblkid) {
      std::memset(dst.data(), 0, n);
    } else {
      FZ_CHECK(base_->read(st.dn, pos, dst));
    }
    done += n;
  }
  return Status::Ok();
}

Status WritableObjset::write(uint64_t obj, uint64_t offset, std::span<const uint8_t> data) {
  FZ_TRY(ObjectState * st, state(obj));
  const uint64_t bs = st->dn.data_block_size();
  size_t done = 0;
  while (done < data.size()) {
    uint64_t pos = offset + done, blkid = pos / bs, within = pos % bs;
    size_t n = std::min<uint64_t>(data.size() - done, bs - within);
    // A block already changed in this txg is patched where it lies (sequential small
    // writes into one record must not copy the record each time).
    if (auto it = st->blocks.find(blkid); it != st->blocks.end() && it->second.data) {
      std::memcpy(it->second.data->data() + within, data.data() + done, n);
      st->dn.maxblkid = std::max(st->dn.maxblkid, blkid);
      done += n;
      continue;
    }
    std::vector<uint8_t> blk;
    if (n == bs) {
      blk.assign(data.begin() + done, data.begin() + done + n);
    } else {
      FZ_TRY(blk, load_block(*st, blkid));
      std::memcpy(blk.data() + within, data.data() + done, n);
    }
    FZ_CHECK(put_block(*st, blkid, std::move(blk)));
    done += n;
  }
  return Status::Ok();
}

void WritableObjset::warm_partial_blocks(uint64_t obj, uint64_t offset, uint64_t length) const {
  if (!base_ || length == 0) return;
  auto dn = dnode(obj);
  if (!dn.ok()) return;
  const uint64_t bs = dn->data_block_size();
  if (bs == 0) return;
  const auto it = objects_.find(obj);
  auto warm = [&](uint64_t blkid) {
    if (blkid > dn->maxblkid) return;
    if (it != objects_.end() && it->second.blocks.count(blkid)) return;  // already in memory
    (void)base_->read_block(*dn, blkid);
  };
  const uint64_t end = offset + length;
  if (offset % bs) warm(offset / bs);
  if (end % bs && (end / bs != offset / bs || offset % bs == 0)) warm(end / bs);
}

Status WritableObjset::free_range(uint64_t obj, uint64_t offset, uint64_t length) {
  FZ_TRY(ObjectState * st, state(obj));
  const uint64_t bs = st->dn.data_block_size();
  const bool to_end = length == UINT64_MAX || offset + length < offset;
  const uint64_t end = to_end ? UINT64_MAX : offset + length;
  const uint64_t last_blk = st->dn.maxblkid;

  auto zero_part = [&](uint64_t blkid, uint64_t from, uint64_t to) -> Status {
    if (blkid > last_blk || from >= to) return Status::Ok();
    FZ_TRY(std::vector<uint8_t> blk, load_block(*st, blkid));
    if (BlockWriter::all_zero(blk)) return Status::Ok();
    std::memset(blk.data() + from, 0, to - from);
    return put_block(*st, blkid, std::move(blk));
  };
  uint64_t first_full = (offset + bs - 1) / bs;
  if (offset % bs) {
    uint64_t blk_end = (offset / bs + 1) * bs;
    FZ_CHECK(zero_part(offset / bs, offset % bs, std::min(end, blk_end) - (offset / bs) * bs));
  }
  uint64_t end_full = to_end ? last_blk + 1 : end / bs;  // exclusive
  if (!to_end && end % bs && end / bs >= first_full) FZ_CHECK(zero_part(end / bs, 0, end % bs));

  if (first_full < end_full) {
    auto make_hole = [&](uint64_t blkid) {
      auto& slot = st->blocks[blkid];
      if (slot.data) dirty_bytes_ -= std::min(dirty_bytes_, slot.data->size());
      slot.data.reset();
      slot.fill = 0;
    };
    for (auto it = st->blocks.lower_bound(first_full); it != st->blocks.end() && it->first < end_full; ++it)
      make_hole(it->first);
    if (base_) {
      FZ_CHECK(for_each_level0(st->dn, reader_, first_full, end_full - 1, [&](uint64_t blkid, const Blkptr&) {
        if (!st->blocks.count(blkid)) make_hole(blkid);
        return Status::Ok();
      }));
    }
  }
  if (to_end) st->dn.maxblkid = offset == 0 ? 0 : (offset - 1) / bs;
  return Status::Ok();
}

Result<std::unique_ptr<ObjectData>> WritableObjset::object_data(uint64_t obj) const {
  // Read-only use of the view: the writes it could make need a non-const objset.
  FZ_TRY(auto view, const_cast<WritableObjset*>(this)->object(obj));
  return std::unique_ptr<ObjectData>(std::move(view));
}

Result<std::unique_ptr<MutableObjectData>> WritableObjset::object(uint64_t obj) {
  FZ_TRY(Dnode dn, dnode(obj));
  return std::unique_ptr<MutableObjectData>(new ObjectView(this, obj, dn.data_block_size(), dn.maxblkid));
}

Status WritableObjset::sync_dnode_blocks(const SyncContext& ctx) {
  std::map<uint64_t, DirtyBlock> dnode_blocks;
  auto block_of = [&](uint64_t blkid) -> Result<std::vector<uint8_t>*> {
    auto it = dnode_blocks.find(blkid);
    if (it != dnode_blocks.end()) return &*it->second.data;
    std::vector<uint8_t> content(kMetaDnodeBlockSize, 0);
    if (base_ && blkid <= meta_.maxblkid) {
      FZ_TRY(BlockData data, base_->read_block(meta_, blkid));
      std::memcpy(content.data(), data->data(), std::min<size_t>(content.size(), data->size()));
    }
    DirtyBlock b;
    b.data = std::move(content);
    return &*dnode_blocks.emplace(blkid, std::move(b)).first->second.data;
  };

  for (auto& [obj, st] : objects_) {
    if (is_special(obj)) continue;  // in objset_phys (write_objset_phys)
    uint64_t blkid = obj / kDnodesPerBlock;
    FZ_TRY(std::vector<uint8_t>* block, block_of(blkid));
    uint64_t off = (obj % kDnodesPerBlock) * kDnodeSize;
    uint64_t len = st.freed ? kDnodeSize : st.dn.slot_count() * kDnodeSize;
    if (off + len > block->size()) return make_error(EIO, "object {}: dnode crosses its dnode block", obj);
    std::span<uint8_t> slots(block->data() + off, len);
    if (st.freed) {
      std::fill(slots.begin(), slots.end(), 0);
    } else {
      st.dn.encode(slots);
    }
  }
  for (auto& [blkid, blk] : dnode_blocks) {
    blk.fill = count_dnodes(*blk.data);
    if (blk.fill == 0) blk.data.reset();  // a dnode block with no live dnodes is a hole
    meta_.maxblkid = std::max(meta_.maxblkid, blkid);
  }
  return sync_object_tree(meta_, dnode_blocks, ctx);
}

Result<Blkptr> WritableObjset::write_objset_phys(const SyncContext& ctx) {
  meta_.encode(std::span<uint8_t>(phys_.data(), kDnodeSize));
  for (auto& [obj, st] : objects_) {
    if (!is_special(obj)) continue;
    std::span<uint8_t> slot(phys_.data() + special_offset(obj), kDnodeSize);
    std::fill(slot.begin(), slot.end(), 0);
    st.dn.encode(slot);
  }
  uint64_t fill = 0;
  for (const Blkptr& bp : meta_.blkptr)
    if (!bp.is_hole()) fill += bp.fill;
  const WritePolicy p = standalone_policy(ctx, kOtObjset, fill);
  bool reused = false;
  FZ_TRY(Blkptr bp, ctx.writer->write(phys_, p, ctx.txg, root_, &reused));
  if (!reused) {
    if (!root_.is_hole()) ctx.kill(root_);
    ctx.born(bp);
  }
  return bp;
}

Result<Blkptr> WritableObjset::sync(const SyncContext& ctx) {
  // User accounting, as ZFS keeps it: an object counted as someone's (flag
  // USERUSED_ACCOUNTED) charges its owner 512 bytes for the dnode plus its used bytes.
  // Each changed object takes back what its on-disk dnode charged and charges anew.
  const bool accounting = accounts_users(ctx);
  UsageDeltas deltas;
  auto charge = [&](const Dnode& dn, int64_t sign) {
    if (!(dn.flags & kDnodeFlagUserusedAccounted)) return;
    std::optional<FileOwner> who = ctx.owner(dn);
    if (!who) return;
    const int64_t bytes = sign * static_cast<int64_t>(kDnodeSize + dn.used_bytes());
    deltas.user[who->uid] += bytes;
    deltas.group[who->gid] += bytes;
  };
  for (auto& [obj, st] : objects_) {
    if (is_special(obj)) continue;  // written below, after the accounting changed them
    if (accounting && st.before) charge(*st.before, -1);
    if (st.freed) {
      FZ_CHECK(kill_object_tree(st.dn, ctx));
      continue;
    }
    FZ_CHECK(sync_object_tree(st.dn, st.blocks, ctx));
    st.blocks.clear();
    if (st.spill) FZ_CHECK(sync_spill(st.dn, *st.spill, ctx));
    if (accounting) {
      st.dn.flags |= kDnodeFlagUserusedAccounted;
      charge(st.dn, +1);
    }
  }
  if (accounting) {
    std::erase_if(deltas.user, [](const auto& e) { return e.second == 0; });
    std::erase_if(deltas.group, [](const auto& e) { return e.second == 0; });
    if (!deltas.empty()) FZ_CHECK(ctx.account(*this, deltas));
  }
  for (auto& [obj, st] : objects_) {
    if (!is_special(obj)) continue;
    FZ_CHECK(sync_object_tree(st.dn, st.blocks, ctx));
    st.blocks.clear();
  }
  FZ_CHECK(sync_dnode_blocks(ctx));
  FZ_TRY(Blkptr root, write_objset_phys(ctx));
  root_ = root;
  objects_.clear();
  dirty_bytes_ = 0;
  FZ_TRY(base_, Objset::open(reader_, root_));
  meta_ = base_->meta_dnode();
  return root_;
}

}  // namespace fzfs
