// An objset: a set of DMU objects (the MOS, a file system, a snapshot, a volume), rooted
// at one block pointer that points to an objset_phys:
//
//   0     meta-dnode (512 bytes): its data blocks are the array of all dnodes
//   512   ZIL header (192 bytes)
//   704   os_type u64 (1 = MOS/"meta", 2 = ZFS file system, 3 = zvol)
//   712   os_flags u64, then MACs (encryption) and padding to 1 KiB
//   1024  user-used and group-used dnodes (v15+), 1536 project-used (2 KiB objset)
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/dmu/dnode.h"
#include "engine/dmu/object_data.h"
#include "engine/dmu/object_store.h"
#include "engine/zio/block_reader.h"

namespace fzfs {

class Objset final : public ObjectStore {
 public:
  // Opens the objset whose objset_phys `bp` points to.
  static Result<std::shared_ptr<Objset>> open(BlockReader* reader, const Blkptr& bp);

  ObjsetType type() const override { return type_; }
  const Dnode& meta_dnode() const { return meta_; }
  BlockReader* reader() const { return reader_; }

  // The dnode of object `obj`; ENOENT if the slot is free.
  Result<Dnode> dnode(uint64_t obj) const override;

  // Level-0 block `blkid` of an object (zeros for holes and beyond maxblkid).
  Result<BlockData> read_block(const Dnode& dn, uint64_t blkid) const;
  // The block pointer of level-0 block `blkid`, walking the indirect tree (a hole bp if none).
  Result<Blkptr> level0_bp(const Dnode& dn, uint64_t blkid) const;
  // Reads out.size() bytes of the object's data at offset (no EOF clipping: callers clip).
  Status read(const Dnode& dn, uint64_t offset, std::span<uint8_t> out) const override;
  // The object's data (blocks 0..maxblkid) as an ObjectData, for ZAP and friends.
  std::unique_ptr<ObjectData> object_data(const Dnode& dn) const;
  Result<std::unique_ptr<ObjectData>> object_data(uint64_t obj) const override;
  Result<BlockData> read_spill(const Dnode& dn) const override;

  // Highest object number the meta-dnode can describe.
  uint64_t max_object() const;

 private:
  Objset(BlockReader* r) : reader_(r) {}
  // Read-ahead: when reads of an object continue where the last one ended, the next
  // blocks are prefetched, further ahead the longer the stream runs (ZFS's zfetch).
  void read_ahead(const Dnode& dn, uint64_t first, uint64_t last) const;

  BlockReader* reader_;
  ObjsetType type_ = ObjsetType::kNone;
  Dnode meta_;
  struct Stream {
    uint64_t next = 0;      // the block a sequential reader asks for next
    uint64_t ahead_to = 0;  // prefetched up to here
    uint64_t distance = 0;  // blocks to keep prefetched ahead of the reader
  };
  mutable std::mutex streams_mu_;
  mutable std::unordered_map<uint64_t, Stream> streams_;  // by object
};

}  // namespace fzfs
