// An objset open for change (the MOS or a file system's objset). Changes collect in
// memory for the open transaction group: whole dnodes (with their bonus) and level-0
// blocks. sync() writes them copy-on-write: each changed object's block tree
// (object_sync.h), then the dnode blocks holding the changed dnodes (level-0 blocks of
// the meta-dnode, object 0), the meta-dnode's tree, and a new objset_phys whose block
// pointer is the objset's new root.
//
//   open txg:  dirty dnodes {obj -> Dnode}   dirty blocks {obj -> {blkid -> bytes|hole}}
//   sync:      objects' trees ─► [user/group-used ZAPs] ─► dnode blocks ─► meta-dnode tree
//              ─► objset_phys ─► root bp
//
// Not thread-safe: the owner serializes calls (the ZPL and DSL layers hold a lock).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/dmu/dnode.h"
#include "engine/dmu/object_data.h"
#include "engine/dmu/object_store.h"
#include "engine/dmu/object_sync.h"
#include "engine/dmu/objset.h"

namespace fzfs {

// The shape of a new object (dmu_object_alloc's arguments).
struct NewObject {
  uint8_t type = 0;
  uint64_t block_size = 512;   // data block size, a multiple of 512
  uint8_t bonus_type = 0;
  uint16_t bonus_len = 0;
  uint8_t indblkshift = 14;    // indirect block size (16 KiB for legacy pools, 128 KiB today)
};

inline constexpr uint64_t kMaxBonusLen = 320;  // in a 512-byte dnode with one blkptr
inline constexpr uint64_t kMetaDnodeBlockSize = 16 * 1024;

class WritableObjset final : public ObjectStore {
 public:
  // Opens the objset at `root` for change.
  static Result<std::unique_ptr<WritableObjset>> open(BlockReader* reader, const Blkptr& root);
  // A new, empty objset of `type` whose objset_phys is `phys_size` bytes (1 KiB before
  // pool version 15, 2 KiB after: room for the user/group-used dnodes).
  static std::unique_ptr<WritableObjset> create(BlockReader* reader, ObjsetType type, uint64_t phys_size,
                                                uint8_t indblkshift);

  ObjsetType type() const override { return type_; }
  uint8_t indblkshift() const { return meta_.indblkshift; }  // what new objects here get
  const Blkptr& root() const { return root_; }  // as of the last sync (hole if never synced)
  bool dirty() const { return !objects_.empty(); }
  uint64_t dirty_bytes() const { return dirty_bytes_; }

  // The object's dnode as the open txg sees it (ENOENT if free).
  Result<Dnode> dnode(uint64_t obj) const override;
  // Allocates the lowest free object number at or above `first` (ZFS reserves small
  // numbers for fixed objects; callers pass 1 for the MOS directory etc.).
  Result<uint64_t> allocate(const NewObject& shape, uint64_t first = 1);
  // Allocates a specific object number (EEXIST if in use).
  Status claim(uint64_t obj, const NewObject& shape);
  Status free_object(uint64_t obj);

  // Replaces the bonus (host byte order; its length may change up to the room left).
  Status set_bonus(uint64_t obj, std::span<const uint8_t> bonus, uint8_t bonus_type);
  Status set_bonus(uint64_t obj, std::span<const uint8_t> bonus);
  // Gives the object an SA spill block of these bytes (a multiple of 512, at most
  // 128 KiB), written at sync; the bonus room shrinks by the spill blkptr at once.
  Status set_spill(uint64_t obj, std::span<const uint8_t> data);
  // Drops the object's spill block (freed at sync); no-op when it has none.
  Status remove_spill(uint64_t obj);
  Result<BlockData> read_spill(const Dnode& dn) const override;
  // Changes the data block size: only while the object has at most one block.
  Status set_block_size(uint64_t obj, uint64_t bytes);

