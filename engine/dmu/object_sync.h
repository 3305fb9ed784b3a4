// Copy-on-write of one object's block tree at txg sync. Given the level-0 blocks that
// changed, every block on the path from them to the dnode is written anew; nothing is
// overwritten in place (except blocks born in this same txg, see BlockWriter).
//
//   dnode.blkptr[0]                          level 2 ── rewritten (new DVA)
//        ├── L1[0] (unchanged, kept)         level 1
//        └── L1[1] ── rewritten              level 1
//              ├── L0[128] (kept)
//              └── L0[129] ── dirty: written level 0
//
// The replaced blocks are handed to `kill` (the DSL frees them or, when a snapshot
// still holds them, puts them on a dead list). The tree grows levels as maxblkid
// outgrows it: the old top blkptrs become the first entries of a new indirect block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "engine/dmu/dnode.h"
#include "engine/zio/block_reader.h"
#include "engine/zio/block_writer.h"

namespace fzfs {

class WritableObjset;

// Whose space an object is: the file's owner, read from its bonus by the layer that
// knows the bonus format (the ZPL), as ZFS's per-objset-type "used" callbacks do.
struct FileOwner {
  uint64_t uid = 0, gid = 0;
};
// Per-txg changes of bytes charged to each user and group id.
struct UsageDeltas {
  std::map<uint64_t, int64_t> user, group;
  bool empty() const { return user.empty() && group.empty(); }
};

// What one sync of an objset needs from the layers above and beside it.
struct SyncContext {
  BlockWriter* writer = nullptr;
  BlockReader* reader = nullptr;
  uint64_t txg = 0;
  int pass = 1;  // sync pass within the txg (MOS only goes past 1)
  // Write policy of a block of object `dn` at `level` (checksum, compression, copies).
  std::function<WritePolicy(const Dnode& dn, int level)> policy;
  // Accounting: a block now referenced, and one no longer referenced by this objset.
  std::function<void(const Blkptr&)> born;
  std::function<void(const Blkptr&)> kill;
  // Deflated allocated size of a block (dnode "used" and dataset space are in it).
  std::function<uint64_t(const Blkptr&)> dsize;
  // User and group space accounting of a file system objset with room for it (2 KiB
  // objset_phys): `owner` names whose an object is (nullopt: nobody's, e.g. a ZAP
  // without a znode); `account` adds the txg's deltas to the user/group-used ZAPs
  // (kUserUsedObject, kGroupUsedObject), which the objset then writes with the rest.
  // Either unset: no accounting.
  std::function<std::optional<FileOwner>(const Dnode&)> owner;
  std::function<Status(WritableObjset&, const UsageDeltas&)> account;
};

// A changed level-0 block: its new bytes (data_block_size() of them), or nullopt for a
// hole (the block was freed). `fill` is the blk_fill to record (dnode blocks count
// their live dnodes; data blocks 1).
struct DirtyBlock {
  std::optional<std::vector<uint8_t>> data;
  uint64_t fill = 1;
};

// Rewrites the tree of `dn` (blkptrs, nlevels, used; maxblkid is the caller's) for the
// dirty level-0 blocks.
Status sync_object_tree(Dnode& dn, const std::map<uint64_t, DirtyBlock>& dirty, const SyncContext& ctx);

// The write policy of a level-0 block of `type` that belongs to no object's tree (an
// objset_phys, a spill block), with blk_fill `fill`.
WritePolicy standalone_policy(const SyncContext& ctx, uint8_t type, uint64_t fill);

// Writes `data` as the object's new SA spill block (DMU_OT_SA, written as metadata), or
// with nullopt removes it; the block it replaces goes to ctx.kill. Sets dn.spill, the
// SPILL_BLKPTR flag and dn.used.
Status sync_spill(Dnode& dn, const std::optional<std::vector<uint8_t>>& data, const SyncContext& ctx);

// Hands every block of the tree (indirect and level 0) to ctx.kill: the object is gone.
Status kill_object_tree(const Dnode& dn, const SyncContext& ctx);

// Calls fn(blkid, bp) for every non-hole level-0 block with blkid in [first, last], in
// order, skipping hole subtrees (a sparse 1 TiB file costs only its written blocks).
Status for_each_level0(const Dnode& dn, BlockReader* reader, uint64_t first, uint64_t last,
                       const std::function<Status(uint64_t, const Blkptr&)>& fn);

}  // namespace fzfs
