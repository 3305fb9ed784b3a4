// The read side of an objset as the ZPL and other consumers see it, whether it is a
// snapshot or imported read-only (Objset: the blocks on disk) or open for change
// (WritableObjset: the open transaction group over the blocks on disk).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "engine/dmu/dnode.h"
#include "engine/dmu/object_data.h"
#include "engine/zio/block_cache.h"
#include "engine/zio/blkptr.h"

namespace fzfs {

enum class ObjsetType : uint64_t { kNone = 0, kMeta = 1, kZfs = 2, kZvol = 3 };

// The objects whose dnodes live in a 2 KiB objset_phys (pool version 15 on) rather than
// in the meta-dnode: ZAPs of bytes used per user and per group ("%llx" of the id ->
// bytes), kept for file systems.
inline constexpr uint64_t kUserUsedObject = ~uint64_t{0};       // -1
inline constexpr uint64_t kGroupUsedObject = ~uint64_t{0} - 1;  // -2
// objset_phys os_flags: every object of the objset is counted in those ZAPs.
inline constexpr uint64_t kObjsetFlagUserAccountingComplete = 1;

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual ObjsetType type() const = 0;
  // The dnode of `obj`; ENOENT if the slot is free.
  virtual Result<Dnode> dnode(uint64_t obj) const = 0;
  // out.size() bytes of the object's data at offset (zeros past the data; no EOF clip).
  virtual Status read(const Dnode& dn, uint64_t offset, std::span<uint8_t> out) const = 0;
  // The object's blocks, for ZAP and friends.
  virtual Result<std::unique_ptr<ObjectData>> object_data(uint64_t obj) const = 0;
  // The object's SA spill block, outside its block tree (ENOENT when it has none).
  virtual Result<BlockData> read_spill(const Dnode& dn) const = 0;
};

}  // namespace fzfs