  Status read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) const;
  Status read(const Dnode& dn, uint64_t offset, std::span<uint8_t> out) const override {
    return read(dn.object, offset, out);
  }
  Result<std::unique_ptr<ObjectData>> object_data(uint64_t obj) const override;
  Status write(uint64_t obj, uint64_t offset, std::span<const uint8_t> data);
  // Reads into the block cache the on-disk blocks a write of [offset, offset+length)
  // only partly covers, which write() must merge with. Changes nothing, so it may run
  // beside other readers: writers then wait for the disk in parallel instead of one
  // after another inside write(). Best effort; a failure shows in write().
  void warm_partial_blocks(uint64_t obj, uint64_t offset, uint64_t length) const;
  // Frees [offset, offset + length): whole blocks become holes, partial ones are zeroed.
  // With length == UINT64_MAX the object ends at offset (maxblkid shrinks).
  Status free_range(uint64_t obj, uint64_t offset, uint64_t length);
  // The object as a block-level view for the ZAP writer and friends.
  Result<std::unique_ptr<MutableObjectData>> object(uint64_t obj);
  // Level-0 block `blkid` as the open txg sees it (block_size bytes, zeros for holes).
  Result<std::vector<uint8_t>> read_block(uint64_t obj, uint64_t blkid, bool* foreign) const;
  Status write_block(uint64_t obj, uint64_t blkid, std::span<const uint8_t> data);

  // Writes every change; returns the new root bp (also root()). Afterwards the objset
  // is clean and reads come from the blocks just written (and the block cache).
  Result<Blkptr> sync(const SyncContext& ctx);

  // The last synced objset (for read-only consumers: ZapReader, ZplFs).
  const Objset& synced() const { return *base_; }

 private:
  struct ObjectState {
    Dnode dn;                               // current view; blkptrs = synced tree roots
    std::map<uint64_t, DirtyBlock> blocks;  // changed level-0 blocks
    bool freed = false;                     // freed in the open txg (slot free at sync)
    // A changed spill block: its new bytes, or nullopt to remove it. dn.spill keeps the
    // synced one until sync replaces it (dn.flags already tell what the txg sees).
    std::optional<std::optional<std::vector<uint8_t>>> spill;
    // The on-disk dnode at the txg's start, if any; kept only where user accounting
    // reads it (keeps_user_accounting()).
    std::optional<Dnode> before;
  };

  WritableObjset(BlockReader* reader) : reader_(reader) {}
  Result<ObjectState*> state(uint64_t obj);  // loads the dnode into the dirty set
  Result<bool> slot_free(uint64_t obj);
  Result<std::vector<uint8_t>> load_block(const ObjectState& st, uint64_t blkid) const;
  Status put_block(ObjectState& st, uint64_t blkid, std::vector<uint8_t> data);
  Status sync_dnode_blocks(const SyncContext& ctx);
  // kUserUsedObject/kGroupUsedObject: where their dnode sits in objset_phys (0: no room).
  uint64_t special_offset(uint64_t obj) const;
  Result<std::optional<Dnode>> special_dnode(uint64_t obj) const;  // as last synced
  // Forgets a spill block changed in the open txg, and its dirty bytes.
  void drop_pending_spill(ObjectState& st);
  // A file system objset with room for the user/group used objects.
  bool keeps_user_accounting() const;
  bool accounts_users(const SyncContext& ctx) const;
  Result<Blkptr> write_objset_phys(const SyncContext& ctx);

  BlockReader* reader_;
  ObjsetType type_ = ObjsetType::kNone;
  Blkptr root_;
  std::shared_ptr<Objset> base_;            // the last synced state (null before the first sync)
  Dnode meta_;                              // the meta-dnode as last synced
  std::vector<uint8_t> phys_;               // objset_phys bytes as last synced (host order)
  std::map<uint64_t, ObjectState> objects_; // the open txg's changed objects
  uint64_t dirty_bytes_ = 0;
  uint64_t alloc_cursor_ = 1;
};

}  // namespace fzfs
